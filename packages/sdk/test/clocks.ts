/**
 * Clocks for SDK tests. `fastClock` runs real time faster, so minute-long rate windows pass in
 * a second and the server and the client can share it. `VirtualClock` moves only when told, for
 * unit tests with no I/O.
 */
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../src/index.js';

export function fastClock(scale: number, startMs = Date.UTC(2026, 0, 1)): Clock {
  const t0 = performance.now();
  return {
    now: () => startMs + Math.floor((performance.now() - t0) * scale),
    sleep: (ms, signal) => systemClock.sleep(ms / scale, signal),
  };
}

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class VirtualClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }
  now(): number {
    return this.current;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }
  /** Moves time forward, waking each due sleeper in time order and letting its continuation run. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (;;) {
      await flush();
      const due = this.sleepers.filter((s) => s.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.current = Math.max(this.current, due.at);
      due.resolve();
    }
    this.current = until;
    await flush();
  }
  get pending(): number {
    return this.sleepers.length;
  }
}

/** Lets every queued promise continuation run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
