/**
 * Orders: buy (docs/decisions.md D9), read with a coalesced upstream sync (D11), cancel, next-sms,
 * list and expire. Every change loads the order, asks `applyEvent` what follows, and saves the
 * order, its ledger rows and its owed upstream commands in one transaction.
 */
import { AppError } from '../errors/app-error.js';
import type { AccountService } from '../account/account-service.js';
import type { CatalogueService, CountryEntry, ServiceEntry } from '../catalogue/catalogue-service.js';
import type { MoneyService } from '../ledger/money-service.js';
import type { LedgerEntry } from '../ledger/ledger-store.js';
import type { Logger } from '../logger.js';
import type { Outbox } from '../outbox/outbox.js';
import type { PricingService } from '../pricing/pricing-service.js';
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/ids.js';
import type { ChangeFeed } from '../console/change-feed.js';
import type { EventLog } from '../push/event-log.js';
import type { ChangeWatch } from '../storage/change-watch.js';
import { GroupCommitter } from '../storage/group-commit.js';
import type { Transactions } from '../storage/transactions.js';
import type { Activation, PushedSms, Upstream, UpstreamSms } from '../upstream/upstream.js';
import { isUpstreamError, UpstreamError } from '../upstream/upstream-error.js';
import { applyEvent, type OrderEvent } from './order-machine.js';
import { isTerminal, type Order, type OrderStatus } from './order.js';
import { createOrderJsonCache } from './order-presenter.js';
import { smsCode } from './sms-code.js';
import type { OrderStore } from './order-store.js';
import { BuyIntents, type BuyIntent } from './buy-intents.js';
import type { BuyIntentStore } from './buy-intent-store.js';
import { runExclusive, type JobLockStore } from '../storage/job-lock-store.js';

/** Buyers whose balance hint is kept; past it the hints start over. */
const MAX_BALANCE_HINTS = 10_000;
/** Orders kept in the read cache; past it the cache starts over. */
const MAX_CACHED_ORDERS = 10_000;

/** A buy the balance cannot pay: before the upstream is asked, or when the charge was refused. */
function insufficient(priceCents: number, balanceCents: number): AppError {
  return new AppError('INSUFFICIENT', `This number costs ${priceCents} cents and the balance is ${balanceCents}; top up first.`, {
    balanceCents: String(balanceCents),
    priceCents: String(priceCents),
  });
}

export interface OrderServiceOptions {
  /** At most one upstream status call per order per this many ms (D11). */
  syncIntervalMs?: number;
  /** Send owed upstream commands right after the change that owes them, not only on the next tick. */
  eagerOutbox?: boolean;
  /** How old a buy with no known outcome must be before it is reconciled (default 60 s). */
  reconcileAfterMs?: number;
  /**
   * Upstream push (docs/decisions.md D99): for this long after the last message the upstream
   * pushed (its webhook), webhooks are taken to flow and live orders are polled only every
   * `safetyPollMs`. Default 10 minutes.
   */
  pushQuietMs?: number;
  /** The status poll's interval per order while webhooks flow: the safety net for a lost one. Default 60 s. */
  safetyPollMs?: number;
  /** Other instances share the database (PostgreSQL): their buys in flight count when reconciling (docs/decisions.md D128). */
  sharedDatabase?: boolean;
}

export interface SweepOptions {
  batch?: number;
  concurrency?: number;
  sync?: boolean;
}

/** Who else learns of order writes; none is needed to run orders. */
export interface OrderObservers {
  /** Commits of other processes: the order cache clears on one. */
  changes?: ChangeWatch;
  /** Told of every order written, for live views (docs/decisions.md D113). */
  feed?: ChangeFeed;
  /** Written with every order change, in its transaction (docs/decisions.md D90). */
  events?: EventLog;
  /** Told of every status change written (null: a new order), for metrics (docs/decisions.md D102). */
  onTransition?: (from: OrderStatus | null, to: OrderStatus) => void;
}

/** What became of one pushed message. */
export type PushOutcome = 'recorded' | 'duplicate' | 'unknown_activation' | 'order_ended' | 'late';

/** Runs inside the write transaction that creates or changes an order (used for idempotency). */
export type AfterWrite = (order: Order) => void;

interface SyncState {
  lastAt: number;
  inflight: Promise<Order> | undefined;
}

export class OrderService {
  private readonly syncs = new Map<string, SyncState>();
  private readonly commits: GroupCommitter;
  private readonly syncIntervalMs: number;
  private readonly eagerOutbox: boolean;
  private readonly pushQuietMs: number;
  private readonly safetyPollMs: number;
  /** When the upstream last pushed a message for one of our orders (engine clock), or -Infinity. */
  private lastPushAt = -Infinity;
  readonly intents: BuyIntents;
  /** `{"ok":true,"data":<order>}` as JSON text, reused while the order is unchanged (this engine's). */
  readonly envelopeJson = createOrderJsonCache();

  /**
   * Orders read outside a transaction, by id: polls read the same order again and again. An
   * entry is dropped when the order is written (so a rolled-back write just means a fresh
   * read), and everything when another process commits. Orders are never mutated in place.
   */
  private readonly cache = new Map<string, Order>();
  /**
   * Each buyer's balance after this process's last charge. The check before a buy (is the balance
   * enough to ask the upstream for a number?) reads it instead of the database, a round trip fewer
   * on PostgreSQL. It only decides whether to ask: the charge is the ledger's conditional update,
   * in the order's transaction. Dropped on another process's commit; a hint below the price is
   * checked against the database (a top-up or a refund here may have raised the balance since).
   */
  private readonly balanceHints = new Map<string, number>();
  private sweeping: Promise<{ synced: number; expired: number }> | undefined;

  constructor(
    private readonly store: OrderStore,
    intentStore: BuyIntentStore,
    private readonly tx: Transactions,
    private readonly locks: JobLockStore,
    private readonly accounts: AccountService,
    private readonly money: MoneyService,
    private readonly catalogue: CatalogueService,
    private readonly pricing: PricingService,
    private readonly outbox: Outbox,
    private readonly upstream: Upstream,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly log: Logger,
    private readonly observers: OrderObservers = {},
    options: OrderServiceOptions = {},
  ) {
    money.onDebit((userId) => this.balanceHints.delete(userId));
    observers.changes?.onForeignCommit(() => {
      this.cache.clear();
      this.balanceHints.clear();
    });
    this.syncIntervalMs = options.syncIntervalMs ?? 2_000;
    this.eagerOutbox = options.eagerOutbox ?? true;
    this.pushQuietMs = options.pushQuietMs ?? 600_000;
    this.safetyPollMs = Math.max(this.syncIntervalMs, options.safetyPollMs ?? 60_000);
    this.commits = new GroupCommitter(tx);
    this.intents = new BuyIntents(
      intentStore,
      tx,
      upstream,
      outbox,
      store,
      clock,
      ids,
      log,
      locks,
      options.reconcileAfterMs,
      options.sharedDatabase,
    );
  }

  // ---------------------------------------------------------------- the store, cached and observed

  /** One order, from the cache outside a transaction. */
  private load(id: string): Order | undefined {
    this.observers.changes?.poll();
    // Inside a write transaction the stored row decides: another instance may have changed it a moment ago.
    const hit = this.tx.active ? undefined : this.cache.get(id);
    if (hit) return hit;
    const order = this.store.get(id);
    if (order && !this.tx.active) this.cacheRead(order);
    return order;
  }

  /** Caches an order as read outside a transaction, or as this process just committed it. */
  private cacheRead(order: Order): void {
    if (this.cache.size >= MAX_CACHED_ORDERS) this.cache.clear();
    this.cache.set(order.id, order);
  }

  /** Saves `next` only if the order still is `prev`; false when something else changed it first. */
  private update(prev: Order, next: Order): boolean {
    this.cache.delete(next.id);
    if (!this.store.update(prev, next)) return false;
    this.observers.events?.record(prev, next);
    this.observers.feed?.order(next.id);
    if (next.status !== prev.status) this.observers.onTransition?.(prev.status, next.status);
    return true;
  }

  // ---------------------------------------------------------------- buying

  async create(userId: string, input: { service: unknown; country: unknown }, afterWrite?: AfterWrite): Promise<Order> {
    const view = await this.catalogue.get();
    const service = this.catalogue.resolveService(view, input.service);
    const country = this.catalogue.resolveCountry(view, input.country);
    const offer = view.offersByService.get(service.code)?.find((o) => o.country === country.id);
    if (!offer) throw new AppError('NO_NUMBERS', `No ${service.name} numbers are offered in ${country.name}.`);
    const price = this.pricing.priceCents(service.code, country.id, offer.costMicros);
    this.observers.changes?.poll();
    const hint = this.balanceHints.get(userId);
    const balance = hint !== undefined && hint >= price ? hint : this.accounts.requireUser(userId).balanceCents;
    if (balance < price) throw insufficient(price, balance);

    const intent = await this.intents.open(userId, service.code, country.id);
    try {
      return await this.buyAndRecord(intent, service, country, price, afterWrite);
    } finally {
      this.intents.landed(intent);
    }
  }

  /** D9: asks the upstream for a number and records the order, or gives the number back. */
  private async buyAndRecord(
    intent: BuyIntent,
    service: ServiceEntry,
    country: CountryEntry,
    price: number,
    afterWrite?: AfterWrite,
  ): Promise<Order> {
    const { userId } = intent;
    let activation: Activation;
    try {
      activation = await this.upstream.buy({ service: service.code, country: country.id });
    } catch (err) {
      const found = isUpstreamError(err, 'TIMEOUT') ? await this.intents.reconcileNow(intent) : undefined;
      if (!found) {
        if (!isUpstreamError(err, 'TIMEOUT')) this.intents.fail(intent, err);
        throw this.buyError(err, service.name, country.name);
      }
      activation = found;
    }

    const now = this.clock.now();
    const order: Order = {
      id: this.ids.next('ck'),
      userId,
      status: 'WAITING',
      service: service.code,
      country: country.id,
      phone: `+${activation.phone.replace(/^\+/, '')}`,
      activationId: activation.activationId,
      chargedCents: price,
      expiresAt: now + service.windowMs,
      createdAt: now,
      updatedAt: now,
      smsHistory: [],
      endReason: null,
    };
    let charged: LedgerEntry | undefined;
    const tooLate = () =>
      new AppError('UPSTREAM_UNAVAILABLE', 'The number provider answered too late; nothing was charged. Try again shortly.');
    try {
      // Orders bought in the same turn commit together: one fsync for the batch (group commit).
      await this.commits.run(() => {
        // The intent's settlement, the charge and the order's rows go to the database together:
        // on PostgreSQL one round trip, whose answers are read once it has been made (D127).
        // Another instance's reconciliation may have settled a slow buy's intent first: its number
        // is then not ours, and the savepoint rolls the order back. So does a balance that refused
        // the charge.
        const settled = this.intents.settle(intent, activation.activationId);
        const charge = this.money.chargeOrder({
          userId,
          orderId: order.id,
          priceCents: price,
          reason: `${service.code}/${country.id}`,
          at: now,
        });
        let ours: boolean;
        try {
          this.store.insert(order);
          this.observers.events?.record(undefined, order);
          // An idempotency key's record reads its row count: on PostgreSQL that sends the writes
          // above, and a refused charge fails it here.
          afterWrite?.(order);
          ours = settled();
        } catch (err) {
          charge(); // INSUFFICIENT when it was the balance that refused
          throw err;
        }
        try {
          charged = charge();
        } catch (err) {
          if (!ours) throw tooLate();
          throw err;
        }
        if (!ours) throw tooLate();
        this.observers.feed?.order(order.id);
        this.observers.onTransition?.(null, order.status);
      });
    } catch (err) {
      // The upstream sold a number we cannot record (or can no longer pay for): give it back.
      // Unless it is spoken for: an order holds it, or whoever reconciled this intent already owes its release.
      let answer = err;
      this.tx.write(() => {
        const holder = this.store.getByActivation(activation.activationId);
        if (!holder && !this.intents.isClaimed(activation.activationId)) this.outbox.enqueue('release', activation.activationId, null);
        // Another order already holds the number (the write failed on its uniqueness): nothing
        // was charged, and the client is told so, never a 500.
        if (holder && holder.id !== order.id && !(err instanceof AppError)) {
          this.log.warn({ event: 'buy.number_taken', intentId: intent.id, activationId: activation.activationId, orderId: holder.id });
          answer = new AppError(
            'UPSTREAM_UNAVAILABLE',
            'The number provider gave this number to another order; nothing was charged. Try again.',
          );
        }
        this.intents.release(intent, activation.activationId, err);
        // The balance refused the charge (it moved since the check before buying): say by how much,
        // as that check does. It can be read only now, the refused savepoint rolled back.
        if (err instanceof AppError && err.code === 'INSUFFICIENT') {
          this.balanceHints.delete(userId);
          answer = insufficient(price, this.accounts.getUser(userId)?.balanceCents ?? 0);
        }
      });
      this.kickOutbox();
      throw answer;
    }
    if (charged) {
      if (this.balanceHints.size >= MAX_BALANCE_HINTS) this.balanceHints.clear();
      this.balanceHints.set(userId, charged.balanceAfterCents);
    }
    // As stored: the first status sync and poll need not read it back.
    this.cacheRead(order);
    this.log.info({
      event: 'order.created',
      orderId: order.id,
      userId,
      service: order.service,
      country: order.country,
      chargedCents: price,
    });
    return order;
  }

  private buyError(err: unknown, serviceName: string, countryName: string): AppError {
    if (!(err instanceof UpstreamError)) {
      this.log.error({ event: 'upstream.buy_failed', error: String(err) });
      return new AppError('UPSTREAM_UNAVAILABLE', 'The number provider failed; nothing was charged. Try again shortly.');
    }
    switch (err.kind) {
      case 'NO_NUMBERS':
        return new AppError(
          'NO_NUMBERS',
          `No ${serviceName} numbers are available in ${countryName} right now; try another country or later.`,
        );
      case 'BAD_SERVICE':
        return new AppError('BAD_SERVICE', `The number provider does not offer ${serviceName}.`);
      case 'BAD_COUNTRY':
        return new AppError('BAD_COUNTRY', `The number provider does not offer numbers in ${countryName}.`);
      case 'NO_BALANCE':
      case 'AUTH':
      case 'BANNED':
        this.log.error({ event: 'upstream.operator_alert', kind: err.kind, raw: err.raw, error: err.message });
        return new AppError('UPSTREAM_UNAVAILABLE', 'The number provider is not accepting orders right now; nothing was charged.');
      case 'TIMEOUT':
        return new AppError('UPSTREAM_UNAVAILABLE', 'The number provider did not answer in time; nothing was charged. Try again shortly.');
      default:
        this.log.warn({ event: 'upstream.buy_failed', kind: err.kind, raw: err.raw, error: err.message });
        return new AppError('UPSTREAM_UNAVAILABLE', 'The number provider failed; nothing was charged. Try again shortly.');
    }
  }

  // ---------------------------------------------------------------- reading

  /** The caller's order, synced with the upstream at most once per interval. NOT_FOUND for others' orders. */
  async get(userId: string, orderId: string): Promise<Order> {
    const order = this.owned(userId, orderId);
    return this.refresh(order);
  }

  /**
   * The caller's order, synchronously, when it needs no upstream sync right now (finished, or
   * synced within the interval); undefined when it does — then `get` is the way. NOT_FOUND for
   * others' orders, like `get`.
   */
  peek(userId: string, orderId: string): Order | undefined {
    const order = this.owned(userId, orderId);
    if (isTerminal(order.status)) return order;
    const s = this.syncs.get(order.id);
    if (!s || s.inflight || this.clock.now() - s.lastAt >= this.pollIntervalMs()) return undefined;
    return this.expireIfDue(order);
  }

  private owned(userId: string, orderId: string): Order {
    const order = this.load(orderId);
    if (!order || order.userId !== userId) throw new AppError('NOT_FOUND', 'No such order.');
    return order;
  }

  list(
    userId: string,
    options: { status?: OrderStatus | undefined; limit: number; cursor?: string | undefined },
  ): { items: Order[]; nextCursor: string | null } {
    const rows = this.store.page(userId, { status: options.status, limit: options.limit + 1, before: options.cursor });
    const items = rows.slice(0, options.limit);
    return { items, nextCursor: rows.length > options.limit ? items.at(-1)!.id : null };
  }

  // ---------------------------------------------------------------- user actions

  cancel(userId: string, orderId: string, afterWrite?: AfterWrite): Order {
    return this.act(userId, orderId, { type: 'CANCEL' }, afterWrite);
  }

  nextSms(userId: string, orderId: string, afterWrite?: AfterWrite): Order {
    return this.act(userId, orderId, { type: 'NEXT_SMS' }, afterWrite);
  }

  private act(userId: string, orderId: string, event: OrderEvent, afterWrite?: AfterWrite): Order {
    // An order whose window is over expires first; the action then meets the expired order.
    this.expireIfDue(this.owned(userId, orderId));
    const result = this.tx.write(() => {
      const next = this.apply(this.owned(userId, orderId), event);
      afterWrite?.(next);
      return next;
    });
    this.kickOutbox();
    return result;
  }

  /** Applies one event inside the caller's transaction: saves the order, its refunds and owed commands. */
  private apply(order: Order, event: OrderEvent): Order {
    const now = this.clock.now();
    const t = applyEvent(order, event, now);
    if (!t.changed) return order;
    if (!this.update(order, t.order)) throw new AppError('ALREADY_CHANGED', 'The order changed concurrently; nothing was changed.');
    this.money.applyOrderEffects({
      userId: order.userId,
      orderId: order.id,
      effects: t.ledger,
      reason: t.order.endReason ?? event.type.toLowerCase(),
      at: now,
    });
    for (const c of t.commands) this.outbox.enqueue(c, order.activationId, order.id);
    if (order.status !== t.order.status) {
      this.log.info({ event: 'order.transition', orderId: order.id, from: order.status, to: t.order.status, cause: event.type });
    }
    if (isTerminal(t.order.status)) this.syncs.delete(order.id);
    return t.order;
  }

  private kickOutbox(): void {
    if (this.eagerOutbox) void this.outbox.drain().catch((err) => this.log.error({ event: 'outbox.drain_failed', error: String(err) }));
  }

  // ---------------------------------------------------------------- sync and expiry

  /**
   * Brings a live order up to date: asks the upstream (single-flight, at most once per interval),
   * records new SMS, and expires the order when its window is over.
   */
  async refresh(order: Order, intervalMs = this.pollIntervalMs()): Promise<Order> {
    if (isTerminal(order.status)) return order;
    const now = this.clock.now();
    let state = this.syncs.get(order.id);
    if (!state) {
      state = { lastAt: -Infinity, inflight: undefined };
      this.syncs.set(order.id, state);
    }
    if (state.inflight) return state.inflight;
    if (now - state.lastAt < intervalMs) return this.expireIfDue(order);
    state.lastAt = now;
    const run = this.syncOnce(order.id).finally(() => {
      const s = this.syncs.get(order.id);
      if (s) s.inflight = undefined;
    });
    state.inflight = run;
    return run;
  }

  private async syncOnce(orderId: string): Promise<Order> {
    const before = this.load(orderId)!;
    let messages: UpstreamSms[] = [];
    let closed = false;
    try {
      const status = await this.upstream.getStatus(before.activationId);
      messages = status.messages;
      closed = status.state === 'CLOSED';
    } catch (err) {
      if (isUpstreamError(err, 'NO_ACTIVATION')) closed = true;
      else this.log.warn({ event: 'order.sync_failed', orderId, error: err instanceof Error ? err.message : String(err) });
    }
    return this.record(orderId, messages, closed);
  }

  /**
   * What the upstream showed of an order — by a status poll or a push — applied in one
   * transaction: new messages (a key already in the history is the same message, D99), a close,
   * and the expiry when the window is over. The one path both ways take.
   */
  private record(orderId: string, messages: UpstreamSms[], closed: boolean): Order {
    // The usual poll of a live order changes nothing: then no transaction, so no round trips and
    // no wait for the write lock (docs/decisions.md D11). The order is the cached one, kept as fresh
    // as every read outside a transaction; inside the transaction the stored row decides again.
    const seen = this.load(orderId);
    if (seen && !this.wouldChange(seen, messages, closed)) return seen;
    const result = this.tx.write(() => this.fold(this.load(orderId)!, messages, closed, this.clock.now(), (o, e) => this.apply(o, e)));
    this.kickOutbox();
    return result;
  }

  /** Whether recording what the upstream showed would change the order. */
  private wouldChange(order: Order, messages: UpstreamSms[], closed: boolean): boolean {
    const now = this.clock.now();
    let changed = false;
    this.fold(order, messages, closed, now, (o, e) => {
      const t = applyEvent(o, e, now);
      changed ||= t.changed;
      return t.order;
    });
    return changed;
  }

  /** What the upstream showed of an order, as the events `step` applies in turn. */
  private fold(order: Order, messages: UpstreamSms[], closed: boolean, now: number, step: (o: Order, e: OrderEvent) => Order): Order {
    for (const m of messages) {
      const receivedAt = Math.min(m.receivedAt ?? now, now);
      if (receivedAt > order.expiresAt) continue; // a late SMS, after the window: not the user's any more
      const code = smsCode(m.code, m.text);
      if (m.codeOnly && code !== null && order.smsHistory.at(-1)?.code === code) continue; // the latest SMS, seen in full before
      order = step(order, { type: 'SMS_RECEIVED', sms: { key: m.key, body: m.text, code, receivedAt } });
    }
    if (closed) order = step(order, { type: 'UPSTREAM_CLOSED' });
    if (!isTerminal(order.status) && now >= order.expiresAt) order = step(order, { type: 'EXPIRE' });
    return order;
  }

  // ---------------------------------------------------------------- upstream push (D99)

  /** How often a live order's status is polled now: every sync interval, or the safety poll's while webhooks flow. */
  private pollIntervalMs(): number {
    return this.pushesFlowing() ? this.safetyPollMs : this.syncIntervalMs;
  }

  /** Whether the upstream pushed a message for one of our orders within the quiet period. */
  pushesFlowing(): boolean {
    return this.clock.now() - this.lastPushAt < this.pushQuietMs;
  }

  /**
   * A message the upstream pushed (its webhook), applied as a status poll that saw it would:
   * after any poll of the order in flight, through the same transaction. The same message twice
   * (a webhook retry, or a webhook and a poll) is recorded once, by its key.
   */
  async receivePushed(pushed: PushedSms): Promise<{ outcome: PushOutcome; order?: Order }> {
    const found = this.store.getByActivation(pushed.activationId);
    if (!found) return { outcome: 'unknown_activation' };
    this.lastPushAt = this.clock.now();
    const state = this.syncs.get(found.id);
    if (state?.inflight) await state.inflight.catch(() => undefined);
    const before = this.load(found.id)!;
    if (isTerminal(before.status)) return { outcome: 'order_ended', order: before };
    const after = this.record(before.id, [pushed.sms], false);
    const grew = after.smsHistory.length > before.smsHistory.length;
    const outcome: PushOutcome = grew ? 'recorded' : before.smsHistory.some((s) => s.key === pushed.sms.key) ? 'duplicate' : 'late';
    return { outcome, order: after };
  }

  private expireIfDue(order: Order): Order {
    if (isTerminal(order.status) || this.clock.now() < order.expiresAt) return order;
    const result = this.tx.write(() => this.apply(this.load(order.id)!, { type: 'EXPIRE' }));
    this.kickOutbox();
    return result;
  }

  /** Syncs the order holding this activation now (the simulator's push path), ignoring the interval. */
  async syncActivation(activationId: string): Promise<Order | undefined> {
    const order = this.store.getByActivation(activationId);
    if (!order || isTerminal(order.status)) return order;
    const state = this.syncs.get(order.id);
    if (state?.inflight) await state.inflight;
    return this.syncOnce(order.id);
  }

  /**
   * One worker pass: expire due orders (after a last sync) and sync live ones not seen lately. Of
   * several instances on one database only the one holding the job's lock sweeps (docs/decisions.md
   * D128); a call while this process sweeps shares that pass.
   */
  sweep(options: SweepOptions = {}): Promise<{ synced: number; expired: number }> {
    this.sweeping ??= runExclusive(this.locks, 'sweep', { synced: 0, expired: 0 }, () => this.sweepOnce(options)).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(options: SweepOptions): Promise<{ synced: number; expired: number }> {
    const batch = options.batch ?? 500;
    const now = this.clock.now();
    const due = this.store.due(now, batch);
    let expired = 0;
    for (const order of due) {
      // A last look at the upstream before the window closes, at the normal interval even while webhooks flow.
      const after = await this.refresh(order, this.syncIntervalMs).catch(() => order);
      const final = isTerminal(after.status) ? after : this.expireIfDue(after);
      if (isTerminal(final.status)) expired += 1;
    }
    const stale: Order[] = [];
    const interval = this.pollIntervalMs();
    let cursor = '';
    while (options.sync !== false && stale.length < batch) {
      this.observers.changes?.poll(); // before the read, as `load` does: a commit after it clears what is cached below
      const page = this.store.live(cursor, 500);
      if (page.length === 0) break;
      for (const o of page) {
        // Read just now, outside a transaction; never at the cost of what polls have cached.
        if (this.cache.size < MAX_CACHED_ORDERS && !this.cache.has(o.id)) this.cache.set(o.id, o);
        const s = this.syncs.get(o.id);
        if (!s || (!s.inflight && now - s.lastAt >= interval)) stale.push(o);
      }
      cursor = page.at(-1)!.id;
    }
    let next = 0;
    const worker = async () => {
      while (next < stale.length) await this.refresh(stale[next++]!).catch(() => undefined);
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, stale.length) }, worker));
    return { synced: stale.length, expired };
  }
}
