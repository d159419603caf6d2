/**
 * The OutboxStore contract (docs/decisions.md D8, D125): owed upstream commands, which of them are
 * due, and their outcomes, as every implementation must keep them. Writes run inside the storage's
 * transactions, as the outbox calls them; reads run outside.
 */
import { describe, expect, it } from 'vitest';
import type { Order } from '../../src/order/order.js';
import type { OutboxCommand, OutboxKind } from '../../src/outbox/outbox-store.js';
import { useStores, type StoreHarness } from './harness.js';

/** Milliseconds well above 2^31 (a real clock's), so a 32-bit column would lose them. */
const T0 = 1_764_612_345_678;

/** An id of the shape the engine makes (prefix, base-36 time, sequence): ids sort by time. */
const id = (prefix: string, ms: number, seq = 0) =>
  `${prefix}${ms.toString(36).padStart(9, '0')}${seq.toString(36).padStart(4, '0')}r4nd0mta1l00`;

const ob = (n: number) => id('ob', T0, n);

export function outboxStoreContract(h: StoreHarness): void {
  describe(`${h.name}: OutboxStore`, () => {
    const s = useStores(h);
    const write = <T>(fn: () => T): T => s.tx.write(fn);

    /** Command `n` for activation `activationId`, owed at `at`. */
    const add = (n: number, activationId: string, at: number, kind: OutboxKind = 'cancel', orderId: string | null = null) =>
      write(() => s.outbox.insert({ id: ob(n), kind, activationId, orderId, at }));
    const ids = (commands: OutboxCommand[]) => commands.map((c) => c.id);

    describe('insert', () => {
      it('records a pending command, due at once, with no attempts, error or outcome', () => {
        add(1, 'act-1', T0, 'next_sms', 'order-1');
        add(2, 'act-2', T0 + 5, 'release');
        expect(s.outbox.listPending()).toEqual<OutboxCommand[]>([
          {
            id: ob(1),
            kind: 'next_sms',
            activationId: 'act-1',
            orderId: 'order-1',
            attempts: 0,
            nextAttemptAt: T0,
            lastError: null,
            doneAt: null,
            outcome: null,
            createdAt: T0,
          },
          {
            id: ob(2),
            kind: 'release',
            activationId: 'act-2',
            orderId: null,
            attempts: 0,
            nextAttemptAt: T0 + 5,
            lastError: null,
            doneAt: null,
            outcome: null,
            createdAt: T0 + 5,
          },
        ]);
      });

      it('keeps millisecond times above 2^32 exact, as numbers', () => {
        const at = 4_102_444_800_123; // 2100-01-01
        add(1, 'act-1', at, 'finish');
        const [c] = s.outbox.listPending();
        expect(c).toMatchObject({ nextAttemptAt: at, createdAt: at });
        expect(typeof c!.nextAttemptAt).toBe('number');
        expect(typeof c!.attempts).toBe('number');
        expect(s.outbox.markRetry(ob(1), at + 2 ** 33, 'later')).toBe(true);
        expect(s.outbox.nextDueAfter(at)).toBe(at + 2 ** 33);
        expect(s.outbox.markDone(ob(1), 'ok', null, at + 2 ** 34)).toBe(true);
        expect(s.outbox.listRecent(1)[0]).toMatchObject({ doneAt: at + 2 ** 34, createdAt: at, attempts: 2 });
      });

      it('throws on an id already used, keeping the first command', () => {
        add(1, 'act-1', T0, 'cancel');
        expect(() => add(1, 'act-2', T0 + 1, 'finish')).toThrow();
        expect(s.outbox.listPending()).toMatchObject([{ id: ob(1), kind: 'cancel', activationId: 'act-1' }]);
      });

      it('joins the caller’s transaction: a rolled-back command is not kept', () => {
        const boom = new Error('boom');
        expect(() =>
          write(() => {
            s.outbox.insert({ id: ob(1), kind: 'cancel', activationId: 'act-1', orderId: null, at: T0 });
            expect(s.outbox.hasDue(T0)).toBe(true);
            throw boom;
          }),
        ).toThrow(boom);
        expect(s.outbox.listPending()).toEqual([]);
        expect(s.outbox.hasDue(T0)).toBe(false);
      });
    });

    describe('claimDue', () => {
      it('gives the pending commands due at `now` (inclusive), soonest first', () => {
        add(1, 'act-1', T0 + 30);
        add(2, 'act-2', T0 + 10);
        add(3, 'act-3', T0 + 20);
        add(4, 'act-4', T0 + 31);
        expect(s.outbox.claimDue(T0 + 9, 10)).toEqual([]);
        expect(ids(s.outbox.claimDue(T0 + 10, 10))).toEqual([ob(2)]);
        expect(ids(s.outbox.claimDue(T0 + 30, 10))).toEqual([ob(2), ob(3), ob(1)]);
        // Claiming is reading on one process: nothing changes until the command is marked.
        expect(ids(s.outbox.claimDue(T0 + 30, 10))).toEqual([ob(2), ob(3), ob(1)]);
      });

      it('breaks a tie of due times by id, whatever the order of insertion', () => {
        add(3, 'act-3', T0);
        add(1, 'act-1', T0);
        add(2, 'act-2', T0);
        add(0, 'act-0', T0 + 1);
        expect(ids(s.outbox.claimDue(T0 + 1, 10))).toEqual([ob(1), ob(2), ob(3), ob(0)]);
      });

      it('gives at most `limit`, the soonest', () => {
        for (let n = 1; n <= 5; n++) add(n, `act-${n}`, T0 + 10 - n);
        expect(ids(s.outbox.claimDue(T0 + 10, 2))).toEqual([ob(5), ob(4)]);
        expect(ids(s.outbox.claimDue(T0 + 10, 5))).toEqual([ob(5), ob(4), ob(3), ob(2), ob(1)]);
        expect(s.outbox.claimDue(T0 + 10, 0)).toEqual([]);
      });

      it('leaves out done commands and those put off past `now`', () => {
        add(1, 'act-1', T0);
        add(2, 'act-2', T0);
        add(3, 'act-3', T0);
        write(() => s.outbox.markDone(ob(1), 'ok', null, T0 + 1));
        write(() => s.outbox.markRetry(ob(2), T0 + 100, 'timeout'));
        expect(ids(s.outbox.claimDue(T0 + 99, 10))).toEqual([ob(3)]);
        expect(ids(s.outbox.claimDue(T0 + 100, 10))).toEqual([ob(3), ob(2)]);
      });

      it('gives only the oldest pending command of an activation, even while that one is put off', () => {
        add(1, 'act-1', T0, 'next_sms', 'order-1');
        add(2, 'act-1', T0, 'cancel', 'order-1');
        add(3, 'act-2', T0, 'finish');
        expect(ids(s.outbox.claimDue(T0, 10))).toEqual([ob(1), ob(3)]);

        // The older command waits for a retry: the newer one of its activation still waits behind it.
        write(() => s.outbox.markRetry(ob(1), T0 + 1_000, 'busy'));
        expect(ids(s.outbox.claimDue(T0 + 500, 10))).toEqual([ob(3)]);

        // Once the older one is done, the next of that activation is due.
        write(() => s.outbox.markDone(ob(1), 'superseded', null, T0 + 600));
        expect(ids(s.outbox.claimDue(T0 + 600, 10))).toEqual([ob(2), ob(3)]);
      });

      it('returns full commands, retries and errors included', () => {
        add(1, 'act-1', T0, 'cancel', 'order-1');
        write(() => s.outbox.markRetry(ob(1), T0 + 50, 'upstream 503'));
        expect(s.outbox.claimDue(T0 + 50, 1)).toEqual<OutboxCommand[]>([
          {
            id: ob(1),
            kind: 'cancel',
            activationId: 'act-1',
            orderId: 'order-1',
            attempts: 1,
            nextAttemptAt: T0 + 50,
            lastError: 'upstream 503',
            doneAt: null,
            outcome: null,
            createdAt: T0,
          },
        ]);
      });
    });

    describe('markDone and markRetry', () => {
      it('markDone ends a pending command with its outcome and one more attempt', () => {
        add(1, 'act-1', T0, 'finish', 'order-1');
        add(2, 'act-2', T0, 'cancel');
        expect(write(() => s.outbox.markDone(ob(1), 'ok', null, T0 + 7))).toBe(true);
        expect(write(() => s.outbox.markDone(ob(2), 'gave_up', 'upstream said BAD_STATUS', T0 + 8))).toBe(true);
        const [second, first] = s.outbox.listRecent(2);
        expect(first).toEqual<OutboxCommand>({
          id: ob(1),
          kind: 'finish',
          activationId: 'act-1',
          orderId: 'order-1',
          attempts: 1,
          nextAttemptAt: T0,
          lastError: null,
          doneAt: T0 + 7,
          outcome: 'ok',
          createdAt: T0,
        });
        expect(second).toMatchObject({ attempts: 1, doneAt: T0 + 8, outcome: 'gave_up', lastError: 'upstream said BAD_STATUS' });
        expect(s.outbox.listPending()).toEqual([]);
      });

      it('markDone with no error clears the error of an earlier attempt', () => {
        add(1, 'act-1', T0);
        write(() => s.outbox.markRetry(ob(1), T0 + 10, 'timeout'));
        write(() => s.outbox.markDone(ob(1), 'ok', null, T0 + 10));
        expect(s.outbox.listRecent(1)[0]).toMatchObject({ attempts: 2, lastError: null, outcome: 'ok', doneAt: T0 + 10 });
      });

      it('markRetry counts an attempt, puts off the next and keeps the error, leaving the command pending', () => {
        add(1, 'act-1', T0);
        expect(write(() => s.outbox.markRetry(ob(1), T0 + 100, 'timeout'))).toBe(true);
        expect(write(() => s.outbox.markRetry(ob(1), T0 + 300, 'upstream 503'))).toBe(true);
        expect(s.outbox.listPending()).toMatchObject([
          { id: ob(1), attempts: 2, nextAttemptAt: T0 + 300, lastError: 'upstream 503', doneAt: null, outcome: null, createdAt: T0 },
        ]);
      });

      it('are refused (false, nothing changed) on a command no longer pending', () => {
        add(1, 'act-1', T0);
        expect(write(() => s.outbox.markDone(ob(1), 'ok', null, T0 + 1))).toBe(true);
        const done = s.outbox.listRecent(1)[0];
        expect(write(() => s.outbox.markDone(ob(1), 'again', 'late', T0 + 2))).toBe(false);
        expect(write(() => s.outbox.markRetry(ob(1), T0 + 100, 'late'))).toBe(false);
        expect(s.outbox.listRecent(1)[0]).toEqual(done);
        expect(s.outbox.hasDue(T0 + 1_000)).toBe(false);
      });

      it('are refused (false) on an unknown command', () => {
        add(1, 'act-1', T0);
        expect(write(() => s.outbox.markDone(ob(2), 'ok', null, T0))).toBe(false);
        expect(write(() => s.outbox.markRetry(ob(2), T0 + 1, 'x'))).toBe(false);
        expect(s.outbox.listPending()).toMatchObject([{ id: ob(1), attempts: 0 }]);
      });

      it('touch only the command named', () => {
        add(1, 'act-1', T0);
        add(2, 'act-1', T0);
        add(3, 'act-2', T0);
        write(() => s.outbox.markRetry(ob(3), T0 + 5, 'x'));
        write(() => s.outbox.markDone(ob(1), 'ok', null, T0 + 6));
        expect(s.outbox.listPending()).toMatchObject([
          { id: ob(2), attempts: 0, nextAttemptAt: T0, lastError: null },
          { id: ob(3), attempts: 1, nextAttemptAt: T0 + 5, lastError: 'x' },
        ]);
      });
    });

    describe('lists and backlog', () => {
      it('listPending gives every pending command oldest first by id; listRecent the newest of all, done included', () => {
        add(4, 'act-4', T0 + 1);
        add(2, 'act-2', T0 + 3);
        add(3, 'act-3', T0 + 2);
        add(1, 'act-1', T0 + 4);
        write(() => s.outbox.markDone(ob(3), 'ok', null, T0 + 5));
        expect(ids(s.outbox.listPending())).toEqual([ob(1), ob(2), ob(4)]);
        expect(ids(s.outbox.listRecent(10))).toEqual([ob(4), ob(3), ob(2), ob(1)]);
        expect(ids(s.outbox.listRecent(2))).toEqual([ob(4), ob(3)]);
        expect(s.outbox.listRecent(0)).toEqual([]);
      });

      it('lists nothing on an empty outbox', () => {
        expect(s.outbox.listPending()).toEqual([]);
        expect(s.outbox.listRecent(10)).toEqual([]);
        expect(s.outbox.claimDue(T0, 10)).toEqual([]);
      });

      it('pendingStats counts pending commands and gives the oldest creation time among them', () => {
        expect(s.outbox.pendingStats()).toEqual({ pending: 0, oldestCreatedAt: null });
        // Creation times do not follow ids here: the oldest is the smallest time, not the smallest id.
        add(1, 'act-1', T0 + 20);
        add(2, 'act-2', T0 + 10);
        add(3, 'act-3', T0 + 5);
        add(4, 'act-4', T0 + 30);
        expect(s.outbox.pendingStats()).toEqual({ pending: 4, oldestCreatedAt: T0 + 5 });
        write(() => s.outbox.markDone(ob(3), 'ok', null, T0 + 40));
        // A retry does not change when a command was created.
        write(() => s.outbox.markRetry(ob(2), T0 + 1_000, 'x'));
        expect(s.outbox.pendingStats()).toEqual({ pending: 3, oldestCreatedAt: T0 + 10 });
        for (const n of [1, 2, 4]) write(() => s.outbox.markDone(ob(n), 'ok', null, T0 + 50));
        expect(s.outbox.pendingStats()).toEqual({ pending: 0, oldestCreatedAt: null });
      });

      it('nextDueAfter gives the earliest due time of a pending command strictly after `t`, undefined when none', () => {
        expect(s.outbox.nextDueAfter(T0)).toBeUndefined();
        add(1, 'act-1', T0);
        add(2, 'act-2', T0 + 100);
        add(3, 'act-3', T0 + 50);
        expect(s.outbox.nextDueAfter(T0 - 1)).toBe(T0);
        expect(s.outbox.nextDueAfter(T0)).toBe(T0 + 50);
        expect(s.outbox.nextDueAfter(T0 + 50)).toBe(T0 + 100);
        expect(s.outbox.nextDueAfter(T0 + 100)).toBeUndefined();
        write(() => s.outbox.markDone(ob(3), 'ok', null, T0 + 1));
        expect(s.outbox.nextDueAfter(T0)).toBe(T0 + 100);
        write(() => s.outbox.markRetry(ob(1), T0 + 70, 'x'));
        expect(s.outbox.nextDueAfter(T0)).toBe(T0 + 70);
      });

      it('hasDue says whether a pending command is due at `now` (inclusive)', () => {
        expect(s.outbox.hasDue(T0)).toBe(false);
        add(1, 'act-1', T0 + 10);
        expect(s.outbox.hasDue(T0 + 9)).toBe(false);
        expect(s.outbox.hasDue(T0 + 10)).toBe(true);
        write(() => s.outbox.markRetry(ob(1), T0 + 20, 'x'));
        expect(s.outbox.hasDue(T0 + 19)).toBe(false);
        expect(s.outbox.hasDue(T0 + 20)).toBe(true);
        write(() => s.outbox.markDone(ob(1), 'ok', null, T0 + 20));
        expect(s.outbox.hasDue(T0 + 10 ** 9)).toBe(false);
      });

      it('orderStatus reads the status of the order a command belongs to, as it changes; undefined for an unknown order', () => {
        expect(s.outbox.orderStatus('order-missing')).toBeUndefined();
        const userId = id('cl', T0);
        const order: Order = {
          id: 'order-1',
          userId,
          status: 'WAITING',
          service: 'tg',
          country: 0,
          phone: '+15550001111',
          activationId: 'act-1',
          chargedCents: 150,
          expiresAt: T0 + 1_200_000,
          createdAt: T0,
          updatedAt: T0,
          smsHistory: [],
          endReason: null,
        };
        write(() => {
          s.accounts.insertUser({ id: userId, displayName: 'User', lang: 'en', referralCode: 'REF1', createdAt: T0, externalRef: null });
          s.orders.insert(order);
          s.outbox.insert({ id: ob(1), kind: 'next_sms', activationId: 'act-1', orderId: 'order-1', at: T0 });
        });
        expect(s.outbox.orderStatus('order-1')).toBe('WAITING');
        const ended: Order = { ...order, status: 'CANCELLED', updatedAt: T0 + 1, endReason: 'cancelled' };
        expect(write(() => s.orders.update(order, ended))).toBe(true);
        expect(s.outbox.orderStatus('order-1')).toBe('CANCELLED');
        expect(s.outbox.orderStatus('order-2')).toBeUndefined();
      });
    });
  });
}
