/**
 * The HealthStore contract (docs/decisions.md D125): the liveness check's one read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenedStores, StoreHarness } from './harness.js';

export function healthStoreContract(h: StoreHarness): void {
  describe(`${h.name}: HealthStore`, () => {
    let opened: OpenedStores;
    let closed: boolean;

    beforeEach(async () => {
      opened = await h.open();
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await opened.close();
    });

    it('answers true while the storage is open, on an empty database too', () => {
      expect(opened.stores.health.ping()).toBe(true);
      expect(opened.stores.health.ping()).toBe(true);
    });

    it('throws, rather than answering false, once the storage cannot be reached', async () => {
      const { health } = opened.stores;
      await opened.close();
      closed = true;
      expect(() => health.ping()).toThrow();
    });
  });
}
