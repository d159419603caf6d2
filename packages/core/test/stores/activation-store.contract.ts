/**
 * The ActivationStore contract (docs/decisions.md D125): the upstream activations the database
 * remembers across orders, owed upstream commands and buy intents, which a simulator continues
 * from. Each is written through its own store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Order } from '../../src/order/order.js';
import type { Stores } from '../../src/storage/stores.js';
import type { OpenedStores, StoreHarness } from './harness.js';

/** Milliseconds well above 2^31, so a 32-bit column would lose them. */
const T0 = 1_764_612_345_678;
const id = (prefix: string, ms: number) => `${prefix}${ms.toString(36).padStart(9, '0')}0000r4nd0mta1l00`;
const USER = id('cl', T0);

const byActivation = <T extends { activationId: string }>(rows: T[]) =>
  [...rows].sort((a, b) => (a.activationId < b.activationId ? -1 : 1));

export function activationStoreContract(h: StoreHarness): void {
  describe(`${h.name}: ActivationStore`, () => {
    let opened: OpenedStores;
    let s: Stores;

    beforeEach(async () => {
      opened = await h.open();
      s = opened.stores;
      s.tx.write(() =>
        s.accounts.insertUser({ id: USER, displayName: 'A', lang: 'en', referralCode: 'A', createdAt: T0, externalRef: null }),
      );
    });
    afterEach(async () => {
      await opened.close();
    });

    const owe = (n: number, activationId: string, orderId: string | null = null) =>
      s.tx.write(() => s.outbox.insert({ id: id('ob', T0 + n), kind: 'cancel', activationId, orderId, at: T0 + n }));

    const addOrder = (n: number, activationId: string, over: Partial<Order> = {}): Order => {
      const order: Order = {
        id: id('ck', T0 + n),
        userId: USER,
        status: 'WAITING',
        service: 'wa',
        country: 6,
        phone: `+7912000${String(n).padStart(4, '0')}`,
        activationId,
        chargedCents: 25,
        expiresAt: T0 + 1_200_000,
        createdAt: T0 + n,
        updatedAt: T0 + n,
        smsHistory: [],
        endReason: null,
        ...over,
      };
      s.tx.write(() => s.orders.insert(order));
      return order;
    };

    const intent = (n: number, activationId: string | null) =>
      s.tx.write(() => {
        const intentId = id('ob', T0 + 500 + n);
        s.buyIntents.insertPending({ id: intentId, userId: USER, service: 'wa', country: 6, startedAt: T0 + n }, T0 + n);
        if (activationId !== null) s.buyIntents.settle(intentId, activationId);
      });

    describe('highestNumericId', () => {
      it('is 0 on an empty database', () => {
        expect(s.activations.highestNumericId()).toBe(0);
      });

      it('compares activation ids as numbers, not as text', () => {
        owe(1, '99');
        owe(2, '123');
        owe(3, '1000');
        expect(s.activations.highestNumericId()).toBe(1000);
      });

      it('reads an id above 2^31 exactly', () => {
        owe(1, '7');
        addOrder(2, String(2 ** 33 + 3));
        expect(s.activations.highestNumericId()).toBe(2 ** 33 + 3);
      });

      it('leaves ids that are not numbers out', () => {
        owe(1, 'act-xyz');
        addOrder(2, 'ord-xyz');
        expect(s.activations.highestNumericId()).toBe(0);
        owe(3, '42');
        owe(4, 'zzz');
        expect(s.activations.highestNumericId()).toBe(42);
      });

      it('looks across orders, owed commands (finished ones too) and buy intents', () => {
        addOrder(1, '300');
        expect(s.activations.highestNumericId()).toBe(300);
        owe(2, '500');
        s.tx.write(() => s.outbox.markDone(id('ob', T0 + 2), 'ok', null, T0 + 10));
        expect(s.activations.highestNumericId()).toBe(500);
        intent(3, null);
        expect(s.activations.highestNumericId()).toBe(500);
        intent(4, '700');
        expect(s.activations.highestNumericId()).toBe(700);
      });
    });

    describe('open', () => {
      it('is empty on an empty database', () => {
        expect(s.activations.open()).toEqual([]);
      });

      it('gives the live orders (waiting or received) with their messages, every field exact', () => {
        const waiting = addOrder(1, '101', { createdAt: T0 + 1, country: 187, service: 'tg' });
        const received = addOrder(2, '102', {
          status: 'RECEIVED',
          smsHistory: [
            { key: 'k1', body: 'Код: 4321 ✓', code: '4321', receivedAt: T0 + 50 },
            { key: 'k2', body: 'no code here', code: null, receivedAt: 2 ** 41 },
          ],
        });
        addOrder(3, '103', { status: 'COMPLETED' });
        addOrder(4, '104', { status: 'CANCELLED', endReason: 'cancelled' });
        addOrder(5, '105', { status: 'FAILED', endReason: 'expired' });
        const open = (o: Order) => ({
          activationId: o.activationId,
          phone: o.phone,
          service: o.service,
          country: o.country,
          createdAt: o.createdAt,
          status: o.status,
          smsHistory: o.smsHistory,
        });
        expect(byActivation(s.activations.open())).toEqual([open(waiting), open(received)]);
      });

      it('gives an ended order whose upstream command is still owed, and forgets it once the command is done', () => {
        const cancelled = addOrder(1, '201', { status: 'CANCELLED', endReason: 'cancelled' });
        owe(2, '201', cancelled.id);
        expect(s.activations.open().map((a) => [a.activationId, a.status])).toEqual([['201', 'CANCELLED']]);
        s.tx.write(() => s.outbox.markDone(id('ob', T0 + 2), 'ok', null, T0 + 10));
        expect(s.activations.open()).toEqual([]);
      });

      it('gives a live order once, even with commands owed for it', () => {
        const waiting = addOrder(1, '301');
        owe(2, '301', waiting.id);
        owe(3, '301', waiting.id);
        expect(s.activations.open().map((a) => a.activationId)).toEqual(['301']);
      });

      it('reports nothing for owed commands without an order to describe them', () => {
        owe(1, '500');
        expect(s.activations.open()).toEqual([]);
      });
    });
  });
}
