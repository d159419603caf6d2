/**
 * Read-only SQL the console needs across users: orders newest first, searched by id, phone or
 * user, and orders by id for the live feed. The operators' own order search (#14) replaces the
 * search here once it lands (docs/decisions.md D116).
 */
import type { Db } from '../storage/database.js';
import { presentOrder, type PublicOrder } from '../order/order-presenter.js';
import type { OrderStatus } from '../order/order.js';
import { toOrder, type OrderRow } from '../order/order-store.js';

export type ConsoleOrder = PublicOrder & { userId: string; userName: string };

type Row = OrderRow & { user_name: string };

const SELECT = 'SELECT o.*, u.display_name AS user_name FROM orders o JOIN users u ON u.id = o.user_id';

const toConsoleOrder = (r: Row): ConsoleOrder => ({ ...presentOrder(toOrder(r)), userId: r.user_id, userName: r.user_name });

export interface OrderSearch {
  /** An order id, a user id, or digits of a phone number. */
  q?: string | undefined;
  userId?: string | undefined;
  status?: OrderStatus | undefined;
  limit: number;
  /** The last id of the previous page. */
  before?: string | undefined;
}

export class ConsoleQueries {
  constructor(private readonly db: Db) {}

  orders(search: OrderSearch): { items: ConsoleOrder[]; nextCursor: string | null } {
    const where: string[] = ['o.id < @before'];
    const params: Record<string, unknown> = { before: search.before ?? '\uffff', limit: search.limit + 1 };
    if (search.userId) {
      where.push('o.user_id = @userId');
      params.userId = search.userId;
    }
    if (search.status) {
      where.push('o.status = @status');
      params.status = search.status;
    }
    const q = search.q?.trim();
    if (q) {
      const digits = q.replace(/[^\d]/g, '');
      // An id names one order or one user; otherwise the digits are looked for in phone numbers.
      where.push(`(o.id = @q OR o.user_id = @q${digits.length >= 3 ? " OR o.phone LIKE '%' || @digits || '%'" : ''})`);
      params.q = q;
      if (digits.length >= 3) params.digits = digits;
    }
    const rows = this.db
      .prepare<[Record<string, unknown>], Row>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY o.id DESC LIMIT @limit`)
      .all(params);
    const items = rows.slice(0, search.limit).map(toConsoleOrder);
    return { items, nextCursor: rows.length > search.limit ? items.at(-1)!.id : null };
  }

  ordersById(ids: readonly string[]): ConsoleOrder[] {
    if (ids.length === 0) return [];
    return this.db
      .prepare<[string], Row>(`${SELECT} WHERE o.id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ids))
      .map(toConsoleOrder);
  }

  balances(userIds: readonly string[]): Array<{ userId: string; balanceCents: string }> {
    if (userIds.length === 0) return [];
    return this.db
      .prepare<[string], { id: string; balance_cents: number }>(
        'SELECT id, balance_cents FROM users WHERE id IN (SELECT value FROM json_each(?))',
      )
      .all(JSON.stringify(userIds))
      .map((r) => ({ userId: r.id, balanceCents: String(r.balance_cents) }));
  }
}
