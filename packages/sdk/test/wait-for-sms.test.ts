/**
 * orders.waitForSms against core on a manual clock: a new SMS resolves it, after next-sms it
 * waits for the next SMS and not the old one, terminal states fail fast, the deadline gives up
 * with the last order seen, and an abort stops it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { JiemaAbortError, JiemaOrderEndedError, JiemaWaitTimeoutError, type JiemaClient, type Order } from '../src/index.js';
import { useCore } from './server.js';
import { rejectionOf, until } from './until.js';

const s = useCore();
let client: JiemaClient;
let polls: number;
beforeEach(async () => {
  polls = 0;
  client = s.client(s.createUser({ balanceCents: 1_000 }).key, {
    onResponse: (e) => void (e.method === 'GET' && e.path.startsWith('/orders/') && polls++),
  });
});

// These tests are about polling (counted polls, intervals): long-poll is tested in push.test.ts.
const FAST = { intervalMs: 5, longPoll: false };

/** Resolves once the waiters have polled `n` more times (real polls, not a timer). */
async function afterPolls(n: number): Promise<void> {
  const target = polls + n;
  await until(() => polls >= target);
}

describe('waitForSms', () => {
  it('resolves with the order when the SMS arrives', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const waiting = client.orders.waitForSms(order.id, FAST);
    await afterPolls(2);
    s.deliver(order.id, 'Telegram code 48213');
    expect(await waiting).toMatchObject({ id: order.id, status: 'RECEIVED', smsBody: 'Telegram code 48213', smsCode: '48213' });
  });

  it('after next-sms, waits for the next SMS instead of returning the old one, twice', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    s.deliver(order.id, 'code 111111');
    expect((await client.orders.waitForSms(order.id, FAST)).smsCode).toBe('111111');
    for (const code of ['222222', '333333']) {
      await client.orders.nextSms(order.id);
      await s.engine.tick();
      const waiting = client.orders.waitForSms(order.id, FAST);
      await afterPolls(3);
      s.deliver(order.id, `code ${code}`);
      const got: Order = await waiting;
      expect(got).toMatchObject({ status: 'RECEIVED', smsCode: code });
    }
    const final = await client.orders.get(order.id);
    expect(final.smsHistory.map((m) => m.body)).toEqual(['code 111111', 'code 222222', 'code 333333']);
  });

  it('with afterSmsCount, ignores an SMS it has already seen even while the order still shows RECEIVED', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    s.deliver(order.id, 'code 111111');
    const seen = await client.orders.waitForSms(order.id, FAST);
    const waiting = client.orders.waitForSms(order.id, { ...FAST, afterSmsCount: seen.smsHistory.length });
    await afterPolls(3);
    s.deliver(order.id, 'code 222222');
    expect((await waiting).smsHistory).toHaveLength(2);
  });

  it('fails fast with JiemaOrderEndedError (FAILED, refunded) when the window ends with no SMS', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const waiting = rejectionOf(client.orders.waitForSms(order.id, FAST));
    await afterPolls(2);
    s.advance(20 * 60_000);
    const err = await waiting;
    expect(err).toBeInstanceOf(JiemaOrderEndedError);
    expect((err as JiemaOrderEndedError).order).toMatchObject({ id: order.id, status: 'FAILED' });
    expect((await client.account.get()).balanceCents).toBe('1000');
  });

  it('fails fast with JiemaOrderEndedError (COMPLETED) when the window ends while waiting after next-sms', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    s.deliver(order.id, 'code 111111');
    await client.orders.waitForSms(order.id, FAST);
    await client.orders.nextSms(order.id);
    const waiting = rejectionOf(client.orders.waitForSms(order.id, FAST));
    await afterPolls(2);
    s.advance(20 * 60_000);
    const err = (await waiting) as JiemaOrderEndedError;
    expect(err).toBeInstanceOf(JiemaOrderEndedError);
    expect(err.order).toMatchObject({ status: 'COMPLETED', smsBody: 'code 111111' });
  });

  it('fails fast with JiemaOrderEndedError when the order is cancelled while waiting', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const waiting = rejectionOf(client.orders.waitForSms(order.id, FAST));
    await afterPolls(1);
    await client.orders.cancel(order.id);
    expect(((await waiting) as JiemaOrderEndedError).order.status).toBe('CANCELLED');
  });

  it('gives up at its deadline with JiemaWaitTimeoutError carrying the last order seen', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const err = (await rejectionOf(client.orders.waitForSms(order.id, { intervalMs: 5, timeoutMs: 60 }))) as JiemaWaitTimeoutError;
    expect(err).toBeInstanceOf(JiemaWaitTimeoutError);
    expect(err.order).toMatchObject({ id: order.id, status: 'WAITING' });
    expect(err.message).toContain(order.id);
  });

  it('stops with JiemaAbortError when the caller aborts', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const controller = new AbortController();
    const waiting = rejectionOf(client.orders.waitForSms(order.id, { intervalMs: 60_000, signal: controller.signal }));
    await afterPolls(1);
    controller.abort(new Error('user closed the page'));
    const err = (await waiting) as JiemaAbortError;
    expect(err).toBeInstanceOf(JiemaAbortError);
    expect((err.cause as Error).message).toBe('user closed the page');
  });

  it('lets several waiters on one order share its polls', async () => {
    const order = await client.orders.create({ service: 'tg', country: 7 });
    const waiters = [1, 2, 3].map(() => client.orders.waitForSms(order.id, FAST));
    await afterPolls(3);
    s.deliver(order.id, 'code 777777');
    const results = await Promise.all(waiters);
    expect(results.map((o) => o.smsCode)).toEqual(['777777', '777777', '777777']);
  });
});
