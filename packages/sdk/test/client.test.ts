/**
 * Every method of the client against core's real server over HTTP: the shapes it returns, the
 * headers it sends, pagination, and the key never showing up where it could be printed.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { JiemaAbortError, JiemaClient, type Order, type RequestEvent } from '../src/index.js';
import { useCore } from './server.js';

const s = useCore();

describe('reads', () => {
  it('returns the account with balanceCents as the wire string', async () => {
    const u = s.createUser({ balanceCents: 1_200 });
    const account = await s.client(u.key).account.get();
    expect(account).toEqual({ id: u.id, balanceCents: '1200', referralCode: expect.any(String), displayName: 'Tester', lang: 'en' });
  });

  it('lists services with stock, countries, and prices by code or slug', async () => {
    const client = s.client(s.createUser().key);
    const services = await client.services.list();
    expect(services.map((x) => x.code).sort()).toEqual(['go', 'tg', 'wa']);
    expect(services.find((x) => x.code === 'tg')).toMatchObject({ slug: 'telegram', name: 'Telegram', countryCount: 2 });
    const countries = await client.countries.list();
    expect(countries).toContainEqual({ id: 7, slug: 'my', name: 'Malaysia' });
    const prices = await client.prices.list({ service: 'telegram' });
    expect(prices.service).toBe('tg');
    expect(prices.items).toContainEqual({ countryId: 7, countrySlug: 'my', priceCents: '32', count: 540 });
  });
});

describe('orders', () => {
  it('buys, reads, cancels for a full refund and sends an Idempotency-Key with each POST', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const sent: RequestEvent[] = [];
    const client = s.client(u.key, { onRequest: (e) => sent.push(e) });
    const order = await client.orders.create({ service: 'tg', country: 'my' });
    expect(order).toMatchObject({ status: 'WAITING', service: 'tg', country: '7', chargedCents: '32', smsBody: null, smsHistory: [] });
    expect((await client.account.get()).balanceCents).toBe('968');
    expect(await client.orders.get(order.id)).toMatchObject({ id: order.id, status: 'WAITING', phone: order.phone });
    expect(await client.orders.cancel(order.id)).toEqual({ id: order.id, status: 'CANCELLED' });
    expect((await client.account.get()).balanceCents).toBe('1000');
    const posts = sent.filter((e) => e.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((e) => e.idempotencyKey)).size).toBe(2);
    expect(posts.every((e) => e.headers['idempotency-key'] === e.idempotencyKey)).toBe(true);
    expect(sent.filter((e) => e.method === 'GET').every((e) => e.idempotencyKey === undefined)).toBe(true);
  });

  it('moves an order back to WAITING with nextSms after an SMS, at no charge', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const client = s.client(u.key);
    const order = await client.orders.create({ service: 'tg', country: 7 });
    s.deliver(order.id, 'Telegram code 48213');
    expect(await client.orders.get(order.id)).toMatchObject({ status: 'RECEIVED', smsBody: 'Telegram code 48213', smsCode: '48213' });
    expect(await client.orders.nextSms(order.id)).toEqual({ id: order.id, status: 'WAITING' });
    expect((await client.account.get()).balanceCents).toBe('968');
  });

  it('replays the first answer when the caller repeats a buy with its own Idempotency-Key', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const client = s.client(u.key);
    const first = await client.orders.create({ service: 'tg', country: 7 }, { idempotencyKey: 'buy-1' });
    const again = await client.orders.create({ service: 'tg', country: 7 }, { idempotencyKey: 'buy-1' });
    expect(again.id).toBe(first.id);
    expect(s.buys()).toBe(1);
  });

  it('awaits one page of orders, and iterates every page with for await', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const client = s.client(u.key);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push((await client.orders.create({ service: 'tg', country: 6 })).id);
      s.advance(1_000);
    }
    const page = await client.orders.list({ limit: 2 });
    expect(page.items.map((o) => o.id)).toEqual([ids[4], ids[3]]);
    expect(page.nextCursor).toBe(ids[3]);
    const all: Order[] = [];
    for await (const o of client.orders.list({ limit: 2 })) all.push(o);
    expect(all.map((o) => o.id)).toEqual([...ids].reverse());
    const pages = [];
    for await (const p of client.orders.list({ limit: 2 }).pages()) pages.push(p.items.length);
    expect(pages).toEqual([2, 2, 1]);
    await client.orders.cancel(ids[0]!);
    expect((await client.orders.list({ status: 'CANCELLED' })).items.map((o) => o.id)).toEqual([ids[0]]);
  });

  it('shares one request between concurrent reads of the same order', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    let gets = 0;
    const client = s.client(u.key, { onRequest: (e) => void (e.method === 'GET' && gets++) });
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const [a, b, c] = await Promise.all([client.orders.get(order.id), client.orders.get(order.id), client.orders.get(order.id)]);
    expect(gets).toBe(1);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    await client.orders.get(order.id);
    expect(gets).toBe(2);
  });
});

describe('calls', () => {
  it('keeps the answer of a shared read for the callers who did not abort', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const client = s.client(u.key);
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const controller = new AbortController();
    const aborted = client.orders.get(order.id, { signal: controller.signal }).catch((e: unknown) => e);
    const kept = client.orders.get(order.id);
    controller.abort();
    expect(await aborted).toBeInstanceOf(JiemaAbortError);
    expect((await kept).id).toBe(order.id);
  });

  it('ignores a hook that throws', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const boom = (): never => {
      throw new Error('logger down');
    };
    const client = s.client(u.key, { onRequest: boom, onResponse: boom });
    expect((await client.account.get()).id).toBe(u.id);
  });

  it('refuses an Idempotency-Key a header cannot carry, before sending anything', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    let sent = 0;
    const client = s.client(u.key, { onRequest: () => void sent++ });
    await expect(client.orders.create({ service: 'tg', country: 7 }, { idempotencyKey: 'two words' })).rejects.toThrow(TypeError);
    expect(sent).toBe(0);
    expect(s.buys()).toBe(0);
  });
});

describe('the API key', () => {
  const key = 'jm_SECRETsecretSECRETsecretSECRETsecret12345';

  it('never appears in toString, inspect, JSON or hook events', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const events: unknown[] = [];
    const client = new JiemaClient({ apiKey: u.key, baseUrl: s.url, onRequest: (e) => events.push(e), onResponse: (e) => events.push(e) });
    await client.account.get();
    const printed = [
      String(client),
      inspect(client, { depth: 10, showHidden: true }),
      JSON.stringify(client),
      inspect(client.orders, { depth: 10, showHidden: true }),
      JSON.stringify(events),
    ];
    for (const text of printed) expect(text).not.toContain(u.key);
    expect(String(client)).toContain(`jm_…${u.key.slice(-4)}`);
    expect(JSON.stringify(events)).toContain(`Bearer jm_…${u.key.slice(-4)}`);
  });

  it('never appears in the error of a refused key', async () => {
    const client = new JiemaClient({ apiKey: key, baseUrl: s.url });
    const err = await client.account.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(`${String(err)} ${inspect(err, { depth: 10 })} ${JSON.stringify(err)}`).not.toContain(key);
  });

  it('is checked for characters a header cannot carry, without echoing it', () => {
    expect(() => new JiemaClient({ apiKey: 'jm_has a space in it 0123456789' })).toThrow(/jm_…6789/);
    expect(() => new JiemaClient({ apiKey: '' })).toThrow(TypeError);
  });
});

describe('the base URL', () => {
  it('accepts the origin or the full API base, with or without a trailing slash', () => {
    const apiKey = 'jm_0123456789';
    expect(new JiemaClient({ apiKey }).baseUrl).toBe('https://jiema.my/api/v1');
    expect(new JiemaClient({ apiKey, baseUrl: 'http://127.0.0.1:8787/' }).baseUrl).toBe('http://127.0.0.1:8787/api/v1');
    expect(new JiemaClient({ apiKey, baseUrl: 'https://example.test/api/v1/' }).baseUrl).toBe('https://example.test/api/v1');
    expect(() => new JiemaClient({ apiKey, baseUrl: 'jiema.my' })).toThrow(/absolute http/);
  });
});
