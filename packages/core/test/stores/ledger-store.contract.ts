/**
 * The LedgerStore contract (docs/decisions.md D4, D125): the append-only rows that record every
 * balance change and the cached balance they move, as every implementation must keep them. Appends
 * run inside the storage's transactions, as the ledger service calls them; reads run outside.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEntry, LedgerKind, NewLedgerEntry } from '../../src/ledger/ledger-store.js';
import type { Order } from '../../src/order/order.js';
import { useStores, type StoreHarness } from './harness.js';

/** Milliseconds well above 2^31 (a real clock's), so a 32-bit column would lose them. */
const T0 = 1_764_612_345_678;

/** An id of the shape the engine makes (prefix, base-36 time, sequence): ids sort by time. */
const id = (prefix: string, ms: number, seq = 0) =>
  `${prefix}${ms.toString(36).padStart(9, '0')}${seq.toString(36).padStart(4, '0')}r4nd0mta1l00`;

const userId = (n: number) => id('cl', T0 + n);
const entryId = (n: number) => id('led', T0, n);

export function ledgerStoreContract(h: StoreHarness): void {
  describe(`${h.name}: LedgerStore`, () => {
    const s = useStores(h);
    const write = <T>(fn: () => T): T => s.tx.write(fn);

    const addUser = (n: number): string => {
      const uid = userId(n);
      write(() =>
        s.accounts.insertUser({
          id: uid,
          displayName: `User ${n}`,
          lang: 'en',
          referralCode: `REF${n}`,
          createdAt: T0 + n,
          externalRef: null,
        }),
      );
      return uid;
    };

    const entry = (n: number, uid: string, kind: LedgerKind, amountCents: number, over: Partial<NewLedgerEntry> = {}): NewLedgerEntry => ({
      id: entryId(n),
      userId: uid,
      kind,
      amountCents,
      orderId: null,
      reason: null,
      createdAt: T0 + n,
      ...over,
    });

    /** Appends in its own transaction, as the ledger service does. */
    const append = (e: NewLedgerEntry) => write(() => s.ledger.append(e));

    describe('balances and appends', () => {
      it('gives a new user a zero balance, and no balance for an unknown user', () => {
        const u = addUser(1);
        expect(s.ledger.balanceOf(u)).toBe(0);
        expect(s.ledger.balanceOf(userId(2))).toBeUndefined();
      });

      it('moves the balance by the amount and records the balance each row leaves, every field as given', () => {
        const u = addUser(1);
        const topup = append(entry(1, u, 'topup', 1_000, { reason: 'opening balance' }));
        expect(topup).toEqual({
          id: entryId(1),
          userId: u,
          kind: 'topup',
          amountCents: 1_000,
          balanceAfterCents: 1_000,
          orderId: null,
          reason: 'opening balance',
          createdAt: T0 + 1,
        });
        const debit = append(entry(2, u, 'order_debit', -300, { orderId: 'order-a' }));
        expect(debit?.balanceAfterCents).toBe(700);
        expect(s.ledger.balanceOf(u)).toBe(700);
        // The rows read back exactly as appended (nulls stay null, not undefined).
        expect(s.ledger.listByUser(u, 10)).toEqual([debit, topup]);
      });

      it('takes a balance to exactly zero, and refuses one cent below it, writing nothing', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 500));
        expect(append(entry(2, u, 'order_debit', -500, { orderId: 'order-a' }))?.balanceAfterCents).toBe(0);
        expect(s.ledger.balanceOf(u)).toBe(0);

        expect(append(entry(3, u, 'adjustment', -1))).toBeUndefined();
        expect(s.ledger.balanceOf(u)).toBe(0);
        expect(s.ledger.listByUser(u, 10).map((e) => e.id)).toEqual([entryId(2), entryId(1)]);
        expect(s.ledger.countByKind('adjustment')).toBe(0);
      });

      it('refuses a debit larger than the balance, leaving balance and rows as they were', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 1_000));
        expect(append(entry(2, u, 'order_debit', -1_001, { orderId: 'order-a' }))).toBeUndefined();
        expect(s.ledger.balanceOf(u)).toBe(1_000);
        expect(s.ledger.listByUser(u, 10)).toHaveLength(1);
        expect(s.ledger.countByKind('order_debit')).toBe(0);
        expect(s.ledger.listByOrder('order-a')).toEqual([]);
        // The refused id was not used: it can be appended once the balance allows it.
        append(entry(3, u, 'topup', 1));
        expect(append(entry(2, u, 'order_debit', -1_001, { orderId: 'order-a' }))?.balanceAfterCents).toBe(0);
      });

      it('accepts a balance of exactly Number.MAX_SAFE_INTEGER and refuses one cent more', () => {
        const u = addUser(1);
        const max = Number.MAX_SAFE_INTEGER;
        expect(append(entry(1, u, 'topup', max - 1))?.balanceAfterCents).toBe(max - 1);
        expect(append(entry(2, u, 'topup', 1))?.balanceAfterCents).toBe(max);
        expect(s.ledger.balanceOf(u)).toBe(max);

        expect(append(entry(3, u, 'topup', 1))).toBeUndefined();
        expect(append(entry(4, u, 'adjustment', max))).toBeUndefined();
        expect(s.ledger.balanceOf(u)).toBe(max);
        expect(s.ledger.listByUser(u, 10).map((e) => e.balanceAfterCents)).toEqual([max, max - 1]);
        expect(s.ledger.balanceMismatches()).toEqual([]);
      });

      it('refuses an append for an unknown user, writing nothing', () => {
        addUser(1);
        expect(append(entry(1, userId(2), 'topup', 100))).toBeUndefined();
        expect(s.ledger.balanceOf(userId(2))).toBeUndefined();
        expect(s.ledger.listByUser(userId(2), 10)).toEqual([]);
        expect(s.ledger.countByKind('topup')).toBe(0);
      });

      it('keeps cents and millisecond times above 2^32 exact, as numbers', () => {
        const u = addUser(1);
        const big = 5_000_000_000_123; // cents: ~2^42
        const at = 4_102_444_800_123; // 2100-01-01, ms
        append(entry(1, u, 'topup', big, { createdAt: at }));
        append(entry(2, u, 'order_debit', -(2 ** 33 + 7), { orderId: 'order-a', createdAt: at + 1 }));
        expect(s.ledger.balanceOf(u)).toBe(big - (2 ** 33 + 7));
        const [debit, topup] = s.ledger.listByUser(u, 10);
        expect(topup).toMatchObject({ amountCents: big, balanceAfterCents: big, createdAt: at });
        expect(debit).toMatchObject({ amountCents: -(2 ** 33 + 7), balanceAfterCents: big - (2 ** 33 + 7), createdAt: at + 1 });
        for (const e of [debit!, topup!]) {
          expect(typeof e.amountCents).toBe('number');
          expect(typeof e.balanceAfterCents).toBe('number');
          expect(typeof e.createdAt).toBe('number');
        }
        expect(s.ledger.totalsByOrder('order_debit')).toEqual([{ orderId: 'order-a', count: 1, totalCents: -(2 ** 33 + 7) }]);
      });

      it('keeps each user’s balance apart', () => {
        const a = addUser(1);
        const b = addUser(2);
        append(entry(1, a, 'topup', 100));
        append(entry(2, b, 'topup', 7));
        append(entry(3, a, 'order_debit', -40, { orderId: 'order-a' }));
        expect(s.ledger.balanceOf(a)).toBe(60);
        expect(s.ledger.balanceOf(b)).toBe(7);
        expect(append(entry(4, b, 'order_debit', -8, { orderId: 'order-b' }))).toBeUndefined();
        expect(s.ledger.balanceOf(a)).toBe(60);
      });
    });

    describe("the caller's transaction", () => {
      it('rolls back the balance move and the row when the transaction throws', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 1_000));
        const boom = new Error('boom');
        expect(() =>
          write(() => {
            expect(s.ledger.append(entry(2, u, 'order_debit', -400, { orderId: 'order-a' }))?.balanceAfterCents).toBe(600);
            expect(s.ledger.balanceOf(u)).toBe(600);
            throw boom;
          }),
        ).toThrow(boom);
        expect(s.ledger.balanceOf(u)).toBe(1_000);
        expect(s.ledger.listByOrder('order-a')).toEqual([]);
        expect(s.ledger.countByKind('order_debit')).toBe(0);
        // The next row's balance is reckoned from what was committed.
        expect(append(entry(3, u, 'order_debit', -400, { orderId: 'order-a' }))?.balanceAfterCents).toBe(600);
      });

      it('sees its own earlier appends within one transaction', () => {
        const u = addUser(1);
        const rows = write(() => [
          s.ledger.append(entry(1, u, 'topup', 300)),
          s.ledger.append(entry(2, u, 'order_debit', -200, { orderId: 'order-a' })),
          s.ledger.append(entry(3, u, 'order_debit', -200, { orderId: 'order-b' })),
        ]);
        expect(rows.map((r) => r?.balanceAfterCents)).toEqual([300, 100, undefined]);
        expect(s.ledger.balanceOf(u)).toBe(100);
        expect(s.ledger.balanceMismatches()).toEqual([]);
      });

      it('throws on a second debit of one order and, inside a savepoint, undoes its balance move too', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 1_000));
        append(entry(2, u, 'order_debit', -100, { orderId: 'order-a' }));
        // A database guard: at most one debit per order. The whole transaction is refused.
        expect(() => append(entry(3, u, 'order_debit', -100, { orderId: 'order-a' }))).toThrow();
        expect(s.ledger.balanceOf(u)).toBe(900);

        // Caught inside a savepoint, only the failed append is undone, balance move included.
        write(() => {
          expect(() => s.tx.savepoint(() => s.ledger.append(entry(4, u, 'order_debit', -100, { orderId: 'order-a' })))).toThrow();
          expect(s.ledger.balanceOf(u)).toBe(900);
          s.ledger.append(entry(5, u, 'order_debit', -50, { orderId: 'order-b' }));
        });
        expect(s.ledger.balanceOf(u)).toBe(850);
        expect(s.ledger.listByOrder('order-a').map((e) => e.id)).toEqual([entryId(2)]);
        expect(s.ledger.balanceMismatches()).toEqual([]);
      });

      it('throws on a second refund of one order, but takes one refund beside one debit', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 1_000));
        append(entry(2, u, 'order_debit', -100, { orderId: 'order-a' }));
        append(entry(3, u, 'refund', 100, { orderId: 'order-a' }));
        expect(() => append(entry(4, u, 'refund', 100, { orderId: 'order-a' }))).toThrow();
        expect(s.ledger.balanceOf(u)).toBe(1_000);
        expect(s.ledger.countByKind('refund')).toBe(1);
      });

      it('throws on an id already used, keeping the first row', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 100));
        expect(() => append(entry(1, u, 'topup', 50))).toThrow();
        expect(s.ledger.balanceOf(u)).toBe(100);
        expect(s.ledger.listByUser(u, 10)).toHaveLength(1);
      });
    });

    describe('debits read later (docs/decisions.md D127)', () => {
      it('gives the appended debit with the balance it leaves once read, as append does', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 1_000));
        const debit = write(() => s.ledger.appendDebitLater(entry(2, u, 'order_debit', -300, { orderId: 'order-a', reason: 'go/6' }))());
        expect(debit).toEqual({
          id: entryId(2),
          userId: u,
          kind: 'order_debit',
          amountCents: -300,
          balanceAfterCents: 700,
          orderId: 'order-a',
          reason: 'go/6',
          createdAt: T0 + 2,
        });
        expect(s.ledger.balanceOf(u)).toBe(700);
        expect(s.ledger.listByUser(u, 10)[0]).toEqual(debit);
        expect(s.ledger.balanceMismatches()).toEqual([]);
      });

      it('answers undefined for a debit below zero or no such user, and the savepoint that rolls back leaves nothing of it', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 500));
        write(() => {
          const refused = () =>
            s.tx.savepoint(() => {
              const read = s.ledger.appendDebitLater(entry(2, u, 'order_debit', -501, { orderId: 'order-a' }));
              if (read() === undefined) throw new Error('refused');
            });
          expect(refused).toThrow('refused');
          const nobody = () =>
            s.tx.savepoint(() => {
              if (s.ledger.appendDebitLater(entry(3, userId(9), 'order_debit', -1, { orderId: 'order-b' }))() === undefined)
                throw new Error('no such user');
            });
          expect(nobody).toThrow('no such user');
          // The transaction goes on: the exact balance is taken.
          expect(s.ledger.appendDebitLater(entry(4, u, 'order_debit', -500, { orderId: 'order-c' }))()?.balanceAfterCents).toBe(0);
        });
        expect(s.ledger.balanceOf(u)).toBe(0);
        expect(s.ledger.listByUser(u, 10).map((e) => e.id)).toEqual([entryId(4), entryId(1)]);
        expect(s.ledger.negativeBalances()).toEqual([]);
        expect(s.ledger.balanceMismatches()).toEqual([]);
      });

      it('throws the database guard on a second debit of one order, and takes debits only', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 1_000));
        append(entry(2, u, 'order_debit', -100, { orderId: 'order-a' }));
        expect(() => write(() => s.ledger.appendDebitLater(entry(3, u, 'order_debit', -100, { orderId: 'order-a' }))())).toThrow();
        expect(() => write(() => s.ledger.appendDebitLater(entry(4, u, 'refund', 100, { orderId: 'order-a' })))).toThrow(RangeError);
        expect(s.ledger.balanceOf(u)).toBe(900);
        expect(s.ledger.listByOrder('order-a').map((e) => e.id)).toEqual([entryId(2)]);
      });
    });

    describe('statements', () => {
      /** Rows 1..n for one user, appended out of id order and all at one time (ties broken by id, not time or insertion). */
      const statement = (u: string, n: number): void => {
        append(entry(0, u, 'topup', 1_000_000, { createdAt: T0 }));
        const order = Array.from({ length: n }, (_, i) => i + 1).sort((a, b) => ((a * 7) % n) - ((b * 7) % n));
        for (const i of order) append(entry(i, u, 'order_debit', -i, { orderId: `order-${i}`, createdAt: T0 }));
      };

      it('lists a user’s rows newest first by id, only theirs', () => {
        const u = addUser(1);
        const other = addUser(2);
        append(entry(100, other, 'topup', 5));
        statement(u, 5);
        expect(s.ledger.listByUser(u, 100).map((e) => e.id)).toEqual([5, 4, 3, 2, 1, 0].map(entryId));
        expect(s.ledger.listByUser(other, 100).map((e) => e.id)).toEqual([entryId(100)]);
        expect(s.ledger.listByUser(userId(9), 100)).toEqual([]);
      });

      it('pages with `before` (exclusive) and `limit`, every row exactly once', () => {
        const u = addUser(1);
        statement(u, 6); // rows 0..6
        expect(s.ledger.listByUser(u, 3).map((e) => e.id)).toEqual([6, 5, 4].map(entryId));
        expect(s.ledger.listByUser(u, 3, entryId(4)).map((e) => e.id)).toEqual([3, 2, 1].map(entryId));
        expect(s.ledger.listByUser(u, 3, entryId(1)).map((e) => e.id)).toEqual([entryId(0)]);
        expect(s.ledger.listByUser(u, 3, entryId(0))).toEqual([]);
        expect(s.ledger.listByUser(u, 0)).toEqual([]);

        const seen: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = s.ledger.listByUser(u, 2, before);
          if (page.length === 0) break;
          seen.push(...page.map((e) => e.id));
          before = page.at(-1)!.id;
        }
        expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map(entryId));
      });

      it('pages from a cursor that is not one of the user’s rows', () => {
        const u = addUser(1);
        const other = addUser(2);
        statement(u, 4);
        // An id between row 2 and row 3 (another user's row): the page starts below it.
        const between = `${entryId(2)}z`;
        append(entry(50, other, 'topup', 1, { id: between }));
        expect(s.ledger.listByUser(u, 10, between).map((e) => e.id)).toEqual([2, 1, 0].map(entryId));
        // A cursor above every id gives the newest rows.
        expect(s.ledger.listByUser(u, 1, id('led', T0 + 10 ** 9)).map((e) => e.id)).toEqual([entryId(4)]);
      });

      it('lists an order’s rows oldest first by id, every kind, only that order’s', () => {
        const u = addUser(1);
        append(entry(1, u, 'topup', 1_000));
        append(entry(4, u, 'order_debit', -200, { orderId: 'order-b', createdAt: T0 }));
        append(entry(2, u, 'order_debit', -100, { orderId: 'order-a', createdAt: T0 }));
        append(entry(5, u, 'adjustment', 10, { orderId: 'order-a', reason: 'goodwill', createdAt: T0 }));
        append(entry(3, u, 'refund', 100, { orderId: 'order-a', createdAt: T0 }));
        const rows = s.ledger.listByOrder('order-a');
        expect(rows.map((e) => [e.id, e.kind])).toEqual([
          [entryId(2), 'order_debit'],
          [entryId(3), 'refund'],
          [entryId(5), 'adjustment'],
        ]);
        expect(rows[2]).toEqual<LedgerEntry>({
          id: entryId(5),
          userId: u,
          kind: 'adjustment',
          amountCents: 10,
          balanceAfterCents: 710,
          orderId: 'order-a',
          reason: 'goodwill',
          createdAt: T0,
        });
        expect(s.ledger.listByOrder('order-c')).toEqual([]);
      });

      it('counts the rows of each kind', () => {
        for (const kind of ['topup', 'order_debit', 'refund', 'adjustment'] as const) expect(s.ledger.countByKind(kind)).toBe(0);
        const u = addUser(1);
        const v = addUser(2);
        append(entry(1, u, 'topup', 1_000));
        append(entry(2, v, 'topup', 1_000));
        append(entry(3, u, 'order_debit', -100, { orderId: 'order-a' }));
        append(entry(4, u, 'refund', 100, { orderId: 'order-a' }));
        append(entry(5, v, 'order_debit', -100, { orderId: 'order-b' }));
        expect(s.ledger.countByKind('topup')).toBe(2);
        expect(s.ledger.countByKind('order_debit')).toBe(2);
        expect(s.ledger.countByKind('refund')).toBe(1);
        expect(s.ledger.countByKind('adjustment')).toBe(0);
      });
    });

    describe('the D4 invariant queries', () => {
      const byOrder = <T extends { orderId: string }>(rows: T[]) => [...rows].sort((a, b) => (a.orderId < b.orderId ? -1 : 1));

      it('find nothing on an empty database', () => {
        expect(s.ledger.balanceMismatches()).toEqual([]);
        expect(s.ledger.negativeBalances()).toEqual([]);
        expect(s.ledger.totalsByOrder('order_debit')).toEqual([]);
        expect(s.ledger.totalsByOrder('refund')).toEqual([]);
        expect(s.ledger.orderCharges()).toEqual([]);
      });

      it('find no mismatch or negative balance on a consistent database, users without rows included', () => {
        const a = addUser(1);
        const b = addUser(2);
        addUser(3); // no rows, balance zero
        append(entry(1, a, 'topup', 2 ** 40));
        append(entry(2, a, 'order_debit', -300, { orderId: 'order-a' }));
        append(entry(3, a, 'refund', 300, { orderId: 'order-a' }));
        append(entry(4, b, 'topup', 50));
        append(entry(5, b, 'order_debit', -50, { orderId: 'order-b' }));
        expect(append(entry(6, b, 'order_debit', -1, { orderId: 'order-c' }))).toBeUndefined();
        expect(s.ledger.balanceMismatches()).toEqual([]);
        expect(s.ledger.negativeBalances()).toEqual([]);
      });

      it('sum and count one kind per order, leaving out rows of other kinds and without an order', () => {
        const a = addUser(1);
        const b = addUser(2);
        append(entry(1, a, 'topup', 10 ** 13));
        append(entry(2, b, 'topup', 1_000));
        append(entry(3, a, 'order_debit', -(3 * 2 ** 32), { orderId: 'order-a' }));
        append(entry(4, b, 'order_debit', -500, { orderId: 'order-b' }));
        append(entry(5, a, 'order_debit', -1, { orderId: 'order-c' }));
        append(entry(6, a, 'refund', 3 * 2 ** 32, { orderId: 'order-a' }));
        append(entry(7, a, 'adjustment', -5, { orderId: 'order-a' }));
        expect(byOrder(s.ledger.totalsByOrder('order_debit'))).toEqual([
          { orderId: 'order-a', count: 1, totalCents: -(3 * 2 ** 32) },
          { orderId: 'order-b', count: 1, totalCents: -500 },
          { orderId: 'order-c', count: 1, totalCents: -1 },
        ]);
        expect(s.ledger.totalsByOrder('refund')).toEqual([{ orderId: 'order-a', count: 1, totalCents: 3 * 2 ** 32 }]);
        // No orders were written: there is nothing for the rows to be checked against.
        expect(s.ledger.orderCharges()).toEqual([]);
      });

      it('give every order’s status and charge, and nothing amiss when the rows agree with them', () => {
        const u = addUser(1);
        const charge = 3 * 2 ** 32 + 1;
        const order = (n: number, chargedCents: number): Order => ({
          id: `order-${n}`,
          userId: u,
          status: 'WAITING',
          service: 'tg',
          country: 0,
          phone: `+1555000000${n}`,
          activationId: `act-${n}`,
          chargedCents,
          expiresAt: T0 + 1_200_000,
          createdAt: T0 + n,
          updatedAt: T0 + n,
          smsHistory: [],
          endReason: null,
        });
        append(entry(1, u, 'topup', 10 ** 13));
        // As the order service does: the order and its debit in one transaction.
        for (const [n, cents] of [
          [2, charge],
          [1, 1],
          [3, 250],
        ] as const) {
          write(() => {
            s.orders.insert(order(n, cents));
            s.ledger.append(entry(10 + n, u, 'order_debit', -cents, { orderId: `order-${n}` }));
          });
        }
        const cancelled: Order = { ...order(3, 250), status: 'CANCELLED', updatedAt: T0 + 10, endReason: 'cancelled' };
        write(() => {
          expect(s.orders.update(order(3, 250), cancelled)).toBe(true);
          s.ledger.append(entry(20, u, 'refund', 250, { orderId: 'order-3' }));
        });
        expect(byOrder(s.ledger.orderCharges())).toEqual([
          { orderId: 'order-1', status: 'WAITING', chargedCents: 1 },
          { orderId: 'order-2', status: 'WAITING', chargedCents: charge },
          { orderId: 'order-3', status: 'CANCELLED', chargedCents: 250 },
        ]);
        expect(byOrder(s.ledger.totalsByOrder('order_debit'))).toEqual([
          { orderId: 'order-1', count: 1, totalCents: -1 },
          { orderId: 'order-2', count: 1, totalCents: -charge },
          { orderId: 'order-3', count: 1, totalCents: -250 },
        ]);
        expect(s.ledger.totalsByOrder('refund')).toEqual([{ orderId: 'order-3', count: 1, totalCents: 250 }]);
        expect(s.ledger.balanceMismatches()).toEqual([]);
        expect(s.ledger.negativeBalances()).toEqual([]);
      });
    });
  });
}
