/**
 * One SMS, one code (docs/decisions.md D48): the same text gives the same `smsCode` and status
 * whichever way it reaches an order — the in-process simulator, the SMS-Activate adapter against
 * the facade in both of its error modes, and the 5sim adapter against its facade.
 */
import { extractCode } from '@jiema/core';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/index.js';
import { QUIET, request } from '../helpers.js';
import { quietSimulator, startEngineOn } from './harness.js';

const TEXTS = [
  'Your code is 123-456',
  'G-482913 is your Google verification code.',
  'Telegram code: 41827. Do not give this code to anyone!',
  'Your WhatsApp code: 734 921',
  'Hello! There is no code in this message.',
];

/** smsCode and status of an order after `text` reaches it, in-process. */
async function inProcess(text: string): Promise<{ smsCode: string | null; status: string }> {
  const sim = await startSimulator({ seed: 5, clock: 'manual', behaviour: QUIET });
  try {
    const u = sim.createUser();
    const o = (
      await request(`${sim.url}/api/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${u.apiKey}` },
        body: { service: 'tg', country: 7 },
      })
    ).body.data;
    await sim.deliverSms(o.id, text);
    const got = (await request(`${sim.url}/api/v1/orders/${o.id}`, { headers: { authorization: `Bearer ${u.apiKey}` } })).body.data;
    return { smsCode: got.smsCode, status: got.status };
  } finally {
    await sim.close();
  }
}

async function throughAdapter(
  vendor: 'sms-activate' | '5sim',
  mode: 'always200' | 'status',
  text: string,
): Promise<{ smsCode: string | null; status: string }> {
  const sim = await quietSimulator(mode);
  const e = await startEngineOn(sim, { vendor });
  try {
    const u = e.user(1_000);
    const o = (await e.call('POST', '/api/v1/orders', u.key, { service: 'tg', country: 7 })).body.data;
    sim.world.upstream.deliverSms(e.activationOf(o.id), text);
    const got = (await e.call('GET', `/api/v1/orders/${o.id}`, u.key)).body.data;
    return { smsCode: got.smsCode, status: got.status };
  } finally {
    await e.close();
    await sim.close();
  }
}

describe('the SMS code', () => {
  for (const text of TEXTS) {
    it(`is the same on every path for ${JSON.stringify(text)}`, async () => {
      const want = { smsCode: extractCode(text), status: 'RECEIVED' };
      expect(await inProcess(text)).toEqual(want);
      expect(await throughAdapter('sms-activate', 'always200', text)).toEqual(want);
      expect(await throughAdapter('sms-activate', 'status', text)).toEqual(want);
      expect(await throughAdapter('5sim', 'always200', text)).toEqual(want);
    });
  }

  it('reads "123-456" and "734 921" as one code', () => {
    expect(extractCode('Your code is 123-456')).toBe('123456');
    expect(extractCode('Your WhatsApp code: 734 921')).toBe('734921');
    expect(extractCode('no digits')).toBeNull();
  });

  it('is the code the facade sends as the STATUS_OK payload, or "Нет кода" when there is none', async () => {
    const sim = await quietSimulator();
    try {
      const u = sim.createUser();
      const o = (
        await request(`${sim.url}/api/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${u.apiKey}` },
          body: { service: 'tg', country: 7 },
        })
      ).body.data;
      const act = sim.world.engine.stores.orders.get(o.id)!.activationId;
      const status = async () =>
        (await fetch(`${sim.url}/stubs/handler_api.php?api_key=${sim.upstreamApiKey}&action=getStatus&id=${act}`)).text();
      sim.world.upstream.deliverSms(act, 'Your code is 123-456');
      expect(await status()).toBe('STATUS_OK:123456');
      await request(`${sim.url}/api/v1/orders/${o.id}/next-sms`, { method: 'POST', headers: { authorization: `Bearer ${u.apiKey}` } });
      await sim.advance(1_000);
      sim.world.upstream.deliverSms(act, 'Welcome aboard!');
      expect(await status()).toBe('STATUS_OK:Нет кода');
    } finally {
      await sim.close();
    }
  });
});
