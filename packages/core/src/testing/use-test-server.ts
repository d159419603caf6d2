/**
 * vitest hooks for the test server (docs/decisions.md D151): one server per test, started before
 * it and closed after it, with the ledger invariants (D4) checked before the close. This file
 * imports vitest; `@jiema/core/testing/server` is the same kit without it. `usePerTest` and
 * `usePerTestStarter` do the same for anything that starts and stops (the simulator's hooks use them).
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { MemoryUpstream } from '../upstream/memory/memory-upstream.js';
import type { Upstream } from '../upstream/upstream.js';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

export interface UseTestServerOptions {
  /** Check the ledger invariants after each test, before closing. Default true. */
  checkInvariants?: boolean;
}

export interface UsePerTestOptions {
  /** 'test' (the default): a fresh value for every test. 'file': one for all the tests of the file or `describe` block (beforeAll/afterAll). */
  per?: 'test' | 'file';
}

/**
 * Starts a value before each test of the calling file or `describe` block and stops it after the
 * test (or once around them all, with `per: 'file'`). The returned object stands for the current
 * value: read its members inside tests and hooks, never destructure it at the top of the file.
 */
export function usePerTest<T extends object>(
  start: () => Promise<T>,
  stop: (value: T) => Promise<void>,
  { per = 'test' }: UsePerTestOptions = {},
): T {
  let current: T | undefined;
  (per === 'file' ? beforeAll : beforeEach)(async () => {
    current = await start();
  });
  (per === 'file' ? afterAll : afterEach)(async () => {
    const value = current;
    current = undefined;
    if (value) await stop(value);
  });
  return new Proxy({} as T, {
    get(_, member) {
      if (!current) throw new Error('This stands for the value of the current test: use it inside a test or a beforeEach/afterEach hook.');
      return Reflect.get(current, member) as unknown;
    },
  });
}

/** Returns `start` as it is, and after each test stops everything it started during that test. */
export function usePerTestStarter<A extends unknown[], T>(
  start: (...args: A) => Promise<T>,
  stop: (values: T[]) => Promise<void>,
): (...args: A) => Promise<T> {
  const started: T[] = [];
  afterEach(async () => {
    await stop(started.splice(0));
  });
  return async (...args: A) => {
    const value = await start(...args);
    started.push(value);
    return value;
  };
}

function finisher(checkInvariants: boolean): (servers: TestServer<Upstream>[]) => Promise<void> {
  return async (servers) => {
    try {
      if (checkInvariants)
        for (const s of servers.filter((x) => !x.closed))
          expect(s.checkInvariants(), `ledger invariants of the server at ${s.url}`).toEqual([]);
    } finally {
      for (const s of servers) await s.close();
    }
  };
}

/**
 * A test server per test: started before each test of the calling file or `describe` block,
 * its ledger invariants checked and closed after it (see `usePerTest` for how to use what it
 * returns). `options` may be a function, called before each test.
 */
export function useTestServer<U extends Upstream = MemoryUpstream>(
  options: TestServerOptions<U> | (() => TestServerOptions<U>) = {},
  { checkInvariants = true }: UseTestServerOptions = {},
): TestServer<U> {
  const stop = finisher(checkInvariants);
  return usePerTest(
    () => startTestServer(typeof options === 'function' ? options() : options),
    (s) => stop([s]),
  );
}

/**
 * For tests that each start servers with their own options: returns a starter, and after each
 * test checks and closes every server it started during that test.
 */
export function useTestServers({ checkInvariants = true }: UseTestServerOptions = {}): <U extends Upstream = MemoryUpstream>(
  options?: TestServerOptions<U>,
) => Promise<TestServer<U>> {
  const start = usePerTestStarter((options?: TestServerOptions<Upstream>) => startTestServer(options), finisher(checkInvariants));
  return start as <U extends Upstream = MemoryUpstream>(options?: TestServerOptions<U>) => Promise<TestServer<U>>;
}
