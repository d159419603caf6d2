/**
 * Crash recovery where the upstream outlives the process: core's engine on a SQLite file or a
 * PostgreSQL schema "dies" (it is abandoned mid-call, never closed) while the upstream it talked
 * to lives on, and a new engine opens the same database against that same upstream. This is
 * what the process-level test cannot show, because a restarted simulator's fake upstream forgets
 * what it sold without an order: the number sold to a buy that died before its order was written is given back, and an
 * upstream command that died in flight is sent again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, createSeededRng, ManualClock, MemoryUpstream, openDatabase, type Engine, type Upstream } from '@jiema/core';
import { TEST_CATALOGUE, until } from '../../../core/test/helpers.js';
import { DATABASES, useTestDatabase } from '../../../core/test/databases.js';
import { terminateSessions } from '../../../core/test/postgres.js';
import { ScriptedFaultsUpstream, type FaultMethod } from './model/scripted-faults-upstream.js';
import { report } from './knobs.js';

describe.each(DATABASES)('crash recovery with the upstream outliving the process, on $name', (kind) => {
  const database = useTestDatabase(kind, { persistent: true });
  let clock: ManualClock;
  let upstream: MemoryUpstream;
  const engines: Engine[] = [];
  const names = new Map<Engine, string>();

  beforeEach(() => {
    clock = new ManualClock();
    upstream = new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE });
  });
  afterEach(() => {
    for (const e of engines.splice(0)) e.close();
  });

  const start = (u: Upstream, name = `jiema-test-${engines.length}-${process.pid}`) => {
    // SQLite: an open database rather than a path, as a path would be locked and the "dead"
    // engine of this process still holds its connection, as a killed process's kernel would not.
    // PostgreSQL: the URL, its connections named so that a death can end them (see die()).
    const db = kind.name === 'SQLite' ? openDatabase({ path: database.db }) : withApplicationName(database.db, name);
    const engine = createEngine({
      upstream: u,
      db,
      ...(kind.name === 'SQLite' && { exclusive: true }),
      clock,
      rng: createSeededRng(engines.length + 1),
      eagerOutbox: false,
    });
    engines.push(engine);
    names.set(engine, name);
    return engine;
  };

  /**
   * The engine's process dies. On PostgreSQL its connections end with it (the kernel closes a
   * killed process's sockets, and the server rolls back and drops its session locks, such as the
   * outbox's job lock, docs/decisions.md D128); in this process they are ended from the server's side.
   * On SQLite nothing outlives the process but the file.
   */
  async function die(engine: Engine): Promise<void> {
    if (kind.name === 'SQLite') return;
    expect(await terminateSessions(names.get(engine)!)).toBeGreaterThan(0);
  }

  /** The same upstream, as a process that dies sees it: the next `method` call takes effect and never answers. */
  function dyingOn(method: FaultMethod): Upstream {
    const view = new ScriptedFaultsUpstream(upstream, () => clock.now());
    view.arm({ method, error: 'TIMEOUT', hang: true });
    return view;
  }

  it('gives back the number a buy was sold when the process died before writing the order', async () => {
    const dying = start(dyingOn('buy'));
    const user = dying.accounts.createUser({ balanceCents: 1_000 });
    void dying.orders.create(user.id, { service: 'tg', country: 7 });
    await until(() => upstream.calls.some((c) => c.method === 'buy'));
    const [sold] = await upstream.listActive();
    expect(sold).toBeDefined();
    // The process is gone (never closed); a new one opens the same file.
    const engine = start(upstream);
    expect(engine.stores.buyIntents.pendingCount()).toBe(1);
    expect(engine.stores.orders.count()).toBe(0);
    expect(engine.accounts.requireUser(user.id).balanceCents).toBe(1_000);

    clock.advance(61_000);
    await engine.tick(); // the intent is old enough: the sold number is an orphan, a release is owed
    expect(engine.outbox.pending()).toMatchObject([{ kind: 'release', activationId: sold!.activationId }]);
    clock.advance(121_000);
    await engine.tick(); // past the upstream's early-cancel hold
    expect(upstream.activation(sold!.activationId)!.state).toBe('CLOSED');
    expect(engine.outbox.pending()).toEqual([]);
    expect(engine.stores.buyIntents.pendingCount()).toBe(0);
    expect(engine.accounts.requireUser(user.id).balanceCents).toBe(1_000);
    expect(engine.checkInvariants()).toEqual([]);
    report('crash-in-process', { case: 'buy sold, process died before the order was written', released: sold!.activationId });
  });

  it('sends again a cancel the process died sending, and the refund stays single', async () => {
    const dying = start(dyingOn('cancel'));
    const user = dying.accounts.createUser({ balanceCents: 1_000 });
    const order = await dying.orders.create(user.id, { service: 'tg', country: 7 });
    dying.orders.cancel(user.id, order.id);
    clock.advance(121_000);
    void dying.tick(); // the outbox sends the cancel; the upstream takes it; the answer never comes
    await until(() => upstream.calls.some((c) => c.method === 'cancel'));
    await die(dying);

    const engine = start(upstream);
    expect(engine.outbox.pending()).toMatchObject([{ kind: 'cancel', activationId: order.activationId }]);
    await engine.tick();
    expect(engine.outbox.pending()).toEqual([]);
    expect(upstream.activation(order.activationId)!.state).toBe('CLOSED');
    expect(engine.accounts.requireUser(user.id).balanceCents).toBe(1_000);
    expect(engine.stores.ledger.countByKind('refund')).toBe(1);
    expect(engine.checkInvariants()).toEqual([]);
  });
});

function withApplicationName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}
