/**
 * The 5sim facade: user routes behind a bearer token, guest routes open, 5sim's order objects,
 * statuses and lowercase errors.
 */
import { describe, expect, it } from 'vitest';
import { QUIET, request, useSim } from './helpers.js';

const t = useSim({ behaviour: QUIET });

const user = (path: string, token: string | null = t.sim.upstreamApiKey) =>
  request(`${t.sim.url}/v1/user/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const guest = (path: string) => request(`${t.sim.url}/v1/guest/${path}`);

describe('5sim facade', () => {
  it('refuses user routes without the token', async () => {
    expect((await user('profile', null)).status).toBe(401);
    expect((await user('profile', 'nope')).status).toBe(401);
  });

  it('shows the profile with the balance', async () => {
    expect((await user('profile')).body).toMatchObject({ balance: 1000, default_country: { name: 'any' } });
  });

  it('buys by country and product name, and follows the order to FINISHED', async () => {
    const bought = await user('buy/activation/malaysia/any/telegram');
    expect(bought.status).toBe(200);
    expect(bought.body).toMatchObject({
      phone: expect.stringMatching(/^\+6012\d{7}$/),
      product: 'telegram',
      price: 0.2133,
      status: 'RECEIVED',
      sms: [],
      country: 'malaysia',
    });
    const id = String(bought.body.id);
    t.sim.world.upstream.deliverSms(id, 'Telegram code: 41235');
    const checked = await user(`check/${id}`);
    expect(checked.body.sms).toEqual([expect.objectContaining({ text: 'Telegram code: 41235', code: '41235' })]);
    expect((await user(`cancel/${id}`)).text).toBe('order has sms');
    expect((await user(`finish/${id}`)).body.status).toBe('FINISHED');
    expect((await user('orders?category=activation')).body).toMatchObject({ Total: 1, Data: [{ status: 'FINISHED' }] });
  });

  it('denies an early cancel, then cancels after the hold', async () => {
    const id = String((await user('buy/activation/england/any/telegram')).body.id);
    expect(await user(`cancel/${id}`)).toMatchObject({ status: 400, text: 'you need to wait time' });
    await t.sim.advance(121_000);
    expect((await user(`cancel/${id}`)).body.status).toBe('CANCELED');
  });

  it('answers its lowercase errors', async () => {
    expect(await user('buy/activation/atlantis/any/telegram')).toMatchObject({ status: 400, text: 'bad country' });
    expect(await user('buy/activation/malaysia/any/nothing')).toMatchObject({ status: 400, text: 'no product' });
    expect(await user('buy/activation/malaysia/mts/telegram')).toMatchObject({ status: 400, text: 'bad operator' });
    t.sim.setStock('tg', 7, 0);
    expect(await user('buy/activation/malaysia/any/telegram')).toMatchObject({ status: 400, text: 'no free phones' });
    expect(await user('check/123')).toMatchObject({ status: 404, text: 'order not found' });
    expect(await user('check/abc')).toMatchObject({ status: 404, text: 'order not found' });
  });

  it('serves guest prices, countries and products', async () => {
    const prices = (await guest('prices?country=malaysia&product=telegram')).body;
    expect(prices).toEqual({ malaysia: { telegram: { virtual21: { cost: 0.2133, count: 540, rate: 90 } } } });
    expect((await guest('countries')).body.england).toMatchObject({ text_en: 'United Kingdom' });
    expect((await guest('products/malaysia/any')).body.telegram).toEqual({ Category: 'activation', Qty: 540, Price: 0.2133 });
    expect(await guest('products/atlantis/any')).toMatchObject({ status: 400, text: 'bad country' });
  });

  it('shows a garbage fault as an HTML 502', async () => {
    t.sim.faults.arm({ kind: 'garbage', method: 'getBalance', count: 1 });
    const r = await user('profile');
    expect(r.status).toBe(502);
    expect(r.text).toContain('502 Bad Gateway');
  });
});
