/**
 * Every fault kind and scripted behaviour, observed through the public API, with nothing
 * charged wrongly: the balance and the ledger invariants are checked after each.
 */
import { describe, expect, it } from 'vitest';
import { QUIET, useSims, type TestSim } from './helpers.js';

let t: TestSim | undefined;
const testSim = useSims();

const buy = (key: string) => t!.api('POST', '/api/v1/orders', key, { service: 'tg', country: 7 });
const statusOf = (id: string) => t!.sim.world.engine.stores.orders.get(id)!.status;

describe('faults, through the public API', () => {
  it.each([
    ['error UNAVAILABLE', { kind: 'error', error: 'UNAVAILABLE' }],
    ['garbage reply', { kind: 'garbage' }],
    ['timeout that sold nothing', { kind: 'timeout' }],
    ['error NO_BALANCE', { kind: 'error', error: 'NO_BALANCE' }],
  ] as const)('a buy hit by %s answers 503 and charges nothing', async (_name, fault) => {
    t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser({ balanceCents: 1_000 });
    t.sim.faults.arm({ ...fault, method: 'buy', count: 1 });
    const r = await buy(u.apiKey);
    expect(r.body).toMatchObject({ ok: false, code: 'UPSTREAM_UNAVAILABLE' });
    expect(t.balance(u.id)).toBe(1_000);
    expect((await buy(u.apiKey)).status).toBe(200); // the fault was for one call only
  });

  it('attaches and charges once the number a timed-out buy did sell', async () => {
    t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser({ balanceCents: 1_000 });
    t.sim.faults.arm({ kind: 'timeout', afterSuccess: true, method: 'buy', count: 1 });
    const r = await buy(u.apiKey);
    expect(r.status).toBe(200);
    expect(t.balance(u.id)).toBe(968);
    expect(t.sim.world.upstream.allActivations()).toHaveLength(1);
  });

  it('adds latency without changing the outcome', async () => {
    t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser({ balanceCents: 1_000 });
    t.sim.faults.arm({ kind: 'latency', latencyMs: 20, method: 'buy', count: 1 });
    expect((await buy(u.apiKey)).status).toBe(200);
    expect(t.sim.faults.list()[0]).toMatchObject({ fired: 1, remaining: 0 });
  });

  it('fires with a probability, reproducibly for a seed', async () => {
    const run = async () => {
      const s = await testSim({ seed: 9, behaviour: QUIET });
      const u = s.sim.createUser({ balanceCents: 100_000 });
      s.sim.faults.arm({ kind: 'error', error: 'UNAVAILABLE', method: 'buy', probability: 0.5 });
      const codes: number[] = [];
      for (let i = 0; i < 20; i++) codes.push((await s.api('POST', '/api/v1/orders', u.apiKey, { service: 'tg', country: 6 })).status);
      const charged = 100_000 - s.balance(u.id);
      return { codes, charged };
    };
    const a = await run();
    const b = await run();
    expect(b).toEqual(a);
    const ok = a.codes.filter((c) => c === 200).length;
    expect(ok).toBeGreaterThan(2);
    expect(ok).toBeLessThan(18);
    expect(a.charged).toBe(ok * 26);
  }, 30_000);

  it('fires only inside its time window', async () => {
    t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser({ balanceCents: 10_000 });
    const start = t.sim.now();
    t.sim.faults.arm({ kind: 'error', error: 'UNAVAILABLE', method: 'buy', fromMs: start + 60_000, untilMs: start + 120_000 });
    expect((await buy(u.apiKey)).status).toBe(200);
    await t.sim.advance(60_000);
    expect((await buy(u.apiKey)).status).toBe(503);
    await t.sim.advance(60_000);
    expect((await buy(u.apiKey)).status).toBe(200);
    expect(t.balance(u.id)).toBe(10_000 - 2 * 32);
  });

  it('keeps polls working when status calls fail, and catches up after', async () => {
    t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    t.sim.world.upstream.deliverSms(t.sim.world.engine.stores.orders.get(o.id)!.activationId);
    t.sim.faults.arm({ kind: 'error', error: 'UNAVAILABLE', method: 'getStatus', count: 1 });
    const during = await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey);
    expect(during.body.data.status).toBe('WAITING');
    await t.sim.advance(2_000);
    expect((await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey)).body.data.status).toBe('RECEIVED');
  });

  it('retries an owed cancel through an outage until the upstream takes it', async () => {
    t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    t.sim.faults.arm({ kind: 'error', error: 'UNAVAILABLE', method: 'cancel', count: 4 });
    expect((await t.api('POST', `/api/v1/orders/${o.id}/cancel`, u.apiKey)).body.data.status).toBe('CANCELLED');
    expect(t.balance(u.id)).toBe(1_000);
    await t.sim.advance(30 * 60_000);
    expect(t.sim.world.engine.outbox.pending()).toHaveLength(0);
    expect(t.sim.world.upstream.allActivations()[0]).toMatchObject({ state: 'CLOSED', closedReason: 'cancelled' });
  });
});

describe('scripted behaviour, through the public API', () => {
  it('fails and refunds when the SMS never comes', async () => {
    t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    await t.sim.advance(20 * 60_000);
    expect(statusOf(o.id)).toBe('FAILED');
    expect(t.balance(u.id)).toBe(1_000);
  });

  it('holds an early cancel at the upstream and sends it after ~120 s', async () => {
    t = await testSim({ behaviour: QUIET });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    await t.api('POST', `/api/v1/orders/${o.id}/cancel`, u.apiKey);
    await t.sim.advance(1_000);
    expect(t.sim.world.engine.outbox.pending()[0]).toMatchObject({ kind: 'cancel', lastError: expect.stringContaining('too early') });
    await t.sim.advance(121_000);
    expect(t.sim.world.engine.outbox.pending()).toHaveLength(0);
    expect(t.sim.world.upstream.allActivations()[0]!.closedReason).toBe('cancelled');
  });

  it('fails and refunds when the number is banned before its SMS', async () => {
    t = await testSim({ behaviour: { default: { ...QUIET.default, noSmsProbability: 0, banProbability: 1 } } });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    await t.sim.advance(60_000);
    expect(statusOf(o.id)).toBe('FAILED');
    expect(t.balance(u.id)).toBe(1_000);
    expect(t.sim.events({ type: 'number' })).toHaveLength(1);
  });

  it('shows a duplicated SMS once', async () => {
    t = await testSim({
      behaviour: { default: { ...QUIET.default, noSmsProbability: 0, duplicateSmsProbability: 1, smsDelayMs: { min: 5_000, max: 5_000 } } },
    });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    await t.sim.advance(10_000);
    const r = await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey);
    expect(r.body.data.status).toBe('RECEIVED');
    expect(r.body.data.smsHistory).toHaveLength(1);
  });

  it('ignores an SMS that comes after the window', async () => {
    t = await testSim({
      behaviour: { default: { ...QUIET.default, noSmsProbability: 0, lateSmsProbability: 1, lifetimeMs: 25 * 60_000 } },
    });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    await t.sim.advance(30 * 60_000);
    expect(statusOf(o.id)).toBe('FAILED');
    expect(t.balance(u.id)).toBe(1_000);
  });

  it('keeps a cancelled order cancelled when an SMS arrives late, and closes the number with finish', async () => {
    t = await testSim({ behaviour: { default: { ...QUIET.default, noSmsProbability: 0, smsDelayMs: { min: 60_000, max: 60_000 } } } });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    await t.api('POST', `/api/v1/orders/${o.id}/cancel`, u.apiKey);
    await t.sim.advance(5 * 60_000);
    const r = await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey);
    expect(r.body.data).toMatchObject({ status: 'CANCELLED', smsBody: null });
    expect(t.balance(u.id)).toBe(1_000);
    expect(t.sim.world.upstream.allActivations()[0]!.closedReason).toBe('finished');
  });

  it('answers a second SMS after next-sms, on virtual time', async () => {
    t = await testSim({
      behaviour: {
        default: {
          ...QUIET.default,
          noSmsProbability: 0,
          smsDelayMs: { min: 10_000, max: 10_000 },
          nextSmsDelayMs: { min: 20_000, max: 20_000 },
        },
      },
    });
    const u = t.sim.createUser();
    const o = (await buy(u.apiKey)).body.data;
    await t.sim.advance(10_000);
    const first = (await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey)).body.data;
    expect(first.status).toBe('RECEIVED');
    await t.api('POST', `/api/v1/orders/${o.id}/next-sms`, u.apiKey);
    await t.sim.advance(1_000); // the outbox tells the upstream
    await t.sim.advance(20_000);
    const second = (await t.api('GET', `/api/v1/orders/${o.id}`, u.apiKey)).body.data;
    expect(second.status).toBe('RECEIVED');
    expect(second.smsHistory).toHaveLength(2);
    expect(second.smsCode).not.toBe(first.smsCode);
  });
});
