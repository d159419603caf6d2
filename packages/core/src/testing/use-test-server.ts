/**
 * vitest hooks for the test server (docs/decisions.md D151): one server per test, started before
 * it and closed after it, with the ledger invariants (D4) checked before the close. This file
 * imports vitest; `@jiema/core/testing/server` is the same kit without it.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { Upstream } from '../upstream/upstream.js';
import type { MemoryUpstream } from '../upstream/memory/memory-upstream.js';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

export interface UseTestServerOptions {
  /** Check the ledger invariants after each test, before closing. Default true. */
  checkInvariants?: boolean;
}

async function finish(servers: TestServer<Upstream>[], check: boolean): Promise<void> {
  try {
    if (check) for (const s of servers) expect(s.checkInvariants(), `ledger invariants of the server at ${s.url}`).toEqual([]);
  } finally {
    for (const s of servers) await s.close();
  }
}

/**
 * Starts a server before each test in the calling file or `describe` block, and checks and closes
 * it after the test. The returned object stands for the current test's server: read its members
 * inside tests and hooks (`s.call(…)`), never destructure it at the top of the file.
 * `options` may be a function, called before each test.
 */
export function useTestServer<U extends Upstream = MemoryUpstream>(
  options: TestServerOptions<U> | (() => TestServerOptions<U>) = {},
  { checkInvariants = true }: UseTestServerOptions = {},
): TestServer<U> {
  let current: TestServer<U> | undefined;
  beforeEach(async () => {
    current = await startTestServer(typeof options === 'function' ? options() : options);
  });
  afterEach(async () => {
    const s = current;
    current = undefined;
    if (s) await finish([s], checkInvariants);
  });
  return new Proxy({} as TestServer<U>, {
    get(_, member) {
      if (!current) throw new Error('useTestServer(): the server exists only while a test runs (inside it, or in beforeEach/afterEach).');
      return Reflect.get(current, member) as unknown;
    },
  });
}

/**
 * For tests that each start servers with their own options: returns a starter, and after each
 * test checks and closes every server it started during that test.
 */
export function useTestServers({ checkInvariants = true }: UseTestServerOptions = {}): <U extends Upstream = MemoryUpstream>(
  options?: TestServerOptions<U>,
) => Promise<TestServer<U>> {
  const started: TestServer<Upstream>[] = [];
  afterEach(async () => {
    await finish(started.splice(0), checkInvariants);
  });
  return async <U extends Upstream = MemoryUpstream>(options?: TestServerOptions<U>) => {
    const s = await startTestServer(options);
    started.push(s);
    return s;
  };
}
