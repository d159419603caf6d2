/**
 * The ConsoleQueryStore contract (docs/decisions.md D116, D125): the console's reads across users.
 * Users are made through the account store, balances moved through the ledger store, and orders
 * written through the order store.
 */
import { describe, expect, it } from 'vitest';
import type { ConsoleOrderSearch } from '../../src/console/console-query-store.js';
import type { Order } from '../../src/order/order.js';
import { useStores, type StoreHarness } from './harness.js';

/** Milliseconds well above 2^31, so a 32-bit column would lose them. */
const T0 = 1_764_612_345_678;
/** An id of the shape the engine makes (prefix, base-36 time): ids sort by time. */
const id = (prefix: string, ms: number) => `${prefix}${ms.toString(36).padStart(9, '0')}0000r4nd0mta1l00`;

const byOrderId = <T extends { order: Order }>(rows: T[]) => [...rows].sort((a, b) => (a.order.id < b.order.id ? -1 : 1));
const byUserId = (rows: Array<{ userId: string; balanceCents: number }>) => [...rows].sort((a, b) => (a.userId < b.userId ? -1 : 1));

export function consoleQueryStoreContract(h: StoreHarness): void {
  describe(`${h.name}: ConsoleQueryStore`, () => {
    const s = useStores(h);

    const addUser = (n: number, balanceCents = 0, displayName = `User ${n}`): string => {
      const userId = id('cl', T0 + n);
      s.tx.write(() => {
        s.accounts.insertUser({ id: userId, displayName, lang: 'en', referralCode: `R${n}`, createdAt: T0 + n, externalRef: null });
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

    const addOrder = (n: number, userId: string, over: Partial<Order> = {}): Order => {
      const order: Order = {
        id: id('ck', T0 + 1000 + n),
        userId,
        status: 'WAITING',
        service: 'wa',
        country: 6,
        phone: `+7912000${String(n).padStart(4, '0')}`,
        activationId: String(5000 + n),
        chargedCents: 25,
        expiresAt: T0 + 1_200_000,
        createdAt: T0 + 1000 + n,
        updatedAt: T0 + 1000 + n,
        smsHistory: [],
        endReason: null,
        ...over,
      };
      s.tx.write(() => s.orders.insert(order));
      return order;
    };

    const ids = (search: ConsoleOrderSearch) => s.consoleQueries.searchOrders(search).map((r) => r.order.id);

    describe('balances', () => {
      it('reads the balances of the users asked for, exact above 2^31, zero included', () => {
        const a = addUser(1, 2 ** 32 + 1);
        const b = addUser(2, 0);
        const c = addUser(3, 1234);
        expect(byUserId(s.consoleQueries.balances([c, a, b]))).toEqual([
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
    });

    describe('searchOrders', () => {
      it('runs every shape of search on a database without orders and finds nothing', () => {
        const userId = addUser(1);
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
          { limit: 50, q: '79123', userId, status: 'COMPLETED', before: id('ck', T0) },
          { limit: 0 },
        ];
        for (const search of searches) expect(s.consoleQueries.searchOrders(search)).toEqual([]);
      });

      it('gives each order whole, with its user’s display name, every number exact', () => {
        const userId = addUser(1, 0, 'Zoë 张伟 🚀');
        const order = addOrder(1, userId, {
          status: 'RECEIVED',
          chargedCents: 2 ** 31 + 9,
          expiresAt: Number.MAX_SAFE_INTEGER,
          smsHistory: [{ key: 'k1', body: 'Ваш код 123-456 ✓', code: '123456', receivedAt: T0 + 1500 }],
          endReason: null,
        });
        expect(s.consoleQueries.searchOrders({ limit: 10 })).toEqual([{ order, userName: 'Zoë 张伟 🚀' }]);
        expect(s.consoleQueries.ordersById([order.id])).toEqual([{ order, userName: 'Zoë 张伟 🚀' }]);
      });

      it('lists every user’s orders newest (highest id) first, at most `limit`', () => {
        const a = addUser(1);
        const b = addUser(2);
        // Stored out of order, with times that run against the ids: the ids give the order.
        const orders = [3, 1, 4, 2].map((n) => addOrder(n, n % 2 ? a : b, { createdAt: T0 - n, updatedAt: T0 - n }));
        const newestFirst = [...orders].sort((x, y) => (x.id < y.id ? 1 : -1)).map((o) => o.id);
        expect(ids({ limit: 10 })).toEqual(newestFirst);
        expect(ids({ limit: 2 })).toEqual(newestFirst.slice(0, 2));
        expect(ids({ limit: 0 })).toEqual([]);
      });

      it('pages with `before`, exclusive, so the pages cover every order once', () => {
        const a = addUser(1);
        for (let n = 1; n <= 5; n++) addOrder(n, a);
        const seen: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = ids({ limit: 2, before });
          if (page.length === 0) break;
          seen.push(...page);
          before = page.at(-1);
        }
        expect(seen).toEqual([5, 4, 3, 2, 1].map((n) => id('ck', T0 + 1000 + n)));
        expect(ids({ limit: 10, before: id('ck', T0 + 1001) })).toEqual([]);
      });

      it('filters by user and by status, both together when both are given', () => {
        const a = addUser(1);
        const b = addUser(2);
        const a1 = addOrder(1, a);
        const a2 = addOrder(2, a, { status: 'COMPLETED' });
        const b1 = addOrder(3, b, { status: 'COMPLETED' });
        expect(ids({ limit: 10, userId: a })).toEqual([a2.id, a1.id]);
        expect(ids({ limit: 10, status: 'COMPLETED' })).toEqual([b1.id, a2.id]);
        expect(ids({ limit: 10, userId: a, status: 'COMPLETED' })).toEqual([a2.id]);
        expect(ids({ limit: 10, userId: b, status: 'WAITING' })).toEqual([]);
        expect(ids({ limit: 10, userId: 'cl-nobody' })).toEqual([]);
      });

      it('finds by `q` one order by its id, or a user’s orders by the user’s id, ignoring spaces around', () => {
        const a = addUser(1);
        const b = addUser(2);
        const a1 = addOrder(1, a);
        const a2 = addOrder(2, a);
        const b1 = addOrder(3, b);
        expect(ids({ limit: 10, q: a1.id })).toEqual([a1.id]);
        expect(ids({ limit: 10, q: ` ${b1.id}\t` })).toEqual([b1.id]);
        expect(ids({ limit: 10, q: a })).toEqual([a2.id, a1.id]);
        expect(ids({ limit: 10, q: a1.id.slice(0, -1) })).toEqual([]);
        expect(ids({ limit: 10, q: a1.id.toUpperCase() })).toEqual([]);
      });

      it('finds by `q` phones containing its digits, three at least, whatever else it holds', () => {
        const a = addUser(1);
        const o1 = addOrder(1, a, { phone: '+79123456789' });
        const o2 = addOrder(2, a, { phone: '+447700900123' });
        const o3 = addOrder(3, a, { phone: '+14155550100' });
        expect(ids({ limit: 10, q: '345' })).toEqual([o1.id]);
        expect(ids({ limit: 10, q: '+7 (912) 345-67' })).toEqual([o1.id]);
        expect(ids({ limit: 10, q: '0' })).toEqual([]);
        expect(ids({ limit: 10, q: '01' })).toEqual([]);
        expect(ids({ limit: 10, q: '010' })).toEqual([o3.id]);
        expect(ids({ limit: 10, q: '00' })).toEqual([]);
        expect(ids({ limit: 10, q: '900' })).toEqual([o2.id]);
        expect(ids({ limit: 10, q: '99999' })).toEqual([]);
      });

      it('takes no pattern characters from `q`: `%` and `_` match nothing by themselves', () => {
        const a = addUser(1);
        addOrder(1, a);
        addOrder(2, a);
        expect(ids({ limit: 10, q: '%' })).toEqual([]);
        expect(ids({ limit: 10, q: '___' })).toEqual([]);
        expect(ids({ limit: 10, q: '%%%' })).toEqual([]);
      });

      it('applies `q` together with the other filters', () => {
        const a = addUser(1);
        const b = addUser(2);
        const a1 = addOrder(1, a, { phone: '+79120001111' });
        addOrder(2, b, { phone: '+79120001111' });
        const a3 = addOrder(3, a, { phone: '+79120001111', status: 'CANCELLED', endReason: 'cancelled' });
        expect(ids({ limit: 10, q: '1111', userId: a })).toEqual([a3.id, a1.id]);
        expect(ids({ limit: 10, q: '1111', userId: a, status: 'WAITING' })).toEqual([a1.id]);
        expect(ids({ limit: 10, q: '1111', before: a3.id, userId: a })).toEqual([a1.id]);
      });
    });

    describe('ordersById', () => {
      it('gives the orders asked for, each with its user’s name, leaving unknown ids out', () => {
        const a = addUser(1, 0, 'Alice');
        const b = addUser(2, 0, 'Bob');
        const a1 = addOrder(1, a);
        addOrder(2, a);
        const b1 = addOrder(3, b, { status: 'FAILED', endReason: 'upstream_closed' });
        expect(byOrderId(s.consoleQueries.ordersById([b1.id, 'ck-nothing', a1.id]))).toEqual([
          { order: a1, userName: 'Alice' },
          { order: b1, userName: 'Bob' },
        ]);
        expect(s.consoleQueries.ordersById([a1.id, a1.id])).toEqual([{ order: a1, userName: 'Alice' }]);
      });

      it('finds nothing for no ids or only unknown ones', () => {
        addOrder(1, addUser(1));
        expect(s.consoleQueries.ordersById([])).toEqual([]);
        expect(s.consoleQueries.ordersById(['ck-nothing', id('ck', T0)])).toEqual([]);
      });
    });
  });
}
