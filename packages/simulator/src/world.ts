/**
 * One simulated world: a virtual clock, seeded randomness, the fake upstream, the engine on its
 * own database (SQLite, or a PostgreSQL schema), and the app that serves them. Reset builds a new world; nothing is shared between
 * worlds or between simulators in one process.
 */
import {
  createApp,
  createEngine,
  readCatalogueOverrides,
  createStores,
  type CatalogueOverrides,
  createSeededRng,
  silentLogger,
  type CatalogueFixture,
  type Db,
  type Engine,
  type JiemaApp,
  type Logger,
  type ConsoleOptions,
  type RateLimitConfig,
  type TrustProxy,
  type UpstreamSms,
} from '@jiema/core';
import { resolveBehaviour, type BehaviourConfigInput, type BehaviourSpec } from './behaviour.js';
import { EventLog } from './event-log.js';
import { FakeUpstream, type SimActivation } from './fake-upstream.js';
import { FaultPlan } from './faults.js';
import { Scheduler } from './scheduler.js';
import { VirtualClock, type ClockSpec } from './virtual-clock.js';
import type { Route } from '@jiema/core/http';

export interface WorldOptions {
  seed: number;
  clock: ClockSpec;
  fixture: CatalogueFixture;
  /** The world's database, opened (and for a file, locked) by its simulator; it outlives resets. */
  db: Db;
  adminToken: string;
  /** A preset's name (ideal, realistic, scripted) or a config; default realistic. */
  behaviour?: BehaviourSpec | BehaviourConfigInput;
  upstreamBalance?: string;
  rateLimits?: Partial<RateLimitConfig>;
  trustProxy?: TrustProxy;
  logger?: (clock: VirtualClock) => Logger;
  reconcileAfterMs?: number;
  minUpstreamBalance?: number;
  extraRoutes: (world: World) => Route[];
  /** Told of every SMS the fake upstream delivers (the SMS-Activate facade's webhook). */
  onSms?: (world: World, activation: SimActivation, sms: UpstreamSms) => void;
  /** Serve the console (its developer view fed by this world's event log). */
  console?: Pick<ConsoleOptions, 'assetsDir' | 'defaultUser'>;
}

export interface World {
  fixture: CatalogueFixture;
  clock: VirtualClock;
  scheduler: Scheduler;
  log: EventLog;
  faults: FaultPlan;
  upstream: FakeUpstream;
  engine: Engine;
  app: JiemaApp;
}

export function createWorld(options: WorldOptions): World {
  const db = options.db;
  const stores = createStores(db);
  // A database from an earlier run moves this clock past its latest moment (the engine's start-up).
  const clock = new VirtualClock(options.clock);
  // Two streams from one seed: the upstream's choices do not shift when the engine draws an id.
  const upstreamRng = createSeededRng(options.seed);
  const engineRng = createSeededRng(options.seed ^ 0x5bd1e995);
  const scheduler = new Scheduler();
  const log = new EventLog(() => clock.now());
  const faults = new FaultPlan(createSeededRng(options.seed ^ 0x27d4eb2f), () => clock.now());
  let engine: Engine | undefined; // eslint-disable-line prefer-const -- closures below refer to it before it is built
  let world: World; // eslint-disable-line prefer-const -- the same: onSms refers to it before it is built
  const fixture = withOfferOverrides(options.fixture, readCatalogueOverrides(stores.settings));
  const upstream = new FakeUpstream({
    clock,
    rng: upstreamRng,
    scheduler,
    fixture,
    log,
    faults,
    behaviour: resolveBehaviour(options.behaviour),
    balance: options.upstreamBalance ?? '1000',
    onChange: async (activationId) => {
      await engine?.orders.syncActivation(activationId);
    },
    ...(options.onSms && { onSms: (a: SimActivation, sms: UpstreamSms) => options.onSms!(world, a, sms) }),
  });
  // Activation ids continue after every id the database knows, ended orders included (docs/decisions.md D40).
  upstream.continueAfter(stores.activations.highestNumericId());
  engine = createEngine({
    upstream,
    db,
    clock,
    rng: engineRng,
    logger: options.logger?.(clock) ?? silentLogger,
    fixture,
    exclusive: true,
    backgroundSync: false,
    eagerOutbox: false,
    earlyCancelHoldMs: 120_000,
    // Receivers on this machine are the point of a simulator (docs/decisions.md D95).
    webhooks: { allowPrivateTargets: true },
    ...(options.reconcileAfterMs !== undefined && { reconcileAfterMs: options.reconcileAfterMs }),
    ...(options.minUpstreamBalance !== undefined && { minUpstreamBalance: options.minUpstreamBalance }),
  });
  if (!db.memory) adoptOpenActivations(engine, upstream);
  recordOrderTransitions(engine, log);
  world = { fixture, clock, scheduler, log, faults, upstream, engine } as World;
  world.app = createApp({
    engine,
    adminToken: options.adminToken,
    ...(options.rateLimits && { rateLimits: options.rateLimits }),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
    extraRoutes: options.extraRoutes(world),
    // The request journal: latency and the key's hint vary between identical runs, so they stay out of the digest.
    observe: ({ method, path, status, ms, key }) => {
      log.record('api.request', { method, path, status }, { ms, key });
    },
    ...(options.console && {
      console: {
        ...options.console,
        mode: 'simulator' as const,
        developerFeed: (listener) => log.subscribe(listener),
        clockSpeed: () => (clock.mode === 'manual' ? 0 : clock.speed),
      },
    }),
  });
  return world;
}

/**
 * On a database that outlived a previous run: the activations of live orders, and of orders whose
 * upstream command is still owed, are handed back to the new fake upstream.
 */
function adoptOpenActivations(engine: Engine, upstream: FakeUpstream): void {
  upstream.adopt(engine.stores.activations.open());
}

/** Offer overrides (cost, stock) from the database, laid over the fixture the fake upstream sells. */
function withOfferOverrides(fixture: CatalogueFixture, overrides: CatalogueOverrides | undefined): CatalogueFixture {
  if (!overrides || overrides.offers.length === 0) return fixture;
  const offers = fixture.offers.map((o) => ({ ...o }));
  for (const ov of overrides.offers) {
    const existing = offers.find((o) => o.service === ov.service && o.country === ov.country);
    if (existing) {
      if (ov.cost !== undefined) existing.cost = ov.cost;
      if (ov.count !== undefined) existing.count = ov.count;
    } else if (ov.cost !== undefined) offers.push({ service: ov.service, country: ov.country, cost: ov.cost, count: ov.count ?? 0 });
  }
  return { ...fixture, offers };
}

/** Sets an offer's stock at the fake upstream; the engine's cached catalogue is dropped so it shows at once. */
export function setStock(world: World, service: string, country: number, count: number): void {
  world.upstream.setStock(service, country, count);
  world.engine.catalogue.invalidate();
}

/**
 * Every change of an order's status goes into the event log as `order.status` (from, to), for
 * `jiema events` and scenario checks (docs/decisions.md D77). Changes within one turn coalesce:
 * the log shows where the order ended up.
 */
function recordOrderTransitions(engine: Engine, log: EventLog): void {
  const known = new Map<string, string>();
  engine.feed.subscribe(({ orders }) => {
    for (const orderId of orders) {
      const row = engine.stores.orders.get(orderId);
      if (!row) continue;
      const from = known.get(orderId) ?? null;
      if (from === row.status) continue;
      known.set(orderId, row.status);
      log.record('order.status', { orderId, service: row.service, country: row.country, from, status: row.status });
    }
  });
}
