/**
 * A stream that keeps every line written to it: where a test's pino logger writes, so the test
 * can read what was logged.
 */
import { Writable } from 'node:stream';

export function lineSink(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}
