/**
 * Access control, over real HTTP against a simulator: every route the app serves (read from its
 * route table, so a new endpoint is covered without touching this file) × every kind of wrong
 * credential gets the documented refusal and changes nothing; another user's order is
 * indistinguishable from one that does not exist; failed authentication is throttled per client
 * address; the upstream-protocol facades take neither user keys nor the admin token.
 *
 * On SQLite the server is the simulator, as today. On PostgreSQL it is core's engine and HTTP app
 * on a fresh schema with a MemoryUpstream, the server operators run there: the simulator's own
 * control routes (/_sim/v1) and the upstream-protocol facades are the same code on either database
 * (the simulator runs on a schema too, one per schema), so they are checked once, on SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApp,
  createEngine,
  createSeededRng,
  cryptoRng,
  generateApiKey,
  listen,
  ManualClock,
  MemoryUpstream,
  type Engine,
  type RateLimitConfig,
} from '@jiema/core';
import { type Route } from '@jiema/core/http';
import { TEST_ADMIN_TOKEN, TEST_CATALOGUE } from '@jiema/core/testing/server';
import { startSimulator, type Simulator } from '../../src/index.js';
import { QUIET } from '../helpers.js';
import { DATABASES, type DatabaseKind } from '../../../core/test/databases.js';
import { knobs, report } from './knobs.js';
import { send, type RawResponse } from './raw-http.js';
import { storedState } from './stored-state.js';

type Headers = Record<string, string>;
interface Credential {
  name: string;
  headers: Headers;
  /** The refusal expected on each kind of route; undefined: not this credential's concern. */
  user?: [number, string];
  admin?: [number, string];
}

const NO_LIMITS = { readPerMin: 1_000_000, writePerMin: 1_000_000, pollPerMin: 1_000_000, authFailuresPerMin: 1_000_000 };

/** The server under test, whichever database it runs on. */
interface Target {
  url: string;
  adminToken: string;
  engine: Engine;
  routes: Route[];
  /** The simulator, on SQLite; undefined on PostgreSQL. */
  sim: Simulator | undefined;
  now(): number;
  createUser(options: { balanceCents: number; displayName?: string }): { id: string; apiKey: string };
  advance(ms: number): Promise<unknown>;
  close(): Promise<void>;
}

async function startSimulatorTarget(rateLimits?: Partial<RateLimitConfig>): Promise<Target> {
  const sim = await startSimulator({ seed: knobs.seed, clock: 'manual', behaviour: QUIET, ...(rateLimits && { rateLimits }) });
  return {
    url: sim.url,
    adminToken: sim.adminToken,
    engine: sim.world.engine,
    routes: sim.world.app.routes,
    sim,
    now: () => sim.now(),
    createUser: (o) => sim.createUser(o),
    advance: (ms) => sim.advance(ms),
    close: () => sim.close(),
  };
}

/** Core's engine and HTTP app on PostgreSQL, on a fresh schema dropped by close(). */
async function startPostgresTarget(kind: DatabaseKind, rateLimits?: Partial<RateLimitConfig>): Promise<Target> {
  const database = await kind.create();
  const clock = new ManualClock();
  const engine = createEngine({
    db: database.db,
    upstream: new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE }),
    clock,
    rng: createSeededRng(knobs.seed),
    eagerOutbox: false,
  });
  const adminToken = TEST_ADMIN_TOKEN;
  const app = createApp({ engine, adminToken, ...(rateLimits && { rateLimits }) });
  const running = await listen(app, engine, { port: 0, tickMs: 0 });
  return {
    url: running.url,
    adminToken,
    engine,
    routes: app.routes,
    sim: undefined,
    now: () => clock.now(),
    createUser: ({ balanceCents, displayName = 'Tester' }) => {
      const user = engine.accounts.createUser({ balanceCents, displayName });
      return { id: user.id, apiKey: engine.accounts.createKey(user.id).apiKey };
    },
    advance: async (ms) => clock.advance(ms),
    async close() {
      try {
        await running.close();
      } finally {
        engine.close();
        await database.drop();
      }
    },
  };
}

describe.each(DATABASES)('access control, on $name', (kind) => {
  const start = (rateLimits?: Partial<RateLimitConfig>) =>
    kind.name === 'SQLite' ? startSimulatorTarget(rateLimits) : startPostgresTarget(kind, rateLimits);
  let t: Target;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  let orderId: string;
  let revokedKeyId: string;
  let credentials: Credential[];

  const breakChecksum = (key: string): string => key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');

  beforeAll(async () => {
    t = await start(NO_LIMITS);
    alice = t.createUser({ balanceCents: 1_000, displayName: 'Alice' });
    bob = t.createUser({ balanceCents: 1_000, displayName: 'Bob' });
    const carol = t.createUser({ balanceCents: 1_000, displayName: 'Carol' });
    const { engine } = t;
    const revoked = engine.accounts.createKey(alice.id, 'old');
    // Both keys work first (and are remembered by the server's key cache), then lose their access.
    for (const key of [carol.apiKey, revoked.apiKey]) {
      expect((await send(t.url, { method: 'GET', path: '/api/v1/account', headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    }
    engine.accounts.setBanned(carol.id, true, 'fraud');
    engine.accounts.revokeKey(alice.id, revoked.key.id);
    revokedKeyId = revoked.key.id;
    const buy = await send(t.url, {
      method: 'POST',
      path: '/api/v1/orders',
      headers: { authorization: `Bearer ${alice.apiKey}` },
      body: '{"service":"tg","country":"my"}',
    });
    expect(buy.status, buy.text).toBe(200);
    orderId = buy.json.data.id;

    const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
    credentials = [
      { name: 'no credential', headers: {}, user: [401, 'AUTH_MISSING'], admin: [401, 'AUTH_MISSING'] },
      {
        name: 'malformed key (checksum fails)',
        headers: bearer(breakChecksum(alice.apiKey)),
        user: [401, 'AUTH_INVALID'],
        admin: [401, 'AUTH_INVALID'],
      },
      {
        name: 'well-formed key never issued',
        headers: bearer(generateApiKey(cryptoRng)),
        user: [401, 'AUTH_INVALID'],
        admin: [401, 'AUTH_INVALID'],
      },
      {
        name: 'not a Bearer scheme',
        headers: { authorization: `Basic ${Buffer.from(`x:${alice.apiKey}`).toString('base64')}` },
        user: [401, 'AUTH_INVALID'],
        admin: [401, 'AUTH_INVALID'],
      },
      { name: 'revoked key', headers: bearer(revoked.apiKey), user: [401, 'AUTH_INVALID'], admin: [401, 'AUTH_INVALID'] },
      { name: "banned user's key", headers: bearer(carol.apiKey), user: [403, 'FORBIDDEN'], admin: [401, 'AUTH_INVALID'] },
      { name: 'admin token as Bearer', headers: bearer(t.adminToken), user: [401, 'AUTH_INVALID'] },
      { name: 'admin token as X-Admin-Token', headers: { 'x-admin-token': t.adminToken }, user: [401, 'AUTH_MISSING'] },
      { name: 'user key as Bearer', headers: bearer(alice.apiKey), admin: [401, 'AUTH_INVALID'] },
      { name: 'user key as X-API-Key', headers: { 'x-api-key': alice.apiKey }, admin: [401, 'AUTH_MISSING'] },
      { name: 'user key as X-Admin-Token', headers: { 'x-admin-token': alice.apiKey }, admin: [401, 'AUTH_INVALID'] },
      { name: 'wrong admin token', headers: { 'x-admin-token': `${t.adminToken}x` }, admin: [401, 'AUTH_INVALID'] },
    ];
  });

  afterAll(async () => {
    await t?.close();
  });

  /** A concrete path for a route pattern: Alice's order, Alice's user and revoked key, some fault. */
  function concrete(route: Route): string {
    return route.path
      .replace(/^(\/api\/v1\/orders|\/_sim\/v1\/orders)\/:id/, `$1/${orderId}`)
      .replace('/users/:id', `/users/${alice.id}`)
      .replace(':keyId', revokedKeyId)
      .replace('/faults/:id', '/faults/f1');
  }

  /** What an observer could see of the world: every balance, the ledger, orders, the clock, faults. */
  function snapshot() {
    return {
      ...storedState(t.engine),
      clock: t.now(),
      faults: t.sim?.faults.list().length,
    };
  }

  function expectRefusal(res: RawResponse, [status, code]: [number, string], what: string): void {
    expect({ status: res.status, code: res.json?.code }, what).toEqual({ status, code });
    expect(res.json, what).toMatchObject({ ok: false, message: expect.any(String) });
    expect(String(res.headers['content-type']), what).toMatch(/^application\/json/);
  }

  describe('access control', () => {
    it('refuses every wrong credential on every route with the documented status and code, and changes nothing', async () => {
      const routes = t.routes;
      // The table is the app's own: public, admin, the simulator's control routes (SQLite) and the system ones.
      for (const prefix of ['/api/v1/', '/admin/v1/', ...(t.sim ? ['/_sim/v1/'] : [])])
        expect(routes.some((r) => r.path.startsWith(prefix))).toBe(true);
      const before = snapshot();
      let cells = 0;
      for (const route of routes) {
        const path = concrete(route);
        const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}';
        for (const cred of credentials) {
          const expected = route.auth === 'none' ? undefined : route.auth === 'user' ? cred.user : cred.admin;
          if (route.auth !== 'none' && !expected) continue; // a credential valid here (the admin token on /admin/v1)
          const res = await send(t.url, {
            method: route.method,
            path,
            headers: { ...cred.headers, ...(body && { 'content-type': 'application/json' }) },
            ...(body && { body }),
          });
          const what = `${route.method} ${route.path} with ${cred.name}`;
          if (!expected) {
            expect(res.status, what).toBe(200);
            continue;
          }
          expectRefusal(res, expected, what);
          cells += 1;
        }
      }
      expect(snapshot()).toEqual(before);
      expect(t.engine.checkInvariants()).toEqual([]);
      report('access-control', { database: kind.name, routes: routes.length, credentials: credentials.length, refusalsChecked: cells });
      expect(cells).toBeGreaterThan(routes.length * 5);
    });

    it("answers another user's order exactly as it answers an order that does not exist, on every order route", async () => {
      const orderRoutes = t.routes.filter((r) => r.auth === 'user' && r.path.includes(':id'));
      expect(orderRoutes.length).toBeGreaterThanOrEqual(3);
      const before = snapshot();
      for (const route of orderRoutes) {
        const call = (id: string) =>
          send(t.url, { method: route.method, path: route.path.replace(':id', id), headers: { authorization: `Bearer ${bob.apiKey}` } });
        const theirs = await call(orderId);
        const missing = await call(`ck${'0'.repeat(25)}`);
        const malformedId = await call('nope');
        expectRefusal(theirs, [404, 'NOT_FOUND'], `${route.method} ${route.path}`);
        expect(theirs.text).toBe(missing.text);
        expect(theirs.text).toBe(malformedId.text);
      }
      expect(snapshot()).toEqual(before);
    });

    it('throttles failed authentication per client address: 429 for further failures after 30, never for valid credentials', async () => {
      const s = await start();
      try {
        const u = s.createUser({ balanceCents: 100 });
        const good = { authorization: `Bearer ${u.apiKey}` };
        for (let i = 0; i < 30; i++) {
          const bad =
            i % 3 === 0 ? {} : i % 3 === 1 ? { authorization: `Bearer ${breakChecksum(u.apiKey)}` } : { 'x-admin-token': 'guess' };
          const res = await send(s.url, { method: 'GET', path: i % 3 === 2 ? '/admin/v1/users' : '/api/v1/account', headers: bad });
          expect(res.status).toBe(401);
        }
        const blocked = await send(s.url, {
          method: 'GET',
          path: '/api/v1/account',
          headers: { authorization: `Bearer ${breakChecksum(u.apiKey)}` },
        });
        expectRefusal(blocked, [429, 'RATE_LIMITED'], 'a bad key from a throttled address');
        expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        // The polling route is served by the lean dispatcher: the same rule.
        const poll = await send(s.url, { method: 'GET', path: `/api/v1/orders/ck${'0'.repeat(25)}`, headers: {} });
        expect(poll.status).toBe(429);
        const spoofed = await send(s.url, { method: 'GET', path: '/api/v1/account', headers: { 'x-forwarded-for': '203.0.113.9' } });
        expect(spoofed.status, 'X-Forwarded-For is not trusted by default').toBe(429);
        // Valid credentials from the same address are served all along.
        expect((await send(s.url, { method: 'GET', path: '/api/v1/account', headers: good })).status).toBe(200);
        expect((await send(s.url, { method: 'GET', path: `/api/v1/orders/ck${'0'.repeat(25)}`, headers: good })).status).toBe(404);
        expect((await send(s.url, { method: 'GET', path: '/admin/v1/users', headers: { 'x-admin-token': s.adminToken } })).status).toBe(
          200,
        );
        // Another client address is not affected, and routes without authentication still answer.
        expect((await send(s.url, { method: 'GET', path: '/api/v1/account', headers: {}, localAddress: '127.0.0.2' })).status).toBe(401);
        expect((await send(s.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
        await s.advance(61_000);
        expect((await send(s.url, { method: 'GET', path: '/api/v1/account', headers: {} })).status).toBe(401);
      } finally {
        await s.close();
      }
    });

    // The facades are the simulator's, which runs on SQLite only.
    it.runIf(kind.name === 'SQLite')('keeps user keys and the admin token out of the upstream-protocol facades', async () => {
      for (const token of [alice.apiKey, t.adminToken]) {
        const sa = await send(t.url, {
          method: 'GET',
          path: `/stubs/handler_api.php?api_key=${encodeURIComponent(token)}&action=getBalance`,
        });
        expect(sa.text).toBe('BAD_KEY');
        const fs = await send(t.url, { method: 'GET', path: '/v1/user/profile', headers: { authorization: `Bearer ${token}` } });
        expect(fs.status).toBe(401);
      }
    });
  });
});
