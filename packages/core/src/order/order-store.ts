/**
 * SQL for orders: rows in and out, the user's cursor-paginated list (newest first, by id,
 * so inserts during paging never shift a page), and the live orders the worker watches.
 */
import type { Db } from '../storage/database.js';
import type { ChangeWatch } from '../storage/change-watch.js';
import type { ChangeFeed } from '../console/change-feed.js';
import type { EventLog } from '../push/event-log.js';
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

export class OrderStore {
  private readonly byId;
  private readonly byActivation;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly pageAll;
  private readonly pageByStatus;
  private readonly liveStmt;
  private readonly dueStmt;

  constructor(
    private readonly db: Db,
    private readonly changes?: ChangeWatch,
    /** Told of every order written, for live views (docs/decisions.md D113). */
    private readonly feed?: ChangeFeed,
    /** Written with every order change, in its transaction (docs/decisions.md D90). */
    private readonly events?: EventLog,
    /** Told of every status change written (null: a new order), for metrics (docs/decisions.md D102). */
    private readonly onTransition?: (from: OrderStatus | null, to: OrderStatus) => void,
  ) {
    changes?.onForeignCommit(() => this.cache.clear());
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
    this.liveStmt = db.prepare<[string, number], OrderRow>(
      "SELECT * FROM orders WHERE status IN ('WAITING', 'RECEIVED') AND id > ? ORDER BY id LIMIT ?",
    );
    this.dueStmt = db.prepare<[number, number], OrderRow>(
      "SELECT * FROM orders WHERE status IN ('WAITING', 'RECEIVED') AND expires_at <= ? ORDER BY expires_at LIMIT ?",
    );
  }

  /**
   * Orders read outside a transaction, by id: polls read the same order again and again. An
   * entry is dropped when the order is written (so a rolled-back write just means a fresh
   * read), and everything when another process commits. Orders are never mutated in place.
   */
  private readonly cache = new Map<string, Order>();

  get(id: string): Order | undefined {
    this.changes?.poll();
    const hit = this.cache.get(id);
    if (hit) return hit;
    const row = this.byId.get(id);
    if (!row) return undefined;
    const order = toOrder(row);
    if (!this.db.inTransaction) {
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(id, order);
    }
    return order;
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
    this.events?.record(undefined, o);
    this.feed?.order(o.id);
    this.onTransition?.(null, o.status);
  }

  /** Saves `next` only if the row still is `prev`; false when something else changed it first. */
  update(prev: Order, next: Order): boolean {
    this.cache.delete(next.id);
    const r = this.updateStmt.run(
      next.status,
      next.updatedAt,
      JSON.stringify(next.smsHistory),
      next.endReason,
      next.id,
      prev.status,
      prev.updatedAt,
    );
    if (r.changes !== 1) return false;
    this.events?.record(prev, next);
    this.feed?.order(next.id);
    if (next.status !== prev.status) this.onTransition?.(prev.status, next.status);
    return true;
  }

  page(userId: string, options: { status?: OrderStatus | undefined; limit: number; before?: string | undefined }): Order[] {
    const before = options.before ?? '\uffff';
    const rows = options.status
      ? this.pageByStatus.all(userId, options.status, before, options.limit)
      : this.pageAll.all(userId, before, options.limit);
    return rows.map(toOrder);
  }

  /** Live orders in id order, after `afterId`, for the worker's sync sweep. */
  live(afterId: string, limit: number): Order[] {
    return this.liveStmt.all(afterId, limit).map(toOrder);
  }

  /** Live orders whose window has ended. */
  due(now: number, limit: number): Order[] {
    return this.dueStmt.all(now, limit).map(toOrder);
  }
}
