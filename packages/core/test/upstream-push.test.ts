/**
 * Upstream push in core (docs/decisions.md D99), on an in-memory upstream that reads SMS-Activate
 * webhooks and, like a provider without getStatusV2, polls only the latest code: a pushed message
 * wakes long-polls and writes its events as a polled one does; a later code-only poll of the same
 * message is not a second SMS; the route exists only with a secret and an adapter that reads pushes;
 * the secret never reaches the access log.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryUpstream, redactSecrets, type ActivationStatus, type PushedSms } from '../src/index.js';
import { readSmsActivatePush } from '../src/upstream/sms-activate/webhook.js';
import { TEST_CATALOGUE, useTestServers, type TestServer } from '../src/testing.js';
import { expectError } from './helpers.js';

const SECRET = 'core-push-secret-0123456789';

/** Reads SMS-Activate webhooks; its status polls show only the latest code, as providers without getStatusV2 do. */
class PushingUpstream extends MemoryUpstream {
  readPush(body: Record<string, unknown>): PushedSms {
    return readSmsActivatePush(body, 'UTC');
  }

  override async getStatus(activationId: string): Promise<ActivationStatus> {
    const s = await super.getStatus(activationId);
    const last = s.messages.at(-1);
    return {
      state: s.state,
      messages: last
        ? [{ key: `${activationId}-code-${last.code}`, text: last.code ?? '', code: last.code, receivedAt: null, codeOnly: true }]
        : [],
    };
  }
}

const start = useTestServers();

async function serverWithPush(secret: string | null = SECRET): Promise<TestServer & { up: PushingUpstream }> {
  const clock = new ManualClock();
  const up = new PushingUpstream({ clock, catalogue: TEST_CATALOGUE });
  const started = await start({ clock, upstream: up, ...(secret && { app: { upstreamWebhookSecret: secret } }) });
  return Object.assign(started, { up });
}

const wall = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

describe('upstream push in the engine', () => {
  it('wakes a long-poll and writes one sms.received event; a later code-only poll of the same SMS adds nothing', async () => {
    const t = await serverWithPush();
    const u = t.createUser();
    const order = (await t.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } })).body.data;
    const activationId = t.engine.stores.orders.get(order.id)!.activationId;

    const waiting = t.call('GET', `/api/v1/orders/${order.id}?wait=10&since=0`, { key: u.key });
    await new Promise((r) => setTimeout(r, 50));
    t.up.deliverSms(activationId, 'Your code is 918273', '918273');
    const hook = await t.call('POST', `/upstream/v1/memory/${SECRET}`, {
      rawBody: `activationId=${activationId}&service=tg&text=Your+code+is+918273&code=918273&country=7&receivedAt=${encodeURIComponent(wall(t.clock.now()))}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(hook.status, hook.text).toBe(200);
    expect(hook.body).toEqual({ ok: true, data: { received: true, outcome: 'recorded' } });
    const woken = await waiting;
    expect(woken.body.data).toMatchObject({ status: 'RECEIVED', smsCode: '918273', smsBody: 'Your code is 918273' });

    // Webhooks flow, so only the safety poll looks (a minute later); it sees the code alone.
    expect(t.engine.orders.pushesFlowing()).toBe(true);
    t.advance(61_000);
    await t.engine.tick();
    expect(t.up.calls.filter((c) => c.method === 'getStatus').length).toBeGreaterThan(0);
    const after = (await t.call('GET', `/api/v1/orders/${order.id}`, { key: u.key })).body.data;
    expect(after.smsHistory).toHaveLength(1);
    expect(t.engine.stores.events.count({ orderId: order.id, type: 'sms.received' })).toBe(1);
  });

  it('accepts an ISO receivedAt with a zone as the same time', () => {
    const a = readSmsActivatePush({ activationId: 5, text: 'code 1234', receivedAt: '2026-01-01 10:00:00' }, '+03:00');
    const b = readSmsActivatePush({ activationId: '5', text: 'code 1234', receivedAt: '2026-01-01T07:00:00Z' }, '+03:00');
    expect(b).toEqual(a);
    expect(a.sms).toMatchObject({ code: '1234', receivedAt: Date.UTC(2026, 0, 1, 7) });
  });

  it('serves no route without a secret, or for an upstream that cannot read pushes', async () => {
    const t = await serverWithPush(null);
    expectError(await t.call('POST', `/upstream/v1/memory/${SECRET}`, { body: { activationId: 1, text: 'x' } }), 404, 'NOT_FOUND');
    await t.close();
    const s = await start({ app: { upstreamWebhookSecret: SECRET } });
    expectError(await s.call('POST', `/upstream/v1/memory/${SECRET}`, { body: { activationId: 1, text: 'x' } }), 404, 'NOT_FOUND');
  });

  it('masks the secret wherever a path is logged', () => {
    expect(redactSecrets(`POST /upstream/v1/sms-activate/${SECRET}?x=1`)).toBe('POST /upstream/v1/sms-activate/…?x=1');
    expect(redactSecrets('/upstream/v1/sms-activate')).toBe('/upstream/v1/sms-activate');
  });
});
