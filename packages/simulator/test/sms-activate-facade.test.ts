/**
 * The SMS-Activate-family facade: every action, reply and error token of the reference, in the
 * "always HTTP 200" and "status-coded" modes, and faults as wire behaviour.
 */
import { describe, expect, it } from 'vitest';
import { QUIET, useSim } from './helpers.js';

const t = useSim({ behaviour: QUIET });

async function sa(params: Record<string, string | number>, opts: { key?: string | null; method?: 'GET' | 'POST' } = {}) {
  const q = new URLSearchParams();
  if (opts.key !== null) q.set('api_key', opts.key ?? t.sim.upstreamApiKey);
  for (const [k, v] of Object.entries(params)) q.set(k, String(v));
  const res =
    opts.method === 'POST'
      ? await fetch(`${t.sim.url}/stubs/handler_api.php`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: q.toString(),
        })
      : await fetch(`${t.sim.url}/stubs/handler_api.php?${q.toString()}`);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

const buyText = async () => {
  const r = await sa({ action: 'getNumber', service: 'tg', country: 7 });
  const [, id, phone] = r.text.split(':');
  return { id: id!, phone: phone! };
};

describe('SMS-Activate facade', () => {
  it('answers NO_KEY, BAD_KEY and BAD_ACTION', async () => {
    expect((await sa({ action: 'getBalance' }, { key: null })).text).toBe('NO_KEY');
    expect((await sa({ action: 'getBalance' }, { key: 'wrong' })).text).toBe('BAD_KEY');
    expect((await sa({ action: 'getBalanceX' })).text).toBe('BAD_ACTION');
    expect((await sa({})).text).toBe('BAD_ACTION');
  });

  it('reports the balance', async () => {
    expect(await sa({ action: 'getBalance' })).toMatchObject({ status: 200, text: 'ACCESS_BALANCE:1000' });
  });

  it('sells a number as ACCESS_NUMBER:id:phone, and as JSON from getNumberV2', async () => {
    const r = await sa({ action: 'getNumber', service: 'tg', country: 7 });
    expect(r.text).toMatch(/^ACCESS_NUMBER:\d+:6012\d{7}$/);
    const v2 = JSON.parse((await sa({ action: 'getNumberV2', service: 'tg', country: 7 })).text);
    expect(v2).toEqual({
      activationId: expect.any(Number),
      phoneNumber: expect.stringMatching(/^60\d+$/),
      activationCost: 0.2133,
      currency: 840,
      countryCode: '7',
      canGetAnotherSms: '1',
      activationTime: '2026-01-01 00:00:00',
      activationOperator: 'any',
    });
    expect((await sa({ action: 'getBalance' })).text).toBe('ACCESS_BALANCE:999.5734');
  });

  it('refuses unknown services, bad countries, empty stock and an empty balance', async () => {
    expect((await sa({ action: 'getNumber', service: 'zz', country: 7 })).text).toBe('BAD_SERVICE');
    expect((await sa({ action: 'getNumber', country: 7 })).text).toBe('BAD_SERVICE');
    expect((await sa({ action: 'getNumber', service: 'tg', country: 'my' })).text).toBe('BAD_COUNTRY');
    expect((await sa({ action: 'getNumber', service: 'tg', country: 4242 })).text).toBe('BAD_COUNTRY');
    t.sim.setStock('tg', 7, 0);
    expect((await sa({ action: 'getNumber', service: 'tg', country: 7 })).text).toBe('NO_NUMBERS');
    t.sim.world.upstream.setBalance('0.01');
    expect((await sa({ action: 'getNumber', service: 'tg', country: 6 })).text).toBe('NO_BALANCE');
  });

  it('walks the lifecycle: WAIT_CODE, OK:code, RETRY_GET, WAIT_RETRY:prev, OK:new, ACTIVATION, CANCEL', async () => {
    const { id } = await buyText();
    expect((await sa({ action: 'getStatus', id })).text).toBe('STATUS_WAIT_CODE');
    expect(JSON.parse((await sa({ action: 'getStatusV2', id })).text)).toEqual({ verificationType: 0, sms: null, call: null });
    t.sim.world.upstream.deliverSms(id, 'Telegram code: 12:34 is not a code, 55123 is');
    expect((await sa({ action: 'getStatus', id })).text).toBe('STATUS_OK:55123');
    expect(JSON.parse((await sa({ action: 'getStatusV2', id })).text)).toEqual({
      verificationType: 0,
      sms: { dateTime: '2026-01-01 00:00:00', code: '55123', text: 'Telegram code: 12:34 is not a code, 55123 is' },
      call: null,
    });
    expect((await sa({ action: 'getFullSms', id })).text).toBe('FULL_SMS:Telegram code: 12:34 is not a code, 55123 is');
    expect((await sa({ action: 'setStatus', id, status: 1 })).text).toBe('ACCESS_READY');
    expect((await sa({ action: 'setStatus', id, status: 3 })).text).toBe('ACCESS_RETRY_GET');
    expect((await sa({ action: 'getStatus', id })).text).toBe('STATUS_WAIT_RETRY:55123');
    t.sim.world.upstream.deliverSms(id, 'Telegram code: 66789');
    expect((await sa({ action: 'getStatus', id })).text).toBe('STATUS_OK:66789');
    expect((await sa({ action: 'setStatus', id, status: 8 })).text).toBe('BAD_STATUS');
    expect((await sa({ action: 'setStatus', id, status: 6 })).text).toBe('ACCESS_ACTIVATION');
    expect((await sa({ action: 'getStatus', id })).text).toBe('STATUS_CANCEL');
    expect((await sa({ action: 'getStatusV2', id })).text).toBe('STATUS_CANCEL');
    expect((await sa({ action: 'setStatus', id, status: 6 })).text).toBe('NO_ACTIVATION');
  });

  it('denies an early cancel, then cancels after the hold (8, and the legacy -1)', async () => {
    const a = await buyText();
    const b = await buyText();
    expect((await sa({ action: 'setStatus', id: a.id, status: 8 })).text).toBe('EARLY_CANCEL_DENIED');
    await t.sim.advance(121_000);
    expect((await sa({ action: 'setStatus', id: a.id, status: 8 })).text).toBe('ACCESS_CANCEL');
    expect((await sa({ action: 'setStatus', id: b.id, status: -1 })).text).toBe('ACCESS_CANCEL');
    expect((await sa({ action: 'getBalance' })).text).toBe('ACCESS_BALANCE:1000');
  });

  it('refuses bad ids, unknown ids and bad statuses', async () => {
    const { id } = await buyText();
    expect((await sa({ action: 'getStatus', id: 'abc' })).text).toBe('WRONG_ACTIVATION_ID');
    expect((await sa({ action: 'getStatus' })).text).toBe('WRONG_ACTIVATION_ID');
    expect((await sa({ action: 'getStatus', id: 999 })).text).toBe('NO_ACTIVATION');
    expect((await sa({ action: 'setStatus', id, status: 9 })).text).toBe('BAD_STATUS');
    expect((await sa({ action: 'setStatus', id, status: 3 })).text).toBe('BAD_STATUS');
  });

  it('lists active activations, and NO_ACTIVATIONS as JSON when there are none', async () => {
    expect(JSON.parse((await sa({ action: 'getActiveActivations' })).text)).toEqual({ status: 'error', error: 'NO_ACTIVATIONS' });
    const { id, phone } = await buyText();
    const list = JSON.parse((await sa({ action: 'getActiveActivations' })).text);
    expect(list.status).toBe('success');
    expect(list.activeActivations).toEqual([
      expect.objectContaining({
        activationId: id,
        serviceCode: 'tg',
        phoneNumber: phone,
        activationCost: '0.2133',
        countryCode: '7',
        countryName: 'Malaysia',
        smsCode: null,
        smsText: null,
      }),
    ]);
  });

  it('serves the catalogue: countries by id, services, prices (both filters and errors), stock by service', async () => {
    const countries = JSON.parse((await sa({ action: 'getCountries' })).text);
    expect(countries['7']).toMatchObject({ id: 7, eng: 'Malaysia', visible: 1 });
    const services = JSON.parse((await sa({ action: 'getServicesList' })).text);
    expect(services.status).toBe('success');
    expect(services.services).toContainEqual({ code: 'tg', name: 'Telegram' });
    const prices = JSON.parse((await sa({ action: 'getPrices', service: 'tg', country: 7 })).text);
    expect(prices).toEqual({ 7: { tg: { cost: 0.2133, count: 540, physicalCount: 540 } } });
    expect(Object.keys(JSON.parse((await sa({ action: 'getPrices', service: 'tg' })).text)).length).toBeGreaterThan(20);
    expect(JSON.parse((await sa({ action: 'getPrices', service: 'zz' })).text)).toEqual({ status: 'false', msg: 'service is incorrect' });
    expect(JSON.parse((await sa({ action: 'getPrices', country: 4242 })).text)).toEqual({ status: 'false', msg: 'country is incorrect' });
    const stock = JSON.parse((await sa({ action: 'getNumbersStatus', country: 7 })).text);
    expect(stock.tg_0).toBe(540);
  });

  it('takes its parameters from a POST form body too', async () => {
    expect((await sa({ action: 'getBalance' }, { method: 'POST' })).text).toBe('ACCESS_BALANCE:1000');
  });

  it('answers errors with HTTP 200 by default and with status codes in status mode', async () => {
    expect((await sa({ action: 'getBalance' }, { key: 'wrong' })).status).toBe(200);
    await t.control('PUT', '/_sim/v1/facade', { mode: 'status' });
    const expectations: Array<[Record<string, string | number>, string | null | undefined, number, string]> = [
      [{ action: 'getBalance' }, 'wrong', 401, 'BAD_KEY'],
      [{ action: 'getBalance' }, null, 401, 'NO_KEY'],
      [{ action: 'nope' }, undefined, 400, 'BAD_ACTION'],
      [{ action: 'getNumber', service: 'zz', country: 7 }, undefined, 422, 'BAD_SERVICE'],
      [{ action: 'getStatus', id: 999 }, undefined, 404, 'NO_ACTIVATION'],
    ];
    for (const [params, key, status, text] of expectations) {
      expect(await sa(params, { key })).toMatchObject({ status, text });
    }
    const { id } = await buyText();
    expect(await sa({ action: 'setStatus', id, status: 8 })).toMatchObject({ status: 403, text: 'EARLY_CANCEL_DENIED' });
    t.sim.setStock('tg', 7, 0);
    expect(await sa({ action: 'getNumber', service: 'tg', country: 7 })).toMatchObject({ status: 404, text: 'NO_NUMBERS' });
    expect(await sa({ action: 'getBalance' })).toMatchObject({ status: 200, text: 'ACCESS_BALANCE:999.7867' });
  });

  it('shows faults as the wire would: ERROR_SQL, an HTML 502 page, a connection that never answers', async () => {
    t.sim.faults.arm({ kind: 'error', error: 'UNAVAILABLE', method: 'getBalance', count: 1 });
    expect((await sa({ action: 'getBalance' })).text).toBe('ERROR_SQL');
    t.sim.faults.arm({ kind: 'garbage', method: 'getBalance', count: 1 });
    const garbage = await sa({ action: 'getBalance' });
    expect(garbage.status).toBe(502);
    expect(garbage.type).toContain('text/html');
    expect(garbage.text).toContain('<h1>502 Bad Gateway</h1>');
    t.sim.faults.arm({ kind: 'timeout', method: 'getBalance', count: 1 });
    const err = await fetch(`${t.sim.url}/stubs/handler_api.php?api_key=${t.sim.upstreamApiKey}&action=getBalance`, {
      signal: AbortSignal.timeout(300),
    }).then(
      () => undefined,
      (e: Error) => e.name,
    );
    expect(err).toBe('TimeoutError');
    expect((await sa({ action: 'getBalance' })).text).toBe('ACCESS_BALANCE:1000');
  });

  it('answers WRONG_MAX_PRICE:<min> when maxPrice is below the cost, and sells at or above it', async () => {
    expect(await sa({ action: 'getNumber', service: 'tg', country: 7, maxPrice: '0.1' })).toMatchObject({ text: 'WRONG_MAX_PRICE:0.2133' });
    expect((await sa({ action: 'getNumber', service: 'tg', country: 7, maxPrice: '0.2133' })).text).toMatch(/^ACCESS_NUMBER:/);
  });

  it('answers BANNED with its date when the account is banned', async () => {
    t.sim.faults.arm({ kind: 'error', error: 'BANNED', method: 'buy', count: 1 });
    expect((await sa({ action: 'getNumber', service: 'tg', country: 7 })).text).toBe("BANNED:'2027-01-01 00-00-00'");
  });

  it.each([
    ['CHANNELS_LIMIT', 200],
    ['ORDER_ALREADY_EXISTS', 200],
    ['STATUS_WAIT_RESEND', 200],
    ['ACCESS_NUMBER: 1: 79990001122', 200],
    ['STATUS_OK:12:34', 200],
    ['ACCESS_BALANCE:17.154\r\n', 200],
    ['', 200],
    ['{"status":"false","msg":"service is incorrect"}', 200],
    ['{"error":"NO_NUMBERS","message":"There are no free numbers"}', 200],
    ['{"title":"UNPROCESSABLE_ENTITY","details":"Validation failed"}', 422],
    ['SOMETHING_NEW', 200],
  ])('answers any exact reply a real upstream might send: %j (HTTP %i)', async (body, status) => {
    t.sim.faults.arm({ kind: 'reply', body, status, method: '*', count: 1 });
    const r = await sa({ action: 'getBalance' });
    expect(r).toMatchObject({ status, text: body });
  });
});
