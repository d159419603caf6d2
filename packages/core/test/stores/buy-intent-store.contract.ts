/**
 * The BuyIntentStore contract (docs/decisions.md D9, D125): a buy in flight is pending until it
 * is settled, failed or reconciled; the worker's changes apply only while it is pending and say
 * whether they did; and the store says which intents are due and when the next one is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuyIntentStore } from '../../src/order/buy-intent-store.js';
import type { OpenedStores, StoreHarness } from './harness.js';

const BIG = 2 ** 31;

export function buyIntentStoreContract(harness: StoreHarness): void {
  describe(`BuyIntentStore (${harness.name})`, () => {
    let opened: OpenedStores;
    let intents: BuyIntentStore;
    beforeEach(async () => {
      opened = await harness.open();
      intents = opened.stores.buyIntents;
    });
    afterEach(async () => {
      await opened.close();
    });

    const intent = (n: number, over: Partial<{ userId: string; service: string; country: number; startedAt: number }> = {}) => ({
      id: `ob${String(n).padStart(6, '0')}`,
      userId: 'u1',
      service: 'tg',
      country: 7,
      startedAt: BIG + n,
      ...over,
    });
    const pending = (n: number, nextAttemptAt: number, over: Parameters<typeof intent>[1] = {}) => {
      const i = intent(n, over);
      intents.insertPending(i, nextAttemptAt);
      return i;
    };
    const dueIds = (now: number, limit = 100) => intents.duePending(now, limit).map((i) => i.id);

    it('knows nothing of an empty store', () => {
      expect(intents.pendingCount()).toBe(0);
      expect(intents.countByState()).toEqual({});
      expect(intents.duePending(BIG * 100, 10)).toEqual([]);
      expect(intents.nextDueAfter(0)).toBeUndefined();
      expect(intents.hasDue(BIG * 100)).toBe(false);
      expect(intents.isClaimed('act-1')).toBe(false);
      expect(intents.countPendingLike('tg', 7, 'ob1')).toBe(0);
    });

    it('returns a pending intent as inserted, with no attempts yet', () => {
      const i = pending(1, BIG * 2, { userId: 'u-ü', service: 'телеграм', country: 0, startedAt: BIG * 3 });
      expect(intents.duePending(BIG * 2, 10)).toEqual([{ ...i, attempts: 0 }]);
      expect(intents.pendingCount()).toBe(1);
      expect(intents.countByState()).toEqual({ pending: 1 });
    });

    it('settles and fails intents: they are no longer pending nor due, and a settled one claims its activation', () => {
      pending(1, 100);
      pending(2, 100);
      pending(3, 100);
      expect(intents.settle(intent(1).id, 'act-1')()).toBe(true);
      expect(intents.fail(intent(2).id, 'no numbers')).toBe(true);
      expect(dueIds(100)).toEqual([intent(3).id]);
      expect(intents.pendingCount()).toBe(1);
      expect(intents.countByState()).toEqual({ pending: 1, settled: 1, failed: 1 });
      expect(intents.isClaimed('act-1')).toBe(true);
      expect(intents.isClaimed('act-2')).toBe(false);
      // Neither may be reconciled, rechecked or postponed any more.
      for (const id of [intent(1).id, intent(2).id]) {
        expect(intents.reconcile(id, 'act-x', 'late')).toBe(false);
        expect(intents.recheckAt(id, 50)).toBe(false);
        expect(intents.postpone(id, { attempts: 1, nextAttemptAt: 50, note: 'late', giveUp: false })).toBe(false);
      }
      expect(intents.isClaimed('act-x')).toBe(false);
      expect(dueIds(100)).toEqual([intent(3).id]);
      expect(intents.countByState()).toEqual({ pending: 1, settled: 1, failed: 1 });
    });

    it('settles and fails only a pending intent: one another writer reconciled first stays as that writer left it', () => {
      pending(1, 100);
      pending(2, 100);
      expect(intents.reconcile(intent(1).id, 'act-1', 'released 1')).toBe(true);
      expect(intents.reconcile(intent(2).id, null, 'nothing was sold')).toBe(true);
      // A late buy may not settle it on another number, nor fail it.
      expect(intents.settle(intent(1).id, 'act-late')()).toBe(false);
      expect(intents.fail(intent(2).id, 'refused')).toBe(false);
      expect(intents.isClaimed('act-late')).toBe(false);
      expect(intents.isClaimed('act-1')).toBe(true);
      expect(intents.countByState()).toEqual({ reconciled: 2 });
      // Nor settle twice, nor settle an unknown intent.
      pending(3, 100);
      expect(intents.settle(intent(3).id, 'act-3')()).toBe(true);
      expect(intents.settle(intent(3).id, 'act-4')()).toBe(false);
      expect(intents.fail(intent(3).id, 'late')).toBe(false);
      expect(intents.isClaimed('act-4')).toBe(false);
      expect(intents.settle('ob-missing', 'act-5')()).toBe(false);
      expect(intents.fail('ob-missing', 'x')).toBe(false);
      expect(intents.countByState()).toEqual({ reconciled: 2, settled: 1 });
    });

    it('says whether another pending intent of the pair started after a moment (a buy maybe in flight)', () => {
      pending(1, BIG * 9, { startedAt: 1_000 });
      pending(2, BIG * 9, { startedAt: 2_000 });
      pending(3, BIG * 9, { startedAt: 5_000, country: 8 });
      expect(intents.hasPendingSince('tg', 7, 999, intent(1).id)).toBe(true);
      expect(intents.hasPendingSince('tg', 7, 1_999, intent(1).id)).toBe(true);
      // Strictly after, and never the intent itself.
      expect(intents.hasPendingSince('tg', 7, 2_000, intent(1).id)).toBe(false);
      expect(intents.hasPendingSince('tg', 7, 0, intent(2).id)).toBe(true);
      expect(intents.hasPendingSince('tg', 8, 0, intent(3).id)).toBe(false);
      expect(intents.hasPendingSince('wa', 7, 0, 'ob-none')).toBe(false);
      // Only pending ones count.
      intents.settle(intent(2).id, 'act-2');
      expect(intents.hasPendingSince('tg', 7, 999, intent(1).id)).toBe(false);
      expect(intents.hasPendingSince('tg', 7, 0, 'ob-none')).toBe(true);
    });

    it('reconciles a pending intent once, with or without the activation it was sold', () => {
      pending(1, 100);
      pending(2, 100);
      expect(intents.reconcile(intent(1).id, 'act-1', 'released')).toBe(true);
      expect(intents.reconcile(intent(1).id, 'act-9', 'again')).toBe(false);
      expect(intents.isClaimed('act-1')).toBe(true);
      expect(intents.isClaimed('act-9')).toBe(false);
      expect(intents.reconcile(intent(2).id, null, 'nothing sold')).toBe(true);
      expect(intents.reconcile(intent(2).id, null, 'again')).toBe(false);
      expect(intents.reconcile('ob-missing', 'act-2', 'none')).toBe(false);
      expect(intents.isClaimed('act-2')).toBe(false);
      expect(intents.pendingCount()).toBe(0);
      expect(intents.countByState()).toEqual({ reconciled: 2 });
      expect(intents.nextDueAfter(0)).toBeUndefined();
      expect(intents.hasDue(100)).toBe(false);
    });

    it('counts an activation claimed by a release owed in the outbox, and only a release', () => {
      opened.stores.outbox.insert({ id: 'cmd1', kind: 'release', activationId: 'act-r', orderId: null, at: 1 });
      opened.stores.outbox.insert({ id: 'cmd2', kind: 'cancel', activationId: 'act-c', orderId: null, at: 1 });
      expect(intents.isClaimed('act-r')).toBe(true);
      expect(intents.isClaimed('act-c')).toBe(false);
      // Claimed by both at once is still just claimed.
      pending(1, 100);
      intents.settle(intent(1).id, 'act-r');
      expect(intents.isClaimed('act-r')).toBe(true);
    });

    it('rechecks a pending intent later, only while it is pending', () => {
      pending(1, 100);
      expect(intents.recheckAt(intent(1).id, BIG * 5)).toBe(true);
      expect(intents.hasDue(BIG * 5 - 1)).toBe(false);
      expect(intents.nextDueAfter(0)).toBe(BIG * 5);
      expect(dueIds(BIG * 5)).toEqual([intent(1).id]);
      // Earlier again is allowed too.
      expect(intents.recheckAt(intent(1).id, 10)).toBe(true);
      expect(dueIds(10)).toEqual([intent(1).id]);
      expect(intents.recheckAt('ob-missing', 10)).toBe(false);
    });

    it('postpones a pending intent, counting its attempts, or gives it up as failed', () => {
      pending(1, 100);
      pending(2, 100);
      expect(intents.postpone(intent(1).id, { attempts: 3, nextAttemptAt: BIG * 4, note: 'upstream down', giveUp: false })).toBe(true);
      expect(dueIds(BIG * 4 - 1)).toEqual([intent(2).id]);
      expect(intents.duePending(BIG * 4, 10)).toEqual([
        { ...intent(2), attempts: 0 },
        { ...intent(1), attempts: 3 },
      ]);
      expect(intents.pendingCount()).toBe(2);

      expect(intents.postpone(intent(2).id, { attempts: 20, nextAttemptAt: 200, note: 'gave up', giveUp: true })).toBe(true);
      expect(intents.pendingCount()).toBe(1);
      expect(intents.countByState()).toEqual({ pending: 1, failed: 1 });
      expect(dueIds(BIG * 4)).toEqual([intent(1).id]);
      expect(intents.nextDueAfter(0)).toBe(BIG * 4);
      expect(intents.postpone(intent(2).id, { attempts: 21, nextAttemptAt: 300, note: 'again', giveUp: false })).toBe(false);
      expect(intents.reconcile(intent(2).id, null, 'late')).toBe(false);
      expect(intents.postpone('ob-missing', { attempts: 1, nextAttemptAt: 300, note: 'none', giveUp: false })).toBe(false);
      expect(intents.countByState()).toEqual({ pending: 1, failed: 1 });
    });

    it('lists due pending intents the earliest first, up to the limit, with now inclusive', () => {
      pending(1, BIG + 300);
      pending(2, BIG + 100);
      pending(3, BIG + 200);
      pending(4, BIG + 200);
      pending(5, BIG + 50);
      intents.fail(intent(5).id, 'refused');
      pending(6, BIG + 400);

      expect(dueIds(BIG + 99)).toEqual([]);
      expect(dueIds(BIG + 100)).toEqual([intent(2).id]);
      const due = dueIds(BIG + 300);
      expect(due).toHaveLength(4);
      expect(due[0]).toBe(intent(2).id);
      expect(due.slice(1, 3).sort()).toEqual([intent(3).id, intent(4).id]); // a tie: either order
      expect(due[3]).toBe(intent(1).id);
      expect(dueIds(BIG + 300, 1)).toEqual([intent(2).id]);
      const two = dueIds(BIG + 300, 2);
      expect(two[0]).toBe(intent(2).id);
      expect([intent(3).id, intent(4).id]).toContain(two[1]);
    });

    it('says whether a pending intent is due, and when the next one is after a time', () => {
      pending(1, BIG + 300);
      pending(2, BIG + 100);
      pending(3, BIG + 50);
      intents.settle(intent(3).id, 'act-3');
      expect(intents.hasDue(BIG + 99)).toBe(false);
      expect(intents.hasDue(BIG + 100)).toBe(true);
      expect(intents.nextDueAfter(0)).toBe(BIG + 100);
      expect(intents.nextDueAfter(BIG + 99)).toBe(BIG + 100);
      expect(intents.nextDueAfter(BIG + 100)).toBe(BIG + 300);
      expect(intents.nextDueAfter(BIG + 300)).toBeUndefined();
    });

    it('counts the other pending intents of the same service and country', () => {
      pending(1, 100);
      pending(2, 100);
      pending(3, 100, { country: 8 });
      pending(4, 100, { service: 'wa' });
      pending(5, 100);
      intents.fail(intent(5).id, 'refused');
      expect(intents.countPendingLike('tg', 7, intent(1).id)).toBe(1);
      expect(intents.countPendingLike('tg', 7, 'ob-other')).toBe(2);
      expect(intents.countPendingLike('tg', 8, intent(1).id)).toBe(1);
      expect(intents.countPendingLike('tg', 8, intent(3).id)).toBe(0);
      expect(intents.countPendingLike('wa', 7, intent(1).id)).toBe(1);
      expect(intents.countPendingLike('vk', 7, intent(1).id)).toBe(0);
    });

    it('counts intents by state, leaving out states with none', () => {
      for (let n = 1; n <= 7; n++) pending(n, 100);
      intents.settle(intent(1).id, 'act-1');
      intents.settle(intent(2).id, 'act-2');
      intents.settle(intent(3).id, 'act-3');
      intents.fail(intent(4).id, 'refused');
      intents.reconcile(intent(5).id, null, 'nothing sold');
      expect(intents.countByState()).toEqual({ settled: 3, failed: 1, reconciled: 1, pending: 2 });
      expect(intents.pendingCount()).toBe(2);
    });
  });
}
