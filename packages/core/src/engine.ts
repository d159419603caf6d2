/**
 * The engine's composition root: wires storage, ledger, accounts, catalogue, pricing, orders
 * and the outbox around one Upstream, one Clock, one Rng. It has no timers of its own
 * (STYLE rule 9): whoever runs it calls `tick()` — a scheduler in production, the virtual
 * clock in the simulator.
 */
import { AccountService } from './account/account-service.js';
import { CatalogueService } from './catalogue/catalogue-service.js';
import { loadCatalogueFixture, type CatalogueFixture } from './catalogue/catalogue-fixture.js';
import { readCatalogueOverrides } from './catalogue/catalogue-overrides.js';
import { IdempotencyService } from './idempotency/idempotency-service.js';
import { Ledger } from './ledger/ledger.js';
import { MoneyService } from './ledger/money-service.js';
import { ledgerInvariantViolations } from './ledger/ledger-invariants.js';
import { silentLogger, type Logger } from './logger.js';
import { parseDecimalMicros } from './money/money.js';
import { OrderService, type OrderObservers } from './order/order-service.js';
import { Outbox } from './outbox/outbox.js';
import type { PricingRule } from './pricing/pricing.js';
import { PricingService } from './pricing/pricing-service.js';
import { systemClock, type Clock } from './ports/clock.js';
import { createIdGenerator, type IdGenerator } from './ports/ids.js';
import { cryptoRng, type Rng } from './ports/rng.js';
import { openDatabase, type Db, type SynchronousMode } from './storage/database.js';
import { ChangeWatch } from './storage/change-watch.js';
import { acquireDatabaseLock, shareSchemaLock, type DatabaseLock } from './storage/database-lock.js';
import { createStorageWatch, type StorageWatch } from './storage/storage-watch.js';
import { createPostgresStores, createSqliteStores, type Stores } from './storage/stores.js';
import { openPostgres } from './storage/postgres/open-postgres.js';
import { isPostgresUrl } from './storage/postgres/postgres.js';
import { dialectOf, PostgresDb } from './storage/postgres/postgres-db.js';
import { parseAnnouncement } from './storage/postgres/postgres-transactions.js';
import type { SyncPostgresClient } from './storage/postgres/sync-client.js';
import { DEFAULT_RECONCILE_AFTER_MS } from './order/buy-intents.js';
import type { Upstream } from './upstream/upstream.js';
import { ChangeFeed } from './console/change-feed.js';
import { EventLog } from './push/event-log.js';
import { OrderWaiters } from './push/order-waiters.js';
import { Webhooks, type WebhookOptions } from './push/webhooks.js';
import { Metrics } from './metrics/metrics.js';
import { instrumentUpstream } from './metrics/instrumented-upstream.js';
import { BalanceMonitor } from './upstream/balance-monitor.js';

export interface EngineOptions {
  upstream: Upstream;
  /**
   * An open database, a path (':memory:' for none on disk), or a PostgreSQL URL
   * (`postgres://user@host:5432/database`, docs/decisions.md D127). Default ':memory:'. A path is
   * opened and locked: a second engine (in this or another process) on the same file is refused
   * with DatabaseLockedError until this one is closed (docs/decisions.md D43). Any number of
   * engines, in any number of processes, may share one PostgreSQL schema.
   */
  db?: Db | string;
  /**
   * This engine is the only server on its database, so work a dead process left half-done is
   * recovered at start (Idempotency-Keys it held are released). Default: true for a path (which
   * is locked) and for memory; false for PostgreSQL (other instances may be running) and for an
   * open database passed in, unless its opener holds the lock (the simulator does).
   */
  exclusive?: boolean;
  synchronous?: SynchronousMode;
  clock?: Clock;
  /** Ids, referral codes and retry jitter. A seeded one makes a run reproducible. */
  rng?: Rng;
  /** API keys. Always the system CSPRNG unless a test says otherwise: keys must never be predictable. */
  secretRng?: Rng;
  logger?: Logger;
  /** Slugs and names for the catalogue; defaults to the catalogue shipped in @jiema/core (data/catalogue.json). */
  fixture?: Pick<CatalogueFixture, 'countries' | 'services'>;
  catalogueTtlMs?: number;
  /** The order window (docs/decisions.md D5); services may override it in the fixture. */
  orderWindowMs?: number;
  /** US dollars per one upstream cost unit, as a decimal string. Default "1" (the upstream prices in USD). */
  costRate?: string;
  /** Used when no stored pricing rule matches: default +50 %, at least 1 cent. */
  defaultPricing?: Pick<PricingRule, 'markupBps' | 'floorCents'>;
  syncIntervalMs?: number;
  /**
   * Whether tick() polls the upstream for live orders not seen lately (D11). Default true; the
   * simulator turns it off because its fake upstream pushes every change as it happens.
   */
  backgroundSync?: boolean;
  eagerOutbox?: boolean;
  /** How old a buy with no known outcome (timed out, or the process died) must be before it is reconciled. Default 60 s. */
  reconcileAfterMs?: number;
  outboxBackoffMs?: { base: number; max: number };
  earlyCancelHoldMs?: number;
  /**
   * The provider balance (in the provider's currency) below which the server is not ready and a
   * warning is logged once per crossing (docs/decisions.md D103). Default: none.
   */
  minUpstreamBalance?: number;
  /** Webhook delivery: private targets (SSRF, docs/decisions.md D95), backoff, timeouts. */
  webhooks?: WebhookOptions;
  /**
   * Messages the upstream pushes (its webhook, docs/decisions.md D99): for `quietMs` after the last
   * one (default 10 min), live orders are polled only every `safetyPollMs` (default 60 s).
   */
  upstreamPush?: { quietMs?: number; safetyPollMs?: number };
}

/** Push (docs/decisions.md D90–D99): the durable event log, long-poll waiters and webhooks. */
interface Push {
  events: EventLog;
  waiters: OrderWaiters;
  webhooks: Webhooks;
}

export interface Engine {
  /** The storage port: one store per aggregate, and its transactions (docs/decisions.md D125). */
  stores: Stores;
  /** Whether the database file is still the one the engine opened (docs/decisions.md D43). */
  storage: StorageWatch;
  clock: Clock;
  rng: Rng;
  ids: IdGenerator;
  log: Logger;
  upstream: Upstream;
  /** Reads of the ledger (statements). Balance changes go through `money` (docs/decisions.md D131). */
  ledger: Ledger;
  /** The one path for every balance change. */
  money: MoneyService;
  accounts: AccountService;
  catalogue: CatalogueService;
  pricing: PricingService;
  orders: OrderService;
  outbox: Outbox;
  idempotency: IdempotencyService;
  /** Wake-ups after orders or balances change, for the console's live view (docs/decisions.md D113). */
  feed: ChangeFeed;
  push: Push;
  /** When tick() last started (wall-clock ms), or 0: long-poll syncs its order itself when nothing ticks. */
  readonly lastTickAt: number;
  /** This engine's Prometheus metrics (docs/decisions.md D102). */
  metrics: Metrics;
  /** The provider balance, as last read (docs/decisions.md D103). Whoever runs the engine calls refresh(). */
  balance: BalanceMonitor;
  /**
   * One pass of background work: expiry, sync, the outbox and buy reconciliation. Never overlaps
   * itself. Of several instances on one database, each job runs on the one holding its lock
   * (docs/decisions.md D128); the others skip it this pass.
   */
  tick(): Promise<TickResult>;
  /**
   * The earliest moment after `after` at which tick() has work: an order's window ending, an
   * outbox retry, a buy to reconcile. Undefined when nothing is scheduled. A virtual clock uses
   * it to jump from one due moment to the next.
   */
  nextDueAt(after: number): number | undefined;
  /** True while tick() still has work due at `now` (a pass handles a bounded batch). */
  hasDueWork(now: number): boolean;
  checkInvariants(): ReturnType<typeof ledgerInvariantViolations>;
  close(): void;
}

export interface TickResult {
  synced: number;
  expired: number;
  outboxSent: number;
  reconciled: number;
  webhooksSent: number;
}

/** The SQLite database behind each engine: internal, for core's own tests of the SQLite adapter (D125). */
const databases = new WeakMap<Engine, Db>();

export function sqliteDatabaseOf(engine: Engine): Db {
  const db = databases.get(engine);
  if (!db) throw new Error('This engine was not made by createEngine.');
  return db;
}

export function createEngine(options: EngineOptions): Engine {
  const clock = options.clock ?? systemClock;
  const rng = options.rng ?? cryptoRng;
  const log = options.logger ?? silentLogger;
  const { db, lock, stores, postgres } = openEngineStorage(options);
  const exclusive = options.exclusive ?? (postgres ? false : typeof options.db !== 'object' || options.db.memory);
  const ids = createIdGenerator(clock, rng);
  // Time and ids continue from what the database holds, even if this machine's clock is behind it.
  const resumed = stores.maintenance.latestInstant();
  if (resumed.at !== undefined) clock.notBefore?.(resumed.at + 1);
  if (resumed.idAt !== undefined) ids.continueAfter(resumed.idAt);
  const storage = createStorageWatch(db.memory || postgres ? null : db.name, log);
  const metrics = new Metrics();
  // Every upstream call is counted and timed, whichever adapter it is.
  const upstream = instrumentUpstream(options.upstream, metrics);
  const feed = new ChangeFeed((err) => log.error({ event: 'feed.listener_failed', error: String(err) }));
  if (postgres) {
    // Other instances hear of each change with its commit, and this one of theirs (D127).
    const tx = stores.tx as { announce?: (kind: 'orders' | 'users' | 'events', id: string) => void };
    feed.relayTo((kind, id) => tx.announce?.(kind, id));
    postgres.onNotification((payload) => {
      const changes = parseAnnouncement(payload);
      if (changes) feed.receive(changes);
    });
  }
  const ledger = new Ledger(stores.ledger, stores.tx, ids, feed);
  const money = new MoneyService(stores.tx, ledger, clock);
  // On PostgreSQL a look costs nothing (a counter in shared memory): every read looks.
  const changes = new ChangeWatch(db, clock, postgres ? 0 : undefined);
  const accounts = new AccountService(stores.accounts, stores.tx, clock, ids, money, options.secretRng ?? cryptoRng, changes);
  const catalogue = new CatalogueService(
    upstream,
    options.fixture ?? loadCatalogueFixture(),
    clock,
    {
      ...(options.catalogueTtlMs !== undefined && { ttlMs: options.catalogueTtlMs }),
      ...(options.orderWindowMs !== undefined && { defaultWindowMs: options.orderWindowMs }),
    },
    () => readCatalogueOverrides(stores.settings),
  );
  const pricing = new PricingService(stores.pricingRules, stores.tx, {
    rateMicros: parseDecimalMicros(options.costRate ?? '1'),
    fallback: {
      service: null,
      country: null,
      markupBps: options.defaultPricing?.markupBps ?? 5_000,
      floorCents: options.defaultPricing?.floorCents ?? 1,
    },
  });
  const outbox = new Outbox(stores.outbox, stores.tx, stores.jobs, upstream, clock, ids, rng, log, {
    ...(options.outboxBackoffMs && { baseBackoffMs: options.outboxBackoffMs.base, maxBackoffMs: options.outboxBackoffMs.max }),
    ...(options.earlyCancelHoldMs !== undefined && { earlyCancelHoldMs: options.earlyCancelHoldMs }),
  });
  const events = new EventLog(stores.events, ids, feed);
  const webhooks = new Webhooks(
    stores.webhooks,
    stores.tx,
    stores.jobs,
    events,
    clock,
    ids,
    rng,
    options.secretRng ?? cryptoRng,
    log,
    feed,
    options.webhooks,
  );
  const push: Push = { events, webhooks, waiters: new OrderWaiters(feed) };
  const orderObservers: OrderObservers = {
    changes,
    feed,
    events,
    onTransition: (from, to) => metrics.orderTransitions.inc({ from: from ?? 'NEW', to }),
  };
  const orders = new OrderService(
    stores.orders,
    stores.buyIntents,
    stores.tx,
    stores.jobs,
    accounts,
    money,
    catalogue,
    pricing,
    outbox,
    upstream,
    clock,
    ids,
    log,
    orderObservers,
    {
      ...(options.syncIntervalMs !== undefined && { syncIntervalMs: options.syncIntervalMs }),
      ...(options.eagerOutbox !== undefined && { eagerOutbox: options.eagerOutbox }),
      ...(options.reconcileAfterMs !== undefined && { reconcileAfterMs: options.reconcileAfterMs }),
      ...(options.upstreamPush?.quietMs !== undefined && { pushQuietMs: options.upstreamPush.quietMs }),
      ...(options.upstreamPush?.safetyPollMs !== undefined && { safetyPollMs: options.upstreamPush.safetyPollMs }),
      sharedDatabase: postgres !== undefined,
    },
  );
  // A request never holds its key longer than buy reconciliation takes to settle its buy.
  const idempotency = new IdempotencyService(
    stores.idempotencyKeys,
    stores.tx,
    clock,
    options.reconcileAfterMs ?? DEFAULT_RECONCILE_AFTER_MS,
  );
  if (exclusive) {
    const released = idempotency.releaseOrphaned();
    if (released > 0) log.warn({ event: 'idempotency.released_after_crash', keys: released });
  }

  // Deliveries a previous process left pending (a restart, a SIGKILL) go out now, not at the first tick
  // (a manual virtual clock has none until time moves): docs/decisions.md D94.
  if (exclusive && webhooks.pendingCount() > 0)
    queueMicrotask(() => void webhooks.drain().catch((err) => log.error({ event: 'webhook.drain_failed', error: String(err) })));
  const balance = new BalanceMonitor(upstream, clock, log, options.minUpstreamBalance);
  metrics.bind({
    outbox: () => stores.outbox.pendingStats(),
    pendingBuyIntents: () => stores.buyIntents.pendingCount(),
    circuitState: () => upstream.circuitState?.() ?? 'closed',
    upstreamBalance: () => balance.current(),
    now: () => clock.now(),
  });

  let running: Promise<TickResult> | undefined;
  let lastTickAt = 0;
  const tickOnce = async (): Promise<TickResult> => {
    lastTickAt = Date.now();
    // Nothing is written to a database file that is no longer the one on disk.
    if (!storage.check().ok) return { synced: 0, expired: 0, outboxSent: 0, reconciled: 0, webhooksSent: 0 };
    const { synced, expired } = await orders.sweep({ sync: options.backgroundSync ?? true });
    const outboxSent = await outbox.drain();
    const reconciled = await orders.intents.reconcilePending();
    const webhooksSent = await webhooks.drain();
    return { synced, expired, outboxSent, reconciled, webhooksSent };
  };

  // The earliest due moment after t of each kind of work, and whether any is due at now.
  const nextDue: Array<(t: number) => number | undefined> = [
    (t) => stores.orders.nextDueAfter(t),
    (t) => stores.outbox.nextDueAfter(t),
    (t) => stores.buyIntents.nextDueAfter(t),
    (t) => stores.webhooks.nextDueAfter(t),
  ];
  const dueNow: Array<(now: number) => boolean> = [
    (now) => stores.orders.hasDue(now),
    (now) => stores.outbox.hasDue(now),
    (now) => stores.buyIntents.hasDue(now),
    (now) => stores.webhooks.hasDue(now),
  ];

  const engine: Engine = {
    stores,
    storage,
    clock,
    rng,
    ids,
    log,
    upstream,
    ledger,
    money,
    accounts,
    catalogue,
    pricing,
    orders,
    outbox,
    idempotency,
    feed,
    push,
    get lastTickAt() {
      return lastTickAt;
    },
    metrics,
    balance,
    tick() {
      running ??= tickOnce().finally(() => {
        running = undefined;
      });
      return running;
    },
    nextDueAt(after) {
      let next: number | undefined;
      for (const due of nextDue) {
        const t = due(after);
        if (t !== undefined && (next === undefined || t < next)) next = t;
      }
      return next;
    },
    hasDueWork: (now) => dueNow.some((due) => due(now)),
    checkInvariants: () => ledgerInvariantViolations(stores.ledger),
    close() {
      push.waiters.wakeAll();
      webhooks.close();
      if (db.open) db.close();
      lock?.release();
    },
  };
  if (!postgres) databases.set(engine, db);
  return engine;
}

interface EngineStorage {
  db: Db;
  lock: DatabaseLock | undefined;
  stores: Stores;
  postgres: SyncPostgresClient | undefined;
}

/** Opens (and for a file, locks) the database an engine runs on, and its stores. */
function openEngineStorage(options: EngineOptions): EngineStorage {
  if (typeof options.db === 'string' && isPostgresUrl(options.db)) {
    const postgres = openPostgres(options.db);
    const pg = new PostgresDb(postgres);
    let lock: DatabaseLock;
    try {
      lock = shareSchemaLock(pg);
    } catch (err) {
      pg.close();
      throw err;
    }
    return { db: pg.asDb(), lock, stores: createPostgresStores(pg), postgres };
  }
  // An open PostgreSQL connection passed in (the simulator's, which holds its schema's lock).
  if (typeof options.db === 'object' && dialectOf(options.db) === 'postgres') {
    const pg = options.db as unknown as PostgresDb;
    return { db: options.db, lock: undefined, stores: createPostgresStores(pg), postgres: pg.client };
  }
  const { db, lock } = openEngineDatabase(options);
  return { db, lock, stores: createSqliteStores(db), postgres: undefined };
}

/** Opens (and for a file, locks) the SQLite database an engine runs on. */
function openEngineDatabase(options: EngineOptions): { db: Db; lock: DatabaseLock | undefined } {
  if (typeof options.db === 'object') return { db: options.db, lock: undefined };
  const path = options.db ?? ':memory:';
  if (path === ':memory:') return { db: openDatabase({ path, synchronous: options.synchronous ?? 'FULL' }), lock: undefined };
  const lock = acquireDatabaseLock(path);
  try {
    return { db: openDatabase({ path, synchronous: options.synchronous ?? 'FULL' }), lock };
  } catch (err) {
    lock.release();
    throw err;
  }
}
