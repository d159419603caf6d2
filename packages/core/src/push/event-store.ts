/**
 * The event log's storage (docs/decisions.md D90, D125): the `events` table. Events are appended
 * in the transaction of the order change they describe (the caller's); reads page by `seq`.
 */
import type { Db } from '../storage/database.js';

export const EVENT_TYPES = ['order.updated', 'sms.received'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One stored event: `data` is the order's JSON text as it was presented when the event was written. */
export interface EventRecord {
  seq: number;
  id: string;
  userId: string;
  orderId: string;
  type: EventType;
  data: string;
  createdAt: number;
}

export interface EventStore {
  /** Whether the store can still be read (the server has not closed it). */
  readonly open: boolean;
  /** Appends an event; joins the caller's transaction. Its `seq` is assigned by the store. */
  insert(event: Omit<EventRecord, 'seq'>): void;
  /** The user's events (all, or one order's) with seq > `afterSeq`, oldest first, at most `limit`. */
  after(userId: string, afterSeq: number, limit: number, orderId?: string): EventRecord[];
  findById(id: string): EventRecord | undefined;
  /** The newest seq in the user's log, or in one order's; 0 when empty. */
  lastSeq(userId: string, orderId?: string): number;
  /** How many events there are (of one order, of one type, when given). */
  count(filter?: { orderId?: string | undefined; type?: EventType | undefined }): number;
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

const toRecord = (r: Row): EventRecord => ({
  seq: r.seq,
  id: r.id,
  userId: r.user_id,
  orderId: r.order_id,
  type: r.type,
  data: r.data,
  createdAt: r.created_at,
});

export class SqliteEventStore implements EventStore {
  private readonly insertStmt;
  private readonly byUser;
  private readonly byOrder;
  private readonly byId;
  private readonly lastForUser;
  private readonly lastForOrder;
  private readonly countStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare<[string, string, string, EventType, string, number]>(
      'INSERT INTO events (id, user_id, order_id, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.byUser = db.prepare<[string, number, number], Row>('SELECT * FROM events WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.byOrder = db.prepare<[string, string, number, number], Row>(
      'SELECT * FROM events WHERE user_id = ? AND order_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.byId = db.prepare<[string], Row>('SELECT * FROM events WHERE id = ?');
    this.lastForUser = db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE user_id = ?');
    this.lastForOrder = db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE order_id = ?');
    this.countStmt = db
      .prepare<[{ orderId: string | null; type: string | null }], number>(
        'SELECT COUNT(*) FROM events WHERE (CAST(@orderId AS TEXT) IS NULL OR order_id = @orderId) AND (CAST(@type AS TEXT) IS NULL OR type = @type)',
      )
      .pluck();
  }

  get open(): boolean {
    return this.db.open;
  }

  insert(e: Omit<EventRecord, 'seq'>): void {
    this.insertStmt.run(e.id, e.userId, e.orderId, e.type, e.data, e.createdAt);
  }

  after(userId: string, afterSeq: number, limit: number, orderId?: string): EventRecord[] {
    const rows = orderId === undefined ? this.byUser.all(userId, afterSeq, limit) : this.byOrder.all(userId, orderId, afterSeq, limit);
    return rows.map(toRecord);
  }

  findById(id: string): EventRecord | undefined {
    const row = this.byId.get(id);
    return row ? toRecord(row) : undefined;
  }

  lastSeq(userId: string, orderId?: string): number {
    return (orderId === undefined ? this.lastForUser.get(userId) : this.lastForOrder.get(orderId))?.seq ?? 0;
  }

  count(filter: { orderId?: string | undefined; type?: EventType | undefined } = {}): number {
    return this.countStmt.get({ orderId: filter.orderId ?? null, type: filter.type ?? null })!;
  }
}
