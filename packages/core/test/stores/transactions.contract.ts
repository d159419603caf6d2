/**
 * The Transactions contract (docs/decisions.md D125): services open transactions here and every
 * store joins the one open. Writes go through the outbox and account stores; what matters is what
 * a transaction keeps, across stores.
 */
import { describe, expect, it } from 'vitest';
import { useStores, type StoreHarness } from './harness.js';

const T0 = 1_764_612_345_678;

const id = (prefix: string, ms: number, seq = 0) =>
  `${prefix}${ms.toString(36).padStart(9, '0')}${seq.toString(36).padStart(4, '0')}r4nd0mta1l00`;

export function transactionsContract(h: StoreHarness): void {
  describe(`${h.name}: Transactions`, () => {
    const s = useStores(h);

    /** One write: outbox command `n`. */
    const put = (n: number) => s.outbox.insert({ id: id('ob', T0, n), kind: 'cancel', activationId: `act-${n}`, orderId: null, at: T0 });
    /** The commands kept, by number. */
    const kept = () => s.outbox.listPending().map((c) => Number.parseInt(c.id.slice(11, 15), 36));
    const addUser = (n: number) =>
      s.accounts.insertUser({
        id: id('cl', T0, n),
        displayName: `User ${n}`,
        lang: 'en',
        referralCode: `REF${n}`,
        createdAt: T0,
        externalRef: null,
      });
    const hasUser = (n: number) => s.accounts.getUser(id('cl', T0, n)) !== undefined;

    const boom = () => new Error('boom');

    it('is not active outside a transaction, and active inside one', () => {
      expect(s.tx.active).toBe(false);
      expect(s.tx.write(() => s.tx.active)).toBe(true);
      expect(s.tx.writeUnsynced(() => s.tx.active)).toBe(true);
      expect(s.tx.write(() => s.tx.savepoint(() => s.tx.active))).toBe(true);
      expect(s.tx.active).toBe(false);
    });

    it('write commits what it writes, across stores, and returns its result', () => {
      const result = s.tx.write(() => {
        put(1);
        addUser(1);
        return { ok: 42 };
      });
      expect(result).toEqual({ ok: 42 });
      expect(kept()).toEqual([1]);
      expect(hasUser(1)).toBe(true);
    });

    it('write rolls back everything written inside when it throws, rethrowing the error, and is no longer active', () => {
      s.tx.write(() => put(1));
      const err = boom();
      expect(() =>
        s.tx.write(() => {
          put(2);
          addUser(2);
          expect(kept()).toEqual([1, 2]);
          throw err;
        }),
      ).toThrow(err);
      expect(s.tx.active).toBe(false);
      expect(kept()).toEqual([1]);
      expect(hasUser(2)).toBe(false);
      // The next transaction starts clean.
      s.tx.write(() => put(3));
      expect(kept()).toEqual([1, 3]);
    });

    it('write rolls back everything written inside when a database guard throws', () => {
      s.tx.write(() => put(1));
      expect(() =>
        s.tx.write(() => {
          put(2);
          put(1); // the id is taken
        }),
      ).toThrow();
      expect(s.tx.active).toBe(false);
      expect(kept()).toEqual([1]);
    });

    it('writeUnsynced commits and rolls back as write does', () => {
      expect(s.tx.writeUnsynced(() => (put(1), 'done'))).toBe('done');
      const err = boom();
      expect(() =>
        s.tx.writeUnsynced(() => {
          put(2);
          throw err;
        }),
      ).toThrow(err);
      expect(s.tx.active).toBe(false);
      expect(kept()).toEqual([1]);
    });

    it('a nested write joins the outer one: it commits only with it', () => {
      const err = boom();
      expect(() =>
        s.tx.write(() => {
          put(1);
          expect(s.tx.write(() => (put(2), s.tx.active))).toBe(true);
          expect(s.tx.writeUnsynced(() => (put(3), 'inner'))).toBe('inner');
          expect(s.tx.active).toBe(true);
          throw err;
        }),
      ).toThrow(err);
      expect(kept()).toEqual([]);

      s.tx.write(() => {
        put(1);
        s.tx.write(() => put(2));
        expect(s.tx.active).toBe(true);
      });
      expect(kept()).toEqual([1, 2]);
    });

    it('a nested write that throws does not roll back alone: caught by the outer one, its writes stay (a savepoint is for that)', () => {
      s.tx.write(() => {
        put(1);
        expect(() =>
          s.tx.write(() => {
            put(2);
            throw boom();
          }),
        ).toThrow('boom');
        expect(s.tx.active).toBe(true);
        put(3);
      });
      expect(kept()).toEqual([1, 2, 3]);
    });

    it('a savepoint that throws rolls back its own writes only; the outer transaction goes on and commits', () => {
      const err = boom();
      const result = s.tx.write(() => {
        put(1);
        expect(() =>
          s.tx.savepoint(() => {
            put(2);
            addUser(2);
            throw err;
          }),
        ).toThrow(err);
        expect(s.tx.active).toBe(true);
        expect(kept()).toEqual([1]);
        expect(hasUser(2)).toBe(false);
        put(3);
        return 'committed';
      });
      expect(result).toBe('committed');
      expect(kept()).toEqual([1, 3]);
    });

    it('a savepoint rolls back alone after a database guard throws inside it', () => {
      s.tx.write(() => {
        put(1);
        expect(() =>
          s.tx.savepoint(() => {
            put(2);
            put(1); // the id is taken
          }),
        ).toThrow();
        put(3);
      });
      expect(kept()).toEqual([1, 3]);
    });

    it('a savepoint that returns keeps its writes, which still roll back with the outer transaction', () => {
      s.tx.write(() => {
        expect(s.tx.savepoint(() => (put(1), 7))).toBe(7);
      });
      expect(kept()).toEqual([1]);

      expect(() =>
        s.tx.write(() => {
          s.tx.savepoint(() => put(2));
          throw boom();
        }),
      ).toThrow('boom');
      expect(kept()).toEqual([1]);
    });

    it('nested savepoints: the inner one rolls back alone, the outer one keeps its writes', () => {
      s.tx.write(() => {
        s.tx.savepoint(() => {
          put(1);
          expect(() =>
            s.tx.savepoint(() => {
              put(2);
              throw boom();
            }),
          ).toThrow('boom');
          put(3);
        });
        // A savepoint rolled back after an inner one returned takes the inner one's writes too.
        expect(() =>
          s.tx.savepoint(() => {
            s.tx.savepoint(() => put(4));
            throw boom();
          }),
        ).toThrow('boom');
      });
      expect(kept()).toEqual([1, 3]);
    });
  });
}
