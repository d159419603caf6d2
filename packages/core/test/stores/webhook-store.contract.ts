/** The WebhookStore contract (docs/decisions.md D92–D95, D125): endpoints, and deliveries owed to them. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookStore } from '../../src/push/webhook-store.js';
import type { OpenedStores, StoreHarness } from './harness.js';

export function webhookStoreContract(harness: StoreHarness): void {
  describe(`WebhookStore (${harness.name})`, () => {
    let opened: OpenedStores;
    let hooks: WebhookStore;
    beforeEach(async () => {
      opened = await harness.open();
      hooks = opened.stores.webhooks;
      for (const id of ['u1', 'u2'])
        opened.stores.accounts.insertUser({ id, displayName: id, lang: 'en', referralCode: `ref-${id}`, createdAt: 0, externalRef: null });
      opened.stores.events.insert({ id: 'evt1', userId: 'u1', orderId: 'o1', type: 'sms.received', data: '{}', createdAt: 0 });
    });
    afterEach(async () => {
      await opened.close();
    });

    const endpoint = (id: string, userId = 'u1') =>
      hooks.insertWebhook({
        id,
        userId,
        url: `https://example.com/${id}`,
        events: ['order.updated', 'sms.received'],
        secret: `s-${id}`,
        createdAt: 10,
      });
    const owe = (id: string, webhookId = 'wh1', nextAttemptAt = 100) =>
      hooks.insertDelivery({ id, webhookId, eventId: 'evt1', nextAttemptAt, createdAt: 50 });

    it('keeps endpoints per user, without the deleted ones, and rotates secrets', () => {
      endpoint('wh2');
      endpoint('wh1');
      endpoint('wh3', 'u2');
      expect(hooks.countActiveForUser('u1')).toBe(2);
      expect(hooks.listActiveForUser('u1').map((w) => w.id)).toEqual(['wh1', 'wh2']);
      expect(hooks.findActive('wh1')).toEqual({
        id: 'wh1',
        userId: 'u1',
        url: 'https://example.com/wh1',
        events: ['order.updated', 'sms.received'],
        secret: 's-wh1',
        previousSecret: null,
        previousUntil: null,
        createdAt: 10,
        deletedAt: null,
      });
      hooks.setSecrets('wh1', 'new', { secret: 's-wh1', until: 500 });
      expect(hooks.findActive('wh1')).toMatchObject({ secret: 'new', previousSecret: 's-wh1', previousUntil: 500 });
      hooks.setSecrets('wh1', 'newer', null);
      expect(hooks.findActive('wh1')).toMatchObject({ secret: 'newer', previousSecret: null, previousUntil: null });
      hooks.markDeleted('wh2', 20);
      expect(hooks.findActive('wh2')).toBeUndefined();
      expect(hooks.findById('wh2')?.deletedAt).toBe(20);
      expect(hooks.countActiveForUser('u1')).toBe(1);
    });

    it("owes an event's deliveries to the user's endpoints that subscribe to its type, not deleted ones, with ids in its time order", () => {
      endpoint('wh2');
      endpoint('wh1');
      endpoint('wh3', 'u2');
      hooks.insertWebhook({ id: 'wh4', userId: 'u1', url: 'https://example.com/4', events: ['order.updated'], secret: 's', createdAt: 10 });
      hooks.insertWebhook({ id: 'wh5', userId: 'u1', url: 'https://example.com/5', events: ['sms.received'], secret: 's', createdAt: 10 });
      hooks.markDeleted('wh5', 20);
      const base = 'dlv0mjuohs00000000000000000x';
      hooks.oweDeliveries({ id: 'evt1', userId: 'u1', type: 'sms.received', createdAt: 70 }, base);
      const owed = ['wh1', 'wh2', 'wh3', 'wh4', 'wh5'].flatMap((w) => hooks.listDeliveries(w, '\uffff', 10));
      // wh1 and wh2 subscribe; wh3 is another user's, wh4 wants other events, wh5 is deleted.
      expect(owed.map((d) => [d.webhookId, d.id, d.eventId, d.state, d.nextAttemptAt, d.createdAt])).toEqual([
        ['wh1', 'dlv0mjuohs000000000000000000', 'evt1', 'pending', 70, 70],
        ['wh2', 'dlv0mjuohs000000000000000001', 'evt1', 'pending', 70, 70],
      ]);
      expect(hooks.listDue(70, 10).map((d) => d.eventType)).toEqual(['sms.received', 'sms.received']);
      // A user with no endpoint: nothing owed.
      hooks.oweDeliveries({ id: 'evt1', userId: 'u9', type: 'sms.received', createdAt: 80 }, 'dlv0mjuohs00000000000000001x');
      expect(hooks.pendingCount()).toBe(2);
      expect(() => hooks.oweDeliveries({ id: 'evt1', userId: 'u1', type: 'sms.received', createdAt: 80 }, 'dlv1')).toThrow(RangeError);
    });

    it('lists deliveries newest first, finds one (of an endpoint), and says what is due and when', () => {
      endpoint('wh1');
      endpoint('wh2');
      owe('dlv1', 'wh1', 100);
      owe('dlv2', 'wh1', 300);
      owe('dlv3', 'wh2', 200);
      expect(hooks.listDeliveries('wh1', '\uffff', 10).map((d) => d.id)).toEqual(['dlv2', 'dlv1']);
      expect(hooks.listDeliveries('wh1', 'dlv2', 10).map((d) => d.id)).toEqual(['dlv1']);
      expect(hooks.findDelivery('dlv1')).toEqual({
        id: 'dlv1',
        webhookId: 'wh1',
        eventId: 'evt1',
        eventType: 'sms.received',
        state: 'pending',
        attempts: 0,
        nextAttemptAt: 100,
        lastStatus: null,
        lastError: null,
        lastAttemptAt: null,
        deliveredAt: null,
        createdAt: 50,
      });
      expect(hooks.findDelivery('dlv1', 'wh2')).toBeUndefined();
      expect(hooks.pendingCount()).toBe(3);
      expect(hooks.listDue(200, 10).map((d) => d.id)).toEqual(['dlv1', 'dlv3']);
      expect(hooks.listDue(200, 1).map((d) => d.id)).toEqual(['dlv1']);
      expect(hooks.hasDue(99)).toBe(false);
      expect(hooks.hasDue(100)).toBe(true);
      expect(hooks.nextDueAfter(0)).toBe(100);
      expect(hooks.nextDueAfter(100)).toBe(200);
      expect(hooks.nextDueAfter(300)).toBeUndefined();
    });

    it('records outcomes: delivered, retried later, failed; failing only what is pending', () => {
      endpoint('wh1');
      owe('dlv1');
      owe('dlv2');
      owe('dlv3');
      expect(hooks.markDelivered('dlv1', { attempts: 1, status: 204, at: 120 })).toBe(true);
      expect(hooks.findDelivery('dlv1')).toMatchObject({
        state: 'delivered',
        attempts: 1,
        lastStatus: 204,
        lastError: null,
        lastAttemptAt: 120,
        deliveredAt: 120,
      });
      expect(
        hooks.recordFailure('dlv2', { state: 'pending', attempts: 1, status: 503, error: 'down', at: 120, nextAttemptAt: 5_000 }),
      ).toBe(true);
      expect(hooks.findDelivery('dlv2')).toMatchObject({
        state: 'pending',
        attempts: 1,
        lastStatus: 503,
        lastError: 'down',
        lastAttemptAt: 120,
        nextAttemptAt: 5_000,
      });
      expect(hooks.listDue(1_000, 10).map((d) => d.id)).toEqual(['dlv3']);
      expect(hooks.failIfPending('dlv1', 'gone')).toBe(false);
      expect(hooks.failIfPending('dlv3', 'gone')).toBe(true);
      expect(hooks.findDelivery('dlv3')).toMatchObject({ state: 'failed', lastError: 'gone' });
      expect(hooks.failPendingForWebhook('wh1', 'the endpoint was deleted')).toBe(1);
      expect(hooks.findDelivery('dlv2')).toMatchObject({ state: 'failed', lastError: 'the endpoint was deleted' });
      expect(hooks.pendingCount()).toBe(0);
      expect(hooks.markDelivered('nope', { attempts: 1, status: 200, at: 1 })).toBe(false);
    });

    it('records an attempt only on the delivery as the attempt found it: pending, one attempt fewer', () => {
      endpoint('wh1');
      owe('dlv1');
      owe('dlv2');
      owe('dlv3');
      expect(hooks.markDelivered('dlv1', { attempts: 1, status: 200, at: 120 })).toBe(true);
      // A second writer recording the same attempt, or a failure after it, changes nothing.
      expect(hooks.markDelivered('dlv1', { attempts: 1, status: 201, at: 130 })).toBe(false);
      expect(
        hooks.recordFailure('dlv1', { state: 'pending', attempts: 1, status: 503, error: 'late', at: 130, nextAttemptAt: 9_000 }),
      ).toBe(false);
      expect(hooks.findDelivery('dlv1')).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200, deliveredAt: 120 });
      // A failed attempt counts once: the same attempt recorded again is refused, the next one lands.
      const failure = { state: 'pending' as const, attempts: 1, status: 503, error: 'down', at: 120, nextAttemptAt: 5_000 };
      expect(hooks.recordFailure('dlv2', failure)).toBe(true);
      expect(hooks.recordFailure('dlv2', { ...failure, error: 'again' })).toBe(false);
      expect(hooks.markDelivered('dlv2', { attempts: 1, status: 200, at: 130 })).toBe(false);
      expect(hooks.findDelivery('dlv2')).toMatchObject({ state: 'pending', attempts: 1, lastError: 'down' });
      expect(hooks.markDelivered('dlv2', { attempts: 2, status: 200, at: 5_000 })).toBe(true);
      expect(hooks.findDelivery('dlv2')).toMatchObject({ state: 'delivered', attempts: 2, lastError: null });
      // A delivery ended meanwhile (its endpoint deleted) stays ended.
      expect(hooks.failIfPending('dlv3', 'the endpoint was deleted')).toBe(true);
      expect(hooks.markDelivered('dlv3', { attempts: 1, status: 200, at: 140 })).toBe(false);
      expect(hooks.findDelivery('dlv3')).toMatchObject({ state: 'failed', lastError: 'the endpoint was deleted', deliveredAt: null });
    });
  });
}
