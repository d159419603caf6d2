/**
 * The read-only queries the console needs across users (docs/decisions.md D116, D125): orders
 * newest first, searched by id, phone or user; orders by id for the live feed; balances of users.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../storage/database.js';
import { jsonValues } from '../storage/postgres/postgres-db.js';
import type { Order, OrderStatus } from '../order/order.js';
import { toOrder, type OrderRow } from '../order/order-store.js';

export interface ConsoleOrderSearch {
  /** An order id, a user id, or digits of a phone number (at least three to search phones). */
  q?: string | undefined;
  userId?: string | undefined;
  status?: OrderStatus | undefined;
  limit: number;
  /** Only ids below this one (the last id of the previous page). */
  before?: string | undefined;
}

/** An order with its user's display name. */
export interface OrderWithUser {
  order: Order;
  userName: string;
}

export interface ConsoleQueryStore {
  /** Orders of every user, newest (highest id) first, at most `limit`. */
  searchOrders(search: ConsoleOrderSearch): OrderWithUser[];
  /** These orders, in no particular order; unknown ids are left out. */
  ordersById(ids: readonly string[]): OrderWithUser[];
  /** The balances of these users; unknown ids are left out. */
  balances(userIds: readonly string[]): Array<{ userId: string; balanceCents: number }>;
}

type Row = OrderRow & { user_name: string };

const SELECT = 'SELECT o.*, u.display_name AS user_name FROM orders o JOIN users u ON u.id = o.user_id';

const toOrderWithUser = (r: Row): OrderWithUser => ({ order: toOrder(r), userName: r.user_name });

export class SqliteConsoleQueryStore implements ConsoleQueryStore {
  /** A search's statement, by its SQL: a few shapes (which filters are given), each prepared once. */
  private readonly searchStmts = new Map<string, Database.Statement<[Record<string, unknown>], Row>>();
  private readonly byIdStmt;
  private readonly balancesStmt;

  constructor(private readonly db: Db) {
    this.byIdStmt = db.prepare<[string], Row>(`${SELECT} WHERE o.id IN (${jsonValues(db)})`);
    this.balancesStmt = db.prepare<[string], { id: string; balance_cents: number }>(
      `SELECT id, balance_cents FROM users WHERE id IN (${jsonValues(db)})`,
    );
  }

  searchOrders(search: ConsoleOrderSearch): OrderWithUser[] {
    const where: string[] = ['o.id < @before'];
    const params: Record<string, unknown> = { before: search.before ?? '\uffff', limit: search.limit };
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
    const sql = `${SELECT} WHERE ${where.join(' AND ')} ORDER BY o.id DESC LIMIT @limit`;
    let stmt = this.searchStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<[Record<string, unknown>], Row>(sql);
      this.searchStmts.set(sql, stmt);
    }
    return stmt.all(params).map(toOrderWithUser);
  }

  ordersById(ids: readonly string[]): OrderWithUser[] {
    if (ids.length === 0) return [];
    return this.byIdStmt.all(JSON.stringify(ids)).map(toOrderWithUser);
  }

  balances(userIds: readonly string[]): Array<{ userId: string; balanceCents: number }> {
    if (userIds.length === 0) return [];
    return this.balancesStmt.all(JSON.stringify(userIds)).map((r) => ({ userId: r.id, balanceCents: r.balance_cents }));
  }
}
