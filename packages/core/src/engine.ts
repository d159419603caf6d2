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
import { IdempotencyStore } from './idempotency/idempotency-store.js';
import { Ledger } from './ledger/ledger.js';
import { checkLedgerInvariants } from './ledger/ledger-invariants.js';
import { silentLogger, type Logger } from './logger.js';
import { parseDecimalMicros } from './money/money.js';
import { OrderService } from './order/order-service.js';
import { OrderStore } from './order/order-store.js';
import { Outbox } from './outbox/outbox.js';
import type { PricingRule } from './pricing/pricing.js';
import { PricingService } from './pricing/pricing-service.js';
import { systemClock, type Clock } from './ports/clock.js';
import { createIdGenerator, type IdGenerator } from './ports/ids.js';
import { cryptoRng, type Rng } from './ports/rng.js';
import { openDatabase, type Db, type SynchronousMode } from './storage/database.js';
import { ChangeWatch } from './storage/change-watch.js';
import type { Upstream } from './upstream/upstream.js';

export interface EngineOptions {
  upstream: Upstream;
  /** An open database, or a path (':memory:' for none on disk). Default ':memory:'. */
  db?: Db | string;
  synchronous?: SynchronousMode;
  clock?: Clock;
  /** Ids, referral codes and retry jitter. A seeded one makes a run reproducible. */
  rng?: Rng;
  /** API keys. Always the system CSPRNG unless a test says otherwise: keys must never be predictable. */
  secretRng?: Rng;
  logger?: Logger;
  /** Slugs and names for the catalogue; defaults to the repository's fixtures/catalogue.json. */
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
}

export interface Engine {
  db: Db;
  clock: Clock;
  rng: Rng;
  ids: IdGenerator;
  log: Logger;
  upstream: Upstream;
  ledger: Ledger;
  accounts: AccountService;
  catalogue: CatalogueService;
  pricing: PricingService;
  orders: OrderService;
  outbox: Outbox;
  idempotency: IdempotencyStore;
  /** One pass of background work: expiry, sync, the outbox and buy reconciliation. Never overlaps itself. */
  tick(): Promise<TickResult>;
  /**
   * The earliest moment after `after` at which tick() has work: an order's window ending, an
   * outbox retry, a buy to reconcile. Undefined when nothing is scheduled. A virtual clock uses
   * it to jump from one due moment to the next.
   */
  nextDueAt(after: number): number | undefined;
  /** True while tick() still has work due at `now` (a pass handles a bounded batch). */
  hasDueWork(now: number): boolean;
  checkInvariants(): ReturnType<typeof checkLedgerInvariants>;
  close(): void;
}

export interface TickResult {
  synced: number;
  expired: number;
  outboxSent: number;
  reconciled: number;
}

export function createEngine(options: EngineOptions): Engine {
  const clock = options.clock ?? systemClock;
  const rng = options.rng ?? cryptoRng;
  const log = options.logger ?? silentLogger;
  const db = typeof options.db === 'object' ? options.db : openDatabase({ path: options.db ?? ':memory:', synchronous: options.synchronous ?? 'FULL' });
  const ids = createIdGenerator(clock, rng);
  const upstream = options.upstream;
  const ledger = new Ledger(db, ids);
  const changes = new ChangeWatch(db, clock);
  const accounts = new AccountService(db, clock, ids, rng, ledger, options.secretRng ?? cryptoRng, changes);
  const catalogue = new CatalogueService(
    upstream,
    options.fixture ?? loadCatalogueFixture(),
    clock,
    {
      ...(options.catalogueTtlMs !== undefined && { ttlMs: options.catalogueTtlMs }),
      ...(options.orderWindowMs !== undefined && { defaultWindowMs: options.orderWindowMs }),
    },
    () => readCatalogueOverrides(db),
  );
  const pricing = new PricingService(db, {
    rateMicros: parseDecimalMicros(options.costRate ?? '1'),
    fallback: { service: null, country: null, markupBps: options.defaultPricing?.markupBps ?? 5_000, floorCents: options.defaultPricing?.floorCents ?? 1 },
  });
  const outbox = new Outbox(db, upstream, clock, ids, rng, log, {
    ...(options.outboxBackoffMs && { baseBackoffMs: options.outboxBackoffMs.base, maxBackoffMs: options.outboxBackoffMs.max }),
    ...(options.earlyCancelHoldMs !== undefined && { earlyCancelHoldMs: options.earlyCancelHoldMs }),
  });
  const store = new OrderStore(db, changes);
  const orders = new OrderService(db, store, accounts, ledger, catalogue, pricing, outbox, upstream, clock, ids, log, {
    ...(options.syncIntervalMs !== undefined && { syncIntervalMs: options.syncIntervalMs }),
    ...(options.eagerOutbox !== undefined && { eagerOutbox: options.eagerOutbox }),
    ...(options.reconcileAfterMs !== undefined && { reconcileAfterMs: options.reconcileAfterMs }),
  });
  const idempotency = new IdempotencyStore(db, clock);

  let running: Promise<TickResult> | undefined;
  const tickOnce = async (): Promise<TickResult> => {
    const { synced, expired } = await orders.sweep({ sync: options.backgroundSync ?? true });
    const outboxSent = await outbox.drain();
    const reconciled = await orders.intents.reconcilePending();
    return { synced, expired, outboxSent, reconciled };
  };

  const dueStmts = [
    db.prepare<[number], { t: number | null }>("SELECT MIN(expires_at) AS t FROM orders WHERE status IN ('WAITING', 'RECEIVED') AND expires_at > ?"),
    db.prepare<[number], { t: number | null }>('SELECT MIN(next_attempt_at) AS t FROM outbox WHERE done_at IS NULL AND next_attempt_at > ?'),
    db.prepare<[number], { t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM buy_intents WHERE state = 'pending' AND next_attempt_at > ?"),
  ];

  const dueNowStmts = [
    db.prepare<[number], { n: number }>("SELECT EXISTS (SELECT 1 FROM orders WHERE status IN ('WAITING', 'RECEIVED') AND expires_at <= ?) AS n"),
    db.prepare<[number], { n: number }>('SELECT EXISTS (SELECT 1 FROM outbox WHERE done_at IS NULL AND next_attempt_at <= ?) AS n'),
    db.prepare<[number], { n: number }>("SELECT EXISTS (SELECT 1 FROM buy_intents WHERE state = 'pending' AND next_attempt_at <= ?) AS n"),
  ];

  return {
    db,
    clock,
    rng,
    ids,
    log,
    upstream,
    ledger,
    accounts,
    catalogue,
    pricing,
    orders,
    outbox,
    idempotency,
    tick() {
      running ??= tickOnce().finally(() => {
        running = undefined;
      });
      return running;
    },
    nextDueAt(after) {
      let next: number | undefined;
      for (const stmt of dueStmts) {
        const t = stmt.get(after)?.t;
        if (t !== null && t !== undefined && (next === undefined || t < next)) next = t;
      }
      return next;
    },
    hasDueWork: (now) => dueNowStmts.some((stmt) => stmt.get(now)!.n === 1),
    checkInvariants: () => checkLedgerInvariants(db),
    close() {
      if (db.open) db.close();
    },
  };
}
