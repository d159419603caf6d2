/**
 * The order event log (docs/decisions.md D90): every change of an order writes `order.updated`
 * (and `sms.received` when an SMS arrived) in the same transaction as the change, like an outbox.
 * A crash can therefore neither lose an event whose change committed nor invent one whose change
 * rolled back. Long-poll, server-sent events and webhooks all read this one record; the
 * in-process feed only says when to look.
 */
import type { ChangeFeed } from '../console/change-feed.js';
import type { IdGenerator } from '../ports/ids.js';
import type { Db } from '../storage/database.js';
import { presentOrder } from '../order/order-presenter.js';
import type { Order } from '../order/order.js';

export const EVENT_TYPES = ['order.updated', 'sms.received'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface StoredEvent {
  seq: number;
  id: string;
  userId: string;
  orderId: string;
  type: EventType;
  createdAt: number;
  /** The event's JSON text (`{id, type, timestamp, data}`: the webhook body, the SSE `data`), the same bytes every time it is sent. */
  json: string;
}

interface Row {
  seq: number;
  id: string;
  user_id: string;
  order_id: string;
  type: EventType;
  data: string;
  created_at: number;
}

const toEvent = (r: Row): StoredEvent => ({
  seq: r.seq,
  id: r.id,
  userId: r.user_id,
  orderId: r.order_id,
  type: r.type,
  createdAt: r.created_at,
  json: `{"id":${JSON.stringify(r.id)},"type":${JSON.stringify(r.type)},"timestamp":${JSON.stringify(new Date(r.created_at).toISOString())},"data":${r.data}}`,
});

/** Runs inside the transaction that writes an event (webhook deliveries are owed in it). */
export type EventHook = (event: { id: string; userId: string; type: EventType; createdAt: number }) => void;

export class EventLog {
  private readonly insertStmt;
  private readonly byUser;
  private readonly byOrder;
  private readonly byId;
  private readonly lastForUser;
  private readonly lastForOrder;
  private readonly hooks: EventHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly ids: IdGenerator,
    private readonly feed?: ChangeFeed,
  ) {
    this.insertStmt = db.prepare('INSERT INTO events (id, user_id, order_id, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.byUser = db.prepare<[string, number, number], Row>('SELECT * FROM events WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.byOrder = db.prepare<[string, string, number, number], Row>(
      'SELECT * FROM events WHERE user_id = ? AND order_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.byId = db.prepare<[string], Row>('SELECT * FROM events WHERE id = ?');
    this.lastForUser = db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE user_id = ?');
    this.lastForOrder = db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE order_id = ?');
  }

  /** Work that must commit with each event (owing webhook deliveries). */
  onEvent(hook: EventHook): void {
    this.hooks.push(hook);
  }

  /** Called by the order store inside the transaction that creates or changes `next`. */
  record(prev: Order | undefined, next: Order): void {
    const data = JSON.stringify(presentOrder(next));
    const types: EventType[] = ['order.updated'];
    if (next.smsHistory.length > (prev?.smsHistory.length ?? 0)) types.push('sms.received');
    for (const type of types) {
      const id = this.ids.next('evt');
      this.insertStmt.run(id, next.userId, next.id, type, data, next.updatedAt);
      for (const hook of this.hooks) hook({ id, userId: next.userId, type, createdAt: next.updatedAt });
    }
    this.feed?.events(next.userId);
  }

  /** The user's events after `afterSeq` (all of them, or one order's), oldest first. */
  after(userId: string, afterSeq: number, limit: number, orderId?: string): StoredEvent[] {
    const rows = orderId === undefined ? this.byUser.all(userId, afterSeq, limit) : this.byOrder.all(userId, orderId, afterSeq, limit);
    return rows.map(toEvent);
  }

  get(id: string): StoredEvent | undefined {
    const row = this.byId.get(id);
    return row ? toEvent(row) : undefined;
  }

  /** The newest seq in the user's (or one order's) log; 0 when empty. */
  lastSeq(userId: string, orderId?: string): number {
    return (orderId === undefined ? this.lastForUser.get(userId) : this.lastForOrder.get(orderId))?.seq ?? 0;
  }
}
