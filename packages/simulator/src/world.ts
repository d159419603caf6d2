/**
 * One simulated world: a virtual clock, seeded randomness, the fake upstream, the engine on its
 * own SQLite, and the app that serves them. Reset builds a new world; nothing is shared between
 * worlds or between simulators in one process.
 */
import {
  createApp,
  createEngine,
  createSeededRng,
  silentLogger,
  type CatalogueFixture,
  type Engine,
  type JiemaApp,
  type Logger,
  type RateLimitConfig,
} from '@jiema/core';
import { BehaviourConfigSchema, type BehaviourConfigInput } from './behaviour.js';
import { EventLog } from './event-log.js';
import { FakeUpstream } from './fake-upstream.js';
import { FaultPlan } from './faults.js';
import { Scheduler } from './scheduler.js';
import { VirtualClock, type ClockSpec } from './virtual-clock.js';
import type { Route } from '@jiema/core';

export interface WorldOptions {
  seed: number;
  clock: ClockSpec;
  fixture: CatalogueFixture;
  db: string;
  adminToken: string;
  behaviour?: BehaviourConfigInput;
  upstreamBalance?: string;
  rateLimits?: Partial<RateLimitConfig>;
  logger?: (clock: VirtualClock) => Logger;
  extraRoutes: (world: World) => Route[];
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
  const clock = new VirtualClock(options.clock);
  // Two streams from one seed: the upstream's choices do not shift when the engine draws an id.
  const upstreamRng = createSeededRng(options.seed);
  const engineRng = createSeededRng(options.seed ^ 0x5bd1e995);
  const scheduler = new Scheduler();
  const log = new EventLog(() => clock.now());
  const faults = new FaultPlan(createSeededRng(options.seed ^ 0x27d4eb2f), () => clock.now());
  let engine: Engine | undefined;
  const upstream = new FakeUpstream({
    clock,
    rng: upstreamRng,
    scheduler,
    fixture: options.fixture,
    log,
    faults,
    behaviour: BehaviourConfigSchema.parse(options.behaviour ?? {}),
    balance: options.upstreamBalance ?? '1000',
    onChange: async (activationId) => {
      await engine?.orders.syncActivation(activationId);
    },
  });
  engine = createEngine({
    upstream,
    db: options.db,
    synchronous: options.db === ':memory:' ? 'OFF' : 'FULL',
    clock,
    rng: engineRng,
    logger: options.logger?.(clock) ?? silentLogger,
    fixture: options.fixture,
    backgroundSync: false,
    eagerOutbox: false,
    earlyCancelHoldMs: 120_000,
  });
  const world = { fixture: options.fixture, clock, scheduler, log, faults, upstream, engine } as World;
  world.app = createApp({
    engine,
    adminToken: options.adminToken,
    ...(options.rateLimits && { rateLimits: options.rateLimits }),
    extraRoutes: options.extraRoutes(world),
    observe: (r) => {
      log.record('api.request', r);
    },
  });
  return world;
}
