/**
 * Upstream push (docs/decisions.md D99) at the engine level: the SMS-Activate facade's
 * incoming-SMS webhook posting to a production-shaped engine's /upstream/v1/sms-activate/<secret>.
 * The message lands through the status poll's path (once, whichever way it came first), status
 * polling slows to the safety poll while webhooks flow and comes back when they stop, and the
 * route answers wrong secrets 404 and malformed bodies 400 with the JSON envelope.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/index.js';
import { captureLog, quietSimulator, startEngineOn, upstreamCalls, type CapturedLog, type EngineOnSim } from './harness.js';

const SECRET = 'push-secret-0123456789abcdef';
let sim: Simulator;
let e: EngineOnSim;
let log: CapturedLog;

beforeEach(async () => {
  sim = await quietSimulator();
  log = captureLog();
  e = await startEngineOn(sim, { webhookSecret: SECRET, logger: log });
});
afterEach(async () => {
  expect(e.engine.checkInvariants()).toEqual([]);
  await e.close();
  await sim.close();
});

const hookUrl = (secret = SECRET) => `${e.server.url}/upstream/v1/sms-activate/${secret}`;

async function post(url: string, body: string, contentType = 'application/json') {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as { ok: boolean; code?: string; message?: string; data?: { outcome: string } } };
}

async function buy(key: string): Promise<{ id: string; activationId: string }> {
  const r = await e.call('POST', '/api/v1/orders', key, { service: 'tg', country: 'my' });
  expect(r.status, r.text).toBe(200);
  const id = (r.body.data as { id: string }).id;
  return { id, activationId: e.activationOf(id) };
}

/** The order as stored, read without syncing it. */
function smsOf(orderId: string): { status: string; smsHistory: Array<{ code: string | null }> } {
  const order = e.engine.stores.orders.get(orderId)!;
  return { status: order.status, smsHistory: order.smsHistory };
}
const wallTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const smsEvents = (orderId: string) => e.engine.stores.events.count({ orderId, type: 'sms.received' });

/** One worker pass after `ms` of time, as the scheduler would run it. */
async function tickAfter(ms: number): Promise<void> {
  await e.advance(ms);
  await e.engine.tick();
}

describe('the SMS-Activate incoming-SMS webhook', () => {
  it('records a pushed SMS once, through the poll path, and polls only as a safety net while webhooks flow', async () => {
    const u = e.user(1_000);
    const o = await buy(u.key);
    // Before any webhook: the worker polls each live order every 2 s.
    const atStart = upstreamCalls(sim, 'getStatus');
    for (let i = 0; i < 5; i++) await tickAfter(2_000);
    expect(upstreamCalls(sim, 'getStatus')).toBeGreaterThanOrEqual(atStart + 5);

    sim.setSmsActivateWebhook(hookUrl());
    sim.world.upstream.deliverSms(o.activationId, 'Your Telegram code is 482913');
    await sim.smsActivateWebhook.settled();
    expect(sim.smsActivateWebhook.stats()).toMatchObject({ delivered: 1, failed: 0 });
    const got = (await e.call('GET', `/api/v1/orders/${o.id}`, u.key)).body.data;
    expect(got).toMatchObject({ status: 'RECEIVED', smsCode: '482913', smsBody: 'Your Telegram code is 482913' });
    expect(e.engine.orders.pushesFlowing()).toBe(true);
    expect(log.lines.some((l) => l.event === 'upstream.push_received' && l.outcome === 'recorded')).toBe(true);

    // While webhooks flow: no status polls for 50 s, neither from the worker nor from the user's reads.
    const whileFlowing = upstreamCalls(sim, 'getStatus');
    for (let i = 0; i < 25; i++) {
      await tickAfter(2_000);
      await e.call('GET', `/api/v1/orders/${o.id}`, u.key);
    }
    expect(upstreamCalls(sim, 'getStatus')).toBe(whileFlowing);
    // The safety poll, once a minute: it sees the same SMS (getStatusV2), which is not recorded again.
    await tickAfter(15_000);
    expect(upstreamCalls(sim, 'getStatus')).toBeGreaterThan(whileFlowing);
    expect(smsOf(o.id).smsHistory).toHaveLength(1);
    expect(smsEvents(o.id)).toBe(1);

    // The provider retries the same webhook: acknowledged, recorded once.
    const body = JSON.stringify({
      activationId: Number(o.activationId),
      service: 'tg',
      text: 'Your Telegram code is 482913',
      code: '482913',
      country: 7,
      receivedAt: wallTime(sim.world.upstream.activation(o.activationId)!.messages[0]!.receivedAt!),
    });
    for (let i = 0; i < 2; i++) {
      const again = await post(hookUrl(), body);
      expect(again).toMatchObject({ status: 200, body: { ok: true, data: { outcome: 'duplicate' } } });
    }
    // The same message as form fields (some providers send those): still the same message.
    const form = new URLSearchParams(JSON.parse(body) as Record<string, string>).toString();
    expect((await post(hookUrl(), form, 'application/x-www-form-urlencoded')).body.data?.outcome).toBe('duplicate');
    expect(smsOf(o.id).smsHistory).toHaveLength(1);
    expect(smsEvents(o.id)).toBe(1);

    // A second SMS after next-sms comes by webhook too: the same events and state a poll would give.
    expect((await e.call('POST', `/api/v1/orders/${o.id}/next-sms`, u.key)).body.data.status).toBe('WAITING');
    await e.engine.outbox.drain();
    sim.world.upstream.deliverSms(o.activationId, 'Telegram code: 55210');
    await sim.smsActivateWebhook.settled();
    expect(smsOf(o.id)).toMatchObject({ status: 'RECEIVED' });
    expect(smsOf(o.id).smsHistory.map((m) => m.code)).toEqual(['482913', '55210']);
    expect(smsEvents(o.id)).toBe(2);
  });

  it('goes back to polling every 2 s once webhooks have been quiet for 10 minutes', async () => {
    const u = e.user(1_000);
    const first = await buy(u.key);
    sim.setSmsActivateWebhook(hookUrl());
    sim.world.upstream.deliverSms(first.activationId, 'code 111222');
    await sim.smsActivateWebhook.settled();
    const other = await buy(u.key);
    // An order never polled gets its first look at once; after that only the safety poll.
    await tickAfter(2_000);
    const flowing = upstreamCalls(sim, 'getStatus');
    await tickAfter(2_000);
    await tickAfter(2_000);
    expect(upstreamCalls(sim, 'getStatus')).toBe(flowing);

    await tickAfter(10 * 60_000);
    expect(e.engine.orders.pushesFlowing()).toBe(false);
    const quiet = upstreamCalls(sim, 'getStatus');
    await tickAfter(2_000);
    await tickAfter(2_000);
    expect(upstreamCalls(sim, 'getStatus')).toBeGreaterThanOrEqual(quiet + 2);
    expect(smsOf(other.id).status).toBe('WAITING');
  });

  it('answers 404 for a wrong secret or method, 400 for malformed bodies, 200 for unknown activations', async () => {
    const unknownPath = await post(`${e.server.url}/upstream/v1/sms-activate`, '{}');
    expect(unknownPath.status).toBe(404);
    for (const url of [hookUrl('wrong-secret-0123456789abcdef'), hookUrl(''), `${e.server.url}/upstream/v1/5sim/${SECRET}`]) {
      const r = await post(url, '{"activationId":1,"text":"x"}');
      expect(r.status, url).toBe(404);
      expect(r.body).toEqual({ ok: false, code: 'NOT_FOUND', message: `No route POST ${new URL(url).pathname}.` });
    }
    const get = await fetch(hookUrl());
    expect(get.status).toBe(404);

    for (const [body, type] of [
      ['{not json', 'application/json'],
      ['[1,2]', 'application/json'],
      ['', 'application/json'],
      ['{"text":"no id"}', 'application/json'],
      ['{"activationId":5}', 'application/json'],
      ['{"activationId":{"a":1},"text":"x"}', 'application/json'],
      ['just text', 'text/plain'],
    ] as const) {
      const r = await post(hookUrl(), body, type);
      expect(r.status, body).toBe(400);
      expect(r.body).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    }
    const big = await post(hookUrl(), JSON.stringify({ activationId: 1, text: 'x'.repeat(20_000) }));
    expect(big.status).toBe(413);

    const unknown = await post(
      hookUrl(),
      JSON.stringify({ activationId: 999999, service: 'tg', text: 'code 1234', code: '1234', country: 7 }),
    );
    expect(unknown).toMatchObject({ status: 200, body: { ok: true, data: { outcome: 'unknown_activation' } } });
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', event: 'upstream.push_unknown_activation', activationId: '999999' }),
    );
    // The secret never reaches a log line.
    expect(log.text()).not.toContain(SECRET);
  });

  it('is not served without a secret', async () => {
    const plain = await startEngineOn(sim);
    try {
      const r = await fetch(`${plain.server.url}/upstream/v1/sms-activate/${SECRET}`, { method: 'POST', body: '{}' });
      expect(r.status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it('retries at the facade while the receiver fails', async () => {
    const s = await (
      await import('../../src/index.js')
    ).startSimulator({
      seed: 3,
      clock: 'manual',
      behaviour: { default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0 } },
      smsActivateWebhook: { retryDelaysMs: [10, 10] },
      smsActivateWebhookUrl: hookUrl('wrong-secret-0123456789abcdef'),
    });
    try {
      const a = await s.world.upstream.buy({ service: 'tg', country: 7 });
      s.world.upstream.deliverSms(a.activationId, 'code 4321');
      await s.smsActivateWebhook.settled();
      expect(s.smsActivateWebhook.stats()).toMatchObject({ delivered: 0, failed: 1, pending: 0 });
      const attempts = s.events({ type: 'facade.webhook' });
      expect(attempts.map((x) => x.data)).toEqual(
        [1, 2, 3].map((attempt) => ({ activationId: a.activationId, attempt, outcome: 'failed' })),
      );
      expect(attempts[0]!.meta).toEqual({ status: 404 });
    } finally {
      await s.close();
    }
  });
});
