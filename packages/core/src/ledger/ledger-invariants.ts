/**
 * The ledger invariants of docs/decisions.md D4, checked against the database itself. Tests call this
 * after every money-moving step; operators reach it through the admin API.
 */
import type { Db } from '../storage/database.js';

export interface InvariantViolation {
  invariant: string;
  detail: string;
}

export function checkLedgerInvariants(db: Db): InvariantViolation[] {
  const violations: InvariantViolation[] = [];
  const add = (invariant: string, detail: string) => violations.push({ invariant, detail });

  const mismatched = db
    .prepare<[], { id: string; balance_cents: number; sum: number }>(
      `SELECT u.id, u.balance_cents, COALESCE(SUM(l.amount_cents), 0) AS sum
         FROM users u LEFT JOIN ledger l ON l.user_id = u.id
        GROUP BY u.id HAVING u.balance_cents != COALESCE(SUM(l.amount_cents), 0)`,
    )
    .all();
  for (const r of mismatched) add('balance = sum of ledger', `user ${r.id}: balance ${r.balance_cents}, ledger sum ${r.sum}`);

  const negative = db
    .prepare<[], { id: string; balance_cents: number }>('SELECT id, balance_cents FROM users WHERE balance_cents < 0')
    .all();
  for (const r of negative) add('balance >= 0', `user ${r.id}: balance ${r.balance_cents}`);

  const refunds = db
    .prepare<[], { order_id: string; n: number; total: number }>(
      "SELECT order_id, COUNT(*) AS n, SUM(amount_cents) AS total FROM ledger WHERE kind = 'refund' GROUP BY order_id",
    )
    .all();
  const orders = new Map(
    db
      .prepare<[], { id: string; status: string; charged_cents: number; user_id: string }>(
        'SELECT id, status, charged_cents, user_id FROM orders',
      )
      .all()
      .map((o) => [o.id, o]),
  );
  for (const r of refunds) {
    const order = orders.get(r.order_id);
    if (r.n > 1) add('at most one refund per order', `order ${r.order_id}: ${r.n} refunds`);
    if (!order) add('refunds belong to orders', `refund for unknown order ${r.order_id}`);
    else {
      if (r.total !== order.charged_cents)
        add('refund equals debit', `order ${r.order_id}: refunded ${r.total}, charged ${order.charged_cents}`);
      // A completed order is refunded only by an operator, when the upstream failed to honour it (docs/decisions.md D101).
      if (order.status !== 'CANCELLED' && order.status !== 'FAILED' && order.status !== 'COMPLETED')
        add('refunds only for ended orders', `order ${r.order_id} is ${order.status}`);
    }
  }

  const debits = new Map(
    db
      .prepare<[], { order_id: string; n: number; total: number }>(
        "SELECT order_id, COUNT(*) AS n, SUM(amount_cents) AS total FROM ledger WHERE kind = 'order_debit' GROUP BY order_id",
      )
      .all()
      .map((d) => [d.order_id, d]),
  );
  const refunded = new Set(refunds.map((r) => r.order_id));
  for (const order of orders.values()) {
    const debit = debits.get(order.id);
    if (!debit || debit.n !== 1 || debit.total !== -order.charged_cents) {
      add(
        'every order has exactly one debit of its charge',
        `order ${order.id}: ${debit ? `${debit.n} debit(s) totalling ${debit.total}` : 'no debit'}`,
      );
    }
    if ((order.status === 'CANCELLED' || order.status === 'FAILED') && order.charged_cents > 0 && !refunded.has(order.id)) {
      add('cancelled and failed orders are refunded', `order ${order.id} is ${order.status} with no refund`);
    }
  }
  return violations;
}
