/**
 * The JobLockStore contract (docs/decisions.md D128): what one instance sees of its own job locks.
 * Holds are counted: each acquire that said true is given back by one release, and a job's lock
 * is free again only after the last. Whether another instance is refused meanwhile depends on
 * the database: on SQLite one process holds the file and so every lock; on PostgreSQL the test of
 * several instances (test/jobs-across-instances.test.ts) shows it.
 */
import { describe, expect, it } from 'vitest';
import { useStores, type StoreHarness } from './harness.js';

export function jobLockStoreContract(h: StoreHarness): void {
  describe(`${h.name}: JobLockStore`, () => {
    const s = useStores(h);

    it('holds a free job’s lock once taken, and no longer once given back', () => {
      expect(s.jobs.holds('outbox')).toBe(false);
      expect(s.jobs.tryAcquire('outbox')).toBe(true);
      expect(s.jobs.holds('outbox')).toBe(true);
      expect(s.jobs.holds('sweep')).toBe(false);
      s.jobs.release('outbox');
      expect(s.jobs.holds('outbox')).toBe(false);
    });

    it('counts holds: the lock is kept until each acquire is balanced by a release', () => {
      expect(s.jobs.tryAcquire('sweep')).toBe(true);
      expect(s.jobs.tryAcquire('sweep')).toBe(true);
      s.jobs.release('sweep');
      expect(s.jobs.holds('sweep')).toBe(true);
      s.jobs.release('sweep');
      expect(s.jobs.holds('sweep')).toBe(false);
      expect(s.jobs.tryAcquire('sweep')).toBe(true);
      s.jobs.release('sweep');
      expect(s.jobs.holds('sweep')).toBe(false);
    });

    it('ignores a release of a lock not held, which then still counts from nothing', () => {
      s.jobs.release('webhooks');
      expect(s.jobs.holds('webhooks')).toBe(false);
      expect(s.jobs.tryAcquire('webhooks')).toBe(true);
      s.jobs.release('webhooks');
      s.jobs.release('webhooks');
      expect(s.jobs.holds('webhooks')).toBe(false);
    });

    it('keeps a lock taken inside a transaction that rolls back, and takes locks of several jobs apart', () => {
      expect(() =>
        s.tx.write(() => {
          s.jobs.tryAcquire('outbox');
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(s.jobs.holds('outbox')).toBe(true);
      expect(s.jobs.tryAcquire('buy-reconcile')).toBe(true);
      s.jobs.release('outbox');
      expect(s.jobs.holds('outbox')).toBe(false);
      expect(s.jobs.holds('buy-reconcile')).toBe(true);
      s.jobs.release('buy-reconcile');
    });
  });
}
