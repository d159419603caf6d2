/**
 * The control API over HTTP (/_sim/v1), the virtual clock's modes, and instances side by side.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/virtual-clock.js';
import { useSimulators } from '../src/testing.js';
import { QUIET, request, useSims } from './helpers.js';

const testSim = useSims();
const startSim = useSimulators();

describe('control API', () => {
  it('creates users with a balance and a working key', async () => {
    const t = await testSim();
    const r = await t.control('POST', '/_sim/v1/users', { balanceCents: 2_500, displayName: 'CI', lang: 'ms' });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ id: expect.stringMatching(/^cl/), apiKey: expect.stringMatching(/^jm_/) });
    const acct = await t.api('GET', '/api/v1/account', r.body.data.apiKey);
    expect(acct.body.data).toMatchObject({ balanceCents: '2500', displayName: 'CI', lang: 'ms' });
  });

  it('delivers an SMS to an order now, realistic when no body is given, or the given body', async () => {
    const t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser();
    const o = (await t.api('POST', '/api/v1/orders', u.apiKey, { service: 'telegram', country: 'my' })).body.data;
    const auto = await t.control('POST', `/_sim/v1/orders/${o.id}/sms`);
    expect(auto.body.data).toMatchObject({ orderId: o.id, code: expect.stringMatching(/^\d{5}$/) });
    expect(auto.body.data.body).toContain(auto.body.data.code);
    const got = await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey);
    expect(got.body.data).toMatchObject({ status: 'RECEIVED', smsCode: auto.body.data.code, smsBody: auto.body.data.body });
    expect(got.body.data.phone).toMatch(/^\+6012\d{7}$/);
    await t.api('POST', `/api/v1/orders/${o.id}/next-sms`, u.apiKey);
    await t.control('POST', `/_sim/v1/orders/${o.id}/sms`, { body: 'Your code is 777-888' });
    const second = await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey);
    expect(second.body.data).toMatchObject({ status: 'RECEIVED', smsBody: 'Your code is 777-888', smsCode: '777888' });
    expect(second.body.data.smsHistory).toHaveLength(2);
  });

  it('answers NOT_FOUND for an unknown order and BAD_STATUS once the number is closed', async () => {
    const t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser();
    expect((await t.control('POST', '/_sim/v1/orders/ck_nope/sms')).body).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const o = (await t.api('POST', '/api/v1/orders', u.apiKey, { service: 'tg', country: 7 })).body.data;
    await t.control('POST', '/_sim/v1/clock/advance', { ms: 21 * 60_000 });
    expect((await t.control('POST', `/_sim/v1/orders/${o.id}/sms`)).body).toMatchObject({ ok: false, code: 'BAD_STATUS' });
  });

  it('advances the clock, processing every due event in order, and reports it', async () => {
    const t = await testSim({
      behaviour: { default: { ...QUIET.default, noSmsProbability: 0, smsDelayMs: { min: 30_000, max: 30_000 } } },
    });
    const u = t.sim.createUser();
    const start = (await t.control('GET', '/_sim/v1/clock')).body.data;
    expect(start).toMatchObject({ mode: 'manual', speed: 1, now: '2026-01-01T00:00:00.000Z' });
    const o = (await t.api('POST', '/api/v1/orders', u.apiKey, { service: 'tg', country: 7 })).body.data;
    const moved = await t.control('POST', '/_sim/v1/clock/advance', { ms: 20 * 60_000 + 1 });
    expect(moved.body.data.nowMs).toBe(start.nowMs + 20 * 60_000 + 1);
    // The SMS at +30 s came before the expiry at +20 min, so the order completed rather than failed.
    const done = await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey);
    expect(done.body.data.status).toBe('COMPLETED');
    expect(done.body.data.smsReceivedAt).toBe('2026-01-01T00:00:30.000Z');
    const types = t.sim.events().map((e) => e.type);
    expect(types.indexOf('sms.delivered')).toBeLessThan(types.lastIndexOf('upstream.call'));
    expect((await t.control('POST', '/_sim/v1/clock/advance', { ms: -1 })).body.code).toBe('BAD_REQUEST');
  });

  it('sets stock; an order past the last number is NO_NUMBERS and charges nothing', async () => {
    const t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser({ balanceCents: 1_000 });
    expect((await t.control('PUT', '/_sim/v1/stock', { service: 'telegram', country: 'my', count: 1 })).body.data).toEqual({
      service: 'tg',
      country: 7,
      count: 1,
    });
    const prices = await t.api('GET', '/api/v1/prices?service=tg', u.apiKey);
    expect(prices.body.data.items.find((i: { countryId: number }) => i.countryId === 7).count).toBe(1);
    expect((await t.api('POST', '/api/v1/orders', u.apiKey, { service: 'tg', country: 7 })).status).toBe(200);
    const none = await t.api('POST', '/api/v1/orders', u.apiKey, { service: 'tg', country: 7 });
    expect(none.body).toMatchObject({ ok: false, code: 'NO_NUMBERS' });
    expect(t.balance(u.id)).toBe(1_000 - 32);
    expect((await t.control('PUT', '/_sim/v1/stock', { service: 'zz', country: 7, count: 1 })).body.code).toBe('BAD_SERVICE');
    expect((await t.control('PUT', '/_sim/v1/stock', { service: 'tg', country: 7, count: -1 })).body.code).toBe('BAD_REQUEST');
  });

  it('arms, lists and clears faults', async () => {
    const t = await testSim();
    const armed = await t.control('POST', '/_sim/v1/faults', { kind: 'error', error: 'UNAVAILABLE', method: 'buy', count: 2 });
    expect(armed.status).toBe(201);
    expect(armed.body.data).toMatchObject({ id: 'f1', kind: 'error', remaining: 2, fired: 0 });
    await t.control('POST', '/_sim/v1/faults', { kind: 'latency', latencyMs: 1, probability: 0.5 });
    expect((await t.control('GET', '/_sim/v1/faults')).body.data.items).toHaveLength(2);
    expect((await t.control('DELETE', '/_sim/v1/faults/f1')).body.data).toEqual({ cleared: 1 });
    expect((await t.control('DELETE', '/_sim/v1/faults/f1')).body.code).toBe('NOT_FOUND');
    expect((await t.control('DELETE', '/_sim/v1/faults')).body.data).toEqual({ cleared: 1 });
    for (const bad of [{ kind: 'error', count: 1 }, { kind: 'explode', count: 1 }, { kind: 'timeout' }, { kind: 'latency', count: 1 }]) {
      expect((await t.control('POST', '/_sim/v1/faults', bad)).body.code, JSON.stringify(bad)).toBe('BAD_REQUEST');
    }
  });

  it('serves the ordered event log with its digest, filtered by type and sequence', async () => {
    const t = await testSim();
    const u = t.sim.createUser();
    await t.api('GET', '/api/v1/account', u.apiKey);
    const all = (await t.control('GET', '/_sim/v1/events')).body.data;
    expect(all.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(all.items.map((e: { seq: number }) => e.seq)).toEqual([...all.items.map((e: { seq: number }) => e.seq)].sort((a, b) => a - b));
    const api = (await t.control('GET', '/_sim/v1/events?type=api')).body.data.items;
    expect(api[0]).toMatchObject({ type: 'api.request', data: { method: 'GET', path: '/api/v1/account', status: 200 } });
    const later = (await t.control('GET', `/_sim/v1/events?since=${all.count}`)).body.data.items;
    expect(later.every((e: { seq: number }) => e.seq > all.count)).toBe(true);
  });

  it('resets to an empty world with the same seed', async () => {
    const t = await testSim();
    const u = t.sim.createUser();
    await t.control('POST', '/_sim/v1/clock/advance', { ms: 60_000 });
    expect((await t.control('POST', '/_sim/v1/reset')).body.data).toEqual({ reset: true });
    expect((await t.api('GET', '/api/v1/account', u.apiKey)).status).toBe(401);
    expect((await t.control('GET', '/_sim/v1/clock')).body.data.now).toBe('2026-01-01T00:00:00.000Z');
    const types = t.sim.events().map((e) => e.type);
    expect(types[0]).toBe('reset');
    expect(types).not.toContain('user.created');
  });

  it('requires the admin token and answers errors in the envelope', async () => {
    const t = await testSim();
    const u = t.sim.createUser();
    expect((await request(`${t.sim.url}/_sim/v1/clock`)).body).toMatchObject({ ok: false, code: 'AUTH_MISSING' });
    expect((await t.api('GET', '/_sim/v1/clock', u.apiKey)).body).toMatchObject({ ok: false, code: 'AUTH_INVALID' });
    expect((await t.control('GET', '/_sim/v1/nope')).body).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect((await t.control('PUT', '/_sim/v1/clock')).body).toMatchObject({ ok: false, code: 'METHOD_NOT_ALLOWED' });
  });

  it('sets the upstream balance; when it runs out buys fail with 503 and nothing is charged', async () => {
    const t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser({ balanceCents: 1_000 });
    expect((await t.control('PUT', '/_sim/v1/upstream/balance', { amount: '0.25' })).body.data).toEqual({ amount: '0.25' });
    expect((await t.api('POST', '/api/v1/orders', u.apiKey, { service: 'tg', country: 7 })).status).toBe(200);
    const broke = await t.api('POST', '/api/v1/orders', u.apiKey, { service: 'tg', country: 7 });
    expect(broke.body).toMatchObject({ ok: false, code: 'UPSTREAM_UNAVAILABLE' });
    expect(t.balance(u.id)).toBe(968);
    expect((await t.control('GET', '/_sim/v1/upstream')).body.data).toMatchObject({
      balance: '0.0367',
      activations: [{ state: 'WAITING' }],
    });
  });
});

describe('virtual clock', () => {
  it('moves only when told in manual mode', () => {
    const c = new VirtualClock({ mode: 'manual', startAt: 1_000 });
    expect(c.now()).toBe(1_000);
    c.moveTo(5_000);
    expect(c.now()).toBe(5_000);
    c.moveTo(4_000);
    expect(c.now()).toBe(5_000);
  });

  it('runs N times faster in accelerated mode, and follows real time in real mode', async () => {
    const fast = new VirtualClock({ mode: 'accelerated', speed: 1_000, startAt: 0 });
    const real = new VirtualClock({ mode: 'real' });
    const r0 = real.now();
    await new Promise((r) => setTimeout(r, 30));
    expect(fast.now()).toBeGreaterThanOrEqual(20_000);
    expect(real.now() - r0).toBeGreaterThanOrEqual(20);
    expect(real.now() - r0).toBeLessThan(20_000);
  });

  it('drives SMS delays and expiry in accelerated mode without anyone advancing it', async () => {
    const sim = await startSim({
      seed: 5,
      clock: '2000x',
      pumpMs: 10,
      behaviour: { default: { ...QUIET.default, noSmsProbability: 0, smsDelayMs: { min: 10_000, max: 10_000 } } },
    });
    const u = sim.createUser();
    const o = (
      await request(`${sim.url}/api/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${u.apiKey}` },
        body: { service: 'tg', country: 7 },
      })
    ).body.data;
    let status = 'WAITING';
    for (let i = 0; i < 200 && status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      status = sim.world.engine.stores.orders.get(o.id)!.status;
    }
    expect(status).toBe('COMPLETED');
  });
});

describe('instances side by side', () => {
  it('share no state', async () => {
    const a = await startSim({ seed: 1, clock: 'manual' });
    const b = await startSim({ seed: 1, clock: 'manual' });
    const ua = a.createUser();
    const r = await request(`${b.url}/api/v1/account`, { headers: { authorization: `Bearer ${ua.apiKey}` } });
    // Same seed, so b could mint the same key — but b has no such user, and a's advance leaves b alone.
    expect(r.status).toBe(401);
    await a.advance(60_000);
    expect(b.now()).toBe(Date.UTC(2026, 0, 1));
    a.setStock('tg', 7, 0);
    expect(b.world.upstream.getStock('tg', 7)).toBe(540);
  });
});

describe('many orders due at one moment', () => {
  it('expires every one of them, past the worker batch size, in one advance', async () => {
    const sim = await startSim({ seed: 2, clock: 'manual', behaviour: QUIET });
    sim.setStock('go', 6, 10_000);
    const u = sim.createUser({ balanceCents: 10_000_000 });
    for (let i = 0; i < 1_200; i++) await sim.world.engine.orders.create(u.id, { service: 'go', country: 6 });
    await sim.advance(20 * 60_000);
    expect(sim.world.engine.stores.orders.count(['WAITING', 'RECEIVED'])).toBe(0);
    expect(sim.world.engine.outbox.pending()).toHaveLength(0);
    expect(sim.world.engine.checkInvariants()).toEqual([]);
  }, 60_000);
});
