/**
 * Webhooks (docs/decisions.md D92–D95): a user's endpoints, and the deliveries owed to them.
 * A delivery is written in the transaction of the event it carries (the event log's hook), so it
 * survives any crash; the sender posts it, signed by the Standard Webhooks scheme, until the
 * receiver answers 2xx, retrying with jittered exponential backoff for 24 hours. After a restart
 * or a SIGKILL, pending deliveries are simply sent again: at least once, with the same
 * `webhook-id` (the event's id) every time.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AppError } from '../errors/app-error.js';
import type { ChangeFeed } from '../console/change-feed.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/ids.js';
import type { Rng } from '../ports/rng.js';
import { writeTx, writeTxUnsynced, type Db } from '../storage/database.js';
import { EVENT_TYPES, type EventLog, type EventType } from './event-log.js';
import { checkWebhookUrl, publicOnlyLookup } from './target-guard.js';
import { generateWebhookSecret, webhookHeaders } from './webhook-signature.js';

export interface WebhookOptions {
  /** Send to private and loopback addresses too (the simulator; production only with a flag). Default false. */
  allowPrivateTargets?: boolean;
  /** Backoff between attempts: base doubling per failed attempt up to max, jittered. Default 5 s and 1 h. */
  backoffMs?: { base: number; max: number };
  /** How long after it is owed a delivery is still tried. Default 24 h. */
  retryForMs?: number;
  /** How long a receiver may take to answer. Default 10 s. */
  timeoutMs?: number;
  /** Deliveries in flight at once. Default 32. */
  concurrency?: number;
  /** The wall clock for `webhook-timestamp` (receivers compare it with theirs), even under a virtual clock. */
  wallClock?: () => number;
}

const MAX_WEBHOOKS_PER_USER = 10;
const DEFAULT_ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export interface Webhook {
  id: string;
  userId: string;
  url: string;
  events: EventType[];
  createdAt: number;
  /** Until when the previous secret still signs (a rotation's overlap), or null. */
  previousSecretUntil: number | null;
}

type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: EventType;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  deliveredAt: number | null;
  createdAt: number;
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

const toWebhook = (r: WebhookRow, now: number): Webhook => ({
  id: r.id,
  userId: r.user_id,
  url: r.url,
  events: JSON.parse(r.events) as EventType[],
  createdAt: r.created_at,
  previousSecretUntil: r.previous_secret !== null && r.previous_until !== null && r.previous_until > now ? r.previous_until : null,
});

const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.state === 'pending' ? r.next_attempt_at : null,
  lastStatus: r.last_status,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  deliveredAt: r.delivered_at,
  createdAt: r.created_at,
});

const DELIVERY_SELECT = 'SELECT d.*, e.type AS event_type FROM webhook_deliveries d JOIN events e ON e.id = d.event_id';

export class Webhooks {
  private readonly opts: Required<Omit<WebhookOptions, 'wallClock'>> & { wallClock: () => number };
  private readonly inflight = new Set<string>();
  /** Due deliveries read and not yet started; refilled only when empty, so none is read twice. */
  private queue: DeliveryRow[] = [];
  private active = 0;
  private sentTotal = 0;
  private idleWaiters: Array<() => void> = [];
  /** Set when an attempt could not record its outcome; cleared by the next drain (the engine's tick). */
  private stalled = false;
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };
  private readonly subscribed;
  private readonly insertDelivery;
  private readonly dueStmt;
  private readonly hookStmt;
  private readonly deliveredStmt;
  private readonly retryStmt;

  constructor(
    private readonly db: Db,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly rng: Rng,
    private readonly secretRng: Rng,
    private readonly log: Logger,
    feed: ChangeFeed,
    options: WebhookOptions = {},
  ) {
    this.opts = {
      allowPrivateTargets: options.allowPrivateTargets ?? false,
      backoffMs: options.backoffMs ?? { base: 5_000, max: 60 * 60 * 1000 },
      retryForMs: options.retryForMs ?? 24 * 60 * 60 * 1000,
      timeoutMs: options.timeoutMs ?? 10_000,
      concurrency: options.concurrency ?? 32,
      wallClock: options.wallClock ?? Date.now,
    };
    this.subscribed = db.prepare<[string], { id: string; events: string }>(
      'SELECT id, events FROM webhooks WHERE user_id = ? AND deleted_at IS NULL',
    );
    this.insertDelivery = db.prepare(
      "INSERT INTO webhook_deliveries (id, webhook_id, event_id, state, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)",
    );
    this.dueStmt = db.prepare<[number, number], DeliveryRow>(
      `${DELIVERY_SELECT} WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`,
    );
    // Prepared once: each attempt reads its endpoint and records its outcome.
    this.hookStmt = db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE id = ?');
    this.deliveredStmt = db.prepare(
      "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL, last_attempt_at = ?, delivered_at = ? WHERE id = ?",
    );
    this.retryStmt = db.prepare(
      'UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, last_attempt_at = ?, next_attempt_at = ? WHERE id = ?',
    );
    // Owed in the event's own transaction: an event that committed always has its deliveries.
    events.onEvent((e) => {
      for (const w of this.subscribed.all(e.userId)) {
        if ((JSON.parse(w.events) as string[]).includes(e.type))
          this.insertDelivery.run(this.ids.next('dlv'), w.id, e.id, e.createdAt, e.createdAt);
      }
    });
    // Sent as soon as the transaction that owed them is over.
    feed.subscribe((changes) => {
      if (changes.events.length > 0) this.pump();
    });
  }

  get allowPrivateTargets(): boolean {
    return this.opts.allowPrivateTargets;
  }

  // ---------------------------------------------------------------- endpoints

  create(userId: string, input: { url: string; events?: EventType[] | undefined }): { webhook: Webhook; secret: string } {
    const url = checkWebhookUrl(input.url, this.opts.allowPrivateTargets).toString();
    const events = [...new Set(input.events ?? EVENT_TYPES)].sort();
    const now = this.clock.now();
    const id = this.ids.next('wh');
    const secret = generateWebhookSecret(this.secretRng);
    writeTx(this.db, () => {
      const n = this.db
        .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM webhooks WHERE user_id = ? AND deleted_at IS NULL')
        .get(userId)!.n;
      if (n >= MAX_WEBHOOKS_PER_USER)
        throw new AppError('BAD_REQUEST', `A user has at most ${MAX_WEBHOOKS_PER_USER} webhook endpoints; delete one first.`);
      this.db
        .prepare('INSERT INTO webhooks (id, user_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, userId, url, JSON.stringify(events), secret, now);
    });
    this.log.info({ event: 'webhook.created', webhookId: id, userId });
    return { webhook: this.get(userId, id), secret };
  }

  list(userId: string): Webhook[] {
    const now = this.clock.now();
    return this.db
      .prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE user_id = ? AND deleted_at IS NULL ORDER BY id')
      .all(userId)
      .map((r) => toWebhook(r, now));
  }

  get(userId: string, id: string): Webhook {
    return toWebhook(this.row(userId, id), this.clock.now());
  }

  private row(userId: string, id: string): WebhookRow {
    const row = this.db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE id = ? AND deleted_at IS NULL').get(id);
    if (!row || row.user_id !== userId) throw new AppError('NOT_FOUND', 'No such webhook endpoint.');
    return row;
  }

  /** Stops deliveries to the endpoint: pending ones end as failed. Its delivery history stays readable by no one. */
  remove(userId: string, id: string): void {
    const now = this.clock.now();
    writeTx(this.db, () => {
      this.row(userId, id);
      this.db.prepare('UPDATE webhooks SET deleted_at = ? WHERE id = ?').run(now, id);
      this.db
        .prepare(
          "UPDATE webhook_deliveries SET state = 'failed', last_error = 'the endpoint was deleted' WHERE webhook_id = ? AND state = 'pending'",
        )
        .run(id);
    });
    this.log.info({ event: 'webhook.deleted', webhookId: id, userId });
  }

  /** A new secret; the old one keeps signing (a second signature) for `overlapMs`. */
  rotate(userId: string, id: string, overlapMs = DEFAULT_ROTATION_OVERLAP_MS): { webhook: Webhook; secret: string } {
    const now = this.clock.now();
    const secret = generateWebhookSecret(this.secretRng);
    writeTx(this.db, () => {
      const row = this.row(userId, id);
      this.db
        .prepare('UPDATE webhooks SET secret = ?, previous_secret = ?, previous_until = ? WHERE id = ?')
        .run(secret, overlapMs > 0 ? row.secret : null, overlapMs > 0 ? now + overlapMs : null, id);
    });
    this.log.info({ event: 'webhook.secret_rotated', webhookId: id, userId, overlapMs });
    return { webhook: this.get(userId, id), secret };
  }

  // ---------------------------------------------------------------- deliveries

  deliveries(
    userId: string,
    webhookId: string,
    options: { limit: number; cursor?: string | undefined },
  ): { items: Delivery[]; nextCursor: string | null } {
    this.row(userId, webhookId);
    const rows = this.db
      .prepare<[string, string, number], DeliveryRow>(`${DELIVERY_SELECT} WHERE d.webhook_id = ? AND d.id < ? ORDER BY d.id DESC LIMIT ?`)
      .all(webhookId, options.cursor ?? '\uffff', options.limit + 1);
    const items = rows.slice(0, options.limit).map(toDelivery);
    return { items, nextCursor: rows.length > options.limit ? items.at(-1)!.id : null };
  }

  /** Sends a delivery's event again, as a new delivery with the same event (and webhook-id). */
  redeliver(userId: string, webhookId: string, deliveryId: string): Delivery {
    this.row(userId, webhookId);
    const original = this.db
      .prepare<[string, string], DeliveryRow>(`${DELIVERY_SELECT} WHERE d.id = ? AND d.webhook_id = ?`)
      .get(deliveryId, webhookId);
    if (!original) throw new AppError('NOT_FOUND', 'No such delivery for this webhook endpoint.');
    const now = this.clock.now();
    const id = this.ids.next('dlv');
    this.insertDelivery.run(id, webhookId, original.event_id, now, now);
    this.pump();
    return toDelivery(this.db.prepare<[string], DeliveryRow>(`${DELIVERY_SELECT} WHERE d.id = ?`).get(id)!);
  }

  pendingCount(): number {
    return this.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'pending'").get()!.n;
  }

  /**
   * Resolves, with how many deliveries were sent meanwhile, once nothing is due and nothing is on
   * the wire.
   */
  drain(): Promise<number> {
    const before = this.sentTotal;
    this.stalled = false;
    return new Promise<number>((resolve) => {
      this.idleWaiters.push(() => resolve(this.sentTotal - before));
      this.pump();
    });
  }

  /**
   * Keeps up to `concurrency` deliveries on the wire (docs/decisions.md D140): whenever one ends,
   * or an event adds work, the next due delivery starts at once. (Sending in batches, each
   * finished before the next was read, kept a new delivery waiting behind the slowest of the batch.)
   */
  private pump(): void {
    while (this.active < this.opts.concurrency) {
      const row = this.nextDue();
      if (!row) break;
      this.active += 1;
      void this.attempt(row)
        .then(
          () => {
            this.sentTotal += 1;
          },
          (err: unknown) => {
            // The row is still due: retrying at once would send it again and again. Wait for the next tick.
            this.stalled = true;
            this.log.error({ event: 'webhook.drain_failed', error: String(err) });
          },
        )
        .finally(() => {
          this.active -= 1;
          this.pump();
        });
    }
    if (this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private nextDue(): DeliveryRow | undefined {
    if (this.stalled) return undefined;
    if (this.queue.length === 0) {
      if (!this.db.open) return undefined;
      // Rows already taken are in flight (or settled): the in-flight ones are left out.
      this.queue = this.dueStmt.all(this.clock.now(), 500).filter((r) => !this.inflight.has(r.id));
    }
    return this.queue.shift();
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const hook = this.hookStmt.get(row.webhook_id);
    const event = this.events.get(row.event_id);
    if (!hook || hook.deleted_at !== null || !event) {
      this.db
        .prepare(
          "UPDATE webhook_deliveries SET state = 'failed', last_error = 'the endpoint was deleted' WHERE id = ? AND state = 'pending'",
        )
        .run(row.id);
      return;
    }
    this.inflight.add(row.id);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const secrets = [
        hook.secret,
        ...(hook.previous_secret !== null && (hook.previous_until ?? 0) > this.clock.now() ? [hook.previous_secret] : []),
      ];
      const timestamp = Math.floor(this.opts.wallClock() / 1000);
      status = await this.post(hook.url, event.json, webhookHeaders(secrets, event.id, timestamp, event.json));
      if (status < 200 || status >= 300) error = `the receiver answered ${status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    } finally {
      this.inflight.delete(row.id);
    }
    if (!this.db.open) return;
    const now = this.clock.now();
    const attempts = row.attempts + 1;
    // An attempt's outcome is committed without fsync (docs/decisions.md D145): a power loss can
    // only lose it with the OS's buffers, and then the delivery is sent again, which at-least-once
    // delivery (D94) allows. An fsync per delivery capped deliveries near the disk's sync rate.
    if (error === null) {
      writeTxUnsynced(this.db, () => this.deliveredStmt.run(attempts, status, now, now, row.id));
      this.log.info({ event: 'webhook.delivered', deliveryId: row.id, eventId: row.event_id, status, attempts });
      return;
    }
    const { base, max } = this.opts.backoffMs;
    const delay = Math.min(max, base * 2 ** Math.min(attempts - 1, 30)) * (0.75 + this.rng.next() * 0.5);
    const giveUp = now + delay - row.created_at > this.opts.retryForMs;
    const failure = error.slice(0, 500);
    writeTxUnsynced(this.db, () =>
      this.retryStmt.run(giveUp ? 'failed' : 'pending', attempts, status, failure, now, giveUp ? now : Math.ceil(now + delay), row.id),
    );
    this.log.warn({
      event: giveUp ? 'webhook.failed' : 'webhook.retry',
      deliveryId: row.id,
      eventId: row.event_id,
      status,
      error,
      attempts,
    });
  }

  /** One POST; resolves with the receiver's status (the body is read and dropped). */
  private post(target: string, body: string, signed: Record<string, string>): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const url = new URL(target);
      const https = url.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: https ? this.agents.https : this.agents.http,
          ...(!this.opts.allowPrivateTargets && { lookup: publicOnlyLookup }),
          headers: {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'jiema-webhooks/1',
            ...signed,
          },
          timeout: this.opts.timeoutMs,
        },
        (res: IncomingMessage) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
          res.once('error', reject);
        },
      );
      req.once('timeout', () => req.destroy(new Error(`the receiver did not answer within ${this.opts.timeoutMs} ms`)));
      req.once('error', reject);
      // A literal private address skips the lookup: checked here.
      try {
        if (!this.opts.allowPrivateTargets) checkWebhookUrl(target, false);
      } catch (err) {
        req.destroy(err as Error);
        return;
      }
      req.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
