/**
 * FiveSimUpstream against exact 5sim replies over real HTTP, the name mapping, the order
 * status mapping and the local next-SMS marker.
 */
import { ManualClock, type FiveSimUpstream } from '@jiema/core';
import { describe, expect, it } from 'vitest';
import { fiveSim, sharedSimulator, upstreamCalls } from './harness.js';

const t = sharedSimulator();
let adapter: FiveSimUpstream;

const order = (status: string, sms: unknown[] = []) =>
  JSON.stringify({
    id: 77,
    phone: '+60123456789',
    operator: 'virtual21',
    product: 'telegram',
    price: 0.2,
    status,
    expires: '2026-01-01T00:15:00Z',
    sms,
    created_at: '2026-01-01T00:00:00Z',
    country: 'malaysia',
  });

const settle = <T>(p: Promise<T>) =>
  p.then(
    (v) => (v === undefined ? 'ok' : v),
    (e: { kind?: string }) => ({ error: e.kind }),
  );

describe('FiveSimUpstream: exact replies over HTTP', () => {
  it.each([
    ['buy', order('PENDING'), 200, { activationId: '77', phone: '60123456789' }],
    ['buy', 'no free phones', 400, { error: 'NO_NUMBERS' }],
    ['buy', 'not enough user balance', 400, { error: 'NO_BALANCE' }],
    ['buy', 'not enough rating', 400, { error: 'BANNED' }],
    ['buy', 'Unauthorized', 401, { error: 'AUTH' }],
    ['buy', '<html><body><h1>502 Bad Gateway</h1></body></html>', 502, { error: 'TIMEOUT' }],
    ['buy', '', 200, { error: 'TIMEOUT' }],
    ['buy', '{"unexpected":true}', 200, { error: 'TIMEOUT' }],
    ['getStatus', order('PENDING'), 200, { state: 'WAITING', messages: [] }],
    ['getStatus', order('TIMEOUT'), 200, { state: 'CLOSED', messages: [] }],
    ['getStatus', order('BANNED'), 200, { state: 'CLOSED', messages: [] }],
    ['getStatus', order('SOMETHING'), 200, { error: 'PROTOCOL' }],
    ['getStatus', 'order not found', 404, { error: 'NO_ACTIVATION' }],
    ['getStatus', 'server offline', 503, { error: 'UNAVAILABLE' }],
    ['cancel', 'you need to wait time', 400, { error: 'EARLY_CANCEL_DENIED' }],
    ['cancel', 'order has sms', 400, { error: 'CODE_RECEIVED' }],
    ['cancel', 'order expired', 400, { error: 'NO_ACTIVATION' }],
    ['cancel', order('CANCELED'), 200, 'ok'],
    ['finish', 'order no sms', 400, { error: 'BAD_STATUS' }],
    ['getBalance', '{"id":1,"balance":17.154,"rating":96}', 200, { amount: '17.154' }],
    ['getBalance', 'api limit is 100 requests per second', 429, { error: 'UNAVAILABLE' }],
  ] as const)('%s answered %j (HTTP %i) gives %j', async (method, body, status, expected) => {
    adapter = t.track(fiveSim(t.sim, new ManualClock(t.sim.now())));
    t.sim.faults.arm({ kind: 'reply', body, status, method, count: 1 });
    const call =
      method === 'buy'
        ? adapter.buy({ service: 'tg', country: 7 })
        : method === 'getBalance'
          ? adapter.getBalance()
          : adapter[method]('77');
    expect(await settle(call as Promise<unknown>)).toEqual(expected);
  });

  it('reads every SMS of an order with stable keys and its own timestamps', async () => {
    adapter = t.track(fiveSim(t.sim, new ManualClock(t.sim.now())));
    const sms = [
      { created_at: '2026-01-01T00:00:05Z', date: '2026-01-01T00:00:05Z', sender: 'telegram', text: 'Telegram code: 41235', code: '41235' },
      { created_at: '2026-01-01T00:01:00Z', date: '2026-01-01T00:01:00Z', sender: 'telegram', text: 'Telegram code: 99881', code: '' },
    ];
    t.sim.faults.arm({ kind: 'reply', body: order('RECEIVED', sms), method: 'getStatus', count: 2 });
    const a = await adapter.getStatus('77');
    const b = await adapter.getStatus('77');
    expect(a.state).toBe('RECEIVED');
    expect(a.messages).toEqual([
      { key: expect.stringMatching(/^77-/), text: 'Telegram code: 41235', code: '41235', receivedAt: Date.UTC(2026, 0, 1, 0, 0, 5) },
      { key: expect.stringMatching(/^77-/), text: 'Telegram code: 99881', code: null, receivedAt: Date.UTC(2026, 0, 1, 0, 1, 0) },
    ]);
    expect(b.messages.map((m) => m.key)).toEqual(a.messages.map((m) => m.key));
    expect(a.messages[0]!.key).not.toBe(a.messages[1]!.key);
  });

  it('refuses unmapped services and countries locally, without a call', async () => {
    adapter = t.track(fiveSim(t.sim, new ManualClock(t.sim.now())));
    const buys = upstreamCalls(t.sim, 'buy');
    await expect(adapter.buy({ service: 'zz', country: 7 })).rejects.toMatchObject({ kind: 'BAD_SERVICE' });
    await expect(adapter.buy({ service: 'tg', country: 4242 })).rejects.toMatchObject({ kind: 'BAD_COUNTRY' });
    expect(upstreamCalls(t.sim, 'buy')).toBe(buys);
  });

  it("maps 5sim's names onto our ids and codes, with exceptions, ISO codes and operator overrides", async () => {
    adapter = t.track(fiveSim(t.sim, new ManualClock(t.sim.now())));
    const cat = await adapter.getCatalogue();
    expect(cat.countries).toContainEqual({ id: 16, name: 'United Kingdom' });
    expect(cat.countries).toContainEqual({ id: 187, name: 'United States' });
    expect(cat.offers).toContainEqual({ service: 'tg', country: 7, cost: '0.2133', count: expect.any(Number) });
    expect(cat.services).toContainEqual({ code: 'tg', name: 'Telegram' });
    expect(adapter.names.countryName(16)).toBe('england');
    adapter.names.learnCountries({ czech: { iso: { cz: 1 }, text_en: 'Czech Republic' } });
    expect(adapter.names.countryName(63)).toBe('czech');
    expect(adapter.names.countryId('czech')).toBe(63);
    adapter = t.track(fiveSim(t.sim, new ManualClock(t.sim.now()), { names: { countries: { ceska: 63 }, products: { tgram: 'tg' } } }));
    adapter.names.learnCountries({ czech: { iso: { cz: 1 } } });
    expect(adapter.names.countryName(63)).toBe('ceska');
    expect(adapter.names.product('tg')).toBe('tgram');
  });

  it('shows an order as WAITING after a next-SMS request until a newer SMS arrives', async () => {
    adapter = t.track(fiveSim(t.sim, new ManualClock(t.sim.now())));
    const a = await adapter.buy({ service: 'tg', country: 7 });
    await expect(adapter.requestNextSms(a.activationId)).rejects.toMatchObject({ kind: 'BAD_STATUS' });
    t.sim.world.upstream.deliverSms(a.activationId, 'Telegram code: 11111');
    expect((await adapter.getStatus(a.activationId)).state).toBe('RECEIVED');
    await adapter.requestNextSms(a.activationId);
    expect((await adapter.getStatus(a.activationId)).state).toBe('WAITING');
    t.sim.world.upstream.deliverSms(a.activationId, 'Telegram code: 22222');
    const s = await adapter.getStatus(a.activationId);
    expect(s.state).toBe('RECEIVED');
    expect(s.messages.map((m) => m.code)).toEqual(['11111', '22222']);
    await adapter.finish(a.activationId);
    expect((await adapter.getStatus(a.activationId)).state).toBe('CLOSED');
    await expect(adapter.requestNextSms(a.activationId)).rejects.toMatchObject({ kind: 'NO_ACTIVATION' });
  });
});
