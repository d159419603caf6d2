/**
 * Client-side pacing against core, on a fast clock the server and the client share (one real
 * second is minutes of it): callers queue under the key's limits instead of collecting 429s,
 * several waiters share the poll budget, and a server's lower limits are learned.
 */
import { describe, expect, it } from 'vitest';
import * as sdk from '../src/index.js';
import { fastClock } from './clocks.js';
import { serverPerTest } from './server.js';
import { rejectionOf, until } from './until.js';

const start = serverPerTest();

/** Every status the server answered, per path prefix. */
function recorder() {
  const statuses: Array<{ path: string; status: number | undefined }> = [];
  return { statuses, onResponse: (e: sdk.ResponseEvent) => void statuses.push({ path: e.path, status: e.status }) };
}

async function waitersOnThreeOrders(pacing: boolean) {
  const clock = fastClock(200);
  const t = await start({ clock, app: { rateLimits: { pollPerMin: 12 } } });
  const { statuses, onResponse } = recorder();
  const c = t.client(t.createUser({ balanceCents: 1_000 }).key, { clock, pacing, onResponse });
  const orders = [
    await c.orders.create({ service: 'tg', country: 7 }),
    await c.orders.create({ service: 'tg', country: 6 }),
    await c.orders.create({ service: 'wa', country: 7 }),
  ];
  const waiters = orders.map((o) => c.orders.waitForSms(o.id, { intervalMs: 3_000, timeoutMs: 60 * 60_000, longPoll: false }));
  await until(() => statuses.filter((x) => x.path.startsWith('/orders/')).length >= 30);
  for (const o of orders) t.upstream.deliverSms(t.activationOf(o.id), `sms for ${o.id}`);
  const got = await Promise.all(waiters);
  expect(got.map((o) => o.smsBody)).toEqual(orders.map((o) => `sms for ${o.id}`));
  return { polls: statuses.filter((x) => x.path.startsWith('/orders/')), pacer: c.pacer };
}

describe('pacing', () => {
  it('lets three waiters share a 12-per-minute poll budget without a single 429', async () => {
    const { polls, pacer } = await waitersOnThreeOrders(true);
    expect(polls.filter((p) => p.status !== 200)).toEqual([]);
    expect(pacer!.snapshot('poll').limit).toBe(12);
  });

  it('(control) trips the poll limit with the same waiters when pacing is off, and still gets every SMS', async () => {
    const { polls } = await waitersOnThreeOrders(false);
    expect(polls.some((p) => p.status === 429)).toBe(true);
  });

  it('keeps twelve buys in a row under the 10-per-minute write limit', async () => {
    const clock = fastClock(200);
    const t = await start({ clock });
    const { statuses, onResponse } = recorder();
    const c = t.client(t.createUser({ balanceCents: 1_000 }).key, { clock, onResponse });
    for (let i = 0; i < 12; i += 1) await c.orders.create({ service: 'tg', country: 6 });
    expect(statuses.map((x) => x.status)).toEqual(Array(12).fill(200));
    expect(t.buys()).toBe(12);
  });

  it("holds a read the server's advertised limit has no room for, instead of sending it", async () => {
    const t = await start({ app: { rateLimits: { readPerMin: 2 } } });
    const { statuses, onResponse } = recorder();
    const c = t.client(t.createUser().key, { onResponse });
    await c.account.get();
    await c.account.get();
    const err = await rejectionOf(c.account.get({ totalTimeoutMs: 100 }));
    expect(err).toBeInstanceOf(sdk.JiemaTimeoutError);
    expect(statuses.map((x) => x.status)).toEqual([200, 200]);
  });

  it('shares one budget between two clients given the same RatePacer', async () => {
    const t = await start({ app: { rateLimits: { readPerMin: 2 } } });
    const key = t.createUser().key;
    const { statuses, onResponse } = recorder();
    const first = t.client(key, { onResponse });
    const second = t.client(key, { onResponse, pacing: first.pacer! });
    await first.account.get();
    await second.account.get();
    expect(await rejectionOf(second.account.get({ totalTimeoutMs: 100 }))).toBeInstanceOf(sdk.JiemaTimeoutError);
    expect(await rejectionOf(first.account.get({ totalTimeoutMs: 100 }))).toBeInstanceOf(sdk.JiemaTimeoutError);
    expect(statuses.map((x) => x.status)).toEqual([200, 200]);
  });
});
