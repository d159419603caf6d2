/** The IdempotencyKeyStore contract (docs/decisions.md D17, D125): a key changes only for the attempt that holds it. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdempotencyKeyStore } from '../../src/idempotency/idempotency-store.js';
import type { OpenedStores, StoreHarness } from './harness.js';

export function idempotencyKeyStoreContract(harness: StoreHarness): void {
  describe(`IdempotencyKeyStore (${harness.name})`, () => {
    let opened: OpenedStores;
    let keys: IdempotencyKeyStore;
    beforeEach(async () => {
      opened = await harness.open();
      keys = opened.stores.idempotencyKeys;
    });
    afterEach(async () => {
      await opened.close();
    });

    it('takes a key, completes it once for the attempt holding it, and finds it done', () => {
      expect(keys.find('u1', 'k')).toBeUndefined();
      keys.take('u1', 'k', 'hash1', 'a1', 1_000);
      expect(keys.find('u1', 'k')).toEqual({ requestHash: 'hash1', state: 'in_progress', status: null, body: null, createdAt: 1_000 });
      expect(keys.complete('u1', 'k', 'other', { status: 200, body: '{}' })).toBe(false);
      expect(keys.complete('u1', 'k', 'a1', { status: 201, body: '{"ok":true}' })).toBe(true);
      expect(keys.complete('u1', 'k', 'a1', { status: 500, body: '{}' })).toBe(false);
      expect(keys.find('u1', 'k')).toEqual({ requestHash: 'hash1', state: 'done', status: 201, body: '{"ok":true}', createdAt: 1_000 });
      expect(keys.find('u2', 'k')).toBeUndefined();
    });

    it('lets a new attempt take a key over, clearing what it held', () => {
      keys.take('u1', 'k', 'hash1', 'a1', 1_000);
      keys.complete('u1', 'k', 'a1', { status: 200, body: '1' });
      keys.take('u1', 'k', 'hash2', 'a2', 2_000);
      expect(keys.find('u1', 'k')).toEqual({ requestHash: 'hash2', state: 'in_progress', status: null, body: null, createdAt: 2_000 });
      expect(keys.complete('u1', 'k', 'a1', { status: 200, body: '1' })).toBe(false);
    });

    it('releases a key only for its attempt while in progress, all in-progress keys at once, and old keys', () => {
      keys.take('u1', 'a', 'h', 'a1', 1_000);
      keys.take('u1', 'b', 'h', 'b1', 2_000);
      keys.take('u2', 'c', 'h', 'c1', 3_000);
      keys.complete('u2', 'c', 'c1', { status: 200, body: '1' });
      expect(keys.release('u1', 'a', 'wrong')).toBe(false);
      expect(keys.release('u1', 'a', 'a1')).toBe(true);
      expect(keys.find('u1', 'a')).toBeUndefined();
      expect(keys.release('u2', 'c', 'c1')).toBe(false); // done: kept for replay
      expect(keys.releaseAllInProgress()).toBe(1);
      expect(keys.find('u1', 'b')).toBeUndefined();
      expect(keys.deleteCreatedBefore(3_000)).toBe(0);
      expect(keys.deleteCreatedBefore(3_001)).toBe(1);
      expect(keys.find('u2', 'c')).toBeUndefined();
    });
  });
}
