/**
 * The contract as an integrator in another language meets it (docs/decisions.md D86): a client
 * generated from docs/openapi.json (openapi-typescript types, openapi-fetch) type-checks strictly
 * and runs the public API's typical workflow against the real `jiema serve` binary, error paths
 * included. The SMS comes from the simulator's control API, through a client generated from its
 * own document. Every response is also checked against the documents by the suite-wide check.
 */
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import { useServe } from '../helpers.js';
import type { paths } from './jiema-api.generated.js';
import type { paths as simPaths } from './simulator-api.generated.js';

const s = useServe(['--ephemeral', '--clock', 'manual']);
const apiFor = (key?: string) => createClient<paths>({ baseUrl: s.url, ...(key && { headers: { Authorization: `Bearer ${key}` } }) });
const control = () => createClient<simPaths>({ baseUrl: s.url, headers: { 'X-Admin-Token': s.adminToken } });

/** A user of the simulator with a balance and a key: a fresh per-key rate limit each. */
async function newUser(balanceCents = 1_000): Promise<string> {
  const { data } = await control().POST('/_sim/v1/users', { body: { balanceCents } });
  return data!.data.apiKey;
}

describe('a client generated from docs/openapi.json', () => {
  it('runs the typical workflow: account, catalogue, order, SMS, next SMS, cancel, pages', async () => {
    const api = apiFor(await newUser(1_000));

    const account = await api.GET('/api/v1/account');
    expect(account.response.status).toBe(200);
    const balance: string = account.data!.data.balanceCents;
    expect(balance).toBe('1000');

    const services = await api.GET('/api/v1/services');
    expect(services.data!.data.items.find((i) => i.code === 'tg')).toMatchObject({ slug: 'telegram' });
    const countries = await api.GET('/api/v1/countries');
    expect(countries.data!.data.items.find((c) => c.slug === 'my')?.id).toBe(7);
    const prices = await api.GET('/api/v1/prices', { params: { query: { service: 'tg' } } });
    const my = prices.data!.data.items.find((p) => p.countrySlug === 'my')!;

    const created = await api.POST('/api/v1/orders', { body: { service: 'tg', country: 'my' } });
    const order = created.data!.data;
    expect(order).toMatchObject({ status: 'WAITING', service: 'tg', country: '7', chargedCents: my.priceCents, smsBody: null });

    const waiting = await api.GET('/api/v1/orders/{id}', { params: { path: { id: order.id } } });
    expect(waiting.data!.data.status).toBe('WAITING');

    const sms = await control().POST('/_sim/v1/orders/{id}/sms', {
      params: { path: { id: order.id } },
      body: { body: 'Telegram code: 40123' },
    });
    expect(sms.data!.data.code).toBe('40123');
    const received = await api.GET('/api/v1/orders/{id}', { params: { path: { id: order.id } } });
    expect(received.data!.data).toMatchObject({ status: 'RECEIVED', smsBody: 'Telegram code: 40123', smsCode: '40123' });

    // cancel and next-sms take no body: the generated client compiles without one.
    const next = await api.POST('/api/v1/orders/{id}/next-sms', { params: { path: { id: order.id } } });
    expect(next.data!.data).toEqual({ id: order.id, status: 'WAITING' });

    const second = (await api.POST('/api/v1/orders', { body: { service: 'telegram', country: 6 } })).data!.data;
    const cancelled = await api.POST('/api/v1/orders/{id}/cancel', { params: { path: { id: second.id } }, body: {} });
    expect(cancelled.data!.data).toEqual({ id: second.id, status: 'CANCELLED' });

    const page1 = (await api.GET('/api/v1/orders', { params: { query: { limit: 1 } } })).data!.data;
    expect(page1.items.map((o) => o.id)).toEqual([second.id]);
    const page2 = (await api.GET('/api/v1/orders', { params: { query: { limit: 1, cursor: page1.nextCursor! } } })).data!.data;
    expect(page2.items.map((o) => o.id)).toEqual([order.id]);
    expect(page2.nextCursor).toBeNull();
    const waitingOnly = (await api.GET('/api/v1/orders', { params: { query: { status: 'WAITING' } } })).data!.data;
    expect(waitingOnly.items.map((o) => o.id)).toEqual([order.id]);
  });

  it('gets the documented errors: 401, 404, 400 codes, 422 and 429', async () => {
    const key = await newUser(1_000);
    const api = apiFor(key);

    const anonymous = await apiFor().GET('/api/v1/account');
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.error!.code).toBe('AUTH_MISSING');
    // One character changed: the last one, to a different character (a key may already end in x).
    const revoked = await apiFor(`${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`).GET('/api/v1/account');
    expect(revoked.error!.code).toBe('AUTH_INVALID');

    const missing = await api.GET('/api/v1/orders/{id}', { params: { path: { id: 'ck0000000000000000000000000' } } });
    expect([missing.response.status, missing.error!.code]).toEqual([404, 'NOT_FOUND']);

    const badService = await api.POST('/api/v1/orders', { body: { service: 'nope', country: 7 } });
    expect([badService.response.status, badService.error!.code]).toEqual([400, 'BAD_SERVICE']);
    const badCountry = await api.POST('/api/v1/orders', { body: { service: 'tg', country: 'atlantis' } });
    expect(badCountry.error!.code).toBe('BAD_COUNTRY');
    const noService = await api.GET('/api/v1/prices', { params: { query: { service: '' } } });
    expect(noService.error!.code).toBe('BAD_REQUEST');

    const order = (await api.POST('/api/v1/orders', { body: { service: 'tg', country: 7 } })).data!.data;
    const notReceived = await api.POST('/api/v1/orders/{id}/next-sms', { params: { path: { id: order.id } } });
    expect([notReceived.response.status, notReceived.error!.code]).toEqual([400, 'BAD_STATUS']);
    await control().POST('/_sim/v1/orders/{id}/sms', { params: { path: { id: order.id } }, body: {} });
    const tooLate = await api.POST('/api/v1/orders/{id}/cancel', { params: { path: { id: order.id } } });
    expect(tooLate.error!.code).toBe('CODE_RECEIVED');

    const headers = { 'Idempotency-Key': 'checkout-1' };
    const first = await api.POST('/api/v1/orders', { params: { header: headers }, body: { service: 'tg', country: 7 } });
    const replay = await api.POST('/api/v1/orders', { params: { header: headers }, body: { service: 'tg', country: 7 } });
    expect(replay.response.headers.get('Idempotent-Replayed')).toBe('true');
    expect(replay.data!.data.id).toBe(first.data!.data.id);
    const mismatch = await api.POST('/api/v1/orders', { params: { header: headers }, body: { service: 'tg', country: 6 } });
    expect([mismatch.response.status, mismatch.error!.code]).toEqual([422, 'IDEMPOTENCY_MISMATCH']);

    const writer = apiFor(await newUser(0));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await writer.POST('/api/v1/orders/{id}/cancel', { params: { path: { id: 'ck0000000000000000000000000' } } })).response.status,
      );
    expect(statuses).toEqual([...Array<number>(10).fill(404), 429]);
    const limited = await writer.POST('/api/v1/orders/{id}/cancel', { params: { path: { id: 'ck0000000000000000000000000' } } });
    expect(limited.error!.code).toBe('RATE_LIMITED');
    expect(Number(limited.response.headers.get('Retry-After'))).toBeGreaterThan(0);
  });

  it('types the contract strictly: bodies the API refuses do not compile', async () => {
    const api = apiFor(await newUser());
    const id = 'ck0000000000000000000000000';
    // @ts-expect-error cancel takes no fields
    await api.POST('/api/v1/orders/{id}/cancel', { params: { path: { id } }, body: { reason: 'x' } });
    // @ts-expect-error an order needs a country
    await api.POST('/api/v1/orders', { body: { service: 'tg' } });
    // @ts-expect-error no such path
    await api.GET('/api/v1/nothing');
    const r = await api.GET('/api/v1/account');
    // The error side is the documented error envelope, its code one of the documented ones.
    type AccountErrorCode =
      | 'AUTH_MISSING'
      | 'AUTH_INVALID'
      | 'FORBIDDEN'
      | 'BAD_REQUEST'
      | 'REQUEST_TIMEOUT'
      | 'PAYLOAD_TOO_LARGE'
      | 'UNSUPPORTED_MEDIA_TYPE'
      | 'RATE_LIMITED'
      | 'INTERNAL'
      | 'STORAGE_UNAVAILABLE';
    const code: AccountErrorCode | undefined = r.error?.code;
    // @ts-expect-error an account read never answers a code of the order routes
    const notOurs: Exclude<typeof code, undefined> = 'CODE_RECEIVED';
    void notOurs;
    expect(code).toBeUndefined();
  });
});
