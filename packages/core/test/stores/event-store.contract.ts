/** The EventStore contract (docs/decisions.md D90, D125): appended in order, paged by seq. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/push/event-store.js';
import type { OpenedStores, StoreHarness } from './harness.js';

export function eventStoreContract(harness: StoreHarness): void {
  describe(`EventStore (${harness.name})`, () => {
    let opened: OpenedStores;
    let events: EventStore;
    beforeEach(async () => {
      opened = await harness.open();
      events = opened.stores.events;
    });
    afterEach(async () => {
      await opened.close();
    });

    const add = (id: string, userId: string, orderId: string, type: 'order.updated' | 'sms.received' = 'order.updated') =>
      events.insert({ id, userId, orderId, type, data: `{"id":"${orderId}"}`, createdAt: 1_000 });

    it('gives each event a growing seq and pages a user, or one order, after a seq', () => {
      add('evt1', 'u1', 'o1');
      add('evt2', 'u2', 'o2');
      add('evt3', 'u1', 'o3');
      add('evt4', 'u1', 'o1', 'sms.received');
      const mine = events.after('u1', 0, 10);
      expect(mine.map((e) => e.id)).toEqual(['evt1', 'evt3', 'evt4']);
      expect(mine[0]).toEqual({
        seq: mine[0]!.seq,
        id: 'evt1',
        userId: 'u1',
        orderId: 'o1',
        type: 'order.updated',
        data: '{"id":"o1"}',
        createdAt: 1_000,
      });
      expect(mine[1]!.seq).toBeGreaterThan(mine[0]!.seq);
      expect(events.after('u1', mine[0]!.seq, 1).map((e) => e.id)).toEqual(['evt3']);
      expect(events.after('u1', 0, 10, 'o1').map((e) => e.id)).toEqual(['evt1', 'evt4']);
      expect(events.after('u2', 0, 10, 'o1')).toEqual([]);
    });

    it('finds an event by id, says the last seq, and counts', () => {
      expect(events.lastSeq('u1')).toBe(0);
      expect(events.findById('evt1')).toBeUndefined();
      add('evt1', 'u1', 'o1');
      add('evt2', 'u1', 'o2', 'sms.received');
      add('evt3', 'u2', 'o3');
      const last = events.findById('evt2')!;
      expect(last.type).toBe('sms.received');
      expect(events.lastSeq('u1')).toBe(last.seq);
      expect(events.lastSeq('u1', 'o1')).toBe(events.findById('evt1')!.seq);
      expect(events.count()).toBe(3);
      expect(events.count({ orderId: 'o2' })).toBe(1);
      expect(events.count({ type: 'sms.received' })).toBe(1);
      expect(events.count({ orderId: 'o1', type: 'sms.received' })).toBe(0);
    });

    it('joins the caller’s transaction: a rolled-back event is not kept', () => {
      expect(() =>
        opened.stores.tx.write(() => {
          add('evt1', 'u1', 'o1');
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      expect(events.count()).toBe(0);
      expect(events.open).toBe(true);
    });
  });
}
