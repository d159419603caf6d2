/**
 * Webhooks' storage (docs/decisions.md D92–D95, D125): a user's endpoints (`webhooks`) and the
 * deliveries owed to them (`webhook_deliveries`). Every method joins the caller's transaction;
 * the webhook service decides the transaction boundaries (an attempt's outcome commits unsynced,
 * D145).
 */
import type { Db } from '../storage/database.js';
import type { EventType } from './event-store.js';
import { dialectOf } from '../storage/postgres/postgres-db.js';
import { ID_ALPHABET } from '../ports/ids.js';

/** `dlv` and 25 base-36 characters (docs/decisions.md D2). */
const DELIVERY_ID_LENGTH = 28;

/** An endpoint as stored, secrets included (only the webhook service reads them). */
export interface WebhookRecord {
  id: string;
  userId: string;
  url: string;
  events: EventType[];
  secret: string;
  previousSecret: string | null;
  /** Until when `previousSecret` still signs, or null. */
  previousUntil: number | null;
  createdAt: number;
  deletedAt: number | null;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** A delivery as stored, with the type of the event it carries. */
export interface DeliveryRecord {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: EventType;
  state: DeliveryState;
  attempts: number;
  /** When it is next tried (meaningful while pending). */
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  deliveredAt: number | null;
  createdAt: number;
}

export interface WebhookStore {
  /** Whether the store can still be used (the server has not closed it). */
  readonly open: boolean;

  // ---------------------------------------------------------------- endpoints
  /** How many endpoints the user has that are not deleted. */
  countActiveForUser(userId: string): number;
  insertWebhook(w: { id: string; userId: string; url: string; events: EventType[]; secret: string; createdAt: number }): void;
  /** The user's endpoints that are not deleted, by id. */
  listActiveForUser(userId: string): WebhookRecord[];
  /** The endpoint, unless deleted. */
  findActive(id: string): WebhookRecord | undefined;
  /** The endpoint, deleted or not. */
  findById(id: string): WebhookRecord | undefined;
  /**
   * In an event's transaction: a pending delivery of the event, due at its time, for each of the
   * user's endpoints not deleted that subscribes to its type. One statement that reads nothing
   * back (on PostgreSQL it goes with the transaction's next round trip, docs/decisions.md D127).
   * The deliveries' ids are `deliveryId` with its last character standing for the endpoint (the
   * nth by id: 0–9, a–z), so they keep its time order and are unique per event.
   */
  oweDeliveries(event: { id: string; userId: string; type: EventType; createdAt: number }, deliveryId: string): void;
  markDeleted(id: string, at: number): void;
  setSecrets(id: string, secret: string, previous: { secret: string; until: number } | null): void;

  // ---------------------------------------------------------------- deliveries
  /** A new pending delivery, due at `nextAttemptAt`. */
  insertDelivery(d: { id: string; webhookId: string; eventId: string; nextAttemptAt: number; createdAt: number }): void;
  /** The endpoint's deliveries with an id below `beforeId`, newest first, at most `limit`. */
  listDeliveries(webhookId: string, beforeId: string, limit: number): DeliveryRecord[];
  /** The delivery (of that endpoint, when given). */
  findDelivery(id: string, webhookId?: string): DeliveryRecord | undefined;
  /**
   * Pending deliveries due at `now`, earliest first, at most `limit`. They are not claimed: one
   * process sends them and keeps its own set of those in flight (a later stage claims them for
   * several instances).
   */
  listDue(now: number, limit: number): DeliveryRecord[];
  /**
   * Records a successful attempt (`attempts` counts it). Applies only to a delivery still pending
   * with one attempt fewer; says whether it did (false: no such delivery, or another writer
   * recorded this attempt or ended the delivery first).
   */
  markDelivered(id: string, outcome: { attempts: number; status: number | null; at: number }): boolean;
  /**
   * Records a failed attempt: pending again at `nextAttemptAt`, or failed for good. Applies, and
   * says so, only as markDelivered does.
   */
  recordFailure(
    id: string,
    outcome: { state: 'pending' | 'failed'; attempts: number; status: number | null; error: string; at: number; nextAttemptAt: number },
  ): boolean;
  /** Ends the delivery as failed with `reason` if it is still pending. Says whether it was. */
  failIfPending(id: string, reason: string): boolean;
  /** Ends every pending delivery of the endpoint as failed with `reason`; returns how many. */
  failPendingForWebhook(webhookId: string, reason: string): number;
  /** How many deliveries are pending. */
  pendingCount(): number;
  /** The earliest moment after `t` at which a pending delivery is due, or undefined. */
  nextDueAfter(t: number): number | undefined;
  /** Whether a pending delivery is due at `now`. */
  hasDue(now: number): boolean;
}

interface WebhookRow {
  id: string;
  user_id: string;
  url: string;
  events: string;
  secret: string;
  previous_secret: string | null;
  previous_until: number | null;
  created_at: number;
  deleted_at: number | null;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: EventType;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  delivered_at: number | null;
  created_at: number;
}

const toWebhook = (r: WebhookRow): WebhookRecord => ({
  id: r.id,
  userId: r.user_id,
  url: r.url,
  events: JSON.parse(r.events) as EventType[],
  secret: r.secret,
  previousSecret: r.previous_secret,
  previousUntil: r.previous_until,
  createdAt: r.created_at,
  deletedAt: r.deleted_at,
});

const toDelivery = (r: DeliveryRow): DeliveryRecord => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  deliveredAt: r.delivered_at,
  createdAt: r.created_at,
});

const DELIVERY_SELECT = 'SELECT d.*, e.type AS event_type FROM webhook_deliveries d JOIN events e ON e.id = d.event_id';

export class SqliteWebhookStore implements WebhookStore {
  private readonly countActiveStmt;
  private readonly insertWebhookStmt;
  private readonly listActiveStmt;
  private readonly activeStmt;
  private readonly hookStmt;
  private readonly oweStmt;
  private readonly markDeletedStmt;
  private readonly setSecretsStmt;
  private readonly insertDeliveryStmt;
  private readonly listDeliveriesStmt;
  private readonly deliveryStmt;
  private readonly deliveryOfHookStmt;
  private readonly dueStmt;
  private readonly deliveredStmt;
  private readonly retryStmt;
  private readonly failIfPendingStmt;
  private readonly failPendingForHookStmt;
  private readonly pendingCountStmt;
  private readonly nextDueStmt;
  private readonly hasDueStmt;

  constructor(private readonly db: Db) {
    this.countActiveStmt = db
      .prepare<[string], number>('SELECT COUNT(*) AS n FROM webhooks WHERE user_id = ? AND deleted_at IS NULL')
      .pluck();
    this.insertWebhookStmt = db.prepare<[string, string, string, string, string, number]>(
      'INSERT INTO webhooks (id, user_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.listActiveStmt = db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE user_id = ? AND deleted_at IS NULL ORDER BY id');
    this.activeStmt = db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE id = ? AND deleted_at IS NULL');
    this.hookStmt = db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE id = ?');
    const subscribes =
      dialectOf(db) === 'postgres'
        ? 'EXISTS (SELECT 1 FROM json_array_elements_text(CAST(w.events AS json)) AS t(v) WHERE t.v = @type)'
        : 'EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = @type)';
    this.oweStmt = db.prepare<[{ id: string; userId: string; type: string; eventId: string; at: number }]>(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_id, state, next_attempt_at, created_at)
       SELECT substr(@id, 1, ${DELIVERY_ID_LENGTH - 1}) || substr('${ID_ALPHABET}', CAST(w.n AS INTEGER), 1), w.id, @eventId, 'pending', @at, @at
       FROM (SELECT id, events, ROW_NUMBER() OVER (ORDER BY id) AS n FROM webhooks WHERE user_id = @userId AND deleted_at IS NULL) w
       WHERE ${subscribes}`,
    );
    this.markDeletedStmt = db.prepare<[number, string]>('UPDATE webhooks SET deleted_at = ? WHERE id = ?');
    this.setSecretsStmt = db.prepare<[string, string | null, number | null, string]>(
      'UPDATE webhooks SET secret = ?, previous_secret = ?, previous_until = ? WHERE id = ?',
    );
    this.insertDeliveryStmt = db.prepare<[string, string, string, number, number]>(
      "INSERT INTO webhook_deliveries (id, webhook_id, event_id, state, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)",
    );
    this.listDeliveriesStmt = db.prepare<[string, string, number], DeliveryRow>(
      `${DELIVERY_SELECT} WHERE d.webhook_id = ? AND d.id < ? ORDER BY d.id DESC LIMIT ?`,
    );
    this.deliveryStmt = db.prepare<[string], DeliveryRow>(`${DELIVERY_SELECT} WHERE d.id = ?`);
    this.deliveryOfHookStmt = db.prepare<[string, string], DeliveryRow>(`${DELIVERY_SELECT} WHERE d.id = ? AND d.webhook_id = ?`);
    this.dueStmt = db.prepare<[number, number], DeliveryRow>(
      `${DELIVERY_SELECT} WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`,
    );
    // An attempt's outcome lands only on the delivery as that attempt found it: still pending, with
    // one attempt fewer. A second writer recording the same attempt changes nothing.
    this.deliveredStmt = db.prepare<[number, number | null, number, number, string, number]>(
      "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL, last_attempt_at = ?, delivered_at = ? WHERE id = ? AND state = 'pending' AND attempts = ?",
    );
    this.retryStmt = db.prepare<[string, number, number | null, string, number, number, string, number]>(
      "UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, last_attempt_at = ?, next_attempt_at = ? WHERE id = ? AND state = 'pending' AND attempts = ?",
    );
    this.failIfPendingStmt = db.prepare<[string, string]>(
      "UPDATE webhook_deliveries SET state = 'failed', last_error = ? WHERE id = ? AND state = 'pending'",
    );
    this.failPendingForHookStmt = db.prepare<[string, string]>(
      "UPDATE webhook_deliveries SET state = 'failed', last_error = ? WHERE webhook_id = ? AND state = 'pending'",
    );
    this.pendingCountStmt = db.prepare<[], number>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'pending'").pluck();
    this.nextDueStmt = db
      .prepare<[number], number | null>(
        "SELECT MIN(next_attempt_at) AS t FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at > ?",
      )
      .pluck();
    this.hasDueStmt = db
      .prepare<[number], number>("SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?) AS n")
      .pluck();
  }

  get open(): boolean {
    return this.db.open;
  }

  countActiveForUser(userId: string): number {
    return this.countActiveStmt.get(userId)!;
  }

  insertWebhook(w: { id: string; userId: string; url: string; events: EventType[]; secret: string; createdAt: number }): void {
    this.insertWebhookStmt.run(w.id, w.userId, w.url, JSON.stringify(w.events), w.secret, w.createdAt);
  }

  listActiveForUser(userId: string): WebhookRecord[] {
    return this.listActiveStmt.all(userId).map(toWebhook);
  }

  findActive(id: string): WebhookRecord | undefined {
    const row = this.activeStmt.get(id);
    return row ? toWebhook(row) : undefined;
  }

  findById(id: string): WebhookRecord | undefined {
    const row = this.hookStmt.get(id);
    return row ? toWebhook(row) : undefined;
  }

  oweDeliveries(event: { id: string; userId: string; type: EventType; createdAt: number }, deliveryId: string): void {
    if (deliveryId.length !== DELIVERY_ID_LENGTH) throw new RangeError(`A delivery id has ${DELIVERY_ID_LENGTH} characters: ${deliveryId}`);
    this.oweStmt.run({ id: deliveryId, userId: event.userId, type: event.type, eventId: event.id, at: event.createdAt });
  }

  markDeleted(id: string, at: number): void {
    this.markDeletedStmt.run(at, id);
  }

  setSecrets(id: string, secret: string, previous: { secret: string; until: number } | null): void {
    this.setSecretsStmt.run(secret, previous?.secret ?? null, previous?.until ?? null, id);
  }

  insertDelivery(d: { id: string; webhookId: string; eventId: string; nextAttemptAt: number; createdAt: number }): void {
    this.insertDeliveryStmt.run(d.id, d.webhookId, d.eventId, d.nextAttemptAt, d.createdAt);
  }

  listDeliveries(webhookId: string, beforeId: string, limit: number): DeliveryRecord[] {
    return this.listDeliveriesStmt.all(webhookId, beforeId, limit).map(toDelivery);
  }

  findDelivery(id: string, webhookId?: string): DeliveryRecord | undefined {
    const row = webhookId === undefined ? this.deliveryStmt.get(id) : this.deliveryOfHookStmt.get(id, webhookId);
    return row ? toDelivery(row) : undefined;
  }

  listDue(now: number, limit: number): DeliveryRecord[] {
    return this.dueStmt.all(now, limit).map(toDelivery);
  }

  markDelivered(id: string, o: { attempts: number; status: number | null; at: number }): boolean {
    return this.deliveredStmt.run(o.attempts, o.status, o.at, o.at, id, o.attempts - 1).changes > 0;
  }

  recordFailure(
    id: string,
    o: { state: 'pending' | 'failed'; attempts: number; status: number | null; error: string; at: number; nextAttemptAt: number },
  ): boolean {
    return this.retryStmt.run(o.state, o.attempts, o.status, o.error, o.at, o.nextAttemptAt, id, o.attempts - 1).changes > 0;
  }

  failIfPending(id: string, reason: string): boolean {
    return this.failIfPendingStmt.run(reason, id).changes > 0;
  }

  failPendingForWebhook(webhookId: string, reason: string): number {
    return this.failPendingForHookStmt.run(reason, webhookId).changes;
  }

  pendingCount(): number {
    return this.pendingCountStmt.get()!;
  }

  nextDueAfter(t: number): number | undefined {
    return this.nextDueStmt.get(t) ?? undefined;
  }

  hasDue(now: number): boolean {
    return this.hasDueStmt.get(now) === 1;
  }
}
