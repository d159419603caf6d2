/**
 * The OrderStore contract (docs/decisions.md D4–D6, D125): orders in and out unchanged, changes
 * saved only over the state they were read in, the user's cursor pages, the operators' search,
 * and what the worker watches and when it is due.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Order, OrderStatus } from '../../src/order/order.js';
import type { OrderStore } from '../../src/order/order-store.js';
import type { OpenedStores, StoreHarness } from './harness.js';

const BIG = 2 ** 31;

export function orderStoreContract(harness: StoreHarness): void {
  describe(`OrderStore (${harness.name})`, () => {
    let opened: OpenedStores;
    let orders: OrderStore;
    beforeEach(async () => {
      opened = await harness.open();
      orders = opened.stores.orders;
      for (const id of ['u1', 'u2'])
        opened.stores.accounts.insertUser({ id, displayName: id, lang: 'en', referralCode: `ref-${id}`, createdAt: 0, externalRef: null });
    });
    afterEach(async () => {
      await opened.close();
    });

    /** An order with ids that sort like the engine's (lowercase, fixed width), created at `n`. */
    const make = (n: number, over: Partial<Order> = {}): Order => {
      const id = `cl${String(n).padStart(6, '0')}`;
      return {
        id,
        userId: 'u1',
        status: 'WAITING',
        service: 'tg',
        country: 7,
        phone: `+7900${String(n).padStart(7, '0')}`,
        activationId: `act-${id}`,
        chargedCents: 25,
        expiresAt: 1_000_000 + n,
        createdAt: n,
        updatedAt: n,
        smsHistory: [],
        endReason: null,
        ...over,
      };
    };
    const put = (n: number, over: Partial<Order> = {}): Order => {
      const o = make(n, over);
      orders.insert(o);
      return o;
    };
    const ids = (list: Order[]) => list.map((o) => o.id);

    it('returns every field as inserted, by id and by activation, and undefined for a missing one', () => {
      const received = make(1, {
        status: 'RECEIVED',
        country: 0,
        chargedCents: BIG * 1_000 + 7,
        expiresAt: BIG * 900 + 1,
        createdAt: BIG * 800 + 2,
        updatedAt: BIG * 800 + 3,
        smsHistory: [
          { key: 'm1', body: 'Ваш код 12345 — не сообщайте никому 🔐', code: '12345', receivedAt: BIG * 800 + 3 },
          { key: 'm2', body: '【微信】验证码 "678" \\ \'quoted\'\n second line', code: null, receivedAt: BIG * 800 + 4 },
        ],
        endReason: null,
      });
      const cancelled = make(2, { status: 'CANCELLED', chargedCents: 0, endReason: 'cancelled' });
      orders.insert(received);
      orders.insert(cancelled);
      expect(orders.get(received.id)).toEqual(received);
      expect(orders.getByActivation(received.activationId)).toEqual(received);
      expect(orders.get(cancelled.id)).toEqual(cancelled);
      expect(orders.get(cancelled.id)?.endReason).toBe('cancelled');
      expect(orders.get(received.id)?.endReason).toBeNull();
      expect(orders.get('cl999999')).toBeUndefined();
      expect(orders.getByActivation('act-missing')).toBeUndefined();
    });

    it('refuses a second order on the same activation or with the same id, keeping the first', () => {
      const first = put(1);
      expect(() => orders.insert(make(2, { activationId: first.activationId }))).toThrow();
      expect(() => orders.insert(make(1, { activationId: 'act-other' }))).toThrow();
      expect(orders.getByActivation(first.activationId)).toEqual(first);
      expect(orders.get(make(2).id)).toBeUndefined();
      expect(orders.count()).toBe(1);
    });

    it('saves a change only over the state it was read in, and says whether it did', () => {
      const read = put(1);
      const next: Order = {
        ...read,
        status: 'RECEIVED',
        updatedAt: BIG * 10,
        smsHistory: [{ key: 'k1', body: 'код 4242 ✓', code: '4242', receivedAt: BIG * 10 }],
      };
      expect(orders.update(read, next)).toBe(true);
      expect(orders.get(read.id)).toEqual(next);

      // Stale: same status, older updatedAt; then another status at the same updatedAt.
      expect(orders.update(read, { ...next, updatedAt: BIG * 11, endReason: 'x' })).toBe(false);
      expect(orders.update({ ...next, status: 'WAITING' }, { ...next, updatedAt: BIG * 11, endReason: 'x' })).toBe(false);
      expect(orders.get(read.id)).toEqual(next);

      const done: Order = { ...next, status: 'COMPLETED', updatedAt: BIG * 12, endReason: 'finished' };
      expect(orders.update(next, done)).toBe(true);
      expect(orders.get(read.id)).toEqual(done);

      // No such order: nothing to change.
      expect(orders.update(make(9), { ...make(9), status: 'CANCELLED' })).toBe(false);
      expect(orders.get(make(9).id)).toBeUndefined();
    });

    it('clears an end reason and the SMS history back to null and empty when told to', () => {
      const read = put(1, { status: 'RECEIVED', endReason: 'note', smsHistory: [{ key: 'k', body: 'b', code: null, receivedAt: 1 }] });
      const next: Order = { ...read, updatedAt: 2, endReason: null, smsHistory: [] };
      expect(orders.update(read, next)).toBe(true);
      expect(orders.get(read.id)).toEqual(next);
    });

    it('never changes a terminal order: saving over one throws and leaves it as it was', () => {
      for (const [n, status] of [
        [1, 'COMPLETED'],
        [2, 'FAILED'],
        [3, 'CANCELLED'],
      ] as const) {
        const terminal = put(n, { status, endReason: 'ended' });
        expect(() => orders.update(terminal, { ...terminal, status: 'WAITING', updatedAt: 99, endReason: null })).toThrow();
        expect(orders.get(terminal.id)).toEqual(terminal);
      }
    });

    it('pages one user’s orders newest first, without duplicates or gaps while newer orders arrive', () => {
      for (let n = 1; n <= 7; n++) put(n);
      put(8, { userId: 'u2' });
      const seen: string[] = [];
      let before: string | undefined;
      let next = 100;
      for (;;) {
        const page = orders.page('u1', { limit: 3, before });
        if (page.length === 0) break;
        seen.push(...ids(page));
        before = page.at(-1)!.id;
        put(next++); // newer than everything: must not shift the pages still to come
      }
      expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1].map((n) => make(n).id));
      expect(orders.page('u1', { limit: 2 }).map((o) => o.id)).toEqual([make(next - 1).id, make(next - 2).id]);
      expect(orders.page('u1', { limit: 10, before: make(1).id })).toEqual([]);
      expect(orders.page('u2', { limit: 10 })).toEqual([make(8, { userId: 'u2' })]);
      expect(orders.page('nobody', { limit: 10 })).toEqual([]);
    });

    it('pages by status, with the cursor exclusive and the limit exact', () => {
      put(1, { status: 'CANCELLED', endReason: 'cancelled' });
      put(2);
      put(3, { status: 'CANCELLED', endReason: 'cancelled' });
      put(4, { status: 'RECEIVED' });
      put(5, { status: 'CANCELLED', endReason: 'cancelled' });
      expect(ids(orders.page('u1', { status: 'CANCELLED', limit: 10 }))).toEqual([5, 3, 1].map((n) => make(n).id));
      expect(ids(orders.page('u1', { status: 'CANCELLED', limit: 2 }))).toEqual([5, 3].map((n) => make(n).id));
      expect(ids(orders.page('u1', { status: 'CANCELLED', limit: 2, before: make(3).id }))).toEqual([make(1).id]);
      expect(ids(orders.page('u1', { status: 'CANCELLED', limit: 2, before: make(4).id }))).toEqual([3, 1].map((n) => make(n).id));
      expect(ids(orders.page('u1', { status: 'WAITING', limit: 10 }))).toEqual([make(2).id]);
      expect(orders.page('u1', { status: 'FAILED', limit: 10 })).toEqual([]);
      expect(ids(orders.page('u1', { status: undefined, limit: 5 }))).toEqual([5, 4, 3, 2, 1].map((n) => make(n).id));
      expect(orders.page('u1', { limit: 1 })).toEqual([make(5, { status: 'CANCELLED', endReason: 'cancelled' })]);
    });

    it('searches across users by every given field (from inclusive, to exclusive), newest first', () => {
      const a = put(1, { createdAt: 100, service: 'tg' });
      const b = put(2, { createdAt: 200, service: 'wa', userId: 'u2' });
      const c = put(3, { createdAt: 300, service: 'tg', status: 'CANCELLED', endReason: 'cancelled' });
      const d = put(4, { createdAt: 300, service: 'tg', userId: 'u2', phone: a.phone });
      expect(orders.search({ limit: 10 })).toEqual([d, c, b, a]);
      expect(ids(orders.search({ limit: 2 }))).toEqual([d.id, c.id]);
      expect(ids(orders.search({ before: c.id, limit: 10 }))).toEqual([b.id, a.id]);
      expect(ids(orders.search({ userId: 'u2', limit: 10 }))).toEqual([d.id, b.id]);
      expect(ids(orders.search({ status: 'CANCELLED', limit: 10 }))).toEqual([c.id]);
      expect(ids(orders.search({ status: 'WAITING', service: 'tg', limit: 10 }))).toEqual([d.id, a.id]);
      expect(ids(orders.search({ phone: a.phone, limit: 10 }))).toEqual([d.id, a.id]);
      expect(ids(orders.search({ service: 'wa', limit: 10 }))).toEqual([b.id]);
      expect(ids(orders.search({ from: 200, limit: 10 }))).toEqual([d.id, c.id, b.id]);
      expect(ids(orders.search({ to: 300, limit: 10 }))).toEqual([b.id, a.id]);
      expect(ids(orders.search({ from: 200, to: 300, limit: 10 }))).toEqual([b.id]);
      expect(ids(orders.search({ from: 300, to: 300, limit: 10 }))).toEqual([]);
      expect(ids(orders.search({ userId: 'u2', phone: a.phone, from: 300, to: 301, service: 'tg', status: 'WAITING', limit: 10 }))).toEqual(
        [d.id],
      );
      expect(ids(orders.search({ userId: 'u1', service: 'wa', limit: 10 }))).toEqual([]);
      expect(
        ids(
          orders.search({
            userId: undefined,
            status: undefined,
            phone: undefined,
            service: undefined,
            from: undefined,
            to: undefined,
            limit: 10,
          }),
        ),
      ).toEqual([d.id, c.id, b.id, a.id]);
      expect(ids(orders.search({ userId: 'u2', before: d.id, limit: 10 }))).toEqual([b.id]);
    });

    it('lists live orders in id order after a cursor, leaving the terminal ones out', () => {
      put(1);
      put(2, { status: 'COMPLETED', endReason: 'finished' });
      put(3, { status: 'RECEIVED', userId: 'u2' });
      put(4, { status: 'FAILED', endReason: 'upstream_closed' });
      put(5);
      put(6, { status: 'CANCELLED', endReason: 'cancelled' });
      expect(ids(orders.live('', 10))).toEqual([1, 3, 5].map((n) => make(n).id));
      expect(ids(orders.live('', 2))).toEqual([1, 3].map((n) => make(n).id));
      expect(ids(orders.live(make(1).id, 10))).toEqual([3, 5].map((n) => make(n).id));
      expect(ids(orders.live(make(2).id, 1))).toEqual([make(3).id]);
      expect(orders.live(make(5).id, 10)).toEqual([]);
    });

    it('says which live orders are due, the earliest first, and when the next one is', () => {
      expect(orders.due(BIG * 10, 10)).toEqual([]);
      expect(orders.hasDue(BIG * 10)).toBe(false);
      expect(orders.nextDueAfter(0)).toBeUndefined();

      put(1, { expiresAt: BIG + 300 });
      put(2, { expiresAt: BIG + 100, status: 'RECEIVED' });
      put(3, { expiresAt: BIG + 50, status: 'CANCELLED', endReason: 'cancelled' });
      put(4, { expiresAt: BIG + 200 });
      put(5, { expiresAt: BIG + 200, userId: 'u2' });
      put(6, { expiresAt: BIG + 150, status: 'COMPLETED', endReason: 'finished' });

      expect(ids(orders.due(BIG + 99, 10))).toEqual([]);
      expect(ids(orders.due(BIG + 100, 10))).toEqual([make(2).id]);
      const due = ids(orders.due(BIG + 300, 10));
      expect(due).toHaveLength(4);
      expect(due[0]).toBe(make(2).id);
      expect(due.slice(1, 3).sort()).toEqual([make(4).id, make(5).id]); // a tie: either order
      expect(due[3]).toBe(make(1).id);
      expect(ids(orders.due(BIG + 300, 1))).toEqual([make(2).id]);
      const two = ids(orders.due(BIG + 300, 2));
      expect(two[0]).toBe(make(2).id);
      expect([make(4).id, make(5).id]).toContain(two[1]);

      expect(orders.hasDue(BIG + 99)).toBe(false);
      expect(orders.hasDue(BIG + 100)).toBe(true);
      expect(orders.nextDueAfter(0)).toBe(BIG + 100);
      expect(orders.nextDueAfter(BIG + 99)).toBe(BIG + 100);
      expect(orders.nextDueAfter(BIG + 100)).toBe(BIG + 200);
      expect(orders.nextDueAfter(BIG + 200)).toBe(BIG + 300);
      expect(orders.nextDueAfter(BIG + 300)).toBeUndefined();
    });

    it('stops watching an order once it ends', () => {
      const o = put(1, { expiresAt: 500 });
      expect(orders.hasDue(500)).toBe(true);
      expect(orders.update(o, { ...o, status: 'CANCELLED', updatedAt: 2, endReason: 'cancelled' })).toBe(true);
      expect(orders.hasDue(500)).toBe(false);
      expect(orders.due(500, 10)).toEqual([]);
      expect(orders.nextDueAfter(0)).toBeUndefined();
      expect(orders.live('', 10)).toEqual([]);
    });

    it('counts all orders, or those in some statuses', () => {
      expect(orders.count()).toBe(0);
      const statuses: OrderStatus[] = ['WAITING', 'WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED', 'CANCELLED'];
      statuses.forEach((status, i) => put(i + 1, { status, endReason: status === 'WAITING' || status === 'RECEIVED' ? null : 'x' }));
      expect(orders.count()).toBe(7);
      expect(orders.count(['WAITING', 'RECEIVED'])).toBe(3);
      expect(orders.count(['CANCELLED'])).toBe(2);
      expect(orders.count(['COMPLETED', 'FAILED', 'CANCELLED'])).toBe(4);
      expect(orders.count([])).toBe(0);
    });
  });
}
