/**
 * A buy's writes and a status sync's, as the database sees them (docs/decisions.md D9, D127): an
 * order's settlement, charge and rows go in one round trip whose answers are read after it, so a
 * balance that refuses the charge only then is still answered INSUFFICIENT with nothing charged;
 * a status sync that finds nothing new writes nothing, and a tick with nothing due takes no job
 * lock. On both databases, the real engine.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError, createEngine, ManualClock, MemoryUpstream, type Engine } from '../src/index.js';
import { sqliteDatabaseOf } from '../src/engine.js';
import { openPostgres } from '../src/storage/postgres/open-postgres.js';
import { PostgresDb } from '../src/storage/postgres/postgres-db.js';
import { TEST_CATALOGUE } from '../src/testing.js';
import { DATABASES, POSTGRES_DATABASE, useTestDatabase } from './databases.js';
import { expectInvariants } from './helpers.js';

const TG = { service: 'tg', country: 7 };
const PRICE = 32; // tg in country 7 in the test catalogue

describe.each(DATABASES)('on $name', (kind) => {
  const database = useTestDatabase(kind);
  let engine: Engine;
  let clock: ManualClock;
  let upstream: MemoryUpstream;
  const opened: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const o of opened.splice(0)) o.close();
  });
  const start = () => {
    clock = new ManualClock();
    upstream = new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE });
    engine = createEngine({ db: database.db, clock, upstream, eagerOutbox: false });
    opened.push(engine);
  };

  /** Moves a balance as another writer would, unseen by the engine (no announcement), ledger row included. */
  const debitBehindTheEngine = (userId: string, cents: number) => {
    const sql = `UPDATE users SET balance_cents = balance_cents - ${cents} WHERE id = '${userId}';
      INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, reason, created_at)
        SELECT 'led_behind', id, 'adjustment', -${cents}, balance_cents, NULL, 'elsewhere', ${clock.now()} FROM users WHERE id = '${userId}';`;
    if (kind.name === 'SQLite') sqliteDatabaseOf(engine).exec(`BEGIN; ${sql} COMMIT;`);
    else {
      const other = new PostgresDb(openPostgres(database.db));
      other.exec(`BEGIN; ${sql} COMMIT;`);
      other.close();
    }
  };

  it('answers INSUFFICIENT when the database refuses the charge after the check passed, charging nothing and giving the number back', async () => {
    start();
    const user = engine.accounts.createUser({ balanceCents: 100 });
    await engine.orders.create(user.id, TG); // the engine now knows the balance it left: 68
    debitBehindTheEngine(user.id, 60); // 8 left, unknown to the engine
    const buys = upstream.calls.filter((c) => c.method === 'buy').length;
    const refused = await engine.orders.create(user.id, TG).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'INSUFFICIENT', details: { balanceCents: '8', priceCents: String(PRICE) } });
    // The upstream was asked (the check passed on what the engine knew), and its number is owed back.
    expect(upstream.calls.filter((c) => c.method === 'buy').length).toBe(buys + 1);
    expect(engine.outbox.pending()).toMatchObject([{ kind: 'release' }]);
    expect(engine.accounts.requireUser(user.id).balanceCents).toBe(8);
    expect(engine.orders.list(user.id, { limit: 10 }).items).toHaveLength(1);
    expectInvariants(engine);
    // What the engine knows now is the balance read again: the next buy is refused before the upstream.
    await expect(engine.orders.create(user.id, TG)).rejects.toMatchObject({ code: 'INSUFFICIENT' });
    expect(upstream.calls.filter((c) => c.method === 'buy').length).toBe(buys + 1);
  });

  it('answers INSUFFICIENT, not a 500, when the refused charge meets an idempotency key recorded with the order', async () => {
    start();
    const user = engine.accounts.createUser({ balanceCents: 100 });
    await engine.orders.create(user.id, TG);
    debitBehindTheEngine(user.id, 60);
    // As the HTTP pipeline records an Idempotency-Key's response inside the order's transaction.
    const begun = engine.idempotency.begin(user.id, 'key-1', 'POST /api/v1/orders {}');
    if (begun.kind !== 'new') throw new Error(`unexpected ${begun.kind}`);
    const remember = () => engine.idempotency.complete(user.id, 'key-1', begun.attempt, { status: 200, body: { ok: true } });
    await expect(engine.orders.create(user.id, TG, remember)).rejects.toMatchObject({
      code: 'INSUFFICIENT',
      details: { balanceCents: '8', priceCents: String(PRICE) },
    });
    expect(engine.accounts.requireUser(user.id).balanceCents).toBe(8);
    expect(engine.outbox.pending()).toMatchObject([{ kind: 'release' }]);
    expectInvariants(engine);
  });

  it('refuses one buy of a batch whose charge the database refuses, and commits the others beside it', async () => {
    start();
    const rich = engine.accounts.createUser({ balanceCents: 1_000 });
    const poor = engine.accounts.createUser({ balanceCents: 100 });
    await engine.orders.create(poor.id, TG);
    debitBehindTheEngine(poor.id, 60);
    // Bought in the same turn: one transaction, each buy in its own savepoint.
    const outcomes = await Promise.allSettled([
      engine.orders.create(rich.id, TG),
      engine.orders.create(poor.id, TG),
      engine.orders.create(rich.id, TG),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INSUFFICIENT' });
    expect(engine.accounts.requireUser(rich.id).balanceCents).toBe(1_000 - 2 * PRICE);
    expect(engine.accounts.requireUser(poor.id).balanceCents).toBe(8);
    expect(engine.orders.list(rich.id, { limit: 10 }).items).toHaveLength(2);
    expect(engine.orders.list(poor.id, { limit: 10 }).items).toHaveLength(1);
    expectInvariants(engine);
  });

  it('writes nothing for a status sync that finds nothing new, and records what is new', async () => {
    start();
    const user = engine.accounts.createUser({ balanceCents: 1_000 });
    const order = await engine.orders.create(user.id, TG);
    const writes = vi.spyOn(engine.stores.tx, 'write');
    clock.advance(5_000);
    expect(await engine.orders.sweep()).toMatchObject({ synced: 1 });
    expect(writes).not.toHaveBeenCalled();
    upstream.deliverSms(order.activationId, 'Telegram code: 48213');
    clock.advance(5_000);
    await engine.orders.sweep();
    expect(writes).toHaveBeenCalledTimes(1);
    await expect(engine.orders.get(user.id, order.id)).resolves.toMatchObject({ status: 'RECEIVED' });
    // The same message again on the next sync: nothing new, nothing written.
    clock.advance(5_000);
    writes.mockClear();
    expect(await engine.orders.sweep()).toMatchObject({ synced: 1 });
    expect(writes).not.toHaveBeenCalled();
    writes.mockRestore();
  });

  it('takes no job lock for the outbox or the webhook sender when nothing is due, and both still send what is', async () => {
    start();
    const user = engine.accounts.createUser({ balanceCents: 1_000 });
    const order = await engine.orders.create(user.id, TG);
    const locks = vi.spyOn(engine.stores.jobs, 'tryAcquire');
    await engine.tick();
    expect(locks.mock.calls.map(([name]) => name)).not.toContain('outbox');
    expect(locks.mock.calls.map(([name]) => name)).not.toContain('webhooks');
    // A cancel owes the upstream a command: the next tick takes the outbox's lock and sends it.
    engine.orders.cancel(user.id, order.id);
    clock.advance(121_000); // past the early-cancel hold
    locks.mockClear();
    await engine.tick();
    expect(locks.mock.calls.map(([name]) => name)).toContain('outbox');
    expect(engine.outbox.pending()).toEqual([]);
    expect(upstream.activation(order.activationId)?.state).toBe('CLOSED');
    locks.mockRestore();
  });
});

describe('on PostgreSQL: round trips per order', () => {
  const database = useTestDatabase(POSTGRES_DATABASE);

  it('costs about one round trip an order when orders arrive together: settlement, charge and rows go in one', async () => {
    const clock = new ManualClock();
    const upstream = new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE });
    const db = new PostgresDb(openPostgres(database.db));
    const engine = createEngine({ db: db.asDb(), clock, upstream, eagerOutbox: false });
    try {
      const user = engine.accounts.createUser({ balanceCents: 100_000 });
      await engine.orders.create(user.id, TG); // warm: the catalogue, the balance, prepared statements
      const before = db.client.stats.roundTrips;
      const N = 40;
      const orders = await Promise.all(Array.from({ length: N }, () => engine.orders.create(user.id, TG)));
      const roundTrips = db.client.stats.roundTrips - before;
      expect(orders.map((o) => o.status)).toEqual(Array(N).fill('WAITING'));
      // One per order (its savepoint's statements), plus a few per batch: the intents' and the
      // orders' BEGIN and COMMIT, and the webhook worker's look for deliveries. Two per order before D127's last step.
      expect(roundTrips).toBeGreaterThanOrEqual(N);
      expect(roundTrips).toBeLessThanOrEqual(N + 8);
      expect(engine.accounts.requireUser(user.id).balanceCents).toBe(100_000 - (N + 1) * PRICE);
      expectInvariants(engine);
    } finally {
      engine.close();
      db.close();
    }
  });
});
