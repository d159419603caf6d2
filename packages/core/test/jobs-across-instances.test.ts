/**
 * Background jobs run once across instances (issue #15 item 3, docs/decisions.md D128): several
 * engines on one PostgreSQL schema tick at the same time, and each outbox command, webhook
 * delivery, status poll and expiry happens once, on whichever instance holds the job's lock.
 * When the holder closes or its connection dies, another takes the job over at its next tick.
 * On SQLite (one process holds the file) the jobs simply run.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, createSeededRng, ManualClock, MemoryUpstream, type Activation, type Engine, type TickResult } from '../src/index.js';
import { runExclusive } from '../src/storage/job-lock-store.js';
import { TEST_CATALOGUE } from '../src/testing/server.js';
import { expectInvariants, makeEngine, until } from './helpers.js';
import { createTestSchema, type TestSchema } from './postgres.js';

const JOBS = ['sweep', 'outbox', 'buy-reconcile', 'webhooks'];

/** The memory upstream, whose status polls, cancels and buy answers can be held until the test lets them go. */
class HeldUpstream extends MemoryUpstream {
  /** Every call as it arrives, before any hold. */
  readonly entered: Array<{ method: string; id: string }> = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private buyGate: Promise<void> | undefined;
  private openBuy: (() => void) | undefined;

  hold(): () => void {
    this.gate = new Promise((resolve) => (this.open = resolve));
    return () => {
      this.gate = undefined;
      this.open?.();
    };
  }

  /** The next buy sells at once but its answer waits. */
  holdNextBuy(): () => void {
    this.buyGate = new Promise((resolve) => (this.openBuy = resolve));
    return () => this.openBuy?.();
  }

  override async getStatus(activationId: string) {
    this.entered.push({ method: 'getStatus', id: activationId });
    if (this.gate) await this.gate;
    return super.getStatus(activationId);
  }

  override async cancel(activationId: string): Promise<void> {
    this.entered.push({ method: 'cancel', id: activationId });
    if (this.gate) await this.gate;
    return super.cancel(activationId);
  }

  override async buy(request: { service: string; country: number }): Promise<Activation> {
    const sold = await super.buy(request);
    const gate = this.buyGate;
    this.buyGate = undefined;
    if (gate) await gate;
    return sold;
  }

  /** How many times each activation got `method`, as made (after any hold). */
  countsOf(method: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.calls) if (c.method === method) counts.set(c.args[0] as string, (counts.get(c.args[0] as string) ?? 0) + 1);
    return counts;
  }
}

let schema: TestSchema | undefined;
const engines: Engine[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) {
    try {
      e.close();
    } catch {
      // its connection was killed by the test
    }
  }
  for (const s of servers.splice(0)) await new Promise((done) => s.close(done));
  await schema?.drop();
  schema = undefined;
});

interface Cluster {
  clock: ManualClock;
  upstream: HeldUpstream;
  engines: Engine[];
}

/** `n` engines on one fresh schema, one upstream and one clock, as instances of one server. */
async function cluster(n: number, options: { webhooks?: boolean } = {}): Promise<Cluster> {
  schema = await createTestSchema();
  const clock = new ManualClock();
  const upstream = new HeldUpstream({ clock, catalogue: TEST_CATALOGUE, earlyCancelHoldMs: 0 });
  for (let i = 0; i < n; i++)
    engines.push(
      createEngine({
        db: schema.url,
        upstream,
        clock,
        rng: createSeededRng(100 + i),
        eagerOutbox: false,
        ...(options.webhooks && { webhooks: { allowPrivateTargets: true } }),
      }),
    );
  return { clock, upstream, engines: [...engines] };
}

const tickAll = (es: Engine[]) => Promise.all(es.map((e) => e.tick()));
const sum = (rs: TickResult[], key: keyof TickResult) => rs.reduce((n, r) => n + r[key], 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const holdsNothing = (e: Engine) => JOBS.every((j) => !e.stores.jobs.holds(j));

/** Buys `n` numbers for a new user through the first engine. */
async function buy(c: Cluster, n: number): Promise<{ userId: string; orders: Array<{ id: string; activationId: string }> }> {
  const user = c.engines[0]!.accounts.createUser({ balanceCents: 100_000 });
  const orders = [];
  for (let i = 0; i < n; i++) orders.push(await c.engines[i % c.engines.length]!.orders.create(user.id, { service: 'tg', country: 7 }));
  return { userId: user.id, orders };
}

describe('jobs across instances on one PostgreSQL schema', () => {
  it('sends each outbox command to the upstream once while three instances tick at once', async () => {
    const c = await cluster(3);
    const { userId, orders } = await buy(c, 6);
    orders.forEach((o, i) => c.engines[i % 3]!.orders.cancel(userId, o.id));
    expect(c.engines[0]!.outbox.pending()).toHaveLength(6);

    // The holder's sends wait on the wire while the others reach the outbox.
    const release = c.upstream.hold();
    const ticking = tickAll(c.engines);
    await until(() => c.upstream.entered.filter((e) => e.method === 'cancel').length >= 6);
    await sleep(50);
    release();
    const results = await ticking;

    expect(sum(results, 'outboxSent')).toBe(6);
    expect(results.filter((r) => r.outboxSent > 0)).toHaveLength(1);
    expect([...c.upstream.countsOf('cancel').values()]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(c.upstream.entered.filter((e) => e.method === 'cancel')).toHaveLength(6);
    expect(c.engines[2]!.outbox.pending()).toEqual([]);
    // Again: nothing more is sent, and no instance keeps a lock while idle.
    expect(sum(await tickAll(c.engines), 'outboxSent')).toBe(0);
    expect(c.upstream.countsOf('cancel').size).toBe(6);
    expect(c.engines.every(holdsNothing)).toBe(true);
    for (const e of c.engines) expectInvariants(e);
  });

  it('expires each due order once, with one refund, polling the upstream for it from one instance', async () => {
    const c = await cluster(3);
    const { userId, orders } = await buy(c, 4);
    const before = c.engines[1]!.accounts.requireUser(userId).balanceCents;
    const charged = orders.reduce((n, o) => n + c.engines[0]!.stores.orders.get(o.id)!.chargedCents, 0);
    expect(before).toBe(100_000 - charged);
    const expiresAt = Math.max(...orders.map((o) => c.engines[0]!.stores.orders.get(o.id)!.expiresAt));
    c.clock.advance(expiresAt - c.clock.now() + 1);
    c.upstream.entered.length = 0;

    const release = c.upstream.hold();
    const ticking = tickAll(c.engines);
    await until(() => c.upstream.entered.filter((e) => e.method === 'getStatus').length >= 1);
    await sleep(50);
    release();
    const results = await ticking;

    expect(sum(results, 'expired')).toBe(4);
    expect(results.filter((r) => r.expired > 0)).toHaveLength(1);
    // One last look per order, from the sweeping instance only.
    const polls = c.upstream.entered.filter((e) => e.method === 'getStatus').map((e) => e.id);
    expect(polls.sort()).toEqual(orders.map((o) => o.activationId).sort());
    for (const o of orders) {
      expect(c.engines[2]!.stores.orders.get(o.id)!.status).toBe('FAILED');
      expect(c.engines[0]!.stores.ledger.listByOrder(o.id).filter((e) => e.kind === 'refund')).toHaveLength(1);
    }
    expect(c.engines[2]!.accounts.requireUser(userId).balanceCents).toBe(100_000);
    // Whatever the expiries owe the upstream goes out once.
    await tickAll(c.engines);
    expect(c.engines[1]!.outbox.pending()).toEqual([]);
    expect([...c.upstream.countsOf('cancel').values()].every((n) => n === 1)).toBe(true);
    expect(c.engines.every(holdsNothing)).toBe(true);
    for (const e of c.engines) expectInvariants(e);
  });

  it('sends each webhook delivery once while every instance hears of the events', async () => {
    const c = await cluster(3, { webhooks: true });
    const got: string[] = [];
    const server = createServer((req, res) => {
      got.push(String(req.headers['webhook-id']));
      req.resume();
      // A slow receiver keeps deliveries in flight while the other instances pump.
      setTimeout(() => res.writeHead(204).end(), 20);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const user = c.engines[0]!.accounts.createUser({ balanceCents: 100_000 });
    const hook = c.engines[0]!.push.webhooks.create(user.id, { url, events: ['order.updated'] }).webhook;

    for (let i = 0; i < 6; i++) {
      const e = c.engines[i % 3]!;
      const order = await e.orders.create(user.id, { service: 'tg', country: 7 });
      c.engines[(i + 1) % 3]!.orders.cancel(user.id, order.id);
    }
    for (let round = 0; round < 50 && c.engines[0]!.push.webhooks.pendingCount() > 0; round++) {
      await tickAll(c.engines);
      await sleep(10);
    }
    expect(c.engines[0]!.push.webhooks.pendingCount()).toBe(0);
    await tickAll(c.engines);

    const deliveries = c.engines[1]!.push.webhooks.deliveries(user.id, hook.id, { limit: 100 }).items;
    expect(deliveries.length).toBeGreaterThanOrEqual(6);
    expect(deliveries.every((d) => d.state === 'delivered' && d.attempts === 1)).toBe(true);
    expect(got.length).toBe(deliveries.length);
    expect(new Set(got).size).toBe(got.length);
    expect(c.engines.every(holdsNothing)).toBe(true);
  });

  it('hands a job over when its holder closes, or when the holder’s session dies (and the holder, reconnected, no longer counts it)', async () => {
    const c = await cluster(3);
    const [a, b, d] = c.engines as [Engine, Engine, Engine];
    const { userId, orders } = await buy(c, 4);
    a.orders.cancel(userId, orders[0]!.id);
    a.orders.cancel(userId, orders[1]!.id);
    // `a` is in the middle of draining the outbox: the others skip it.
    expect(a.stores.jobs.tryAcquire('outbox')).toBe(true);
    expect(await b.outbox.drain()).toBe(0);
    expect((await d.tick()).outboxSent).toBe(0);
    expect(c.upstream.countsOf('cancel').size).toBe(0);
    a.close();
    expect((await b.tick()).outboxSent).toBe(2);

    // Now `b` holds it, and its connection is killed (a SIGKILLed instance's is closed by the server).
    b.orders.cancel(userId, orders[2]!.id);
    b.orders.cancel(userId, orders[3]!.id);
    expect(b.stores.jobs.tryAcquire('outbox')).toBe(true);
    expect((await d.tick()).outboxSent).toBe(0);
    const killed = await schema!.client.query<{ pid: number }>(
      `SELECT pg_terminate_backend(pid) AS killed, pid FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 1 AND granted
          AND objid::bigint = (hashtext('jiema.job:outbox:' || $1)::bigint & 4294967295)`,
      [schema!.schema],
    );
    expect(killed.rows).toHaveLength(1);
    // The server ends the session a moment later; the lock goes with it.
    for (let i = 0; i < 100 && !d.stores.jobs.tryAcquire('outbox'); i++) await sleep(20);
    expect(d.stores.jobs.holds('outbox')).toBe(true);
    // `b` lives on, on a new session: it no longer counts the lock its old session held.
    expect((await b.tick()).outboxSent).toBe(0);
    expect(b.stores.jobs.holds('outbox')).toBe(false);
    d.stores.jobs.release('outbox');
    expect((await d.tick()).outboxSent).toBe(2);
    expect([...c.upstream.countsOf('cancel').values()]).toEqual([1, 1, 1, 1]);
    expect(holdsNothing(d)).toBe(true);
    expectInvariants(d);
  });

  it('gives a job’s lock back when the job throws', async () => {
    const c = await cluster(2);
    const [a, b] = c.engines as [Engine, Engine];
    await expect(
      runExclusive(a.stores.jobs, 'sweep', 0, async () => {
        expect(b.stores.jobs.tryAcquire('sweep')).toBe(false);
        await sleep(1);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(a.stores.jobs.holds('sweep')).toBe(false);
    expect(b.stores.jobs.tryAcquire('sweep')).toBe(true);
    b.stores.jobs.release('sweep');
    // A failing upstream does not leave the engine's jobs locked either.
    const { userId, orders } = await buy(c, 1);
    a.orders.cancel(userId, orders[0]!.id);
    c.upstream.failNext('cancel', new Error('network down') as never);
    await tickAll(c.engines);
    expect(c.engines.every(holdsNothing)).toBe(true);
  });

  it('gives a slow buy’s number back once when another instance reconciled its intent first, and records no order', async () => {
    const c = await cluster(2);
    const [a, b] = c.engines as [Engine, Engine];
    const user = a.accounts.createUser({ balanceCents: 10_000 });
    const letGo = c.upstream.holdNextBuy();
    const buying = a.orders.create(user.id, { service: 'tg', country: 7 });
    await until(() => c.upstream.calls.some((x) => x.method === 'buy'));
    const [sold] = await c.upstream.listActive();
    // The answer is so late that the intent is due: `b` finds the number sold to no order and gives it back.
    c.clock.advance(61_000);
    expect((await b.tick()).reconciled).toBe(1);
    letGo();
    await expect(buying).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });

    const releases = a.outbox.list(100).filter((x) => x.kind === 'release');
    expect(releases.map((x) => x.activationId)).toEqual([sold!.activationId]);
    expect(a.stores.orders.getByActivation(sold!.activationId)).toBeUndefined();
    expect(a.accounts.requireUser(user.id).balanceCents).toBe(10_000);
    expect(a.stores.buyIntents.countByState()).toEqual({ reconciled: 1 });
    await tickAll(c.engines);
    expect([...c.upstream.countsOf('cancel').values()]).toEqual([1]);
    for (const e of c.engines) expectInvariants(e);
  });
});

describe('jobs on SQLite', () => {
  it('run on the one process: expiry, the outbox and reconciliation, with no lock left held', async () => {
    const t = makeEngine();
    try {
      const user = t.engine.accounts.createUser({ balanceCents: 10_000 });
      const order = await t.engine.orders.create(user.id, { service: 'tg', country: 7 });
      const cancelled = await t.engine.orders.create(user.id, { service: 'tg', country: 7 });
      t.clock.advance(order.expiresAt - t.clock.now() - 1_000);
      t.engine.orders.cancel(user.id, cancelled.id);
      t.clock.advance(1_001);
      const result = await t.engine.tick();
      expect(result.expired).toBe(1);
      expect(result.outboxSent).toBe(1);
      expect(t.engine.stores.orders.get(order.id)!.status).toBe('FAILED');
      expect(t.upstream.calls.filter((x) => x.method === 'cancel').map((x) => x.args[0])).toEqual([cancelled.activationId]);
      expect(t.engine.accounts.requireUser(user.id).balanceCents).toBe(10_000);
      expect(holdsNothing(t.engine)).toBe(true);
      expectInvariants(t.engine);
    } finally {
      t.engine.close();
    }
  });
});
