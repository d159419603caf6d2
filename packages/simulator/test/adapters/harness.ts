/**
 * Test helpers for the production upstream adapters: a manual-clock simulator serving the
 * protocol facades, an adapter pointed at it over real HTTP, a log that captures every line,
 * and the conformance harness `upstreamContract` runs.
 */
import {
  createApp,
  createEngine,
  createSeededRng,
  FiveSimUpstream,
  listen,
  ManualClock,
  SmsActivateUpstream,
  type Engine,
  type EngineOptions,
  type FiveSimUpstreamOptions,
  type Logger,
  type RunningServer,
  type SmsActivateUpstreamOptions,
} from '@jiema/core';
import type { UpstreamHarness } from '@jiema/core/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startSimulator, type FacadeMode, type Simulator } from '../../src/index.js';
import { QUIET, request, type Res } from '../helpers.js';

export interface CapturedLog extends Logger {
  lines: Array<Record<string, unknown>>;
  text(): string;
}

export function captureLog(lines: Array<Record<string, unknown>> = [], bindings: Record<string, unknown> = {}): CapturedLog {
  const at = (level: string) => (obj: Record<string, unknown>, msg?: string) => {
    lines.push({ level, ...bindings, ...obj, ...(msg !== undefined && { msg }) });
  };
  return {
    lines,
    text: () => JSON.stringify(lines),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => captureLog(lines, { ...bindings, ...more }),
  };
}

export const instantSleep = async (): Promise<void> => {};

/** Adapter options for tests: the simulator's facade, a manual clock, seeded jitter, short timeouts, no waiting between retries. */
export function testOptions(sim: Simulator, clock: ManualClock) {
  return {
    baseUrl: sim.url,
    apiKey: sim.upstreamApiKey,
    clock,
    rng: createSeededRng(11),
    timeoutMs: 2_000,
    buyTimeoutMs: 2_000,
    retries: 0,
    sleep: instantSleep,
  };
}

export function smsActivate(sim: Simulator, clock: ManualClock, options: Partial<SmsActivateUpstreamOptions> = {}): SmsActivateUpstream {
  return new SmsActivateUpstream({ ...testOptions(sim, clock), ...options });
}

export function fiveSim(sim: Simulator, clock: ManualClock, options: Partial<FiveSimUpstreamOptions> = {}): FiveSimUpstream {
  return new FiveSimUpstream({ ...testOptions(sim, clock), baseUrl: `${sim.url}/v1`, fixture: sim.world.fixture, ...options });
}

export async function quietSimulator(facadeMode: FacadeMode = 'always200'): Promise<Simulator> {
  return startSimulator({ seed: 3, clock: 'manual', behaviour: QUIET, facadeMode });
}

/**
 * One quiet simulator for a whole test file: faults are cleared and the adapters passed to
 * `track` are closed after each test, the simulator after the last.
 */
export function sharedSimulator() {
  const adapters: Array<{ close(): Promise<void> }> = [];
  const ctx = {
    sim: undefined as unknown as Simulator,
    track<T extends { close(): Promise<void> }>(adapter: T): T {
      adapters.push(adapter);
      return adapter;
    },
  };
  beforeAll(async () => {
    ctx.sim = await quietSimulator();
  });
  afterEach(async () => {
    ctx.sim.faults.clear();
    await Promise.all(adapters.splice(0).map((a) => a.close()));
  });
  afterAll(() => ctx.sim.close());
  return ctx;
}

/** The conformance harness: the adapter over HTTP, SMS delivered and time moved at the simulator. */
export async function contractHarness(vendor: 'sms-activate' | '5sim', facadeMode: FacadeMode = 'always200'): Promise<UpstreamHarness> {
  const sim = await quietSimulator(facadeMode);
  sim.setStock('tg', 187, 0);
  const clock = new ManualClock(sim.now());
  const upstream = vendor === 'sms-activate' ? smsActivate(sim, clock) : fiveSim(sim, clock);
  return {
    upstream,
    inStock: { service: 'tg', country: 7 },
    outOfStock: { service: 'tg', country: 187 },
    deliverSms: async (id, text) => {
      sim.world.upstream.deliverSms(id, text);
    },
    advance: async (ms) => {
      clock.advance(ms);
      await sim.advance(ms);
    },
    earlyCancelHoldMs: 120_000,
    close: async () => {
      await upstream.close();
      await sim.close();
    },
  };
}

/** How many times the fake upstream was called for `method`, per its event log. */
export function upstreamCalls(sim: Simulator, method: string): number {
  return sim.events({ type: 'upstream.call' }).filter((e) => e.data.method === method).length;
}

export interface EngineOnSim {
  clock: ManualClock;
  upstream: SmsActivateUpstream | FiveSimUpstream;
  engine: Engine;
  server: RunningServer;
  user(balanceCents?: number): { id: string; key: string };
  call(method: string, path: string, key?: string, body?: unknown): Promise<Res>;
  balance(userId: string): number;
  activationOf(orderId: string): string;
  /** Moves this engine's clock and the simulator's together. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A production-shaped engine (createEngine + createApp + listen, no scheduler: tests call
 * tick()) whose upstream is SmsActivateUpstream pointed at the simulator's facade.
 */
export async function startEngineOn(
  sim: Simulator,
  options: {
    db?: string;
    clock?: ManualClock;
    adapter?: Partial<SmsActivateUpstreamOptions>;
    logger?: Logger;
    vendor?: 'sms-activate' | '5sim';
    /** Accept the provider's incoming-SMS webhook at /upstream/v1/<vendor>/<secret>. */
    webhookSecret?: string;
    upstreamPush?: EngineOptions['upstreamPush'];
  } = {},
): Promise<EngineOnSim> {
  const clock = options.clock ?? new ManualClock(sim.now());
  const adapterOptions = { ...(options.logger && { logger: options.logger }), ...options.adapter };
  const upstream = options.vendor === '5sim' ? fiveSim(sim, clock, adapterOptions) : smsActivate(sim, clock, adapterOptions);
  const engine = createEngine({
    upstream,
    clock,
    rng: createSeededRng(21),
    db: options.db ?? ':memory:',
    fixture: sim.world.fixture,
    eagerOutbox: false,
    ...(options.logger && { logger: options.logger }),
    ...(options.upstreamPush && { upstreamPush: options.upstreamPush }),
  });
  const app = createApp({
    engine,
    adminToken: 'jma_adapter_test_admin_token',
    ...(options.webhookSecret && { upstreamWebhookSecret: options.webhookSecret }),
  });
  const server = await listen(app, engine, { port: 0, tickMs: 0 });
  return {
    clock,
    upstream,
    engine,
    server,
    user(balanceCents = 1_000) {
      const u = engine.accounts.createUser({ displayName: 'Tester', balanceCents });
      return { id: u.id, key: engine.accounts.createKey(u.id).apiKey };
    },
    call: (method, path, key, body) => request(server.url + path, { method, headers: key ? { authorization: `Bearer ${key}` } : {}, body }),
    balance: (userId) => engine.accounts.requireUser(userId).balanceCents,
    activationOf: (orderId) => engine.stores.orders.get(orderId)!.activationId,
    async advance(ms) {
      clock.advance(ms);
      await sim.advance(ms);
    },
    async close() {
      await server.close();
      await upstream.close();
      engine.close();
    },
  };
}
