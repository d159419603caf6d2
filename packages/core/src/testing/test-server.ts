/**
 * A jiema server for one test (docs/decisions.md D150–D152): the real engine and HTTP API on
 * 127.0.0.1 port 0, on an in-memory database (or a temporary file), a manual clock, seeded ids,
 * the in-memory upstream with a small catalogue, and an admin token; with helpers to create a
 * user with a balance and a key, call the API, move the clock, deliver an SMS and close it all.
 * No test framework is needed: `@jiema/core/testing/server` imports no vitest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, type EngineOptions } from '../engine.js';
import { createApp, type AppOptions } from '../http/app.js';
import { ManualClock, type Clock } from '../ports/clock.js';
import { createSeededRng } from '../ports/rng.js';
import { listen, type RunningServer } from '../server.js';
import { MemoryUpstream } from '../upstream/memory/memory-upstream.js';
import type { Upstream, UpstreamCatalogue } from '../upstream/upstream.js';
import { requestJson, type TestRequestOptions, type TestResponse } from './json-client.js';

/** Four countries (one with no service), three services; one pair sold out. Prices at the default markup: tg/7 is 32 cents. */
export const TEST_CATALOGUE: UpstreamCatalogue = {
  countries: [
    { id: 7, name: 'Malaysia' },
    { id: 187, name: 'USA' },
    { id: 6, name: 'Indonesia' },
    { id: 999, name: 'Atlantis' },
  ],
  services: [
    { code: 'tg', name: 'Telegram' },
    { code: 'wa', name: 'WhatsApp' },
    { code: 'go', name: 'Google' },
  ],
  offers: [
    { service: 'tg', country: 7, cost: '0.2133', count: 540 },
    { service: 'tg', country: 187, cost: '0.4444', count: 0 },
    { service: 'tg', country: 6, cost: '0.1667', count: 34876 },
    { service: 'wa', country: 7, cost: '0.30', count: 12 },
    { service: 'go', country: 6, cost: '0.105', count: 4393 },
  ],
};

/** The admin token a test server accepts unless told another. Never use it outside tests. */
export const TEST_ADMIN_TOKEN = 'jma_test_admin_token_0123456789abcdef';

export interface TestServerOptions<U extends Upstream = MemoryUpstream> extends Partial<Omit<EngineOptions, 'upstream' | 'db' | 'rng'>> {
  /** The upstream; default a MemoryUpstream on the server's clock with `catalogue`. */
  upstream?: U;
  /** The catalogue of the default MemoryUpstream. Default TEST_CATALOGUE. */
  catalogue?: UpstreamCatalogue;
  /** Seed of the ids and referral codes (two servers on one seed mint the same ids). Default 42. */
  seed?: number;
  /** Where the data lives: ':memory:' (the default), a path, or an open database. */
  db?: EngineOptions['db'];
  /** A SQLite file in a fresh temporary folder instead, removed by close(): for what memory does not show (WAL, locks, restarts). */
  tempDb?: boolean;
  /** Default TEST_ADMIN_TOKEN. */
  adminToken?: string;
  /** More options for the HTTP app: rate limits, extra routes, the console. */
  app?: Partial<Omit<AppOptions, 'engine' | 'adminToken'>>;
}

export interface TestUser {
  id: string;
  /** The user's API key (`jm_…`): pass it as `key` to `call`. */
  key: string;
}

export interface CreateTestUserOptions {
  /** Default 1000 (ten dollars). */
  balanceCents?: number;
  /** Default 'Tester'. */
  displayName?: string;
  lang?: string;
}

export interface TestServer<U extends Upstream = MemoryUpstream> {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  server: RunningServer;
  engine: Engine;
  /** The server's clock: a ManualClock unless the options gave another. */
  clock: Clock;
  upstream: U;
  adminToken: string;
  /** The database file (with `tempDb`, or `db` a path); undefined in memory or for an open database. */
  dbPath: string | undefined;
  /** A user with a balance and one API key, made directly in the engine. */
  createUser(options?: CreateTestUserOptions): TestUser;
  /** One request to the server; `key` authenticates as a user. */
  call(method: string, path: string, options?: TestRequestOptions): Promise<TestResponse>;
  /** One request with the admin token (or `token`). */
  admin(method: string, path: string, body?: unknown, token?: string): Promise<TestResponse>;
  /** Moves the manual clock forward; throws when the server runs on another clock. Returns the new time. */
  advance(ms: number): number;
  /** Runs the background worker once (expiries, syncs, the outbox, webhooks): a test server has no timer of its own. */
  tick: Engine['tick'];
  /** The upstream activation behind an order. */
  activationOf(orderId: string): string;
  /**
   * Delivers an SMS to the order's number at the MemoryUpstream and has the engine read it at
   * once, as a sync would. Throws when the number is closed or the upstream is not a MemoryUpstream.
   */
  deliverSms(orderId: string, text: string): Promise<void>;
  /** The ledger invariants (docs/decisions.md D4) that do not hold: [] when the books balance. */
  checkInvariants(): unknown[];
  /** Whether close() has been called. */
  readonly closed: boolean;
  /** Stops the HTTP server, closes the engine and removes a temporary database. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts a server for one test. Close it when the test ends (or use `useTestServer` from `@jiema/core/testing`). */
export async function startTestServer<U extends Upstream = MemoryUpstream>(options: TestServerOptions<U> = {}): Promise<TestServer<U>> {
  const {
    upstream: given,
    catalogue = TEST_CATALOGUE,
    seed = 42,
    tempDb = false,
    db = ':memory:',
    adminToken = TEST_ADMIN_TOKEN,
    app,
    ...engineOptions
  } = options;
  const clock = options.clock ?? new ManualClock();
  const upstream = given ?? (new MemoryUpstream({ clock, catalogue }) as unknown as U);
  const tempDir = tempDb ? mkdtempSync(join(tmpdir(), 'jiema-test-')) : undefined;
  const dbPath = tempDir ? join(tempDir, 'jiema.db') : typeof db === 'string' && db !== ':memory:' ? db : undefined;
  const engine = createEngine({ eagerOutbox: false, ...engineOptions, clock, upstream, db: dbPath ?? db, rng: createSeededRng(seed) });
  let running: RunningServer;
  try {
    running = await listen(createApp({ ...app, engine, adminToken }), engine, { port: 0, tickMs: 0 });
  } catch (err) {
    engine.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  const activationOf = (orderId: string): string => {
    const order = engine.stores.orders.get(orderId);
    if (!order) throw new Error(`No order ${orderId} on this test server.`);
    return order.activationId;
  };
  const call = (method: string, path: string, o?: TestRequestOptions): Promise<TestResponse> => requestJson(running.url, method, path, o);
  let closed: Promise<void> | undefined;
  return {
    url: running.url,
    port: running.port,
    server: running,
    engine,
    clock,
    upstream,
    adminToken,
    dbPath,
    createUser({ balanceCents = 1_000, displayName = 'Tester', lang } = {}) {
      const user = engine.accounts.createUser({ displayName, balanceCents, ...(lang !== undefined && { lang }) });
      return { id: user.id, key: engine.accounts.createKey(user.id).apiKey };
    },
    call,
    admin: (method, path, body, token = adminToken) => call(method, path, { body, headers: { 'x-admin-token': token } }),
    advance(ms) {
      if (!(clock instanceof ManualClock)) throw new Error('advance() needs the ManualClock: this server runs on another clock.');
      return clock.advance(ms);
    },
    tick: () => engine.tick(),
    activationOf,
    async deliverSms(orderId, text) {
      if (!(upstream instanceof MemoryUpstream))
        throw new Error('deliverSms() needs the MemoryUpstream: deliver through your own upstream.');
      const activationId = activationOf(orderId);
      if (!upstream.deliverSms(activationId, text)) throw new Error(`Order ${orderId}: its number is closed at the upstream.`);
      await engine.orders.syncActivation(activationId);
    },
    checkInvariants: () => engine.checkInvariants(),
    get closed() {
      return closed !== undefined;
    },
    close() {
      closed ??= (async () => {
        try {
          await running.close();
        } finally {
          engine.close();
          if (tempDir) rmSync(tempDir, { recursive: true, force: true });
        }
      })();
      return closed;
    },
  };
}
