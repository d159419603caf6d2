/**
 * The ledger invariants of docs/decisions.md D4, checked against the database itself. Tests call this
 * after every money-moving step; operators reach it through the admin API.
 */
import type { Db } from '../storage/database.js';
import { SqliteLedgerStore, type LedgerStore } from './ledger-store.js';

export interface InvariantViolation {
  invariant: string;
  detail: string;
}

/** The invariants checked on an open SQLite database (a tool's or a test's, beside any engine). */
export function checkLedgerInvariants(db: Db): InvariantViolation[] {
  return ledgerInvariantViolations(new SqliteLedgerStore(db));
}

/** The invariants checked through a ledger store (the engine's `checkInvariants()`). */
export function ledgerInvariantViolations(store: LedgerStore): InvariantViolation[] {
  const violations: InvariantViolation[] = [];
  const add = (invariant: string, detail: string) => violations.push({ invariant, detail });

  for (const r of store.balanceMismatches())
    add('balance = sum of ledger', `user ${r.userId}: balance ${r.balanceCents}, ledger sum ${r.ledgerSumCents}`);

  for (const r of store.negativeBalances()) add('balance >= 0', `user ${r.userId}: balance ${r.balanceCents}`);

  const refunds = store.totalsByOrder('refund');
  const orders = new Map(store.orderCharges().map((o) => [o.orderId, o]));
  for (const r of refunds) {
    const order = orders.get(r.orderId);
    if (r.count > 1) add('at most one refund per order', `order ${r.orderId}: ${r.count} refunds`);
    if (!order) add('refunds belong to orders', `refund for unknown order ${r.orderId}`);
    else {
      if (r.totalCents !== order.chargedCents)
        add('refund equals debit', `order ${r.orderId}: refunded ${r.totalCents}, charged ${order.chargedCents}`);
      // A completed order is refunded only by an operator, when the upstream failed to honour it (docs/decisions.md D101).
      if (order.status !== 'CANCELLED' && order.status !== 'FAILED' && order.status !== 'COMPLETED')
        add('refunds only for ended orders', `order ${r.orderId} is ${order.status}`);
    }
  }

  const debits = new Map(store.totalsByOrder('order_debit').map((d) => [d.orderId, d]));
  const refunded = new Set(refunds.map((r) => r.orderId));
  for (const order of orders.values()) {
    const debit = debits.get(order.orderId);
    if (!debit || debit.count !== 1 || debit.totalCents !== -order.chargedCents) {
      add(
        'every order has exactly one debit of its charge',
        `order ${order.orderId}: ${debit ? `${debit.count} debit(s) totalling ${debit.totalCents}` : 'no debit'}`,
      );
    }
    if ((order.status === 'CANCELLED' || order.status === 'FAILED') && order.chargedCents > 0 && !refunded.has(order.orderId)) {
      add('cancelled and failed orders are refunded', `order ${order.orderId} is ${order.status} with no refund`);
    }
  }
  return violations;
}
