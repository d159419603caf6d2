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
import type { JobLockStore } from '../storage/job-lock-store.js';
import type { Transactions } from '../storage/transactions.js';
import { EVENT_TYPES, type EventLog, type EventType } from './event-log.js';
import type { DeliveryRecord, DeliveryState, WebhookRecord, WebhookStore } from './webhook-store.js';
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

const toWebhook = (r: WebhookRecord, now: number): Webhook => ({
  id: r.id,
  userId: r.userId,
  url: r.url,
  events: r.events,
  createdAt: r.createdAt,
  previousSecretUntil: r.previousSecret !== null && r.previousUntil !== null && r.previousUntil > now ? r.previousUntil : null,
});

const toDelivery = (r: DeliveryRecord): Delivery => ({
  id: r.id,
  webhookId: r.webhookId,
  eventId: r.eventId,
  eventType: r.eventType,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.state === 'pending' ? r.nextAttemptAt : null,
  lastStatus: r.lastStatus,
  lastError: r.lastError,
  lastAttemptAt: r.lastAttemptAt,
  deliveredAt: r.deliveredAt,
  createdAt: r.createdAt,
});

const ENDPOINT_DELETED = 'the endpoint was deleted';
/** The job lock of the sender (docs/decisions.md D128). */
const SENDER_JOB = 'webhooks';

export class Webhooks {
  private readonly opts: Required<Omit<WebhookOptions, 'wallClock'>> & { wallClock: () => number };
  private readonly inflight = new Set<string>();
  /** Due deliveries read and not yet started; refilled only when empty, so none is read twice. */
  private queue: DeliveryRecord[] = [];
  private active = 0;
  private sentTotal = 0;
  private idleWaiters: Array<() => void> = [];
  /** Set when an attempt could not record its outcome; cleared by the next drain (the engine's tick). */
  private stalled = false;
  /** Whether this instance holds the sender's job lock: from the first due delivery it reads until it is idle. */
  private sending = false;
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };

  constructor(
    private readonly store: WebhookStore,
    private readonly tx: Transactions,
    private readonly locks: JobLockStore,
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
    // Owed in the event's own transaction: an event that committed always has its deliveries.
    events.onEvent((e) => {
      this.store.oweDeliveries(e, this.ids.next('dlv'));
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
    this.tx.write(() => {
      if (this.store.countActiveForUser(userId) >= MAX_WEBHOOKS_PER_USER)
        throw new AppError('BAD_REQUEST', `A user has at most ${MAX_WEBHOOKS_PER_USER} webhook endpoints; delete one first.`);
      this.store.insertWebhook({ id, userId, url, events, secret, createdAt: now });
    });
    this.log.info({ event: 'webhook.created', webhookId: id, userId });
    return { webhook: this.get(userId, id), secret };
  }

  list(userId: string): Webhook[] {
    const now = this.clock.now();
    return this.store.listActiveForUser(userId).map((r) => toWebhook(r, now));
  }

  get(userId: string, id: string): Webhook {
    return toWebhook(this.row(userId, id), this.clock.now());
  }

  private row(userId: string, id: string): WebhookRecord {
    const row = this.store.findActive(id);
    if (!row || row.userId !== userId) throw new AppError('NOT_FOUND', 'No such webhook endpoint.');
    return row;
  }

  /** Stops deliveries to the endpoint: pending ones end as failed. Its delivery history stays readable by no one. */
  remove(userId: string, id: string): void {
    const now = this.clock.now();
    this.tx.write(() => {
      this.row(userId, id);
      this.store.markDeleted(id, now);
      this.store.failPendingForWebhook(id, ENDPOINT_DELETED);
    });
    this.log.info({ event: 'webhook.deleted', webhookId: id, userId });
  }

  /** A new secret; the old one keeps signing (a second signature) for `overlapMs`. */
  rotate(userId: string, id: string, overlapMs = DEFAULT_ROTATION_OVERLAP_MS): { webhook: Webhook; secret: string } {
    const now = this.clock.now();
    const secret = generateWebhookSecret(this.secretRng);
    this.tx.write(() => {
      const row = this.row(userId, id);
      this.store.setSecrets(id, secret, overlapMs > 0 ? { secret: row.secret, until: now + overlapMs } : null);
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
    const rows = this.store.listDeliveries(webhookId, options.cursor ?? '\uffff', options.limit + 1);
    const items = rows.slice(0, options.limit).map(toDelivery);
    return { items, nextCursor: rows.length > options.limit ? items.at(-1)!.id : null };
  }

  /** Sends a delivery's event again, as a new delivery with the same event (and webhook-id). */
  redeliver(userId: string, webhookId: string, deliveryId: string): Delivery {
    this.row(userId, webhookId);
    const original = this.store.findDelivery(deliveryId, webhookId);
    if (!original) throw new AppError('NOT_FOUND', 'No such delivery for this webhook endpoint.');
    const now = this.clock.now();
    const id = this.ids.next('dlv');
    this.store.insertDelivery({ id, webhookId, eventId: original.eventId, nextAttemptAt: now, createdAt: now });
    this.pump();
    return toDelivery(this.store.findDelivery(id)!);
  }

  pendingCount(): number {
    return this.store.pendingCount();
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
    try {
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
    } finally {
      // Idle (or failing): the lock goes back, so another instance may send (docs/decisions.md D128).
      if (this.active === 0) this.stopSending();
      if (this.active === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /**
   * Of several instances on one database, only the one holding the sender's job lock reads and
   * sends deliveries; it holds the lock while any is in flight. The others skip (their tick, or the
   * next event, tries again).
   */
  private startSending(): boolean {
    if (!this.sending) this.sending = this.store.open && this.locks.tryAcquire(SENDER_JOB);
    return this.sending;
  }

  private stopSending(): void {
    if (!this.sending) return;
    this.sending = false;
    // Rows read under the lock may be another instance's to send once it is released.
    this.queue = [];
    if (this.store.open) this.locks.release(SENDER_JOB);
  }

  private nextDue(): DeliveryRecord | undefined {
    if (this.stalled) return undefined;
    if (this.queue.length === 0) {
      if (!this.store.open) return undefined;
      const now = this.clock.now();
      // Nothing due, the usual answer between events: no job lock taken and no rows read (an
      // index probe; the listing under the lock decides). While sending, the listing answers.
      if ((!this.sending && !this.store.hasDue(now)) || !this.startSending()) return undefined;
      // Rows already taken are in flight (or settled): the in-flight ones are left out.
      this.queue = this.store.listDue(now, 500).filter((r) => !this.inflight.has(r.id));
    }
    return this.queue.shift();
  }

  private async attempt(row: DeliveryRecord): Promise<void> {
    const hook = this.store.findById(row.webhookId);
    const event = this.events.get(row.eventId);
    if (!hook || hook.deletedAt !== null || !event) {
      this.store.failIfPending(row.id, ENDPOINT_DELETED);
      return;
    }
    this.inflight.add(row.id);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const secrets = [
        hook.secret,
        ...(hook.previousSecret !== null && (hook.previousUntil ?? 0) > this.clock.now() ? [hook.previousSecret] : []),
      ];
      const timestamp = Math.floor(this.opts.wallClock() / 1000);
      status = await this.post(hook.url, event.json, webhookHeaders(secrets, event.id, timestamp, event.json));
      if (status < 200 || status >= 300) error = `the receiver answered ${status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    } finally {
      this.inflight.delete(row.id);
    }
    if (!this.store.open) return;
    const now = this.clock.now();
    const attempts = row.attempts + 1;
    // An attempt's outcome is committed without fsync (docs/decisions.md D145): a power loss can
    // only lose it with the OS's buffers, and then the delivery is sent again, which at-least-once
    // delivery (D94) allows. An fsync per delivery capped deliveries near the disk's sync rate.
    if (error === null) {
      this.tx.writeUnsynced(() => this.store.markDelivered(row.id, { attempts, status, at: now }));
      this.log.info({ event: 'webhook.delivered', deliveryId: row.id, eventId: row.eventId, status, attempts });
      return;
    }
    const { base, max } = this.opts.backoffMs;
    const delay = Math.min(max, base * 2 ** Math.min(attempts - 1, 30)) * (0.75 + this.rng.next() * 0.5);
    const giveUp = now + delay - row.createdAt > this.opts.retryForMs;
    const failure = error.slice(0, 500);
    this.tx.writeUnsynced(() =>
      this.store.recordFailure(row.id, {
        state: giveUp ? 'failed' : 'pending',
        attempts,
        status,
        error: failure,
        at: now,
        nextAttemptAt: giveUp ? now : Math.ceil(now + delay),
      }),
    );
    this.log.warn({
      event: giveUp ? 'webhook.failed' : 'webhook.retry',
      deliveryId: row.id,
      eventId: row.eventId,
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
    this.stopSending();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
