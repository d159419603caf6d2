/**
 * One money path (docs/decisions.md D131). Table-driven: every order status × every event, run
 * through the real engine (SQLite, the memory upstream, a manual clock), asserting the status it
 * ends in, the ledger rows it adds for the order, the refusal it answers, and the ledger
 * invariants (D4) after each. The expectations are written out here, not read from the machine's
 * table, so a change to the table must change this file too. A last check keeps `Ledger.post`
 * called from the money service alone.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, type OrderStatus } from '../src/index.js';
import { TRANSITIONS } from '../src/order/order-machine.js';
import { expectInvariants, makeEngine, type TestEngine } from './helpers.js';

type Start = 'WAITING' | 'WAITING_AFTER_SMS' | 'RECEIVED' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
type Event = 'SMS_RECEIVED' | 'NEXT_SMS' | 'CANCEL' | 'EXPIRE' | 'UPSTREAM_CLOSED';
type Expect = { to: OrderStatus; money: 'none' | 'refund' } | { refused: 'BAD_STATUS' | 'CODE_RECEIVED' | 'ALREADY_CHANGED' };

const unchanged = (s: OrderStatus): Expect => ({ to: s, money: 'none' });
const TERMINAL = (s: OrderStatus): Record<Event, Expect> => ({
  SMS_RECEIVED: unchanged(s),
  NEXT_SMS: { refused: 'BAD_STATUS' },
  CANCEL: { refused: 'ALREADY_CHANGED' },
  EXPIRE: unchanged(s),
  UPSTREAM_CLOSED: unchanged(s),
});

const TABLE: Record<Start, Record<Event, Expect>> = {
  WAITING: {
    SMS_RECEIVED: { to: 'RECEIVED', money: 'none' },
    NEXT_SMS: { refused: 'BAD_STATUS' },
    CANCEL: { to: 'CANCELLED', money: 'refund' },
    EXPIRE: { to: 'FAILED', money: 'refund' },
    UPSTREAM_CLOSED: { to: 'FAILED', money: 'refund' },
  },
  WAITING_AFTER_SMS: {
    SMS_RECEIVED: { to: 'RECEIVED', money: 'none' },
    NEXT_SMS: { refused: 'BAD_STATUS' },
    CANCEL: { refused: 'CODE_RECEIVED' },
    EXPIRE: { to: 'COMPLETED', money: 'none' },
    UPSTREAM_CLOSED: { to: 'COMPLETED', money: 'none' },
  },
  RECEIVED: {
    SMS_RECEIVED: { to: 'RECEIVED', money: 'none' },
    NEXT_SMS: { to: 'WAITING', money: 'none' },
    CANCEL: { refused: 'CODE_RECEIVED' },
    EXPIRE: { to: 'COMPLETED', money: 'none' },
    UPSTREAM_CLOSED: { to: 'COMPLETED', money: 'none' },
  },
  COMPLETED: TERMINAL('COMPLETED'),
  FAILED: TERMINAL('FAILED'),
  CANCELLED: TERMINAL('CANCELLED'),
};

const WINDOW_MS = 20 * 60_000;
let t: TestEngine;
afterEach(() => t?.engine.close());

async function orderIn(start: Start): Promise<{ userId: string; orderId: string; activationId: string; chargedCents: number }> {
  t = makeEngine();
  const { engine, clock, upstream } = t;
  const user = engine.accounts.createUser({ balanceCents: 1_000 });
  const order = await engine.orders.create(user.id, { service: 'tg', country: 7 });
  const ids = { userId: user.id, orderId: order.id, activationId: order.activationId, chargedCents: order.chargedCents };
  const receive = async (text: string) => {
    clock.advance(1_000);
    upstream.deliverSms(order.activationId, text);
    await engine.orders.syncActivation(order.activationId);
  };
  const expire = async () => {
    clock.advance(WINDOW_MS + 1_000);
    await engine.orders.syncActivation(order.activationId);
  };
  if (start === 'WAITING_AFTER_SMS' || start === 'RECEIVED' || start === 'COMPLETED') await receive('code 111111');
  if (start === 'WAITING_AFTER_SMS') engine.orders.nextSms(user.id, order.id);
  if (start === 'COMPLETED' || start === 'FAILED') await expire();
  if (start === 'CANCELLED') engine.orders.cancel(user.id, order.id);
  const status = statusOf(order.id);
  expect(status).toBe(start === 'WAITING_AFTER_SMS' ? 'WAITING' : start);
  return ids;
}

async function fire(event: Event, o: { userId: string; orderId: string; activationId: string }): Promise<void> {
  const { engine, clock, upstream } = t;
  switch (event) {
    case 'SMS_RECEIVED':
      clock.advance(1_000);
      upstream.deliverSms(o.activationId, 'code 222222');
      await engine.orders.syncActivation(o.activationId);
      return;
    case 'NEXT_SMS':
      engine.orders.nextSms(o.userId, o.orderId);
      return;
    case 'CANCEL':
      engine.orders.cancel(o.userId, o.orderId);
      return;
    case 'EXPIRE':
      clock.advance(WINDOW_MS + 1_000);
      await engine.orders.syncActivation(o.activationId);
      return;
    case 'UPSTREAM_CLOSED':
      await upstream.finish(o.activationId).catch(() => undefined); // the provider ends the activation (already ended: nothing to do)
      await engine.orders.syncActivation(o.activationId);
      return;
  }
}

const statusOf = (orderId: string): OrderStatus => t.engine.stores.orders.get(orderId)!.status;
const ledgerOf = (orderId: string) =>
  t.engine.stores.ledger.listByOrder(orderId).map((e) => ({ kind: e.kind, amount_cents: e.amountCents }));

describe('every status × event: the status, the money and the invariants', () => {
  for (const [start, row] of Object.entries(TABLE) as [Start, Record<Event, Expect>][]) {
    for (const [event, want] of Object.entries(row) as [Event, Expect][]) {
      const label =
        'refused' in want ? `refused ${want.refused}` : `${want.to}, ${want.money === 'refund' ? 'refunded in full' : 'no money moves'}`;
      it(`${start} + ${event} → ${label}`, async () => {
        const o = await orderIn(start);
        const before = ledgerOf(o.orderId);
        const balanceBefore = t.engine.accounts.requireUser(o.userId).balanceCents;
        let refused: string | undefined;
        try {
          await fire(event, o);
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          refused = e.code;
        }
        const after = ledgerOf(o.orderId);
        const added = after.slice(before.length);
        const balanceAfter = t.engine.accounts.requireUser(o.userId).balanceCents;
        if ('refused' in want) {
          expect(refused).toBe(want.refused);
          expect(added).toEqual([]);
        } else {
          expect(refused).toBeUndefined();
          expect(statusOf(o.orderId)).toBe(want.to);
          expect(added).toEqual(want.money === 'refund' ? [{ kind: 'refund', amount_cents: o.chargedCents }] : []);
        }
        expect(balanceAfter - balanceBefore).toBe(added.reduce((sum, r) => sum + r.amount_cents, 0));
        expect(before[0]).toEqual({ kind: 'order_debit', amount_cents: -o.chargedCents });
        expectInvariants(t.engine);
      });
    }
  }

  it("the machine's table states a money effect for every transition it allows", () => {
    for (const [event, rows] of Object.entries(TRANSITIONS)) {
      for (const [status, row] of Object.entries(rows)) {
        for (const smsHistory of [[], [{ key: 'k', body: 'b', code: null, receivedAt: 0 }]]) {
          const outcome = row({ status, smsHistory } as never);
          if (typeof outcome === 'object' && 'to' in outcome) expect(['none', 'refund'], `${event} in ${status}`).toContain(outcome.money);
        }
      }
    }
  });
});

describe('balance changes outside orders go through the same service', () => {
  it('an opening balance, an admin credit and debit, each with its ledger row', () => {
    t = makeEngine();
    const { engine } = t;
    const user = engine.accounts.createUser({ balanceCents: 500 });
    engine.money.adjust({ userId: user.id, amountCents: 250, reason: 'goodwill' });
    engine.money.adjust({ userId: user.id, amountCents: -100, reason: 'chargeback' });
    expect(() => engine.money.adjust({ userId: user.id, amountCents: -1_000, reason: 'too much' })).toThrow(/balance is too low/);
    expect(() => engine.money.adjust({ userId: user.id, amountCents: -5, kind: 'topup', reason: 'x' })).toThrow(/top-up must be positive/);
    expect(() => engine.money.adjust({ userId: user.id, amountCents: 5, reason: '  ' })).toThrow(/reason/);
    const rows = engine.ledger
      .list(user.id, 100)
      .reverse()
      .map((e) => ({ kind: e.kind, amount_cents: e.amountCents, reason: e.reason }));
    expect(rows).toEqual([
      { kind: 'topup', amount_cents: 500, reason: 'opening balance' },
      { kind: 'topup', amount_cents: 250, reason: 'goodwill' },
      { kind: 'adjustment', amount_cents: -100, reason: 'chargeback' },
    ]);
    expect(engine.accounts.requireUser(user.id).balanceCents).toBe(650);
    expectInvariants(engine);
  });

  it('nothing but the money service posts to the ledger', () => {
    const root = join(import.meta.dirname, '../..');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name === 'dist') continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (
          /\.tsx?$/.test(name) &&
          !name.endsWith('money-service.ts') &&
          !name.endsWith('.test.ts') &&
          /\bledger\.post(DebitLater)?\(/.test(readFileSync(path, 'utf8'))
        ) {
          offenders.push(relative(root, path));
        }
      }
    };
    for (const pkg of readdirSync(root)) walk(join(root, pkg, 'src'));
    expect(offenders).toEqual([]);
  });
});
