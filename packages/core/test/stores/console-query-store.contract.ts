/**
 * The ConsoleQueryStore contract (docs/decisions.md D116, D125): the console's reads across users.
 * Orders have no store on this branch's main yet, so the order searches are run on a database
 * without orders (each search shape must still be a valid query that finds nothing); the balances
 * are read from users made through the account store and moved through the ledger store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleOrderSearch } from '../../src/console/console-query-store.js';
import type { Stores } from '../../src/storage/stores.js';
import type { OpenedStores, StoreHarness } from './harness.js';

const T0 = 1_764_612_345_678;
const id = (prefix: string, ms: number) => `${prefix}${ms.toString(36).padStart(9, '0')}0000r4nd0mta1l00`;

export function consoleQueryStoreContract(h: StoreHarness): void {
  describe(`${h.name}: ConsoleQueryStore`, () => {
    let opened: OpenedStores;
    let s: Stores;

    beforeEach(() => {
      opened = h.open();
      s = opened.stores;
    });
    afterEach(() => opened.close());

    const addUser = (n: number, balanceCents: number): string => {
      const userId = id('cl', T0 + n);
      s.tx.write(() => {
        s.accounts.insertUser({
          id: userId,
          displayName: `User ${n}`,
          lang: 'en',
          referralCode: `R${n}`,
          createdAt: T0 + n,
          externalRef: null,
        });
        if (balanceCents > 0)
          s.ledger.append({
            id: id('led', T0 + n),
            userId,
            kind: 'topup',
            amountCents: balanceCents,
            orderId: null,
            reason: null,
            createdAt: T0 + n,
          });
      });
      return userId;
    };

    const sortByUser = (rows: Array<{ userId: string; balanceCents: number }>) => [...rows].sort((a, b) => (a.userId < b.userId ? -1 : 1));

    it('reads the balances of the users asked for, exact above 2^31, zero included', () => {
      const a = addUser(1, 2 ** 32 + 1);
      const b = addUser(2, 0);
      const c = addUser(3, 1234);
      expect(sortByUser(s.consoleQueries.balances([c, a, b]))).toEqual([
        { userId: a, balanceCents: 2 ** 32 + 1 },
        { userId: b, balanceCents: 0 },
        { userId: c, balanceCents: 1234 },
      ]);
      expect(s.consoleQueries.balances([b])).toEqual([{ userId: b, balanceCents: 0 }]);
    });

    it('leaves unknown users out, answers an empty list with nothing, and one user asked twice once', () => {
      const a = addUser(1, 500);
      expect(s.consoleQueries.balances(['cl-nobody', a, "'); DROP TABLE users; --"])).toEqual([{ userId: a, balanceCents: 500 }]);
      expect(s.consoleQueries.balances([])).toEqual([]);
      expect(s.consoleQueries.balances(['cl-nobody'])).toEqual([]);
      expect(s.consoleQueries.balances([a, a])).toEqual([{ userId: a, balanceCents: 500 }]);
    });

    it('finds no orders by id on a database without orders, for no ids or unknown ones', () => {
      addUser(1, 0);
      expect(s.consoleQueries.ordersById([])).toEqual([]);
      expect(s.consoleQueries.ordersById(['ck-nothing', id('ck', T0)])).toEqual([]);
    });

    it('runs every shape of search on a database without orders and finds nothing', () => {
      const userId = addUser(1, 0);
      const searches: ConsoleOrderSearch[] = [
        { limit: 50 },
        { limit: 50, before: id('ck', T0) },
        { limit: 50, userId },
        { limit: 50, status: 'WAITING' },
        { limit: 50, q: id('ck', T0) },
        { limit: 50, q: userId },
        { limit: 50, q: '+7 (912) 345' },
        { limit: 50, q: '12' },
        { limit: 50, q: '   ' },
        { limit: 50, q: '100%_' },
        { limit: 50, q: '79123', userId, status: 'COMPLETED', before: id('ck', T0) },
        { limit: 0 },
      ];
      for (const search of searches) expect(s.consoleQueries.searchOrders(search)).toEqual([]);
    });
  });
}
