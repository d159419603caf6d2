/**
 * Scripted faults between the client and core's real server — resets, hangs, 429 with
 * Retry-After, 502 pages, 5xx — and what the client does about each: which calls it retries,
 * how long it waits, and that no fault ever makes it buy twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as sdk from '../src/index.js';
import { fastClock } from './clocks.js';
import { envelope, FaultProxy, freePort, html502, type Fault } from './fault-proxy.js';
import { useCore } from './server.js';
import { rejectionOf, until } from './until.js';

const s = useCore();
let proxy: FaultProxy;
let key: string;
let retries: sdk.RetryEvent[];
const extra: FaultProxy[] = [];

beforeEach(async () => {
  proxy = await FaultProxy.start(s.url);
  key = s.createUser({ balanceCents: 1_000 }).key;
  retries = [];
});
afterEach(async () => {
  await Promise.all([proxy, ...extra.splice(0)].map((p) => p.close()));
});

function client(options: Partial<sdk.JiemaClientOptions> = {}): sdk.JiemaClient {
  return s.client(key, { baseUrl: proxy.url, onRetry: (e) => retries.push(e), ...options });
}

const ORDERS = '/api/v1/orders';
const BUY = { service: 'tg', country: 7 } as const;
const onBuy = (fault: Fault, times = 1) => ({ method: 'POST', path: ORDERS, fault, times });
const onAccount = (fault: Fault, times = 1) => ({ method: 'GET', path: '/api/v1/account', fault, times });

/** The single order in the database, and the proof that it was bought once. */
function expectBoughtOnce(orderId?: string): void {
  expect(s.buys()).toBe(1);
  expect(s.orderCount()).toBe(1);
  if (orderId) expect(s.engine.stores.orders.search({ limit: 2 }).map((o) => o.id)).toEqual([orderId]);
}

describe('reads under faults', () => {
  it('retries after a connection reset and returns the answer', async () => {
    proxy.script(onAccount({ kind: 'reset' }));
    expect((await client().account.get()).balanceCents).toBe('1000');
    expect(retries.map((r) => r.error.constructor)).toEqual([sdk.JiemaConnectionError]);
  });

  it('retries an attempt that hangs past timeoutMs', async () => {
    proxy.script(onAccount({ kind: 'hang' }));
    expect((await client({ timeoutMs: 100 }).account.get()).balanceCents).toBe('1000');
    expect(retries.map((r) => r.error.constructor)).toEqual([sdk.JiemaTimeoutError]);
  });

  it('waits at least Retry-After after a 429, then succeeds', async () => {
    proxy.script(onAccount(envelope(429, 'RATE_LIMITED', { 'retry-after': '2' })));
    expect((await client({ clock: fastClock(100) }).account.get()).balanceCents).toBe('1000');
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(sdk.JiemaRateLimitedError);
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(2_000);
  });

  it('retries a proxy 502 page and a 503, telling them apart', async () => {
    proxy.script(onAccount(html502()), onAccount(envelope(503, 'UPSTREAM_UNAVAILABLE')));
    expect((await client().account.get()).balanceCents).toBe('1000');
    expect(retries.map((r) => [r.error.constructor, r.error.code, r.error.status])).toEqual([
      [sdk.JiemaServerError, 'HTTP_502', 502],
      [sdk.JiemaUpstreamUnavailableError, 'UPSTREAM_UNAVAILABLE', 503],
    ]);
  });

  it('backs off exponentially with jitter from the injected random', async () => {
    proxy.script(onAccount(envelope(500, 'INTERNAL'), 2));
    await client({ random: () => 0, retry: { baseDelayMs: 8, maxDelayMs: 1_000 } }).account.get();
    expect(retries.map((r) => r.delayMs)).toEqual([4, 8]);
  });

  it('raises the last error when retries run out: JiemaServerError for a 502 page, JiemaInternalError for INTERNAL', async () => {
    proxy.script(onAccount(html502()), onAccount(envelope(500, 'INTERNAL')));
    const page = (await rejectionOf(client({ maxRetries: 0 }).account.get())) as sdk.JiemaError;
    expect(page).toBeInstanceOf(sdk.JiemaServerError);
    expect(page).not.toBeInstanceOf(sdk.JiemaInternalError);
    expect(page).toMatchObject({ code: 'HTTP_502', status: 502 });
    expect(page.headers['content-type']).toBe('text/html');
    expect(await rejectionOf(client({ maxRetries: 0 }).account.get())).toBeInstanceOf(sdk.JiemaInternalError);
  });

  it('falls back to the base JiemaError for a code it does not know, and does not retry a 4xx', async () => {
    proxy.script(onAccount(envelope(400, 'SOMETHING_NEW')));
    const err = (await rejectionOf(client().account.get())) as sdk.JiemaError;
    expect(err.constructor).toBe(sdk.JiemaError);
    expect(err).toMatchObject({ code: 'SOMETHING_NEW', status: 400, message: 'scripted SOMETHING_NEW' });
    expect(retries).toEqual([]);
  });

  it('raises JiemaInvalidResponseError for a 200 that is not the envelope', async () => {
    proxy.script(onAccount({ kind: 'respond', status: 200, headers: { 'content-type': 'text/html' }, body: '<html>maintenance</html>' }));
    const err = await rejectionOf(client().account.get());
    expect(err).toBeInstanceOf(sdk.JiemaInvalidResponseError);
    expect(err).toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
  });

  it('raises JiemaConnectionError when nothing listens, after its retries', async () => {
    const port = await freePort();
    const err = (await rejectionOf(
      s.client(key, { baseUrl: `http://127.0.0.1:${port}`, onRetry: (e) => retries.push(e) }).account.get(),
    )) as sdk.JiemaConnectionError;
    expect(err).toBeInstanceOf(sdk.JiemaConnectionError);
    expect(err).toMatchObject({ code: 'CONNECTION_ERROR', status: undefined, mayHaveReachedServer: false });
    expect(retries).toHaveLength(2);
  });
});

describe('waitForSms under faults', () => {
  it('keeps waiting through polls that fail, and resolves when the SMS comes', async () => {
    const c = client({ maxRetries: 0 });
    const order = await c.orders.create(BUY);
    proxy.script(
      { method: 'GET', path: `${ORDERS}/`, fault: html502(), times: 2 },
      { method: 'GET', path: `${ORDERS}/`, fault: { kind: 'reset' } },
    );
    const waiting = c.orders.waitForSms(order.id, { intervalMs: 5 });
    await until(() => proxy.requests('GET', `${ORDERS}/`).length >= 4);
    s.deliver(order.id, 'code 424242');
    expect((await waiting).smsCode).toBe('424242');
    expect(
      proxy
        .requests('GET', `${ORDERS}/`)
        .slice(0, 3)
        .map((r) => r.fault),
    ).toEqual(['respond', 'respond', 'reset']);
  });
});

describe('timeouts and aborts', () => {
  it('raises JiemaTimeoutError when every attempt hangs', async () => {
    proxy.script(onAccount({ kind: 'hang' }, Infinity));
    const err = await rejectionOf(client({ timeoutMs: 50, maxRetries: 1 }).account.get());
    expect(err).toBeInstanceOf(sdk.JiemaTimeoutError);
    expect(err).toMatchObject({ code: 'TIMEOUT', timeoutMs: 50 });
    expect(retries).toHaveLength(1);
  });

  it('ends the whole call at totalTimeoutMs, across attempts', async () => {
    proxy.script(onAccount({ kind: 'hang' }, Infinity));
    const err = await rejectionOf(client({ timeoutMs: 60_000, totalTimeoutMs: 100 }).account.get());
    expect(err).toMatchObject({ code: 'TIMEOUT', timeoutMs: 100 });
  });

  it('stops a backoff sleep as soon as the caller aborts', async () => {
    proxy.script(onAccount(envelope(503, 'UPSTREAM_UNAVAILABLE'), Infinity));
    const controller = new AbortController();
    const c = client({ retry: { baseDelayMs: 600_000, maxDelayMs: 600_000 }, onRetry: () => controller.abort(new Error('shutting down')) });
    const err = (await rejectionOf(c.account.get({ signal: controller.signal }))) as sdk.JiemaAbortError;
    expect(err).toBeInstanceOf(sdk.JiemaAbortError);
    expect((err.cause as Error).message).toBe('shutting down');
  });

  it('does not start a Retry-After wait longer than what is left of totalTimeoutMs', async () => {
    proxy.script(onAccount(envelope(429, 'RATE_LIMITED', { 'retry-after': '30' })));
    const err = await rejectionOf(client({ totalTimeoutMs: 5_000 }).account.get());
    expect(err).toBeInstanceOf(sdk.JiemaRateLimitedError);
    expect(retries).toEqual([]);
  });
});

describe('buys under faults: never twice', () => {
  it('retries a buy whose answer was lost after the server acted, with the same key, and gets the replayed order', async () => {
    proxy.script(onBuy({ kind: 'reset-after-forward' }));
    const order = await client().orders.create(BUY);
    expectBoughtOnce(order.id);
    const keys = proxy.requests('POST', ORDERS).map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('retries a buy whose answer hangs past timeoutMs, and gets the replayed order', async () => {
    proxy.script(onBuy({ kind: 'hang-after-forward' }));
    const order = await client({ timeoutMs: 200 }).orders.create(BUY);
    expectBoughtOnce(order.id);
    expect(retries.map((r) => r.error.constructor)).toEqual([sdk.JiemaTimeoutError]);
  });

  it('retries a buy answered 409 IDEMPOTENCY_IN_PROGRESS until the first one is done', async () => {
    proxy.script(onBuy(envelope(409, 'IDEMPOTENCY_IN_PROGRESS')));
    const order = await client().orders.create(BUY);
    expectBoughtOnce(order.id);
    expect(retries[0]!.error).toBeInstanceOf(sdk.JiemaIdempotencyInProgressError);
  });

  it('retries a buy refused with 429 even without an Idempotency-Key: it cannot have happened', async () => {
    proxy.script(onBuy(envelope(429, 'RATE_LIMITED', { 'retry-after': '0' })));
    const order = await client({ idempotencyKeys: false }).orders.create(BUY);
    expectBoughtOnce(order.id);
    expect(proxy.requests('POST', ORDERS).every((r) => r.headers['idempotency-key'] === undefined)).toBe(true);
  });

  it('retries a buy refused before sending (connection refused) even without an Idempotency-Key', async () => {
    const port = await freePort();
    let gate: Promise<unknown> = Promise.resolve();
    const clock: sdk.Clock = {
      now: () => sdk.systemClock.now(),
      sleep: async (ms, signal) => (await gate, sdk.systemClock.sleep(ms, signal)),
    };
    const c = s.client(key, {
      baseUrl: `http://127.0.0.1:${port}`,
      idempotencyKeys: false,
      clock,
      onRetry: (e) => {
        retries.push(e);
        gate = FaultProxy.start(s.url, port).then((p) => extra.push(p));
      },
    });
    const order = await c.orders.create(BUY);
    expectBoughtOnce(order.id);
    expect(retries.map((r) => (r.error as sdk.JiemaConnectionError).mayHaveReachedServer)).toEqual([false]);
  });

  it('raises JiemaOutcomeUnknownError, saying to list recent orders, when an unkeyed buy loses its answer', async () => {
    proxy.script(onBuy({ kind: 'reset-after-forward' }));
    const c = client({ idempotencyKeys: false });
    const err = (await rejectionOf(c.orders.create(BUY))) as sdk.JiemaOutcomeUnknownError;
    expect(err).toBeInstanceOf(sdk.JiemaOutcomeUnknownError);
    expect(err).toMatchObject({ code: 'OUTCOME_UNKNOWN', idempotencyKey: undefined, method: 'POST', path: '/orders' });
    expect(err.message).toContain('may or may not exist');
    expect(err.message).toContain('client.orders.list({ limit: 5 })');
    expect(err.cause).toBeInstanceOf(sdk.JiemaConnectionError);
    expect(retries).toEqual([]);
    const recent = await c.orders.list({ limit: 5 });
    expect(recent.items).toHaveLength(1);
    expectBoughtOnce(recent.items[0]!.id);
  });

  it('raises JiemaOutcomeUnknownError with its key when every retry loses the answer; retrying with that key replays the one order', async () => {
    proxy.script(onBuy({ kind: 'reset-after-forward' }, 2));
    const c = client({ maxRetries: 1 });
    const err = (await rejectionOf(c.orders.create(BUY))) as sdk.JiemaOutcomeUnknownError;
    expect(err).toBeInstanceOf(sdk.JiemaOutcomeUnknownError);
    expect(err.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.message).toContain(err.idempotencyKey);
    const order = await c.orders.create(BUY, { idempotencyKey: err.idempotencyKey! });
    expectBoughtOnce(order.id);
  });

  it('does not retry an unkeyed buy answered by a 502 page: the outcome is unknown', async () => {
    proxy.script(onBuy(html502()));
    const err = (await rejectionOf(client({ idempotencyKeys: false }).orders.create(BUY))) as sdk.JiemaOutcomeUnknownError;
    expect(err).toBeInstanceOf(sdk.JiemaOutcomeUnknownError);
    expect(err.cause).toBeInstanceOf(sdk.JiemaServerError);
    expect(err.status).toBe(502);
    expect(s.buys()).toBe(0);
  });

  it('reports an unknown outcome when the caller aborts a buy the server may have run', async () => {
    proxy.script(onBuy({ kind: 'hang-after-forward' }));
    const controller = new AbortController();
    const pending = rejectionOf(client().orders.create(BUY, { signal: controller.signal }));
    await until(() => s.orderCount() === 1);
    controller.abort();
    const err = (await pending) as sdk.JiemaOutcomeUnknownError;
    expect(err).toBeInstanceOf(sdk.JiemaOutcomeUnknownError);
    expect(err.cause).toBeInstanceOf(sdk.JiemaAbortError);
    expectBoughtOnce();
  });

  it('raises a plain JiemaAbortError for a buy aborted before it was sent', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await rejectionOf(client().orders.create(BUY, { signal: controller.signal }))).toBeInstanceOf(sdk.JiemaAbortError);
    expect(proxy.seen).toEqual([]);
  });
});
