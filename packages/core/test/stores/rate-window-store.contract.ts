/**
 * The RateWindowStore contract (docs/decisions.md D16, D129): exact sliding windows per key. On
 * SQLite the windows are in memory; on PostgreSQL in the database, where hits from several
 * connections at once must still never exceed the limit.
 */
import { describe, expect, it } from 'vitest';
import { useStores, type StoreHarness } from './harness.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000;

export function rateWindowStoreContract(h: StoreHarness): void {
  describe(`${h.name}: RateWindowStore`, () => {
    const s = useStores(h);

    it('accepts exactly the limit in a window, then refuses, reporting the oldest hit', () => {
      const results = Array.from({ length: 7 }, (_, i) => s.rateWindows.hit('write:k1', T0 + i * 1000, MIN, 5));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
      expect(results.map((r) => r.used)).toEqual([1, 2, 3, 4, 5, 5, 5]);
      expect(results.every((r) => r.oldest === T0)).toBe(true);
    });

    it('slides: a hit leaves the window exactly windowMs after it was made', () => {
      for (let i = 0; i < 3; i++) expect(s.rateWindows.hit('k', T0 + i * 10_000, MIN, 3).allowed).toBe(true);
      // At T0 + 60 s the first hit (T0) has just left: the window is (now − 60 s, now].
      expect(s.rateWindows.hit('k', T0 + MIN - 1, MIN, 3)).toEqual({ allowed: false, used: 3, oldest: T0 });
      expect(s.rateWindows.hit('k', T0 + MIN, MIN, 3)).toEqual({ allowed: true, used: 3, oldest: T0 + 10_000 });
      expect(s.rateWindows.hit('k', T0 + MIN + 1, MIN, 3).allowed).toBe(false);
      // Long after, the window is empty again.
      expect(s.rateWindows.hit('k', T0 + 10 * MIN, MIN, 3)).toEqual({ allowed: true, used: 1, oldest: T0 + 10 * MIN });
    });

    it('does not count refused hits: a burst of refusals does not push the next slot back', () => {
      s.rateWindows.hit('k', T0, MIN, 2);
      s.rateWindows.hit('k', T0 + 1_000, MIN, 2);
      for (let i = 0; i < 50; i++) expect(s.rateWindows.hit('k', T0 + 2_000 + i * 100, MIN, 2).allowed).toBe(false);
      expect(s.rateWindows.peek('k', T0 + MIN, MIN, 2)).toEqual({ allowed: true, used: 1, oldest: T0 + 1_000 });
      expect(s.rateWindows.hit('k', T0 + MIN, MIN, 2)).toEqual({ allowed: true, used: 2, oldest: T0 + 1_000 });
    });

    it('peek does not count, and answers an empty window for a key never hit', () => {
      expect(s.rateWindows.peek('never', T0, MIN, 3)).toEqual({ allowed: true, used: 0, oldest: undefined });
      s.rateWindows.hit('k', T0, MIN, 2);
      for (let i = 0; i < 5; i++) expect(s.rateWindows.peek('k', T0 + 1, MIN, 2)).toEqual({ allowed: true, used: 1, oldest: T0 });
      expect(s.rateWindows.hit('k', T0 + 2, MIN, 2)).toEqual({ allowed: true, used: 2, oldest: T0 });
      expect(s.rateWindows.peek('k', T0 + 3, MIN, 2)).toEqual({ allowed: false, used: 2, oldest: T0 });
    });

    it('keeps keys independent, exactly (case, unicode, a class prefix)', () => {
      const keys = ['read:1', 'write:1', 'read:10', 'Read:1', 'auth_failure:::1', 'auth_failure:203.0.113.7', 'write:ключ'];
      for (const k of keys) expect(s.rateWindows.hit(k, T0, MIN, 1).allowed).toBe(true);
      for (const k of keys) expect(s.rateWindows.hit(k, T0 + 1, MIN, 1)).toEqual({ allowed: false, used: 1, oldest: T0 });
      for (let i = 0; i < 200; i++) expect(s.rateWindows.hit(`many:${i}`, T0, MIN, 1).allowed).toBe(true);
      expect(s.rateWindows.peek('many:199', T0, MIN, 1).used).toBe(1);
    });

    it('refuses everything at a limit of 0, and takes each call’s own window and limit', () => {
      expect(s.rateWindows.hit('zero', T0, MIN, 0)).toEqual({ allowed: false, used: 0, oldest: undefined });
      expect(s.rateWindows.hit('short', T0, 1_000, 1).allowed).toBe(true);
      expect(s.rateWindows.hit('short', T0 + 999, 1_000, 1).allowed).toBe(false);
      expect(s.rateWindows.hit('short', T0 + 1_000, 1_000, 1).allowed).toBe(true);
    });

    it('prunes only keys whose windows are empty', () => {
      s.rateWindows.hit('old', T0, MIN, 5);
      s.rateWindows.hit('zero', T0, MIN, 0);
      s.rateWindows.hit('live', T0 + 30_000, MIN, 5);
      expect(s.rateWindows.prune(T0 + MIN)).toBe(2);
      expect(s.rateWindows.prune(T0 + MIN)).toBe(0);
      expect(s.rateWindows.peek('live', T0 + MIN, MIN, 5)).toEqual({ allowed: true, used: 1, oldest: T0 + 30_000 });
      expect(s.rateWindows.peek('old', T0 + MIN, MIN, 5).used).toBe(0);
      // A pruned key starts again from an empty window.
      expect(s.rateWindows.hit('old', T0 + MIN, MIN, 5)).toEqual({ allowed: true, used: 1, oldest: T0 + MIN });
    });

    if (h.concurrentHits) {
      const concurrentHits = h.concurrentHits;
      it('never exceeds the limit when hits on one key come from several connections at once', async () => {
        for (const [connections, hits, limit] of [
          [2, 60, 25],
          [4, 200, 7],
        ] as const) {
          const allowed = await concurrentHits(s, `write:race-${connections}`, { connections, hits, now: T0, windowMs: MIN, limit });
          expect(allowed).toBe(limit);
          expect(s.rateWindows.peek(`write:race-${connections}`, T0, MIN, limit)).toEqual({ allowed: false, used: limit, oldest: T0 });
        }
      });
    }
  });
}
