/**
 * The OrderSupportStore contract (docs/decisions.md D100, D125): what support reads about one
 * order besides the order itself, its ledger rows, its refund and the upstream commands owed for
 * its activation, as the ledger and outbox stores wrote them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerEntry, NewLedgerEntry } from '../../src/ledger/ledger-store.js';
import type { OrderSupportStore } from '../../src/support/order-support-store.js';
import type { OpenedStores, StoreHarness } from './harness.js';

const BIG = 2 ** 31;

export function orderSupportStoreContract(harness: StoreHarness): void {
  describe(`OrderSupportStore (${harness.name})`, () => {
    let opened: OpenedStores;
    let support: OrderSupportStore;
    beforeEach(async () => {
      opened = await harness.open();
      support = opened.stores.orderSupport;
      for (const id of ['u1', 'u2'])
        opened.stores.accounts.insertUser({ id, displayName: id, lang: 'en', referralCode: `ref-${id}`, createdAt: 0, externalRef: null });
    });
    afterEach(async () => {
      await opened.close();
    });

    const append = (entry: NewLedgerEntry): LedgerEntry => {
      const appended = opened.stores.tx.write(() => opened.stores.ledger.append(entry));
      expect(appended).toBeDefined();
      return appended!;
    };
    const row = (id: string, over: Partial<NewLedgerEntry>): NewLedgerEntry => ({
      id,
      userId: 'u1',
      kind: 'topup',
      amountCents: 0,
      orderId: null,
      reason: null,
      createdAt: BIG,
      ...over,
    });

    it('lists an order’s ledger rows in id order, every field as appended, and finds its refund', () => {
      append(row('led000001', { amountCents: BIG * 10, reason: 'пополнение ✓' }));
      // Appended out of id order: the list is in id order all the same.
      const refund = append(
        row('led000005', { kind: 'refund', amountCents: 300, orderId: 'cl1', reason: 'cancelled', createdAt: BIG + 3 }),
      );
      const debit = append(row('led000003', { kind: 'order_debit', amountCents: -300, orderId: 'cl1', createdAt: BIG + 1 }));
      const otherDebit = append(row('led000004', { kind: 'order_debit', amountCents: -200, orderId: 'cl2', createdAt: BIG + 2 }));
      const adjustment = append(
        row('led000006', { kind: 'adjustment', amountCents: 5, orderId: 'cl1', reason: 'goodwill', createdAt: BIG + 4 }),
      );

      expect(support.ledgerOfOrder('cl1')).toEqual([debit, refund, adjustment]);
      expect(support.ledgerOfOrder('cl1')[1]).toEqual({
        id: 'led000005',
        userId: 'u1',
        kind: 'refund',
        amountCents: 300,
        balanceAfterCents: BIG * 10 + 300, // the balance it left when appended
        orderId: 'cl1',
        reason: 'cancelled',
        createdAt: BIG + 3,
      });
      expect(support.ledgerOfOrder('cl2')).toEqual([otherDebit]);
      expect(support.ledgerOfOrder('cl-missing')).toEqual([]);

      expect(support.refundOf('cl1')).toBe('led000005');
      expect(support.refundOf('cl2')).toBeUndefined();
      expect(support.refundOf('cl-missing')).toBeUndefined();
    });

    it('finds an order’s rows by the order alone, whichever user’s statement they are on', () => {
      append(row('led000001', { amountCents: 1_000 }));
      append(row('led000002', { userId: 'u2', amountCents: 1_000 }));
      const debit = append(row('led000003', { kind: 'order_debit', amountCents: -100, orderId: 'cl1' }));
      expect(support.ledgerOfOrder('cl1')).toEqual([debit]);
      expect(support.refundOf('cl1')).toBeUndefined();
    });

    it('lists the commands owed for an activation in id order, with their outcomes', () => {
      const outbox = opened.stores.outbox;
      outbox.insert({ id: 'cmd000003', kind: 'finish', activationId: 'act-1', orderId: 'cl1', at: BIG + 3 });
      outbox.insert({ id: 'cmd000001', kind: 'next_sms', activationId: 'act-1', orderId: 'cl1', at: BIG + 1 });
      outbox.insert({ id: 'cmd000002', kind: 'cancel', activationId: 'act-2', orderId: 'cl2', at: BIG + 2 });
      outbox.insert({ id: 'cmd000004', kind: 'release', activationId: 'act-1', orderId: null, at: BIG + 4 });

      expect(support.commandsOfActivation('act-1')).toEqual([
        { id: 'cmd000001', kind: 'next_sms', attempts: 0, createdAt: BIG + 1, doneAt: null, outcome: null, lastError: null },
        { id: 'cmd000003', kind: 'finish', attempts: 0, createdAt: BIG + 3, doneAt: null, outcome: null, lastError: null },
        { id: 'cmd000004', kind: 'release', attempts: 0, createdAt: BIG + 4, doneAt: null, outcome: null, lastError: null },
      ]);

      expect(outbox.markRetry('cmd000001', BIG + 100, 'timeout «upstream»')).toBe(true);
      expect(outbox.markDone('cmd000003', 'ok', null, BIG + 50)).toBe(true);
      expect(outbox.markDone('cmd000004', 'gave_up', 'bad key', BIG + 60)).toBe(true);
      expect(support.commandsOfActivation('act-1')).toEqual([
        {
          id: 'cmd000001',
          kind: 'next_sms',
          attempts: 1,
          createdAt: BIG + 1,
          doneAt: null,
          outcome: null,
          lastError: 'timeout «upstream»',
        },
        { id: 'cmd000003', kind: 'finish', attempts: 1, createdAt: BIG + 3, doneAt: BIG + 50, outcome: 'ok', lastError: null },
        { id: 'cmd000004', kind: 'release', attempts: 1, createdAt: BIG + 4, doneAt: BIG + 60, outcome: 'gave_up', lastError: 'bad key' },
      ]);
      expect(support.commandsOfActivation('act-2').map((c) => c.id)).toEqual(['cmd000002']);
      expect(support.commandsOfActivation('act-missing')).toEqual([]);
    });
  });
}
