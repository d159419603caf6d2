/**
 * What core's tests share beyond the test server kit (`../src/testing.js`, docs/decisions.md
 * D150–D154): an engine without a server, and the assertions the API's tests make again and again.
 */
import { expect } from 'vitest';
import { createEngine, createSeededRng, ManualClock, MemoryUpstream, type Engine, type EngineOptions, type Logger } from '../src/index.js';
import { TEST_CATALOGUE, type TestResponse } from '../src/testing/server.js';

/** Unit tests beside the source (and the upstream's) read the catalogue from here. */
export { TEST_CATALOGUE };

export interface TestEngine {
  engine: Engine;
  clock: ManualClock;
  upstream: MemoryUpstream;
}

/** The engine alone (no HTTP): :memory:, a manual clock, seeded randomness, the memory upstream. */
export function makeEngine(options: Partial<EngineOptions> & { seed?: number; logger?: Logger } = {}): TestEngine {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const upstream = (options.upstream as MemoryUpstream | undefined) ?? new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE });
  const engine = createEngine({ eagerOutbox: false, ...options, clock, upstream, rng: createSeededRng(options.seed ?? 42) });
  return { engine, clock, upstream };
}

/** docs/decisions.md D4, checked against the database. */
export function expectInvariants(engine: Engine): void {
  expect(engine.checkInvariants()).toEqual([]);
}

export function expectError(res: TestResponse, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { ok: false, code } });
  expect(typeof res.body.message).toBe('string');
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
}

/** Lets the event loop turn until `done` holds (writes may wait a turn to group-commit); fails if it never does. */
export async function until(done: () => boolean, turns = 200): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}
