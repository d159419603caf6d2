/**
 * Test helpers: an engine on :memory: with a manual clock, seeded randomness and an in-memory
 * upstream, served over real HTTP on 127.0.0.1 port 0, and a tiny client for it.
 */
import { expect } from 'vitest';
import {
  createApp,
  createEngine,
  createSeededRng,
  listen,
  ManualClock,
  MemoryUpstream,
  type AppOptions,
  type Engine,
  type EngineOptions,
  type Logger,
  type RunningServer,
  type UpstreamCatalogue,
} from '../src/index.js';

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

export const ADMIN_TOKEN = 'jma_test_admin_token_0123456789abcdef';

export interface TestEngine {
  engine: Engine;
  clock: ManualClock;
  upstream: MemoryUpstream;
}

export function makeEngine(options: Partial<EngineOptions> & { seed?: number; logger?: Logger } = {}): TestEngine {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const upstream = (options.upstream as MemoryUpstream | undefined) ?? new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE });
  const engine = createEngine({ eagerOutbox: false, ...options, clock, upstream, rng: createSeededRng(options.seed ?? 42) });
  return { engine, clock, upstream };
}

export interface TestServer extends TestEngine {
  url: string;
  server: RunningServer;
  adminToken: string;
  /** Creates a user with a balance and one key. */
  user(balanceCents?: number): { id: string; key: string };
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  admin(method: string, path: string, body?: unknown, token?: string): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function startServer(
  options: Partial<EngineOptions> & { seed?: number; app?: Partial<AppOptions> } = {},
): Promise<TestServer> {
  const te = makeEngine(options);
  const app = createApp({ engine: te.engine, adminToken: ADMIN_TOKEN, ...options.app });
  const server = await listen(app, te.engine, { port: 0, tickMs: 0 });
  const call = async (method: string, path: string, o: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    let body: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(server.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    ...te,
    url: server.url,
    server,
    adminToken: ADMIN_TOKEN,
    user(balanceCents = 1_000) {
      const u = te.engine.accounts.createUser({ displayName: 'Tester', balanceCents });
      return { id: u.id, key: te.engine.accounts.createKey(u.id).apiKey };
    },
    call,
    admin: (method, path, body, token = ADMIN_TOKEN) => call(method, path, { body, headers: { 'x-admin-token': token } }),
    async close() {
      await server.close();
      te.engine.close();
    },
  };
}

/** docs/decisions.md D4, checked against the database. */
export function expectInvariants(engine: Engine): void {
  expect(engine.checkInvariants()).toEqual([]);
}

export function expectError(res: CallResult, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { ok: false, code } });
  expect(typeof res.body.message).toBe('string');
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
}

/** Lets the event loop turn until `done` holds (writes may wait a turn to group-commit); fails if it never does. */
export async function until(done: () => boolean, turns = 200): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}
