import { describe, expect, it } from 'vitest';
import { makeEngine } from '../../test/helpers.js';

describe('the order and buy-intent stores', () => {
  it('search orders by any subset of fields, save a change only over the state it was read in, and say what is due', async () => {
    const { engine, clock } = makeEngine();
    const { orders, tx } = engine.stores;
    const a = engine.accounts.createUser({ balanceCents: 1_000 });
    const b = engine.accounts.createUser({ balanceCents: 1_000 });
    const first = await engine.orders.create(a.id, { service: 'tg', country: 7 });
    clock.advance(1_000);
    const second = await engine.orders.create(b.id, { service: 'tg', country: 7 });
    engine.orders.cancel(b.id, second.id);

    expect(orders.search({ limit: 10 }).map((o) => o.id)).toEqual([second.id, first.id]);
    expect(orders.search({ userId: a.id, limit: 10 }).map((o) => o.id)).toEqual([first.id]);
    expect(orders.search({ status: 'CANCELLED', service: 'tg', limit: 10 }).map((o) => o.id)).toEqual([second.id]);
    expect(orders.search({ phone: first.phone, from: first.createdAt, to: first.createdAt + 1, limit: 10 })).toEqual([first]);
    expect(orders.search({ before: second.id, limit: 10 }).map((o) => o.id)).toEqual([first.id]);
    expect(orders.count()).toBe(2);
    expect(orders.count(['WAITING', 'RECEIVED'])).toBe(1);

    const stale = orders.get(first.id)!;
    const next = { ...stale, status: 'CANCELLED' as const, updatedAt: clock.now(), endReason: 'cancelled' };
    expect(tx.write(() => orders.update(stale, next))).toBe(true);
    expect(tx.write(() => orders.update(stale, { ...next, endReason: 'again' }))).toBe(false);
    expect(orders.get(first.id)).toEqual(next);

    const live = await engine.orders.create(a.id, { service: 'tg', country: 7 });
    expect(orders.nextDueAfter(clock.now())).toBe(live.expiresAt);
    expect(orders.hasDue(live.expiresAt - 1)).toBe(false);
    expect(orders.hasDue(live.expiresAt)).toBe(true);
    expect(orders.nextDueAfter(live.expiresAt)).toBeUndefined();
  });

  it('change a pending intent only while it is pending', () => {
    const { engine } = makeEngine();
    const { buyIntents, tx } = engine.stores;
    const intent = { id: 'ob1', userId: 'u1', service: 'tg', country: 7, startedAt: 1_000 };
    tx.write(() => {
      buyIntents.insertPending(intent, 61_000);
      buyIntents.insertPending({ ...intent, id: 'ob2' }, 62_000);
    });
    expect(buyIntents.countPendingLike('tg', 7, 'ob1')).toBe(1);
    expect(buyIntents.nextDueAfter(0)).toBe(61_000);
    expect(buyIntents.hasDue(60_999)).toBe(false);
    expect(buyIntents.duePending(61_000, 10)).toEqual([{ ...intent, attempts: 0 }]);

    expect(tx.write(() => buyIntents.reconcile('ob1', 'act-1', 'released 1'))).toBe(true);
    expect(tx.write(() => buyIntents.reconcile('ob1', 'act-2', 'again'))).toBe(false);
    expect(tx.write(() => buyIntents.recheckAt('ob1', 99_000))).toBe(false);
    expect(buyIntents.isClaimed('act-1')).toBe(true);
    expect(buyIntents.isClaimed('act-2')).toBe(false);

    expect(tx.write(() => buyIntents.postpone('ob2', { attempts: 20, nextAttemptAt: 70_000, note: 'down', giveUp: true }))).toBe(true);
    expect(buyIntents.pendingCount()).toBe(0);
    expect(buyIntents.countByState()).toEqual({ reconciled: 1, failed: 1 });
    expect(buyIntents.nextDueAfter(0)).toBeUndefined();
  });
});
