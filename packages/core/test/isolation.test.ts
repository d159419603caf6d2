/**
 * Engines side by side in one process share nothing: two servers on the same seed mint the same
 * order ids, and each still answers with its own order.
 */
import { describe, expect, it } from 'vitest';
import { useTestServers } from '../src/testing.js';

const start = useTestServers();

describe('engines side by side', () => {
  it('answer polls with their own orders even when the ids are the same', async () => {
    const a = await start({ seed: 5 });
    const b = await start({ seed: 5 });
    const ua = a.createUser();
    const ub = b.createUser();
    expect(ub.id).toBe(ua.id);
    const oa = (await a.call('POST', '/api/v1/orders', { key: ua.key, body: { service: 'tg', country: 7 } })).body.data;
    const ob = (await b.call('POST', '/api/v1/orders', { key: ub.key, body: { service: 'tg', country: 7 } })).body.data;
    expect(ob.id).toBe(oa.id);
    a.upstream.deliverSms(a.activationOf(oa.id), 'code 111111');
    b.upstream.deliverSms(b.activationOf(ob.id), 'code 222222');
    expect((await a.call('GET', `/api/v1/orders/${oa.id}`, { key: ua.key })).body.data.smsCode).toBe('111111');
    expect((await b.call('GET', `/api/v1/orders/${ob.id}`, { key: ub.key })).body.data.smsCode).toBe('222222');
    expect((await a.call('GET', `/api/v1/orders/${oa.id}`, { key: ua.key })).body.data.smsCode).toBe('111111');
  });
});
