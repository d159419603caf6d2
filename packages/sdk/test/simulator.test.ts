/**
 * The SDK against the simulator over real HTTP: every method, every error class the API can
 * answer, and waitForSms through next-sms and expiry on virtual time.
 */
import { useSimulator } from '@jiema/simulator/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  JiemaAlreadyChangedError,
  JiemaAuthError,
  JiemaBadCountryError,
  JiemaBadServiceError,
  JiemaBadStatusError,
  JiemaClient,
  JiemaCodeReceivedError,
  JiemaConnectionError,
  JiemaForbiddenError,
  JiemaIdempotencyMismatchError,
  JiemaInsufficientBalanceError,
  JiemaNoNumbersError,
  JiemaNotFoundError,
  JiemaOrderEndedError,
  JiemaRateLimitedError,
  JiemaTimeoutError,
  JiemaUpstreamUnavailableError,
  type Order,
} from '../src/index.js';

const QUIET = { default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0 } };
const sim = useSimulator({ seed: 11, behaviour: QUIET, rateLimits: { writePerMin: 100 } });
let client: JiemaClient;
let userId: string;

beforeEach(() => {
  const u = sim.createUser({ balanceCents: 1_000 });
  userId = u.id;
  client = new JiemaClient({ apiKey: u.apiKey, baseUrl: sim.url, retry: { baseDelayMs: 5, maxDelayMs: 20 }, random: () => 0.5 });
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('JiemaClient against the simulator', () => {
  it('covers every method of the API', async () => {
    expect(await client.account.get()).toMatchObject({ id: userId, balanceCents: '1000' });
    const services = await client.services.list();
    expect(services.find((s) => s.code === 'tg')).toMatchObject({ slug: 'telegram', name: 'Telegram' });
    expect(await client.countries.list()).toContainEqual({ id: 7, slug: 'my', name: 'Malaysia' });
    const prices = await client.prices.list({ service: 'telegram' });
    expect(prices.items.find((i) => i.countryId === 7)).toMatchObject({ priceCents: '32' });

    const a = await client.orders.create({ service: 'tg', country: 'my' });
    const b = await client.orders.create({ service: 'tg', country: 7 });
    expect(a).toMatchObject({ status: 'WAITING', chargedCents: '32', phone: expect.stringMatching(/^\+6012\d{7}$/) });
    expect((await client.orders.get(a.id)).id).toBe(a.id);
    expect((await client.orders.cancel(b.id)).status).toBe('CANCELLED');

    await sim.deliverSms(a.id, 'Telegram code: 11111');
    expect((await client.orders.get(a.id)).smsCode).toBe('11111');
    expect((await client.orders.nextSms(a.id)).status).toBe('WAITING');

    const page = await client.orders.list({ limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const all: Order[] = [];
    for await (const o of client.orders.list({ limit: 1 })) all.push(o);
    expect(all.map((o) => o.id)).toEqual([b.id, a.id]);
    expect((await client.account.get()).balanceCents).toBe('968');
  });

  it('waits for the SMS, then for the next one after next-sms, on virtual time', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const first = client.orders.waitForSms(order.id, { intervalMs: 10, timeoutMs: 10_000 });
    await sim.advance(30_000);
    await sim.deliverSms(order.id, 'Telegram code: 22222');
    expect((await first).smsCode).toBe('22222');

    await client.orders.nextSms(order.id);
    const second = client.orders.waitForSms(order.id, { intervalMs: 10, timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50)); // a few polls see only the old SMS
    await sim.deliverSms(order.id, 'Telegram code: 33333');
    const got = await second;
    expect(got.smsCode).toBe('33333');
    expect(got.smsHistory).toHaveLength(2);
  });

  it('fails a wait fast with JiemaOrderEndedError when the order expires without an SMS', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const wait = client.orders.waitForSms(order.id, { intervalMs: 10, timeoutMs: 10_000 });
    await sim.advance(20 * 60_000);
    const err = await rejection(wait);
    expect(err).toBeInstanceOf(JiemaOrderEndedError);
    expect((err as JiemaOrderEndedError & { order: Order }).order.status).toBe('FAILED');
    expect((await client.account.get()).balanceCents).toBe('1000');
  });

  it('raises the error class of every refusal the API answers', async () => {
    // More than the 10 writes a minute the pacer would otherwise hold back (it would wait a real minute).
    client = new JiemaClient({
      apiKey: sim.createUser({ balanceCents: 1_000 }).apiKey,
      baseUrl: sim.url,
      pacing: false,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    const order = await client.orders.create({ service: 'tg', country: 7 });
    await sim.deliverSms(order.id);
    const cases: Array<[() => Promise<unknown>, new (...args: never[]) => Error, string]> = [
      [() => client.orders.cancel(order.id), JiemaCodeReceivedError, 'CODE_RECEIVED'],
      [() => client.orders.create({ service: 'nope', country: 7 }), JiemaBadServiceError, 'BAD_SERVICE'],
      [() => client.orders.create({ service: 'tg', country: 'nowhere' }), JiemaBadCountryError, 'BAD_COUNTRY'],
      [() => client.orders.get('ck0000000000000000000000000'), JiemaNotFoundError, 'NOT_FOUND'],
    ];
    for (const [p, cls, code] of cases) {
      const err = await rejection(p());
      expect(err, code).toBeInstanceOf(cls);
      expect((err as { code: string }).code).toBe(code);
    }
    const waiting = await client.orders.create({ service: 'tg', country: 6 });
    expect(await rejection(client.orders.nextSms(waiting.id))).toBeInstanceOf(JiemaBadStatusError);
    await client.orders.cancel(waiting.id);
    expect(await rejection(client.orders.cancel(waiting.id))).toBeInstanceOf(JiemaAlreadyChangedError);

    sim.setStock('wa', 7, 0);
    expect(await rejection(client.orders.create({ service: 'wa', country: 7 }))).toBeInstanceOf(JiemaNoNumbersError);
    const poor = sim.createUser({ balanceCents: 1 });
    const poorClient = new JiemaClient({ apiKey: poor.apiKey, baseUrl: sim.url });
    expect(await rejection(poorClient.orders.create({ service: 'tg', country: 7 }))).toBeInstanceOf(JiemaInsufficientBalanceError);

    await client.orders.create({ service: 'tg', country: 7 }, { idempotencyKey: 'same-key' });
    expect(await rejection(client.orders.create({ service: 'tg', country: 6 }, { idempotencyKey: 'same-key' }))).toBeInstanceOf(
      JiemaIdempotencyMismatchError,
    );

    sim.faults.arm({ kind: 'error', error: 'UNAVAILABLE', method: 'buy', count: 10 });
    const outage = await rejection(client.orders.create({ service: 'tg', country: 7 }, { maxRetries: 0 }));
    expect(outage).toBeInstanceOf(JiemaUpstreamUnavailableError);
    sim.faults.clear();
  });

  it('raises auth, ban, rate-limit, timeout and connection errors', async () => {
    const stranger = new JiemaClient({ apiKey: 'jm_sGjYcuoJDAHYbTjMgnK0q8Dwt998hBjTFnKAN0rTY3b', baseUrl: sim.url });
    expect(await rejection(stranger.account.get())).toBeInstanceOf(JiemaAuthError);

    const banned = sim.createUser();
    sim.world.engine.accounts.setBanned(banned.id, true);
    expect(await rejection(new JiemaClient({ apiKey: banned.apiKey, baseUrl: sim.url }).account.get())).toBeInstanceOf(JiemaForbiddenError);

    const hasty = new JiemaClient({ apiKey: sim.createUser().apiKey, baseUrl: sim.url, pacing: false, maxRetries: 0 });
    let limited: unknown;
    for (let i = 0; i < 61 && !limited; i++) limited = await rejection(hasty.account.get());
    expect(limited).toBeInstanceOf(JiemaRateLimitedError);
    expect((limited as JiemaRateLimitedError).retryAfterMs).toBeGreaterThan(0);

    sim.world.engine.catalogue.invalidate();
    sim.faults.arm({ kind: 'latency', latencyMs: 1_000, method: 'getCatalogue', count: 1 });
    expect(await rejection(client.services.list({ timeoutMs: 100, maxRetries: 0 }))).toBeInstanceOf(JiemaTimeoutError);

    const nowhere = new JiemaClient({
      apiKey: 'jm_sGjYcuoJDAHYbTjMgnK0q8Dwt998hBjTFnKAN0rTY3b',
      baseUrl: 'http://127.0.0.1:1',
      maxRetries: 0,
    });
    expect(await rejection(nowhere.account.get())).toBeInstanceOf(JiemaConnectionError);
  });
});
