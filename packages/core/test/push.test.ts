/**
 * Push (docs/decisions.md D90–D96) against a real HTTP server: the event log written with each
 * change, long-poll woken by an SMS, a cancel and an expiry, server-sent events with resume,
 * and webhooks signed by the Standard Webhooks scheme (verified with the official library),
 * retried while the receiver is down, and refused on private targets in production.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sqliteDatabaseOf } from '../src/engine.js';
import { useTestServers, type TestServer } from '../src/testing.js';
import { expectError, expectInvariants } from './helpers.js';

const start = useTestServers();
const receivers: Server[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await new Promise((done) => r.close(done));
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on 127.0.0.1 answering `status()` (changeable while it runs). */
async function receiver(status: () => number = () => 204): Promise<{ url: string; got: Received[]; waitFor(n: number): Promise<void> }> {
  const got: Received[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const code = status();
      if (code >= 200 && code < 300) got.push({ headers: req.headers, body });
      res.writeHead(code).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  receivers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    async waitFor(n) {
      while (got.length < n) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

const activationOf = (t: TestServer, orderId: string): string => t.activationOf(orderId);

async function buy(t: TestServer, key: string): Promise<{ id: string; updatedAt: string }> {
  const r = await t.call('POST', '/api/v1/orders', { key, body: { service: 'tg', country: 7 } });
  expect(r.status).toBe(200);
  return r.body.data;
}

async function sms(t: TestServer, orderId: string, text = 'Your code is 482913'): Promise<void> {
  const activation = activationOf(t, orderId);
  t.upstream.deliverSms(activation, text);
  await t.engine.orders.syncActivation(activation);
}

/** Resolves once `n` long-polls are parked on the server. */
async function parked(t: TestServer, n = 1): Promise<void> {
  while (t.engine.push.waiters.size < n) await new Promise((r) => setTimeout(r, 5));
}

describe('the event log', () => {
  it("writes order.updated for every change and sms.received for an SMS, in the change's transaction", async () => {
    const s = await start();
    const u = s.createUser();
    const o = await buy(s, u.key);
    await sms(s, o.id);
    const rows = s.engine.stores.events.after(u.id, 0, 100, o.id);
    expect(rows.map((r) => r.type)).toEqual(['order.updated', 'order.updated', 'sms.received']);
    expect(JSON.parse(rows.at(-1)!.data)).toMatchObject({ id: o.id, status: 'RECEIVED', smsCode: '482913' });
    // A change that rolls back leaves no event.
    const before = s.engine.stores.events.count();
    expect(() =>
      s!.engine.stores.tx.write(() => {
        s!.engine.orders.cancel(u.id, o.id);
      }),
    ).toThrow();
    expect(s.engine.stores.events.count()).toEqual(before);
    expectInvariants(s.engine);
  });
});

describe('long-poll', () => {
  it('answers as soon as an SMS arrives, counted as one poll', async () => {
    const s = await start();
    const u = s.createUser();
    const o = await buy(s, u.key);
    const pending = s.call('GET', `/api/v1/orders/${o.id}?wait=30&since=0`, { key: u.key });
    await parked(s);
    await sms(s, o.id);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ status: 'RECEIVED', smsCode: '482913' });
    expect(r.headers.get('jiema-long-poll')).toBe('30');
    // One poll from the window of 300.
    expect(r.headers.get('ratelimit')).toBe('"poll";r=299;t=60');
  });

  it('is woken by a cancel', async () => {
    const s = await start();
    const u = s.createUser();
    const o = await buy(s, u.key);
    const pending = s.call('GET', `/api/v1/orders/${o.id}?wait=30&since=0`, { key: u.key });
    await parked(s);
    expect((await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key })).status).toBe(200);
    expect((await pending).body.data.status).toBe('CANCELLED');
  });

  it('is woken by an expiry', async () => {
    const s = await start();
    const u = s.createUser();
    const o = await buy(s, u.key);
    const pending = s.call('GET', `/api/v1/orders/${o.id}?wait=30&since=${encodeURIComponent(o.updatedAt)}`, { key: u.key });
    await parked(s);
    s.advance(21 * 60 * 1000);
    await s.engine.tick();
    const r = await pending;
    expect(r.body.data).toMatchObject({ status: 'FAILED' });
  });

  it('answers at once when the order already differs, and after the wait when nothing happens', async () => {
    const s = await start();
    const u = s.createUser();
    const o = await buy(s, u.key);
    await sms(s, o.id);
    const now = await s.call('GET', `/api/v1/orders/${o.id}?wait=30&since=0`, { key: u.key });
    expect(now.body.data.status).toBe('RECEIVED');
    const later = await s.call('GET', `/api/v1/orders/${o.id}?wait=1&since=1`, { key: u.key });
    expect(later.status).toBe(200);
    expect(later.body.data.smsHistory).toHaveLength(1);
  });

  it("refuses a bad wait or since, and keeps others' orders hidden", async () => {
    const s = await start();
    const u = s.createUser();
    const other = s.createUser();
    const o = await buy(s, u.key);
    expectError(await s.call('GET', `/api/v1/orders/${o.id}?wait=31`, { key: u.key }), 400, 'BAD_REQUEST');
    expectError(await s.call('GET', `/api/v1/orders/${o.id}?wait=5&since=yesterday`, { key: u.key }), 400, 'BAD_REQUEST');
    expectError(await s.call('GET', `/api/v1/orders/${o.id}?wait=5`, { key: other.key }), 404, 'NOT_FOUND');
  });
});

/** Reads server-sent events until `n` have arrived; then closes the connection. */
async function readEvents(
  url: string,
  key: string,
  n: number,
  lastEventId?: string,
): Promise<Array<{ id: string; event: string; data: any }>> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${key}`, ...(lastEventId && { 'last-event-id': lastEventId }) },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const out: Array<{ id: string; event: string; data: any }> = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: Record<string, string> = {};
      for (const line of frame.split('\n')) {
        const m = /^(\w+): ?(.*)$/.exec(line);
        if (m) f[m[1]!] = m[2]!;
      }
      if (f.event) out.push({ id: f.id!, event: f.event, data: JSON.parse(f.data!) });
    }
    if (out.length >= n) break;
  }
  controller.abort();
  return out;
}

describe('server-sent events', () => {
  it("streams an order's events from its first, and resumes after Last-Event-ID", async () => {
    const s = await start();
    const u = s.createUser();
    const o = await buy(s, u.key);
    const url = `${s.url}/api/v1/orders/${o.id}/events`;
    const first = readEvents(url, u.key, 3);
    await sms(s, o.id);
    const events = await first;
    expect(events.map((e) => e.event)).toEqual(['order.updated', 'order.updated', 'sms.received']);
    expect(events[2]!.data).toMatchObject({ id: events[2]!.id, type: 'sms.received', data: { id: o.id, smsCode: '482913' } });
    // Missed while disconnected: a cancel is refused (code received), a next-sms is not.
    expect((await s.call('POST', `/api/v1/orders/${o.id}/next-sms`, { key: u.key })).status).toBe(200);
    const resumed = await readEvents(url, u.key, 1, events[2]!.id);
    expect(resumed[0]).toMatchObject({ event: 'order.updated', data: { data: { status: 'WAITING' } } });
  });

  it("streams every order of the key's user from now on, and nobody else's", async () => {
    const s = await start();
    const u = s.createUser();
    const other = s.createUser();
    const old = await buy(s, u.key);
    expectError(await s.call('GET', '/api/v1/events', { key: u.key, headers: { 'last-event-id': 'evt-unknown' } }), 400, 'BAD_REQUEST');
    const all = readEvents(`${s.url}/api/v1/events`, u.key, 2);
    while (s.engine.feed.size < 2) await new Promise((r) => setTimeout(r, 5));
    await buy(s, other.key);
    await sms(s, old.id);
    const events = await all;
    expect(events.map((e) => [e.event, e.data.data.id])).toEqual([
      ['order.updated', old.id],
      ['sms.received', old.id],
    ]);
  });
});

describe('webhooks', () => {
  it('delivers signed events that the official standardwebhooks library verifies', async () => {
    const s = await start({ webhooks: { allowPrivateTargets: true } });
    const hook = await receiver();
    const u = s.createUser();
    const created = await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url: hook.url, events: ['sms.received'] } });
    expect(created.status).toBe(201);
    const secret: string = created.body.data.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const list = await s.call('GET', '/api/v1/webhooks', { key: u.key });
    expect(list.body.data.items).toHaveLength(1);
    expect(list.text).not.toContain(secret);

    const o = await buy(s, u.key);
    await sms(s, o.id);
    await hook.waitFor(1);
    const [d] = hook.got;
    const verified = new StandardWebhook(secret).verify(d!.body, d!.headers as Record<string, string>) as {
      id: string;
      type: string;
      data: { id: string };
    };
    expect(verified).toMatchObject({ type: 'sms.received', data: { id: o.id } });
    expect(d!.headers['webhook-id']).toBe(verified.id);
    const deliveries = await s.call('GET', `/api/v1/webhooks/${created.body.data.id}/deliveries`, { key: u.key });
    await expect
      .poll(
        async () => (await s!.call('GET', `/api/v1/webhooks/${created.body.data.id}/deliveries`, { key: u.key })).body.data.items[0].state,
      )
      .toBe('delivered');
    expect(deliveries.body.data.items).toHaveLength(1);

    // Redelivery: the same event, the same webhook-id.
    const again = await s.call(
      'POST',
      `/api/v1/webhooks/${created.body.data.id}/deliveries/${deliveries.body.data.items[0].id}/redeliver`,
      { key: u.key },
    );
    expect(again.status).toBe(201);
    await hook.waitFor(2);
    expect(hook.got[1]!.headers['webhook-id']).toBe(verified.id);
    expect(hook.got[1]!.body).toBe(d!.body);
  });

  it('retries with backoff while the receiver is down, then delivers the same event', async () => {
    const s = await start({ webhooks: { allowPrivateTargets: true, backoffMs: { base: 1_000, max: 60_000 } } });
    let up = false;
    const hook = await receiver(() => (up ? 200 : 503));
    const u = s.createUser();
    const created = await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url: hook.url } });
    await buy(s, u.key);
    const path = `/api/v1/webhooks/${created.body.data.id}/deliveries`;
    await expect.poll(async () => (await s!.call('GET', path, { key: u.key })).body.data.items[0].attempts).toBe(1);
    let d = (await s.call('GET', path, { key: u.key })).body.data.items[0];
    expect(d).toMatchObject({ state: 'pending', lastStatus: 503 });
    const firstRetryIn = Date.parse(d.nextAttemptAt) - Date.parse(d.lastAttemptAt);
    expect(firstRetryIn).toBeGreaterThanOrEqual(750);
    s.advance(firstRetryIn);
    await s.engine.tick();
    d = (await s.call('GET', path, { key: u.key })).body.data.items[0];
    expect(d.attempts).toBe(2);
    // The second wait is about twice the first (jitter ±25 %).
    expect(Date.parse(d.nextAttemptAt) - Date.parse(d.lastAttemptAt)).toBeGreaterThanOrEqual(1_500);
    up = true;
    s.advance(Date.parse(d.nextAttemptAt) - s.clock.now());
    await s.engine.tick();
    await hook.waitFor(1);
    d = (await s.call('GET', path, { key: u.key })).body.data.items[0];
    expect(d).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200 });
    expect(hook.got[0]!.headers['webhook-id']).toBe(d.eventId);
  });

  it('says, through its store, how many deliveries are pending and when the next one is due', async () => {
    const s = await start({ webhooks: { allowPrivateTargets: true, backoffMs: { base: 1_000, max: 60_000 } } });
    const hook = await receiver(() => 503);
    const u = s.createUser();
    const created = await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url: hook.url } });
    await buy(s, u.key);
    const path = `/api/v1/webhooks/${created.body.data.id}/deliveries`;
    await expect.poll(async () => (await s!.call('GET', path, { key: u.key })).body.data.items[0].attempts).toBe(1);
    const due = Date.parse((await s.call('GET', path, { key: u.key })).body.data.items[0].nextAttemptAt);
    const store = s.engine.stores.webhooks;
    expect(store.pendingCount()).toBe(1);
    expect(store.hasDue(s.clock.now())).toBe(false);
    expect(store.nextDueAfter(s.clock.now())).toBe(due);
    expect(store.hasDue(due)).toBe(true);
    expect(store.nextDueAfter(due)).toBeUndefined();
  });

  it("records an attempt's outcome without an fsync, and leaves the connection's synchronous level as it was", async () => {
    const s = await start({ webhooks: { allowPrivateTargets: true } });
    const hook = await receiver();
    const u = s.createUser();
    await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url: hook.url, events: ['order.updated'] } });
    const level = sqliteDatabaseOf(s.engine).pragma('synchronous', { simple: true });
    expect(level).toBe(2); // FULL: the money path's commits are fsynced
    // Every statement run from here on, in order (better-sqlite3 statements share one prototype).
    const Statement = Object.getPrototypeOf(sqliteDatabaseOf(s.engine).prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown };
    const ran: string[] = [];
    const run = Statement.run;
    const spy = vi.spyOn(Statement, 'run').mockImplementation(function (this: { source: string }, ...args: unknown[]) {
      ran.push(this.source);
      return run.apply(this, args);
    });
    try {
      await buy(s, u.key);
      await hook.waitFor(1);
      await expect.poll(() => ran.some((sql) => sql.includes("state = 'delivered'"))).toBe(true);
    } finally {
      spy.mockRestore();
    }
    const marked = ran.findIndex((sql) => sql.includes("state = 'delivered'"));
    // docs/decisions.md D145: the outcome commits at synchronous=NORMAL, then the level is restored.
    expect(ran.slice(0, marked).findLast((sql) => sql.startsWith('PRAGMA synchronous'))).toBe('PRAGMA synchronous = NORMAL');
    expect(ran.slice(marked).find((sql) => sql.startsWith('PRAGMA synchronous'))).toBe('PRAGMA synchronous = 2');
    expect(sqliteDatabaseOf(s.engine).pragma('synchronous', { simple: true })).toBe(level);
    const [endpoint] = s.engine.push.webhooks.list(u.id);
    const state = s.engine.push.webhooks.deliveries(u.id, endpoint!.id, { limit: 1 }).items[0];
    expect(state?.state).toBe('delivered');
  });

  it('signs with both secrets while a rotation overlaps', async () => {
    const s = await start({ webhooks: { allowPrivateTargets: true } });
    const hook = await receiver();
    const u = s.createUser();
    const created = await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url: hook.url, events: ['order.updated'] } });
    const rotated = await s.call('POST', `/api/v1/webhooks/${created.body.data.id}/rotate-secret`, { key: u.key, body: {} });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.previousSecretUntil).not.toBeNull();
    await buy(s, u.key);
    await hook.waitFor(1);
    const d = hook.got[0]!;
    expect(String(d.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [created.body.data.secret, rotated.body.data.secret])
      new StandardWebhook(secret).verify(d.body, d.headers as Record<string, string>);
  });

  it('refuses private and loopback receivers in production, and deletes endpoints', async () => {
    const s = await start();
    const u = s.createUser();
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://localhost/hook',
      'http://10.1.2.3/x',
      'http://[::1]/x',
      'http://169.254.169.254/latest',
      'ftp://example.com/x',
    ]) {
      expectError(await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url } }), 400, 'BAD_REQUEST');
    }
    const created = await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url: 'https://example.com/hook' } });
    expect(created.status).toBe(201);
    expect((await s.call('DELETE', `/api/v1/webhooks/${created.body.data.id}`, { key: u.key })).body.data).toEqual({
      id: created.body.data.id,
      deleted: true,
    });
    expectError(await s.call('GET', `/api/v1/webhooks/${created.body.data.id}`, { key: u.key }), 404, 'NOT_FOUND');
  });
});

describe('webhook sending', () => {
  it('a receiver that never answers holds only its own delivery: the next event reaches another receiver at once (D140)', async () => {
    const s = await start({ webhooks: { allowPrivateTargets: true } });
    const u = s.createUser();
    // Accepts each request and never answers; remembers whether each one's connection was closed.
    const requests: Array<{ closed: boolean }> = [];
    const hung = createServer((req) => {
      const r = { closed: false };
      requests.push(r);
      req.on('close', () => (r.closed = true));
    });
    receivers.push(hung);
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/hook`;
    const fast = await receiver();
    for (const url of [hungUrl, fast.url])
      expect((await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url, events: ['sms.received'] } })).status).toBe(201);

    const first = await buy(s, u.key);
    await sms(s, first.id);
    await fast.waitFor(1);
    await expect.poll(() => requests.length).toBe(1);
    const second = await buy(s, u.key);
    await sms(s, second.id);
    await fast.waitFor(2);
    // The first hung delivery is still on the wire (its 10 s timeout has not ended it): the second
    // event did not wait for it.
    expect(requests[0]!.closed).toBe(false);
    expect(JSON.parse(fast.got[1]!.body)).toMatchObject({ type: 'sms.received', data: { id: second.id } });
    hung.closeAllConnections();
  });
});

describe('push in the OpenAPI document', () => {
  it('declares the headers push uses: Jiema-Long-Poll on getOrder answers, Last-Event-ID on the streams, all extensions', async () => {
    const s = await start();
    const doc = (await s.call('GET', '/api/v1/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { parameters?: Array<{ name: string; in: string }>; responses: Record<string, { headers?: object }> }>
      >;
      components: { headers: Record<string, { 'x-jiema-extension'?: boolean }> };
    };
    expect(Object.keys(doc.paths['/api/v1/orders/{id}']!.get!.responses['200']!.headers ?? {})).toContain('Jiema-Long-Poll');
    expect(doc.components.headers['Jiema-Long-Poll']).toMatchObject({ 'x-jiema-extension': true });
    for (const path of ['/api/v1/events', '/api/v1/orders/{id}/events'])
      expect(doc.paths[path]!.get!.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'Last-Event-ID', in: 'header', 'x-jiema-extension': true })]),
      );
  });
});

describe('webhook targets in production', () => {
  it('refuses loopback names written with a trailing dot, as it refuses them without', async () => {
    const s = await start();
    const u = s.createUser();
    for (const url of ['http://localhost./hook', 'http://api.localhost./hook', 'http://127.0.0.1./hook'])
      expectError(await s.call('POST', '/api/v1/webhooks', { key: u.key, body: { url } }), 400, 'BAD_REQUEST');
  });
});
