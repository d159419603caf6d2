/**
 * Every refusal core can give, through the SDK: the class chosen by the server's code, with
 * code, status, message, request id and headers on it.
 */
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '@jiema/core';
import * as sdk from '../src/index.js';
import { serverPerTest } from './server.js';
import { rejectionOf } from './until.js';

const start = serverPerTest();

async function failure(p: PromiseLike<unknown>): Promise<sdk.JiemaError> {
  const err = await rejectionOf(p);
  expect(err).toBeInstanceOf(sdk.JiemaError);
  return err as sdk.JiemaError;
}

describe('errors from core, by code', () => {
  it('raises JiemaAuthError for an unknown key, with the request id the client sent', async () => {
    const t = await start();
    const client = t.client('jm_0000000000000000000000000000000000000000000', { maxRetries: 0 });
    const err = await failure(client.account.get({ requestId: 'trace-42' }));
    expect(err).toBeInstanceOf(sdk.JiemaAuthError);
    expect(err).toMatchObject({ code: 'AUTH_INVALID', status: 401, requestId: 'trace-42' });
    expect(err.headers['content-type']).toMatch(/json/);
  });

  it('raises JiemaForbiddenError for a banned user', async () => {
    const t = await start();
    const u = t.createUser();
    t.engine.accounts.setBanned(u.id, true, 'test');
    const err = await failure(t.client(u.key).account.get());
    expect(err).toBeInstanceOf(sdk.JiemaForbiddenError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('raises JiemaBadRequestError naming the field for a limit out of range', async () => {
    const t = await start();
    const err = await failure(t.client(t.createUser().key).orders.list({ limit: 500 }));
    expect(err).toBeInstanceOf(sdk.JiemaBadRequestError);
    expect(err).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
    expect(err.message).toMatch(/limit/);
  });

  it('raises JiemaInsufficientBalanceError without asking the upstream', async () => {
    const t = await start();
    const err = await failure(t.client(t.createUser({ balanceCents: 10 }).key).orders.create({ service: 'tg', country: 7 }));
    expect(err).toBeInstanceOf(sdk.JiemaInsufficientBalanceError);
    expect(err).toMatchObject({ code: 'INSUFFICIENT', status: 400 });
    expect(t.buys()).toBe(0);
  });

  it('raises JiemaNoNumbersError, JiemaBadServiceError and JiemaBadCountryError for buys that cannot be served', async () => {
    const t = await start();
    const client = t.client(t.createUser().key);
    expect(await failure(client.orders.create({ service: 'tg', country: 187 }))).toBeInstanceOf(sdk.JiemaNoNumbersError);
    expect(await failure(client.orders.create({ service: 'nope', country: 7 }))).toMatchObject({
      code: 'BAD_SERVICE',
      constructor: sdk.JiemaBadServiceError,
    });
    expect(await failure(client.orders.create({ service: 'tg', country: 'nowhere' }))).toMatchObject({
      code: 'BAD_COUNTRY',
      constructor: sdk.JiemaBadCountryError,
    });
    expect(await failure(client.prices.list({ service: 'nope' }))).toBeInstanceOf(sdk.JiemaBadServiceError);
  });

  it('raises JiemaBadStatusError, JiemaCodeReceivedError and JiemaAlreadyChangedError on the order lifecycle', async () => {
    const t = await start();
    const client = t.client(t.createUser().key);
    const a = await client.orders.create({ service: 'tg', country: 7 });
    expect(await failure(client.orders.nextSms(a.id))).toMatchObject({
      code: 'BAD_STATUS',
      status: 400,
      constructor: sdk.JiemaBadStatusError,
    });
    t.deliver(a.id, 'code 123456');
    await client.orders.get(a.id);
    expect(await failure(client.orders.cancel(a.id))).toMatchObject({ code: 'CODE_RECEIVED', constructor: sdk.JiemaCodeReceivedError });
    const b = await client.orders.create({ service: 'tg', country: 7 });
    await client.orders.cancel(b.id);
    expect(await failure(client.orders.cancel(b.id))).toMatchObject({ code: 'ALREADY_CHANGED', constructor: sdk.JiemaAlreadyChangedError });
  });

  it("raises JiemaNotFoundError for an unknown order and for someone else's", async () => {
    const t = await start();
    const mine = t.client(t.createUser().key);
    const theirs = await t.client(t.createUser().key).orders.create({ service: 'tg', country: 7 });
    expect(await failure(mine.orders.get('ck0000000000000000000000000'))).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      constructor: sdk.JiemaNotFoundError,
    });
    expect(await failure(mine.orders.get(theirs.id))).toBeInstanceOf(sdk.JiemaNotFoundError);
    expect(await failure(mine.orders.cancel(theirs.id))).toBeInstanceOf(sdk.JiemaNotFoundError);
  });

  it('raises JiemaIdempotencyMismatchError when a key is reused for another buy', async () => {
    const t = await start();
    const client = t.client(t.createUser().key);
    await client.orders.create({ service: 'tg', country: 7 }, { idempotencyKey: 'k-1' });
    const err = await failure(client.orders.create({ service: 'tg', country: 6 }, { idempotencyKey: 'k-1' }));
    expect(err).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH', status: 422, constructor: sdk.JiemaIdempotencyMismatchError });
    expect(t.buys()).toBe(1);
  });

  it('raises JiemaUpstreamUnavailableError, a JiemaServerError, when the provider fails and nothing is charged', async () => {
    const t = await start();
    const u = t.createUser({ balanceCents: 1_000 });
    t.upstream.failNext('buy', new UpstreamError('UNAVAILABLE', 'provider down'));
    const err = await failure(t.client(u.key, { maxRetries: 0 }).orders.create({ service: 'tg', country: 7 }));
    expect(err).toBeInstanceOf(sdk.JiemaUpstreamUnavailableError);
    expect(err).toBeInstanceOf(sdk.JiemaServerError);
    expect(err).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
    expect(t.orderCount()).toBe(0);
    expect(t.engine.accounts.requireUser(u.id).balanceCents).toBe(1_000);
  });

  it('retries a buy the provider failed, with the same Idempotency-Key, and charges once', async () => {
    const t = await start();
    const u = t.createUser({ balanceCents: 1_000 });
    t.upstream.failNext('buy', new UpstreamError('UNAVAILABLE', 'provider down'));
    const retries: sdk.RetryEvent[] = [];
    const order = await t.client(u.key, { onRetry: (e) => retries.push(e) }).orders.create({ service: 'tg', country: 7 });
    expect(retries.map((r) => r.error.code)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(t.orderCount()).toBe(1);
    expect(t.engine.accounts.requireUser(u.id).balanceCents).toBe(1_000 - Number(order.chargedCents));
  });
});

describe('rate limits from core', () => {
  it('raises JiemaRateLimitedError with retryAfterMs and the RateLimit headers when pacing is off', async () => {
    const t = await start({ app: { rateLimits: { readPerMin: 1 } } });
    const client = t.client(t.createUser().key, { pacing: false, maxRetries: 0 });
    await client.account.get();
    const err = await failure(client.account.get());
    expect(err).toBeInstanceOf(sdk.JiemaRateLimitedError);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect((err as sdk.JiemaRateLimitedError).retryAfterMs).toBe(60_000);
    expect(err.headers['ratelimit-policy']).toBe('"read";q=1;w=60');
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs; the caller gets the 429', async () => {
    const t = await start({ app: { rateLimits: { writePerMin: 1 } } });
    const retries: sdk.RetryEvent[] = [];
    const client = t.client(t.createUser().key, {
      pacing: false,
      maxRetries: 3,
      retry: { maxRetryAfterMs: 5_000 },
      onRetry: (e) => retries.push(e),
    });
    await client.orders.create({ service: 'tg', country: 7 });
    expect(await failure(client.orders.create({ service: 'tg', country: 7 }))).toBeInstanceOf(sdk.JiemaRateLimitedError);
    expect(retries).toEqual([]);
    expect(t.buys()).toBe(1);
  });
});
