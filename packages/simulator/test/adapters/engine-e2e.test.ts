/**
 * End to end at the engine level: createEngine + createApp + listen with SmsActivateUpstream
 * pointed at the simulator's SMS-Activate facade over real HTTP. A user buys through
 * /api/v1/orders and goes through SMS, next SMS, cancel and expiry; a buy whose answer is lost
 * is attached in-request or, after a crash, released by reconciliation; an open circuit makes
 * new orders fail fast with nothing charged; /healthz tells operators.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@jiema/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/index.js';
import { captureLog, quietSimulator, startEngineOn, upstreamCalls, type EngineOnSim } from './harness.js';

let sim: Simulator;
let e: EngineOnSim | undefined;
beforeEach(async () => {
  sim = await quietSimulator();
});
afterEach(async () => {
  if (e) {
    expect(e.engine.checkInvariants()).toEqual([]);
    await e.close();
    e = undefined;
  }
  await sim.close();
});

const TG_MY = { service: 'tg', country: 'my' };

async function buy(t: EngineOnSim, key: string) {
  const r = await t.call('POST', '/api/v1/orders', key, TG_MY);
  expect(r.status, r.text).toBe(200);
  return r.body.data as { id: string; phone: string; status: string; chargedCents: string };
}

const order = async (t: EngineOnSim, key: string, id: string) => (await t.call('GET', `/api/v1/orders/${id}`, key)).body.data;

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the engine on SmsActivateUpstream over HTTP', () => {
  it('serves a full order: the SMS, a second SMS after next-sms, and completion when the window ends', async () => {
    e = await startEngineOn(sim);
    const u = e.user(1_000);
    const o = await buy(e, u.key);
    const act = e.activationOf(o.id);
    const sold = sim.world.upstream.activation(act)!;
    expect(o).toMatchObject({ status: 'WAITING', phone: `+${sold.phone}` });
    expect(sold).toMatchObject({ state: 'WAITING', service: 'tg', country: 7 });
    expect(e.balance(u.id)).toBe(1_000 - Number(o.chargedCents));

    sim.world.upstream.deliverSms(act, 'Your Telegram code is 482913');
    expect(await order(e, u.key, o.id)).toMatchObject({ status: 'RECEIVED', smsCode: '482913', smsBody: 'Your Telegram code is 482913' });

    expect((await e.call('POST', `/api/v1/orders/${o.id}/next-sms`, u.key)).body.data).toEqual({ id: o.id, status: 'WAITING' });
    await e.engine.tick(); // the outbox sends setStatus 3
    expect(sim.world.upstream.activation(act)).toMatchObject({ state: 'WAITING', retryOf: '482913' });
    e.clock.advance(3_000);
    expect((await order(e, u.key, o.id)).status).toBe('WAITING');
    sim.world.upstream.deliverSms(act, 'Your Telegram code is 771204');
    e.clock.advance(3_000);
    const second = await order(e, u.key, o.id);
    expect(second).toMatchObject({ status: 'RECEIVED', smsCode: '771204' });
    expect(second.smsHistory).toHaveLength(2);

    e.clock.advance(20 * 60_000);
    await e.engine.tick(); // the window is over: completed, and the upstream told to finish
    expect((await order(e, u.key, o.id)).status).toBe('COMPLETED');
    expect(sim.world.upstream.activation(act)).toMatchObject({ state: 'CLOSED', closedReason: 'finished' });
    expect(e.balance(u.id)).toBe(1_000 - Number(o.chargedCents));
  });

  it('refunds a cancel at once, and cancels at the upstream once its early-cancel hold is over', async () => {
    e = await startEngineOn(sim);
    const u = e.user(1_000);
    const o = await buy(e, u.key);
    const act = e.activationOf(o.id);
    expect((await e.call('POST', `/api/v1/orders/${o.id}/cancel`, u.key)).body.data).toEqual({ id: o.id, status: 'CANCELLED' });
    expect(e.balance(u.id)).toBe(1_000);

    await e.engine.tick(); // EARLY_CANCEL_DENIED: the outbox waits for the hold
    expect(sim.world.upstream.activation(act)!.state).toBe('WAITING');
    expect(e.engine.outbox.pending()).toEqual([
      expect.objectContaining({ kind: 'cancel', lastError: expect.stringContaining('EARLY_CANCEL_DENIED') }),
    ]);

    await e.advance(122_000);
    await e.engine.tick();
    expect(sim.world.upstream.activation(act)).toMatchObject({ state: 'CLOSED', closedReason: 'cancelled' });
    expect(e.engine.outbox.pending()).toEqual([]);
    expect(sim.world.upstream.balance).toBe('1000');
  });

  it('fails and refunds an order whose number expires without an SMS', async () => {
    e = await startEngineOn(sim);
    const u = e.user(1_000);
    const o = await buy(e, u.key);
    await e.advance(20 * 60_000 + 1_000);
    await e.engine.tick();
    expect(await order(e, u.key, o.id)).toMatchObject({ status: 'FAILED', smsBody: null });
    expect(e.balance(u.id)).toBe(1_000);
    expect(sim.world.upstream.activation(e.activationOf(o.id))).toMatchObject({ state: 'CLOSED', closedReason: 'expired' });
    expect(sim.world.upstream.balance).toBe('1000');
  });

  it('attaches the number a timed-out buy sold, found in the active list during the same request', async () => {
    e = await startEngineOn(sim, { adapter: { buyTimeoutMs: 300 } });
    const u = e.user(1_000);
    sim.faults.arm({ kind: 'timeout', afterSuccess: true, method: 'buy', count: 1 });
    const o = await buy(e, u.key);
    const sold = sim.world.upstream.allActivations();
    expect(sold).toHaveLength(1);
    expect(e.activationOf(o.id)).toBe(sold[0]!.id);
    expect(o.phone).toBe(`+${sold[0]!.phone}`);
    expect(e.balance(u.id)).toBe(1_000 - Number(o.chargedCents));
    expect(upstreamCalls(sim, 'buy')).toBe(1);
  });

  it('releases the number sold just before a crash, after a restart on the same SQLite file, and moves no money', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiema-crash-'));
    const db = join(dir, 'jiema.db');
    try {
      const clock = new ManualClock(sim.now());
      const first = await startEngineOn(sim, { db, clock, adapter: { buyTimeoutMs: 10_000 } });
      const u = first.user(1_000);
      sim.faults.arm({ kind: 'timeout', afterSuccess: true, method: 'buy', count: 1 });
      const inFlight = first.call('POST', '/api/v1/orders', u.key, TG_MY).catch((err: unknown) => err);
      await until(() => sim.world.upstream.allActivations().length === 1); // the upstream has sold it; its answer never comes
      // The crash: the process dies with the buy in flight. Nothing more reaches the database.
      first.engine.close();
      await first.upstream.close();
      first.server.server.closeAllConnections();
      await first.server.close();
      await inFlight;
      const act = sim.world.upstream.allActivations()[0]!.id;

      e = await startEngineOn(sim, { db, clock });
      expect(e.balance(u.id)).toBe(1_000);
      expect(e.engine.stores.buyIntents.countByState()).toEqual({ pending: 1 });
      await e.advance(61_000); // intents are reconciled once a minute old
      await e.engine.tick(); // the sold number belongs to no order: a release is owed
      expect(e.engine.outbox.pending()).toEqual([expect.objectContaining({ kind: 'release', activationId: act })]);
      await e.engine.tick(); // still inside the upstream's early-cancel hold
      await e.advance(122_000);
      await e.engine.tick();
      expect(sim.world.upstream.activation(act)).toMatchObject({ state: 'CLOSED', closedReason: 'cancelled' });
      expect(sim.world.upstream.balance).toBe('1000');
      expect(e.balance(u.id)).toBe(1_000);
      expect(e.engine.stores.orders.count()).toBe(0);
      expect(e.engine.stores.buyIntents.countByState()).toEqual({ reconciled: 1 });
    } finally {
      if (e) {
        expect(e.engine.checkInvariants()).toEqual([]);
        await e.close();
        e = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails new orders fast with UPSTREAM_UNAVAILABLE while the circuit is open, charging nothing, and recovers by itself', async () => {
    e = await startEngineOn(sim, { adapter: { breaker: { failureThreshold: 2, cooldownMs: 30_000 } } });
    const u = e.user(1_000);
    expect((await e.call('GET', '/api/v1/services', u.key)).status).toBe(200); // the catalogue is cached
    sim.faults.arm({ kind: 'error', error: 'UNAVAILABLE', method: 'buy', count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await e.call('POST', '/api/v1/orders', u.key, TG_MY);
      expect(r.body).toMatchObject({ ok: false, code: 'UPSTREAM_UNAVAILABLE' });
    }
    const health = (await e.call('GET', '/healthz')).body.data;
    expect(health).toMatchObject({
      status: 'degraded',
      db: 'ok',
      upstream: 'sms-activate',
      upstreamStatus: 'down',
      upstreamDetail: expect.stringContaining('circuit open'),
    });

    const failFast = await e.call('POST', '/api/v1/orders', u.key, TG_MY);
    expect(failFast.status).toBe(503);
    expect(failFast.body).toMatchObject({ ok: false, code: 'UPSTREAM_UNAVAILABLE' });
    expect(upstreamCalls(sim, 'buy')).toBe(2); // the third never reached the upstream
    expect(e.balance(u.id)).toBe(1_000);
    expect(sim.world.upstream.allActivations()).toEqual([]);

    e.clock.advance(30_000);
    expect(await buy(e, u.key)).toMatchObject({ status: 'WAITING' });
    expect((await e.call('GET', '/healthz')).body.data).toMatchObject({ upstreamStatus: 'degraded' });
    e.clock.advance(60_000);
    expect((await e.call('GET', '/healthz')).body.data).toMatchObject({ status: 'ok', upstreamStatus: 'ok' });
  });

  it('reports a refused key as down in /healthz and alerts operators in the logs', async () => {
    const log = captureLog();
    e = await startEngineOn(sim, { logger: log, adapter: { apiKey: 'not-the-key' } });
    const u = e.user(1_000);
    expect((await e.call('GET', '/api/v1/services', u.key)).body).toMatchObject({ ok: false, code: 'UPSTREAM_UNAVAILABLE' });
    expect((await e.call('GET', '/healthz')).body.data).toMatchObject({
      status: 'degraded',
      upstreamStatus: 'down',
      upstreamDetail: expect.stringContaining('AUTH'),
    });
    expect(log.lines).toContainEqual(
      expect.objectContaining({ event: 'upstream.operator_alert', upstream: 'sms-activate', kind: 'AUTH', level: 'error' }),
    );
    expect(log.text()).not.toContain('not-the-key');
  });
});
