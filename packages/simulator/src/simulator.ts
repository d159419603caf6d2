/**
 * startSimulator(): a jiema server on a fake upstream and a virtual clock, in-process, for
 * vitest/jest and for `jiema serve`. Advancing the clock processes every due event in order — SMS
 * deliveries, bans, order expiries, outbox retries — stopping at each moment something is due.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import {
  acquireDatabaseLock,
  acquireSchemaLock,
  BALANCE_EVERY_MS,
  bindServer,
  loadCatalogueFixture,
  isPostgresUrl,
  openDatabase,
  openPostgresDb,
  recordDatabaseHolder,
  type CatalogueFixture,
  type DatabaseLock,
  type Db,
  type Logger,
  type RateLimitConfig,
  type TrustProxy,
} from '@jiema/core';
import { createJsonHttpServer } from '@jiema/core/http';
import { resolveBehaviour, type BehaviourConfigInput, type BehaviourSpec } from './behaviour.js';
import { controlRoutes } from './control-routes.js';
import { simulatorConsoleRoutes } from './console-routes.js';
import type { SimEvent } from './event-log.js';
import type { Fault, FaultSpec } from './faults.js';
import { parseClockSpec, type ClockSpec, type VirtualClock } from './virtual-clock.js';
import { createWorld, setStock, type World } from './world.js';
import { mountFacades, type FacadeMode } from './facades/mount.js';
import { FacadeGuard } from './facades/facade-guard.js';
import { SmsActivateWebhookSender, type WebhookSenderOptions, type WebhookStats } from './facades/sms-activate/webhook-sender.js';

export interface SimulatorOptions {
  /** Seeds every random choice; the same seed and the same calls give the same event log. Default 1. */
  seed?: number;
  /** 'real' (default), 'manual', '<N>x', or a full spec. */
  clock?: ClockSpec | string;
  port?: number;
  host?: string;
  /** A catalogue fixture object, or a path to one. Default: the catalogue shipped in @jiema/core (data/catalogue.json). */
  fixtures?: CatalogueFixture | string;
  /**
   * SQLite file, a PostgreSQL URL (`postgres://user@host:5432/database`, the tables in its first
   * search_path schema), or ':memory:' (default). A file or a schema is locked while the simulator
   * runs: a second simulator on it is refused (DatabaseLockedError).
   */
  db?: string;
  /**
   * Settings a reset keeps besides the admin token's and facade key's (the simulator never stores
   * those in clear). Used by `jiema serve` for its own bookkeeping.
   */
  keepSettingsOnReset?: string[];
  /** Called after every reset, with the fresh world (e.g. to recreate a demo user). */
  onReset?: (world: World) => void;
  adminToken?: string;
  /** The key the upstream-protocol facades accept as `api_key` / bearer token. */
  upstreamApiKey?: string;
  facadeMode?: FacadeMode;
  /**
   * The SMS-Activate facade POSTs every SMS the fake upstream delivers to this URL, as the
   * provider's incoming-SMS webhook does (retried while the receiver fails). Also set later with
   * `setSmsActivateWebhook` or `PUT /_sim/v1/facade`.
   */
  smsActivateWebhookUrl?: string;
  /** Retry timing of that webhook (real time). */
  smsActivateWebhook?: WebhookSenderOptions;
  /**
   * How the fake upstream behaves: 'ideal', 'realistic' (default) or 'scripted', or a config
   * (docs/decisions.md D70).
   */
  behaviour?: BehaviourSpec | BehaviourConfigInput;
  upstreamBalance?: string;
  rateLimits?: Partial<RateLimitConfig>;
  /** Which reverse proxies to believe about client addresses (see createApp). Default: none. */
  trustProxy?: TrustProxy;
  logger?: (clock: VirtualClock) => Logger;
  /** In real and accelerated modes, how often (real ms) due events are processed. Default 100. */
  pumpMs?: number;
  /** The engine's delay before reconciling a buy whose outcome is unknown. Default 60 s. */
  reconcileAfterMs?: number;
  /**
   * The provider balance below which `/readyz` answers 503 (docs/decisions.md D103). When set, the
   * fake upstream's balance is read at start, every minute of real time, and whenever it is set.
   */
  minUpstreamBalance?: number;
  /**
   * Serve the console at `/` (`jiema serve` does): the built files' folder (`consoleAssetsDir`
   * from @jiema/console), and the user an operator's account pages show at first.
   */
  console?: { assetsDir: string; defaultUser?: () => string | undefined };
}

export interface Simulator {
  url: string;
  port: number;
  adminToken: string;
  upstreamApiKey: string;
  /** The current world (replaced by reset()). */
  readonly world: World;
  now(): number;
  createUser(options?: { balanceCents?: number; displayName?: string; lang?: string }): { id: string; apiKey: string };
  deliverSms(orderId: string, body?: string): Promise<{ orderId: string; activationId: string; body: string; code: string | null }>;
  advance(ms: number): Promise<{ now: number }>;
  setStock(service: string, country: number, count: number): void;
  faults: { arm(spec: FaultSpec): Fault; list(): Fault[]; clear(id?: string): number };
  events(options?: { since?: number; type?: string }): SimEvent[];
  eventDigest(): string;
  /** Start over (empty data, fresh upstream, clock back to its start); `fresh` changes the seed, behaviour, rate limits or upstream balance for the new world only. */
  reset(fresh?: ResetOptions): Promise<void>;
  /** Numbers bought from now on follow this behaviour: a preset's name or a config. */
  setBehaviour(spec: BehaviourSpec | BehaviourConfigInput): void;
  /** Where the SMS-Activate facade's incoming-SMS webhook goes (null: nowhere), and what it has sent. */
  setSmsActivateWebhook(url: string | null): WebhookStats;
  smsActivateWebhook: { stats(): WebhookStats; settled(): Promise<void> };
  close(): Promise<void>;
}

/** What a reset can set for the world it builds; anything not given comes from the start options. */
export interface ResetOptions {
  seed?: number;
  behaviour?: BehaviourSpec | BehaviourConfigInput;
  rateLimits?: Partial<RateLimitConfig>;
  upstreamBalance?: string;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const fixture = typeof options.fixtures === 'object' ? options.fixtures : loadCatalogueFixture(options.fixtures);
  const clockSpec = typeof options.clock === 'string' ? parseClockSpec(options.clock) : (options.clock ?? { mode: 'real' });
  const adminToken = options.adminToken ?? `jma_sim_${randomBytes(16).toString('hex')}`;
  const upstreamApiKey = options.upstreamApiKey ?? `sim_${randomBytes(16).toString('hex')}`;
  const webhook = new SmsActivateWebhookSender(options.smsActivateWebhook);
  if (options.smsActivateWebhookUrl) webhook.setUrl(options.smsActivateWebhookUrl);
  const facade = { mode: options.facadeMode ?? 'always200', webhook };
  const facadeGuard = new FacadeGuard(upstreamApiKey);
  let queue: Promise<unknown> = Promise.resolve();
  /** Serialises clock work: advances, pumps and resets never interleave. */
  const serial = <T>(work: () => T | Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  const postgresUrl = options.db && isPostgresUrl(options.db) ? options.db : undefined;
  const dbPath = options.db && options.db !== ':memory:' && !postgresUrl ? resolve(options.db) : null;
  const { db, lock } = openSimulatorDatabase(dbPath, postgresUrl);

  /** What a reset may change for the world it builds (docs/decisions.md D72); a plain reset goes back to the start options. */
  const build = (fresh: ResetOptions = {}): World => {
    const behaviour = fresh.behaviour ?? options.behaviour;
    const upstreamBalance = fresh.upstreamBalance ?? options.upstreamBalance;
    const rateLimits = fresh.rateLimits ?? options.rateLimits;
    const w = createWorld({
      seed: fresh.seed ?? options.seed ?? 1,
      clock: clockSpec,
      fixture,
      db,
      adminToken,
      ...(behaviour !== undefined && { behaviour }),
      ...(upstreamBalance && { upstreamBalance }),
      ...(rateLimits && { rateLimits }),
      ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
      ...(options.logger && { logger: options.logger }),
      ...(options.reconcileAfterMs !== undefined && { reconcileAfterMs: options.reconcileAfterMs }),
      ...(options.minUpstreamBalance !== undefined && { minUpstreamBalance: options.minUpstreamBalance }),
      extraRoutes: (w) => [...controlRoutes(control, w), ...(options.console ? simulatorConsoleRoutes(w) : [])],
      ...(options.console && { console: options.console }),
      onSms: (at, a, sms) => webhook.send(a, sms, at.clock.now()),
    });
    webhook.useLog(w.log);
    return w;
  };

  /** Runs everything due up to `target`, stopping at each due moment in order. */
  const runUntil = async (w: World, target: number): Promise<void> => {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const now = w.clock.now();
      await w.scheduler.runDue(now);
      await w.engine.tick();
      // A pass handles a bounded batch; more than a batch due at one moment needs more passes.
      // An outbox command that fails is rescheduled into the future, so this ends.
      for (let extra = 0; extra < 10_000 && w.engine.hasDueWork(now); extra++) {
        const r = await w.engine.tick();
        if (r.expired + r.outboxSent + r.reconciled + r.webhooksSent === 0) break;
      }
      const candidates = [w.scheduler.nextAt(), w.engine.nextDueAt(now)].filter((t): t is number => t !== undefined && t > now);
      const next = Math.min(target, ...candidates);
      if (next <= now) return;
      w.clock.moveTo(next);
    }
    throw new Error('the simulator did not settle: something stays due forever');
  };

  let world: World;
  const control = {
    get world() {
      return world;
    },
    facade,
    advance: (ms: number) =>
      serial(async () => {
        const target = world.clock.now() + ms;
        world.log.record('clock.advance', { ms });
        await runUntil(world, target);
        return { now: world.clock.now() };
      }),
    reset: (fresh: ResetOptions = {}) =>
      serial(() => {
        // The same file, emptied in one transaction: the admin token, the facade key and the lock
        // stay; the world (clock, seeded randomness, stock) starts over (docs/decisions.md D43).
        world.engine.stores.maintenance.wipe(['server_holder', ...(options.keepSettingsOnReset ?? [])]);
        // The old world's live feeds end; the console reconnects to the new one.
        world.app.close();
        world = build(fresh);
        world.log.record('reset', { ...(fresh.seed !== undefined && { seed: fresh.seed }) });
        options.onReset?.(world);
      }),
    setBehaviour: (spec: BehaviourSpec | BehaviourConfigInput) => {
      world.upstream.setBehaviour(resolveBehaviour(spec));
    },
    deliverSms: async (orderId: string, body?: string) => {
      const order = world.engine.stores.orders.get(orderId);
      if (!order) return undefined;
      const sms = world.upstream.deliverSms(order.activationId, body);
      if (sms) await world.engine.orders.syncActivation(order.activationId);
      return sms ? { orderId, activationId: order.activationId, body: sms.text, code: sms.code } : null;
    },
  };

  try {
    world = build();
  } catch (err) {
    db.close();
    lock?.release();
    throw err;
  }

  const server: Server = createJsonHttpServer((req, res) => {
    if (mountFacades(req, res, { world, guard: facadeGuard, mode: facade.mode })) return;
    world.app.handler(req, res);
  });
  server.keepAliveTimeout = 5_000;
  let bound: Awaited<ReturnType<typeof bindServer>>;
  try {
    bound = await bindServer(server, options.port ?? 0, options.host ?? '127.0.0.1');
  } catch (err) {
    db.close();
    lock?.release();
    throw err;
  }
  const { port, address } = bound;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  if (lock) recordDatabaseHolder(world.engine.stores.settings, url);
  // The database file is looked at every second whatever the clock mode (a manual clock never ticks).
  const storageCheck = dbPath ? setInterval(() => world.engine.storage.check(), 1_000) : undefined;
  storageCheck?.unref();
  // Only with a minimum to watch: otherwise the balance is not read, and the event log stays as it was.
  const readBalance = () => void world.engine.balance.refresh();
  if (options.minUpstreamBalance !== undefined) readBalance();
  const balanceTimer = options.minUpstreamBalance !== undefined ? setInterval(readBalance, BALANCE_EVERY_MS) : undefined;
  balanceTimer?.unref();
  const pump =
    clockSpec.mode === 'manual'
      ? undefined
      : setInterval(() => void serial(() => runUntil(world, world.clock.now())).catch(() => undefined), options.pumpMs ?? 100);
  pump?.unref();

  return {
    url,
    port,
    adminToken,
    upstreamApiKey,
    get world() {
      return world;
    },
    now: () => world.clock.now(),
    createUser(o = {}) {
      const user = world.engine.accounts.createUser({ balanceCents: o.balanceCents ?? 1_000, displayName: o.displayName, lang: o.lang });
      const { apiKey } = world.engine.accounts.createKey(user.id, 'simulator');
      world.log.record('user.created', { userId: user.id });
      return { id: user.id, apiKey };
    },
    async deliverSms(orderId, body) {
      const r = await control.deliverSms(orderId, body);
      if (r === undefined) throw new Error(`No order ${orderId} in this simulator.`);
      if (r === null) throw new Error(`Order ${orderId}'s number is closed at the upstream; the SMS was dropped.`);
      return r;
    },
    advance: control.advance,
    setStock: (service, country, count) => setStock(world, service, country, count),
    faults: {
      arm: (spec) => {
        const f = world.faults.arm(spec);
        world.log.record('fault.armed', { faultId: f.id, kind: f.kind, method: f.method });
        return f;
      },
      list: () => world.faults.list(),
      clear: (id) => {
        const n = world.faults.clear(id);
        world.log.record('fault.cleared', { ...(id && { faultId: id }), cleared: n });
        return n;
      },
    },
    events: (o) => world.log.list(o),
    eventDigest: () => world.log.digest(),
    reset: control.reset,
    setBehaviour: control.setBehaviour,
    setSmsActivateWebhook(url) {
      webhook.setUrl(url);
      return webhook.stats();
    },
    smsActivateWebhook: { stats: () => webhook.stats(), settled: () => webhook.settled() },
    async close() {
      webhook.close();
      if (pump) clearInterval(pump);
      if (storageCheck) clearInterval(storageCheck);
      if (balanceTimer) clearInterval(balanceTimer);
      await queue.catch(() => undefined);
      world.app.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      world.engine.close();
      lock?.release();
    },
  };
}

/**
 * The simulator's database, which outlives its resets, locked for this simulator alone: a SQLite
 * file (its companion lock file), a PostgreSQL schema (a session advisory lock), or memory.
 */
function openSimulatorDatabase(dbPath: string | null, postgresUrl: string | undefined): { db: Db; lock: DatabaseLock | undefined } {
  if (postgresUrl) {
    const db = openPostgresDb(postgresUrl);
    try {
      return { db, lock: acquireSchemaLock(db) };
    } catch (err) {
      db.close();
      throw err;
    }
  }
  const lock = dbPath ? acquireDatabaseLock(dbPath) : undefined;
  try {
    return { db: openDatabase({ path: dbPath ?? ':memory:', synchronous: dbPath ? 'FULL' : 'OFF' }), lock };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

export type SimulatorControl = {
  readonly world: World;
  facade: { mode: FacadeMode; webhook: SmsActivateWebhookSender };
  advance(ms: number): Promise<{ now: number }>;
  reset(fresh?: ResetOptions): Promise<void>;
  setBehaviour(spec: BehaviourSpec | BehaviourConfigInput): void;
  deliverSms(
    orderId: string,
    body?: string,
  ): Promise<{ orderId: string; activationId: string; body: string; code: string | null } | null | undefined>;
};
