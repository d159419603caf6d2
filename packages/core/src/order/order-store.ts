/**
 * Orders in storage (docs/decisions.md D125): rows in and out, the user's cursor-paginated list
 * (newest first, by id, so inserts during paging never shift a page), the operators' search, the
 * live orders the worker watches, and when the next one is due. Saving a change is a conditional
 * update that says whether it applied: another writer (another request, another instance) may
 * have changed the order first.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database.js';
import { dialectOf } from '../storage/postgres/postgres-db.js';
import type { Order, OrderStatus, Sms } from './order.js';

export interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  service: string;
  country: number;
  phone: string;
  activation_id: string;
  charged_cents: number;
  expires_at: number;
  created_at: number;
  updated_at: number;
  sms_history: string;
  end_reason: string | null;
}

/** A row of `orders` as an Order (also for read-only queries elsewhere, such as the console's). */
export const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  userId: r.user_id,
  status: r.status,
  service: r.service,
  country: r.country,
  phone: r.phone,
  activationId: r.activation_id,
  chargedCents: r.charged_cents,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  smsHistory: JSON.parse(r.sms_history) as Sms[],
  endReason: r.end_reason,
});

/** The operators' search across users (all given fields must match), newest first. */
export interface OrderFilter {
  userId?: string | undefined;
  status?: OrderStatus | undefined;
  /** The full number as stored: '+' and digits. */
  phone?: string | undefined;
  service?: string | undefined;
  /** Created at or after (ms). */
  from?: number | undefined;
  /** Created before (ms). */
  to?: number | undefined;
  /** Only orders whose id sorts before this one (the previous page's last). */
  before?: string | undefined;
  limit: number;
}

export interface OrderStore {
  get(id: string): Order | undefined;
  getByActivation(activationId: string): Order | undefined;
  insert(order: Order): void;
  /** Saves `next` only if the row still is `prev` (same status, same updatedAt); false when something else changed it first. */
  update(prev: Order, next: Order): boolean;
  /** One user's orders, newest first, before the cursor `before`. */
  page(userId: string, options: { status?: OrderStatus | undefined; limit: number; before?: string | undefined }): Order[];
  /** Orders of any user matching the filter, newest first (the operators' search). */
  search(filter: OrderFilter): Order[];
  /** Live orders (WAITING, RECEIVED) in id order, after `afterId`, for the worker's sync sweep. */
  live(afterId: string, limit: number): Order[];
  /** Live orders whose window has ended by `now`, the earliest first. */
  due(now: number, limit: number): Order[];
  /** The earliest end of a live order's window after `t`, or undefined. */
  nextDueAfter(t: number): number | undefined;
  /** Whether a live order's window has ended by `now`. */
  hasDue(now: number): boolean;
  /** How many orders there are: all, or those in one of `statuses`. */
  count(statuses?: readonly OrderStatus[]): number;
}

const LIVE = "status IN ('WAITING', 'RECEIVED')";

/** The search's optional conditions, in a fixed order: each subset is one statement, prepared once. */
const SEARCH_CONDITIONS = [
  ['userId', 'user_id = @userId'],
  ['status', 'status = @status'],
  ['phone', 'phone = @phone'],
  ['service', 'service = @service'],
  ['from', 'created_at >= @from'],
  ['to', 'created_at < @to'],
] as const;

export class SqliteOrderStore implements OrderStore {
  private readonly byId;
  private readonly byActivation;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly pageAll;
  private readonly pageByStatus;
  private readonly liveStmt;
  private readonly dueStmt;
  private readonly nextDueStmt;
  private readonly hasDueStmt;
  private readonly countAll;
  private readonly searches = new Map<number, Statement<[Record<string, unknown>], OrderRow>>();

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE id = ?');
    this.byActivation = db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE activation_id = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO orders (id, user_id, status, service, country, phone, activation_id, charged_cents, expires_at, created_at, updated_at, sms_history, end_reason)
       VALUES (@id, @user_id, @status, @service, @country, @phone, @activation_id, @charged_cents, @expires_at, @created_at, @updated_at, @sms_history, @end_reason)`,
    );
    this.updateStmt = db.prepare(
      'UPDATE orders SET status = ?, updated_at = ?, sms_history = ?, end_reason = ? WHERE id = ? AND status = ? AND updated_at = ?',
    );
    this.pageAll = db.prepare<[string, string, number], OrderRow>(
      'SELECT * FROM orders WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
    );
    this.pageByStatus = db.prepare<[string, string, string, number], OrderRow>(
      'SELECT * FROM orders WHERE user_id = ? AND status = ? AND id < ? ORDER BY id DESC LIMIT ?',
    );
    this.liveStmt = db.prepare<[string, number], OrderRow>(`SELECT * FROM orders WHERE ${LIVE} AND id > ? ORDER BY id LIMIT ?`);
    // The live orders by expiry: SQLite's planner, without statistics, prefers the status index
    // (every live order, sorted again) to the partial index of live orders by expiry; the
    // simulator asks these on every step, so that made a 20-minute advance over 10,000 orders
    // quadratic (docs/benchmarks.md). PostgreSQL plans from its statistics.
    const live = dialectOf(db) === 'sqlite' ? 'orders INDEXED BY orders_live' : 'orders';
    this.dueStmt = db.prepare<[number, number], OrderRow>(
      `SELECT * FROM ${live} WHERE ${LIVE} AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
    );
    this.nextDueStmt = db.prepare<[number], number | null>(`SELECT MIN(expires_at) FROM ${live} WHERE ${LIVE} AND expires_at > ?`).pluck();
    this.hasDueStmt = db.prepare<[number], number>(`SELECT EXISTS (SELECT 1 FROM ${live} WHERE ${LIVE} AND expires_at <= ?)`).pluck();
    this.countAll = db.prepare<[], number>('SELECT COUNT(*) FROM orders').pluck();
  }

  get(id: string): Order | undefined {
    const row = this.byId.get(id);
    return row ? toOrder(row) : undefined;
  }

  getByActivation(activationId: string): Order | undefined {
    const row = this.byActivation.get(activationId);
    return row ? toOrder(row) : undefined;
  }

  insert(o: Order): void {
    this.insertStmt.run({
      id: o.id,
      user_id: o.userId,
      status: o.status,
      service: o.service,
      country: o.country,
      phone: o.phone,
      activation_id: o.activationId,
      charged_cents: o.chargedCents,
      expires_at: o.expiresAt,
      created_at: o.createdAt,
      updated_at: o.updatedAt,
      sms_history: JSON.stringify(o.smsHistory),
      end_reason: o.endReason,
    });
  }

  update(prev: Order, next: Order): boolean {
    const r = this.updateStmt.run(
      next.status,
      next.updatedAt,
      JSON.stringify(next.smsHistory),
      next.endReason,
      next.id,
      prev.status,
      prev.updatedAt,
    );
    return r.changes === 1;
  }

  page(userId: string, options: { status?: OrderStatus | undefined; limit: number; before?: string | undefined }): Order[] {
    const before = options.before ?? '\uffff';
    const rows = options.status
      ? this.pageByStatus.all(userId, options.status, before, options.limit)
      : this.pageAll.all(userId, before, options.limit);
    return rows.map(toOrder);
  }

  search(filter: OrderFilter): Order[] {
    const params: Record<string, unknown> = { before: filter.before ?? '\uffff', limit: filter.limit };
    let mask = 0;
    SEARCH_CONDITIONS.forEach(([name], i) => {
      if (filter[name] === undefined) return;
      mask |= 1 << i;
      params[name] = filter[name];
    });
    let stmt = this.searches.get(mask);
    if (!stmt) {
      const where = ['id < @before', ...SEARCH_CONDITIONS.filter((_, i) => mask & (1 << i)).map(([, clause]) => clause)];
      stmt = this.db.prepare<[Record<string, unknown>], OrderRow>(
        `SELECT * FROM orders WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`,
      );
      this.searches.set(mask, stmt);
    }
    return stmt.all(params).map(toOrder);
  }

  live(afterId: string, limit: number): Order[] {
    return this.liveStmt.all(afterId, limit).map(toOrder);
  }

  due(now: number, limit: number): Order[] {
    return this.dueStmt.all(now, limit).map(toOrder);
  }

  nextDueAfter(t: number): number | undefined {
    return this.nextDueStmt.get(t) ?? undefined;
  }

  hasDue(now: number): boolean {
    return this.hasDueStmt.get(now) === 1;
  }

  count(statuses?: readonly OrderStatus[]): number {
    if (statuses === undefined) return this.countAll.get()!;
    if (statuses.length === 0) return 0;
    // Tests and operators' tools only: prepared per call.
    return this.db
      .prepare<OrderStatus[], number>(`SELECT COUNT(*) FROM orders WHERE status IN (${statuses.map(() => '?').join(', ')})`)
      .pluck()
      .get(...statuses)!;
  }
}
