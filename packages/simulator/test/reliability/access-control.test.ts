/**
 * Access control, over real HTTP against a simulator: every route the app serves (read from its
 * route table, so a new endpoint is covered without touching this file) × every kind of wrong
 * credential gets the documented refusal and changes nothing; another user's order is
 * indistinguishable from one that does not exist; failed authentication is throttled per client
 * address; the upstream-protocol facades take neither user keys nor the admin token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptoRng, generateApiKey } from '@jiema/core';
import { type Route } from '@jiema/core/http';
import { startSimulator, type Simulator } from '../../src/index.js';
import { QUIET } from '../helpers.js';
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

let sim: Simulator;
let alice: { id: string; apiKey: string };
let bob: { id: string; apiKey: string };
let orderId: string;
let revokedKeyId: string;
let credentials: Credential[];

const breakChecksum = (key: string): string => key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');

beforeAll(async () => {
  sim = await startSimulator({ seed: knobs.seed, clock: 'manual', behaviour: QUIET, rateLimits: NO_LIMITS });
  alice = sim.createUser({ balanceCents: 1_000, displayName: 'Alice' });
  bob = sim.createUser({ balanceCents: 1_000, displayName: 'Bob' });
  const carol = sim.createUser({ balanceCents: 1_000, displayName: 'Carol' });
  const { engine } = sim.world;
  const revoked = engine.accounts.createKey(alice.id, 'old');
  // Both keys work first (and are remembered by the server's key cache), then lose their access.
  for (const key of [carol.apiKey, revoked.apiKey]) {
    expect((await send(sim.url, { method: 'GET', path: '/api/v1/account', headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  }
  engine.accounts.setBanned(carol.id, true, 'fraud');
  engine.accounts.revokeKey(alice.id, revoked.key.id);
  revokedKeyId = revoked.key.id;
  const buy = await send(sim.url, {
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
    { name: 'admin token as Bearer', headers: bearer(sim.adminToken), user: [401, 'AUTH_INVALID'] },
    { name: 'admin token as X-Admin-Token', headers: { 'x-admin-token': sim.adminToken }, user: [401, 'AUTH_MISSING'] },
    { name: 'user key as Bearer', headers: bearer(alice.apiKey), admin: [401, 'AUTH_INVALID'] },
    { name: 'user key as X-API-Key', headers: { 'x-api-key': alice.apiKey }, admin: [401, 'AUTH_MISSING'] },
    { name: 'user key as X-Admin-Token', headers: { 'x-admin-token': alice.apiKey }, admin: [401, 'AUTH_INVALID'] },
    { name: 'wrong admin token', headers: { 'x-admin-token': `${sim.adminToken}x` }, admin: [401, 'AUTH_INVALID'] },
  ];
});

afterAll(async () => {
  await sim?.close();
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
  const { engine } = sim.world;
  return {
    ...storedState(engine),
    clock: sim.now(),
    faults: sim.faults.list().length,
  };
}

function expectRefusal(res: RawResponse, [status, code]: [number, string], what: string): void {
  expect({ status: res.status, code: res.json?.code }, what).toEqual({ status, code });
  expect(res.json, what).toMatchObject({ ok: false, message: expect.any(String) });
  expect(String(res.headers['content-type']), what).toMatch(/^application\/json/);
}

describe('access control', () => {
  it('refuses every wrong credential on every route with the documented status and code, and changes nothing', async () => {
    const routes = sim.world.app.routes;
    // The table is the app's own: public, admin, the simulator's control routes and the system ones.
    for (const prefix of ['/api/v1/', '/admin/v1/', '/_sim/v1/']) expect(routes.some((r) => r.path.startsWith(prefix))).toBe(true);
    const before = snapshot();
    let cells = 0;
    for (const route of routes) {
      const path = concrete(route);
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}';
      for (const cred of credentials) {
        const expected = route.auth === 'none' ? undefined : route.auth === 'user' ? cred.user : cred.admin;
        if (route.auth !== 'none' && !expected) continue; // a credential valid here (the admin token on /admin/v1)
        const res = await send(sim.url, {
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
    expect(sim.world.engine.checkInvariants()).toEqual([]);
    report('access-control', { routes: routes.length, credentials: credentials.length, refusalsChecked: cells });
    expect(cells).toBeGreaterThan(routes.length * 5);
  });

  it("answers another user's order exactly as it answers an order that does not exist, on every order route", async () => {
    const orderRoutes = sim.world.app.routes.filter((r) => r.auth === 'user' && r.path.includes(':id'));
    expect(orderRoutes.length).toBeGreaterThanOrEqual(3);
    const before = snapshot();
    for (const route of orderRoutes) {
      const call = (id: string) =>
        send(sim.url, { method: route.method, path: route.path.replace(':id', id), headers: { authorization: `Bearer ${bob.apiKey}` } });
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
    const s = await startSimulator({ seed: knobs.seed, clock: 'manual', behaviour: QUIET });
    try {
      const u = s.createUser({ balanceCents: 100 });
      const good = { authorization: `Bearer ${u.apiKey}` };
      for (let i = 0; i < 30; i++) {
        const bad = i % 3 === 0 ? {} : i % 3 === 1 ? { authorization: `Bearer ${breakChecksum(u.apiKey)}` } : { 'x-admin-token': 'guess' };
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
      expect((await send(s.url, { method: 'GET', path: '/admin/v1/users', headers: { 'x-admin-token': s.adminToken } })).status).toBe(200);
      // Another client address is not affected, and routes without authentication still answer.
      expect((await send(s.url, { method: 'GET', path: '/api/v1/account', headers: {}, localAddress: '127.0.0.2' })).status).toBe(401);
      expect((await send(s.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
      await s.advance(61_000);
      expect((await send(s.url, { method: 'GET', path: '/api/v1/account', headers: {} })).status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('keeps user keys and the admin token out of the upstream-protocol facades', async () => {
    for (const token of [alice.apiKey, sim.adminToken]) {
      const sa = await send(sim.url, {
        method: 'GET',
        path: `/stubs/handler_api.php?api_key=${encodeURIComponent(token)}&action=getBalance`,
      });
      expect(sa.text).toBe('BAD_KEY');
      const fs = await send(sim.url, { method: 'GET', path: '/v1/user/profile', headers: { authorization: `Bearer ${token}` } });
      expect(fs.status).toBe(401);
    }
  });
});
