/**
 * The SDK's push support against the simulator over real HTTP: waitForSms long-polls a server
 * that advertises it and falls back to polling one that does not; webhook management; and
 * `client.webhooks.verify`, interoperable with the official `standardwebhooks` library both ways,
 * refusing a bad signature and an old timestamp.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useSimulator } from '@jiema/simulator/testing';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JiemaClient, JiemaWebhookVerificationError, type RequestEvent } from '../src/index.js';

const QUIET = { default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0 } };
const sim = useSimulator({ seed: 5, behaviour: QUIET });
let apiKey: string;
let requests: RequestEvent[];
let client: JiemaClient;

beforeEach(() => {
  apiKey = sim.createUser({ balanceCents: 1_000 }).apiKey;
  requests = [];
  client = new JiemaClient({ apiKey, baseUrl: sim.url, onRequest: (e: RequestEvent) => requests.push(e) });
});

/** Resolves once `n` long-polls are held by the server. */
async function held(n = 1): Promise<void> {
  while (sim.world.engine.push.waiters.size < n) await new Promise((r) => setTimeout(r, 5));
}

describe('waitForSms', () => {
  it('long-polls a server that offers it: one request is held and answered by the SMS', async () => {
    const order = await client.orders.create({ service: 'tg', country: 'my' });
    const waiting = client.orders.waitForSms(order.id);
    await held();
    await sim.deliverSms(order.id, 'Telegram code: 70707');
    const got = await waiting;
    expect(got.smsCode).toBe('70707');
    const polls = requests.filter((r) => r.method === 'GET' && r.path === `/orders/${order.id}`);
    expect(polls).toHaveLength(1);
    expect(polls[0]!.url).toMatch(/[?&]wait=25(&|$)/);
  });

  it('long-polls the next SMS after nextSms, and ends on an expiry', async () => {
    const order = await client.orders.create({ service: 'tg', country: 'my' });
    await sim.deliverSms(order.id, 'Telegram code: 11111');
    expect((await client.orders.waitForSms(order.id)).smsCode).toBe('11111');
    await client.orders.nextSms(order.id);
    const next = client.orders.waitForSms(order.id, { afterSmsCount: 1 });
    await held();
    await sim.deliverSms(order.id, 'Telegram code: 22222');
    expect((await next).smsCode).toBe('22222');
    const fresh = await client.orders.create({ service: 'tg', country: 'my' });
    const ended = client.orders.waitForSms(fresh.id).catch((e: unknown) => e);
    await held();
    await sim.advance(21 * 60_000);
    expect(await ended).toMatchObject({ code: 'ORDER_ENDED' });
  });

  it('falls back to polling every intervalMs against a server without long-poll (jiema.my)', async () => {
    const order = await client.orders.create({ service: 'tg', country: 'my' });
    // A proxy that drops `wait` and the advertising header, as jiema.my would answer.
    const proxy = createServer(async (req, res) => {
      const url = new URL(req.url!, sim.url);
      url.searchParams.delete('wait');
      url.searchParams.delete('since');
      const r = await fetch(url, { headers: { authorization: req.headers.authorization! } });
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const seen: RequestEvent[] = [];
      const plain = new JiemaClient({
        apiKey,
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        onRequest: (e: RequestEvent) => seen.push(e),
      });
      const waiting = plain.orders.waitForSms(order.id, { intervalMs: 20 });
      while (seen.length < 3) await new Promise((r) => setTimeout(r, 5));
      await sim.deliverSms(order.id, 'Telegram code: 31337');
      expect((await waiting).smsCode).toBe('31337');
      // The first request offered long-poll; once the answer showed no support, plain polls.
      expect(seen[0]!.url).toMatch(/wait=/);
      expect(seen.at(-1)!.url).not.toMatch(/wait=/);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe('client.webhooks', () => {
  let receiver: Server;
  const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  beforeEach(async () => {
    got.length = 0;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    await new Promise((r) => receiver.close(r));
  });

  it('manages endpoints, and verifies deliveries exactly as the standardwebhooks library does', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = await client.webhooks.create({ url, events: ['sms.received'] });
    expect(hook.secret).toMatch(/^whsec_/);
    expect(await client.webhooks.list()).toEqual([expect.objectContaining({ id: hook.id, url, events: ['sms.received'] })]);
    const order = await client.orders.create({ service: 'tg', country: 'my' });
    await sim.deliverSms(order.id, 'Telegram code: 60606');
    while (got.length < 1) await new Promise((r) => setTimeout(r, 5));
    const d = got[0]!;
    const ours = client.webhooks.verify<{ id: string; smsCode: string }>(d.body, d.headers as Record<string, string>, hook.secret);
    const theirs = new StandardWebhook(hook.secret).verify(d.body, d.headers as Record<string, string>);
    expect(ours).toEqual(theirs);
    expect(ours).toMatchObject({ type: 'sms.received', id: d.headers['webhook-id'], data: { id: order.id, smsCode: '60606' } });

    const page = await client.webhooks.deliveries(hook.id);
    expect(page.items[0]).toMatchObject({ eventId: ours.id, eventType: 'sms.received' });
    const again = await client.webhooks.redeliver(hook.id, page.items[0]!.id);
    expect(again.eventId).toBe(ours.id);
    const rotated = await client.webhooks.rotateSecret(hook.id, { overlapSeconds: 60 });
    expect(rotated.secret).not.toBe(hook.secret);
    expect(await client.webhooks.delete(hook.id)).toEqual({ id: hook.id, deleted: true });
    expect(await client.webhooks.list()).toEqual([]);
  });

  it('verifies what the standardwebhooks library signs, and refuses a bad signature and an old timestamp', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const lib = new StandardWebhook(secret);
    const body = '{"id":"evt1","type":"sms.received","timestamp":"2026-01-01T00:00:00.000Z","data":{"id":"ck1"}}';
    const now = new Date();
    const signature = lib.sign('evt1', now, body);
    const headers = { 'webhook-id': 'evt1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature };
    expect(client.webhooks.verify(body, headers, secret)).toMatchObject({ id: 'evt1', data: { id: 'ck1' } });
    // A second signature of another secret (a rotation) does not get in the way.
    expect(client.webhooks.verify(body, { ...headers, 'webhook-signature': `v1,AAAA ${signature}` }, secret).id).toBe('evt1');

    expect(() => client.webhooks.verify(body.replace('ck1', 'ck2'), headers, secret)).toThrow(JiemaWebhookVerificationError);
    expect(() => client.webhooks.verify(body, headers, 'whsec_' + Buffer.from('another key').toString('base64'))).toThrow(/No signature/);
    const old = new Date(now.getTime() - 6 * 60_000);
    const oldHeaders = {
      'webhook-id': 'evt1',
      'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
      'webhook-signature': lib.sign('evt1', old, body),
    };
    expect(() => client.webhooks.verify(body, oldHeaders, secret)).toThrow(/old/);
    // The library agrees on both refusals.
    expect(() => lib.verify(body, oldHeaders)).toThrow();
    expect(() => client.webhooks.verify(body, { 'webhook-id': 'evt1' }, secret)).toThrow(/Missing/);
  });
});
