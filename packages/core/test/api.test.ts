/**
 * The public API over real HTTP: every endpoint with the documented shapes, both auth headers,
 * every error code, validation, limits, pagination and idempotency. On SQLite and on PostgreSQL
 * (a fresh schema per test).
 */
import { describe, expect, it } from 'vitest';
import * as schemas from '../src/http/schemas.js';
import { useTestServer } from '../src/testing.js';
import { DATABASES, useTestDatabase } from './databases.js';
import { expectError } from './helpers.js';

describe.each(DATABASES)('on $name', (database) => {
  const db = useTestDatabase(database);
  const s = useTestServer(() => ({ db: db.db }));

  describe('GET /api/v1/account', () => {
    it('answers the balance as a string and the profile, with either auth header', async () => {
      const u = s.createUser({ balanceCents: 1_200 });
      const a = await s.call('GET', '/api/v1/account', { key: u.key });
      expect(a.status).toBe(200);
      expect(a.body).toEqual({
        ok: true,
        data: { id: u.id, balanceCents: '1200', referralCode: expect.stringMatching(/^[0-9a-z]{6}$/), displayName: 'Tester', lang: 'en' },
      });
      expect(schemas.Account.parse(a.body.data)).toBeTruthy();
      const b = await s.call('GET', '/api/v1/account', { headers: { 'x-api-key': u.key } });
      expect(b.body).toEqual(a.body);
      const both = await s.call('GET', '/api/v1/account', { key: u.key, headers: { 'x-api-key': u.key } });
      expect(both.status).toBe(200);
    });

    it('answers AUTH_MISSING without a key and AUTH_INVALID for malformed, unknown and revoked keys', async () => {
      expectError(await s.call('GET', '/api/v1/account'), 401, 'AUTH_MISSING');
      expectError(await s.call('GET', '/api/v1/account', { key: 'jm_nope' }), 401, 'AUTH_INVALID');
      expectError(await s.call('GET', '/api/v1/account', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, 'AUTH_INVALID');
      const u = s.createUser();
      const other = s.createUser();
      const stranger = s.engine.accounts.createKey(other.id).apiKey;
      s.engine.stores.accounts.deleteKeys(other.id);
      expectError(await s.call('GET', '/api/v1/account', { key: stranger }), 401, 'AUTH_INVALID');
      const keyId = s.engine.accounts.listKeys(u.id)[0]!.id;
      expect((await s.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
      s.engine.accounts.revokeKey(u.id, keyId);
      expectError(await s.call('GET', '/api/v1/account', { key: u.key }), 401, 'AUTH_INVALID');
    });

    it('answers 400 when the two auth headers carry different keys', async () => {
      const a = s.createUser();
      const b = s.createUser();
      expectError(await s.call('GET', '/api/v1/account', { key: a.key, headers: { 'x-api-key': b.key } }), 400, 'BAD_REQUEST');
    });

    it('answers FORBIDDEN for a banned user, and works again after unban', async () => {
      const u = s.createUser();
      s.engine.accounts.setBanned(u.id, true, 'abuse');
      expectError(await s.call('GET', '/api/v1/account', { key: u.key }), 403, 'FORBIDDEN');
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } }), 403, 'FORBIDDEN');
      s.engine.accounts.setBanned(u.id, false);
      expect((await s.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
    });
  });

  describe('catalogue endpoints', () => {
    it('lists services with stock: totalCount, countryCount and minCostUsd from retail prices', async () => {
      const u = s.createUser();
      const r = await s.call('GET', '/api/v1/services', { key: u.key });
      expect(r.status).toBe(200);
      schemas.ServiceList.parse(r.body.data);
      const tg = r.body.data.items.find((i: { code: string }) => i.code === 'tg');
      // tg: Malaysia 540 at 0.2133 → 32 cents, Indonesia 34876 at 0.1667 → 26 cents, USA out of stock
      expect(tg).toEqual({ code: 'tg', slug: 'telegram', name: 'Telegram', minCostUsd: 0.26, totalCount: 35_416, countryCount: 2 });
    });

    it('lists countries with the upstream id and the fixture slug', async () => {
      const u = s.createUser();
      const r = await s.call('GET', '/api/v1/countries', { key: u.key });
      expect(r.body.data.items).toContainEqual({ id: 7, slug: 'my', name: 'Malaysia' });
      expect(r.body.data.items).toContainEqual({ id: 999, slug: 'atlantis', name: 'Atlantis' });
    });

    it('prices one service per country, accepting the code or the slug', async () => {
      const u = s.createUser();
      const r = await s.call('GET', '/api/v1/prices?service=telegram', { key: u.key });
      expect(r.status).toBe(200);
      schemas.PriceList.parse(r.body.data);
      expect(r.body.data.service).toBe('tg');
      expect(r.body.data.items).toContainEqual({ countryId: 7, countrySlug: 'my', priceCents: '32', count: 540 });
      expect(r.body.data.items).toContainEqual({ countryId: 187, countrySlug: 'us', priceCents: '67', count: 0 });
    });

    it('answers BAD_REQUEST without a service and BAD_SERVICE for an unknown one', async () => {
      const u = s.createUser();
      expectError(await s.call('GET', '/api/v1/prices', { key: u.key }), 400, 'BAD_REQUEST');
      expectError(await s.call('GET', '/api/v1/prices?service=nope', { key: u.key }), 400, 'BAD_SERVICE');
      expectError(await s.call('GET', '/api/v1/prices?service=tg&service=wa', { key: u.key }), 400, 'BAD_REQUEST');
    });

    it('answers UPSTREAM_UNAVAILABLE when the catalogue cannot be fetched and none is cached', async () => {
      const u = s.createUser();
      const { UpstreamError } = await import('../src/index.js');
      s.upstream.failNext('getCatalogue', new UpstreamError('UNAVAILABLE', 'down'));
      expectError(await s.call('GET', '/api/v1/services', { key: u.key }), 503, 'UPSTREAM_UNAVAILABLE');
      expect((await s.call('GET', '/api/v1/services', { key: u.key })).status).toBe(200);
    });
  });

  describe('POST /api/v1/orders', () => {
    it('buys a number and charges exactly the listed price', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      const r = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } });
      expect(r.status).toBe(200);
      schemas.Order.parse(r.body.data);
      expect(r.body.data).toMatchObject({
        status: 'WAITING',
        service: 'tg',
        country: '7',
        chargedCents: '32',
        smsBody: null,
        smsHistory: [],
      });
      expect(r.body.data.phone).toMatch(/^\+\d+$/);
      expect(Date.parse(r.body.data.expiresAt) - Date.parse(r.body.data.createdAt)).toBe(20 * 60_000);
      expect((await s.call('GET', '/api/v1/account', { key: u.key })).body.data.balanceCents).toBe('968');
    });

    it('accepts the service slug and the country as a numeric string or slug', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      for (const body of [
        { service: 'telegram', country: '7' },
        { service: 'tg', country: 'my' },
        { service: 'TG', country: 'MY' },
      ]) {
        const r = await s.call('POST', '/api/v1/orders', { key: u.key, body });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.data).toMatchObject({ service: 'tg', country: '7' });
      }
    });

    it('answers INSUFFICIENT without asking the upstream, and charges nothing', async () => {
      const u = s.createUser({ balanceCents: 10 });
      const before = s.upstream.calls.filter((c) => c.method === 'buy').length;
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } }), 400, 'INSUFFICIENT');
      expect(s.upstream.calls.filter((c) => c.method === 'buy').length).toBe(before);
      expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(10);
    });

    it('answers NO_NUMBERS, BAD_SERVICE and BAD_COUNTRY', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 187 } }), 400, 'NO_NUMBERS');
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'wa', country: 6 } }), 400, 'NO_NUMBERS');
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'zz', country: 7 } }), 400, 'BAD_SERVICE');
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 'xx' } }), 400, 'BAD_COUNTRY');
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 12345 } }), 400, 'BAD_COUNTRY');
      expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(1_000);
    });

    it('answers BAD_REQUEST naming unknown fields, missing fields, wrong types and bad JSON', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      const unknown = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7, maxPrice: 1 } });
      expectError(unknown, 400, 'BAD_REQUEST');
      expect(unknown.body.message).toContain('maxPrice');
      const missing = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg' } });
      expectError(missing, 400, 'BAD_REQUEST');
      expect(missing.body.message).toContain('country');
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 5, country: 7 } }), 400, 'BAD_REQUEST');
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7.5 } }), 400, 'BAD_REQUEST');
      expectError(
        await s.call('POST', '/api/v1/orders', {
          key: u.key,
          rawBody: '{"service":"tg",',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'BAD_REQUEST',
      );
      expectError(
        await s.call('POST', '/api/v1/orders', { key: u.key, rawBody: '"tg"', headers: { 'content-type': 'application/json' } }),
        400,
        'BAD_REQUEST',
      );
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: [1, 2] }), 400, 'BAD_REQUEST');
      expectError(
        await s.call('POST', '/api/v1/orders', { key: u.key, rawBody: '{"__proto__":{"x":1},"service":"tg","country":7}' }),
        400,
        'BAD_REQUEST',
      );
      expectError(await s.call('POST', '/api/v1/orders', { key: u.key }), 400, 'BAD_REQUEST');
      expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(1_000);
    });

    it('answers 413 PAYLOAD_TOO_LARGE over 16 KiB', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      const r = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7, pad: 'x'.repeat(17 * 1024) } });
      expectError(r, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('reads a JSON body sent with curl -d default form encoding', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      const r = await s.call('POST', '/api/v1/orders', {
        key: u.key,
        rawBody: '{"service":"tg","country":7}',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(r.status).toBe(200);
    });
  });

  describe('GET /api/v1/orders and /orders/:id', () => {
    it("answers NOT_FOUND for another user's order and for ids that do not exist, alike", async () => {
      const a = s.createUser({ balanceCents: 1_000 });
      const b = s.createUser({ balanceCents: 1_000 });
      const order = (await s.call('POST', '/api/v1/orders', { key: a.key, body: { service: 'tg', country: 7 } })).body.data;
      const theirs = await s.call('GET', `/api/v1/orders/${order.id}`, { key: b.key });
      const nothing = await s.call('GET', '/api/v1/orders/ck0000000000000000000000000', { key: b.key });
      expectError(theirs, 404, 'NOT_FOUND');
      expect(theirs.body).toEqual(nothing.body);
      expectError(await s.call('POST', `/api/v1/orders/${order.id}/cancel`, { key: b.key }), 404, 'NOT_FOUND');
      expectError(await s.call('POST', `/api/v1/orders/${order.id}/next-sms`, { key: b.key }), 404, 'NOT_FOUND');
      expectError(await s.call('GET', '/api/v1/orders/%E0%A4%A', { key: b.key }), 404, 'NOT_FOUND');
    });

    it('pages newest first with a status filter, and inserts during paging shift nothing', async () => {
      const u = s.createUser({ balanceCents: 100_000 });
      const made: string[] = [];
      for (let i = 0; i < 7; i++) {
        const o = await s.engine.orders.create(u.id, { service: 'tg', country: 7 });
        made.push(o.id);
        s.advance(1);
      }
      s.engine.orders.cancel(u.id, made[1]!);
      s.engine.orders.cancel(u.id, made[4]!);
      const p1 = await s.call('GET', '/api/v1/orders?limit=3', { key: u.key });
      expect(p1.body.data.items.map((o: { id: string }) => o.id)).toEqual([made[6], made[5], made[4]]);
      expect(p1.body.data.nextCursor).toBe(made[4]);
      await s.engine.orders.create(u.id, { service: 'tg', country: 7 }); // a new order while paging
      const p2 = await s.call('GET', `/api/v1/orders?limit=3&cursor=${p1.body.data.nextCursor}`, { key: u.key });
      expect(p2.body.data.items.map((o: { id: string }) => o.id)).toEqual([made[3], made[2], made[1]]);
      const p3 = await s.call('GET', `/api/v1/orders?limit=3&cursor=${p2.body.data.nextCursor}`, { key: u.key });
      expect(p3.body.data.items.map((o: { id: string }) => o.id)).toEqual([made[0]]);
      expect(p3.body.data.nextCursor).toBeNull();
      const c1 = await s.call('GET', '/api/v1/orders?status=CANCELLED&limit=1', { key: u.key });
      expect(c1.body.data.items.map((o: { id: string }) => o.id)).toEqual([made[4]]);
      const c2 = await s.call('GET', `/api/v1/orders?status=CANCELLED&limit=1&cursor=${c1.body.data.nextCursor}`, { key: u.key });
      expect(c2.body.data.items.map((o: { id: string }) => o.id)).toEqual([made[1]]);
      expect(c2.body.data.nextCursor).toBeNull();
      schemas.OrderList.parse(p1.body.data);
    });

    it('defaults to 20 items, accepts 1–100, refuses other limits, statuses and cursors', async () => {
      const u = s.createUser({ balanceCents: 100_000 });
      for (let i = 0; i < 22; i++) await s.engine.orders.create(u.id, { service: 'tg', country: 6 });
      expect((await s.call('GET', '/api/v1/orders', { key: u.key })).body.data.items).toHaveLength(20);
      expect((await s.call('GET', '/api/v1/orders?limit=1', { key: u.key })).body.data.items).toHaveLength(1);
      expect((await s.call('GET', '/api/v1/orders?limit=100', { key: u.key })).body.data.items).toHaveLength(22);
      for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'status=DONE', 'cursor=abc', 'limit=1&limit=2']) {
        expectError(await s.call('GET', `/api/v1/orders?${q}`, { key: u.key }), 400, 'BAD_REQUEST');
      }
    });
  });

  describe('routing', () => {
    it('answers 404 NOT_FOUND for unknown routes and 405 with Allow for a wrong method', async () => {
      const u = s.createUser();
      expectError(await s.call('GET', '/api/v1/nope', { key: u.key }), 404, 'NOT_FOUND');
      expectError(await s.call('GET', '/', {}), 404, 'NOT_FOUND');
      const r = await s.call('DELETE', '/api/v1/orders', { key: u.key });
      expectError(r, 405, 'METHOD_NOT_ALLOWED');
      expect(r.headers.get('allow')).toBe('POST, GET');
    });

    it('serves an OpenAPI 3.1 document covering every route', async () => {
      const r = await s.call('GET', '/api/v1/openapi.json');
      expect(r.status).toBe(200);
      expect(r.body.openapi).toBe('3.1.0');
      for (const p of [
        '/api/v1/account',
        '/api/v1/services',
        '/api/v1/countries',
        '/api/v1/prices',
        '/api/v1/orders',
        '/api/v1/orders/{id}',
        '/api/v1/orders/{id}/cancel',
        '/api/v1/orders/{id}/next-sms',
        '/admin/v1/users',
      ]) {
        expect(r.body.paths[p], p).toBeDefined();
      }
      const create = r.body.paths['/api/v1/orders'].post;
      expect(create.requestBody.content['application/json'].schema.required).toEqual(['service', 'country']);
      expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
      expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429', '503']));
    });

    it('answers /healthz without auth', async () => {
      const r = await s.call('GET', '/healthz');
      expect(r.body).toMatchObject({ ok: true, data: { status: 'ok', db: 'ok', upstream: 'memory', outboxPending: 0 } });
    });

    it('echoes a request id, or makes one', async () => {
      expect((await s.call('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
      expect((await s.call('GET', '/healthz')).headers.get('x-request-id')).toMatch(/^req_/);
    });
  });

  describe('rate limits', () => {
    it('allows 10 writes a minute per key, then 429 with Retry-After; the window slides', async () => {
      const u = s.createUser({ balanceCents: 100_000 });
      for (let i = 0; i < 10; i++) {
        const r = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 6 } });
        expect(r.status).toBe(200);
        expect(r.headers.get('ratelimit-policy')).toBe('"write";q=10;w=60');
        expect(r.headers.get('ratelimit')).toBe(`"write";r=${9 - i};t=${60 - i}`);
        s.advance(1_000);
      }
      const limited = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 6 } });
      expectError(limited, 429, 'RATE_LIMITED');
      expect(limited.headers.get('retry-after')).toBe('50');
      // writes are limited apart from reads
      expect((await s.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
      s.advance(50_000);
      expect((await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 6 } })).status).toBe(200);
    });

    it('allows 60 reads a minute and 300 polls of one order, separately', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      const order = await s.engine.orders.create(u.id, { service: 'tg', country: 7 });
      for (let i = 0; i < 60; i++) expect((await s.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
      expectError(await s.call('GET', '/api/v1/services', { key: u.key }), 429, 'RATE_LIMITED');
      const poll = await s.call('GET', `/api/v1/orders/${order.id}`, { key: u.key });
      expect(poll.status).toBe(200);
      expect(poll.headers.get('ratelimit-policy')).toBe('"poll";q=300;w=60');
    });

    it('throttles failed authentication per client address, and never refuses valid credentials', async () => {
      for (let i = 0; i < 30; i++) expect((await s.call('GET', '/api/v1/account', { key: 'jm_bad' })).status).toBe(401);
      const blocked = await s.call('GET', '/api/v1/account', { key: 'jm_bad' });
      expectError(blocked, 429, 'RATE_LIMITED');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expectError(await s.admin('GET', '/admin/v1/users', undefined, 'jma_wrong'), 429, 'RATE_LIMITED');
      // The same address with valid credentials is served while its failures are throttled.
      const u = s.createUser();
      expect((await s.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
      expect((await s.admin('GET', '/admin/v1/users')).status).toBe(200);
      s.advance(60_000);
      expectError(await s.call('GET', '/api/v1/account', { key: 'jm_bad' }), 401, 'AUTH_INVALID');
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response to the same key and body, and buys once', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      const headers = { 'idempotency-key': 'order-1' };
      const first = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 }, headers });
      const again = await s.call('POST', '/api/v1/orders', { key: u.key, body: { country: 7, service: 'tg' }, headers });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(s.upstream.calls.filter((c) => c.method === 'buy')).toHaveLength(1);
      expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(968);
    });

    it('answers 422 IDEMPOTENCY_MISMATCH to the same key with another body', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      const headers = { 'idempotency-key': 'order-2' };
      await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 }, headers });
      expectError(
        await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 6 }, headers }),
        422,
        'IDEMPOTENCY_MISMATCH',
      );
    });

    it('replays a refusal too, but lets a request that failed upstream be retried', async () => {
      const u = s.createUser({ balanceCents: 10 });
      const headers = { 'idempotency-key': 'order-3' };
      const first = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 }, headers });
      expectError(first, 400, 'INSUFFICIENT');
      const again = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 }, headers });
      expect(again.body).toEqual(first.body);
      const rich = s.createUser({ balanceCents: 1_000 });
      const { UpstreamError } = await import('../src/index.js');
      s.upstream.failNext('buy', new UpstreamError('UNAVAILABLE', 'down'));
      const failed = await s.call('POST', '/api/v1/orders', { key: rich.key, body: { service: 'tg', country: 7 }, headers });
      expectError(failed, 503, 'UPSTREAM_UNAVAILABLE');
      const retried = await s.call('POST', '/api/v1/orders', { key: rich.key, body: { service: 'tg', country: 7 }, headers });
      expect(retried.status).toBe(200);
    });

    it('keeps keys per user and forgets them after 24 hours', async () => {
      const a = s.createUser({ balanceCents: 1_000 });
      const b = s.createUser({ balanceCents: 1_000 });
      const headers = { 'idempotency-key': 'same' };
      const ra = await s.call('POST', '/api/v1/orders', { key: a.key, body: { service: 'tg', country: 7 }, headers });
      const rb = await s.call('POST', '/api/v1/orders', { key: b.key, body: { service: 'tg', country: 7 }, headers });
      expect(rb.body.data.id).not.toBe(ra.body.data.id);
      s.advance(24 * 60 * 60_000 + 1);
      const later = await s.call('POST', '/api/v1/orders', { key: a.key, body: { service: 'tg', country: 7 }, headers });
      expect(later.body.data.id).not.toBe(ra.body.data.id);
    });

    it('refuses malformed keys', async () => {
      const u = s.createUser({ balanceCents: 1_000 });
      expectError(
        await s.call('POST', '/api/v1/orders', {
          key: u.key,
          body: { service: 'tg', country: 7 },
          headers: { 'idempotency-key': 'has space' },
        }),
        400,
        'BAD_REQUEST',
      );
    });
  });
});
