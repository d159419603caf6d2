/**
 * Every test's responses against the OpenAPI document (docs/decisions.md D85). vitest.config.ts
 * sets JIEMA_VALIDATE_RESPONSES=1, so every server a test starts — in this process or as a
 * child process, which inherits the environment — checks each response it sends and writes the
 * undocumented ones into this test file's own directory. After each test they are read, and the
 * test fails with a message naming the operation, the status and what does not match.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';

const dir = join(tmpdir(), `jiema-responses-${process.pid}-${Date.now().toString(36)}`);
mkdirSync(dir, { recursive: true });
process.env.JIEMA_RESPONSE_VIOLATIONS_DIR = dir;

/** The violations reported since the last call, and forgets them. */
export function takeViolations(): Array<{
  method: string;
  path: string;
  status: number;
  operationId: string;
  problem: string;
  body: string;
}> {
  const found = [];
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    rmSync(join(dir, file), { force: true });
    // A process killed mid-write leaves at most one partial line.
    for (const line of text.split('\n')) {
      try {
        if (line) found.push(JSON.parse(line));
      } catch {
        /* partial line */
      }
    }
  }
  return found;
}

afterEach(() => {
  const found = takeViolations();
  if (found.length === 0) return;
  const lines = found.slice(0, 10).map((v) => `- ${v.method} ${v.path} → ${v.status}: ${v.problem}\n  body: ${v.body.slice(0, 300)}`);
  throw new Error(
    `${found.length} response(s) the OpenAPI document does not describe (docs/openapi.json). Document them (the route's errors, schemas) and run \`pnpm openapi\`, or fix the server:\n${lines.join('\n')}`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
