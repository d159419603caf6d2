/**
 * The system under test for the model-based test: core's real engine on an in-memory SQLite (or
 * the database `db` names: a PostgreSQL schema), a manual clock, and MemoryUpstream behind scripted faults. `compare` lists every way the engine
 * differs from the model; `settle` runs the clock to quiet and checks that nothing is left owed.
 */
import { expect } from 'vitest';
import { AppError, createEngine, createSeededRng, ManualClock, MemoryUpstream, type Engine, type Order } from '@jiema/core';
import { CATALOGUE, LIFETIME_MS, type OrderModel, type Outcome } from './order-model.js';
import { ScriptedFaultsUpstream } from './scripted-faults-upstream.js';

export interface RealSystem {
  engine: Engine;
  clock: ManualClock;
  memory: MemoryUpstream;
  upstream: ScriptedFaultsUpstream;
  users: string[];
  /** Commands run (each ends in one comparison with the model). */
  steps: number;
}

export const START_MS = Date.UTC(2026, 0, 1);

export function createRealSystem(balances: number[], seed: number, db = ':memory:'): RealSystem {
  const clock = new ManualClock(START_MS);
  const memory = new MemoryUpstream({ clock, catalogue: CATALOGUE, lifetimeMs: LIFETIME_MS });
  const upstream = new ScriptedFaultsUpstream(memory, () => clock.now());
  // eagerOutbox as in production: owed commands race the next action, which the model must not notice.
  const engine = createEngine({ upstream, clock, db, rng: createSeededRng(seed), eagerOutbox: true });
  const users = balances.map((b, i) => engine.accounts.createUser({ displayName: `user${i}`, balanceCents: b }).id);
  return { engine, clock, memory, upstream, users, steps: 0 };
}

/** Runs one engine action and reads its result the way the HTTP layer would: an order, or an AppError's code. */
export async function attempt(action: () => Promise<Order> | Order): Promise<Outcome> {
  try {
    const o = await action();
    return { ok: true, status: o.status, id: o.id, activationId: o.activationId };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, code: err.code };
    throw err; // anything else would be a 500
  }
}

export function topUp(r: RealSystem, user: number, cents: number): void {
  const { engine } = r;
  engine.money.adjust({ userId: r.users[user]!, kind: 'topup', amountCents: cents, reason: 'model top-up' });
}

/**
 * Numbers the upstream sold that are open there, belong to no order, and that the engine is not
 * working on: no release owed for them and no unresolved buy of their service and country. The
 * upstream closing one by itself at the end of its lifetime is fine (the reseller is refunded).
 */
function openOrphans(r: RealSystem) {
  const { orders, orderSupport, buyIntents } = r.engine.stores;
  return r.upstream.sold.filter(
    (s) =>
      r.memory.activation(s.activationId)?.state !== 'CLOSED' &&
      orders.getByActivation(s.activationId) === undefined &&
      !orderSupport.commandsOfActivation(s.activationId).some((c) => c.kind === 'release') &&
      buyIntents.countPendingLike(s.service, s.country, '') === 0,
  );
}

/** Every difference between the engine's database and the model, as readable lines. */
export function compare(m: OrderModel, r: RealSystem): string[] {
  const diffs = r.engine.checkInvariants().map((v) => `invariant "${v.invariant}": ${v.detail}`);
  if (r.clock.now() !== m.now) diffs.push(`clock ${r.clock.now()} vs model ${m.now}`);
  const rows = r.engine.stores.orders.search({ limit: 1_000_000 });
  if (rows.length !== m.orders.length) diffs.push(`${rows.length} orders in the database, ${m.orders.length} in the model`);
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const o of m.orders) {
    const row = byId.get(o.id);
    if (!row) {
      diffs.push(`order ${o.id} missing`);
      continue;
    }
    const sms = row.smsHistory.length;
    if (row.status !== o.status) diffs.push(`order ${o.id}: status ${row.status}, model ${o.status}`);
    if (sms !== o.smsCount) diffs.push(`order ${o.id}: ${sms} SMS, model ${o.smsCount}`);
    if (row.chargedCents !== o.chargedCents) diffs.push(`order ${o.id}: charged ${row.chargedCents}, model ${o.chargedCents}`);
    if (row.userId !== r.users[o.user]) diffs.push(`order ${o.id}: belongs to ${row.userId}`);
  }
  r.users.forEach((id, i) => {
    const balance = r.engine.accounts.requireUser(id).balanceCents;
    if (balance !== m.balances[i]) diffs.push(`user${i}: balance ${balance}, model ${m.balances[i]}`);
  });
  const intents = r.engine.stores.buyIntents.pendingCount();
  if (intents !== m.intents.length) diffs.push(`${intents} pending buy intents, model ${m.intents.length}`);
  for (const orphan of openOrphans(r))
    diffs.push(`number ${orphan.activationId} is bought with no order, no release owed and no buy left to reconcile`);
  return diffs;
}

export function expectMatches(m: OrderModel, r: RealSystem, after: string): void {
  r.steps += 1;
  expect(compare(m, r), `after ${after}`).toEqual([]);
}

/**
 * Lets virtual time run until nothing is due (every window over, every retry and reconciliation
 * done), then checks what must hold at rest: no order live, no owed upstream command, no buy
 * unresolved, and every number the upstream sold either belongs to an order or was given back.
 */
export async function settle(m: OrderModel, r: RealSystem): Promise<void> {
  r.upstream.disarm();
  for (let i = 0, busy = 0; i < 500; i++) {
    const done = await r.engine.tick();
    m.tick();
    expectMatches(m, r, `settling at +${r.clock.now() - START_MS} ms`);
    // A tick can owe a command due at once (a reconciliation's release): tick again before moving on.
    busy = done.outboxSent + done.reconciled > 0 ? busy + 1 : 0;
    if (busy > 0 && busy < 5) continue;
    const next = r.engine.nextDueAt(r.clock.now());
    if (next === undefined) break;
    r.clock.advance(next - r.clock.now());
    m.advance(next - m.now);
  }

  const { orders, orderSupport, buyIntents } = r.engine.stores;
  expect(orders.count(['WAITING', 'RECEIVED'])).toBe(0);
  expect(r.engine.outbox.pending(), 'owed upstream commands left unsent').toEqual([]);
  expect(buyIntents.pendingCount()).toBe(0);
  expect(openOrphans(r), 'numbers bought with no order').toEqual([]);
  const cancelledWithoutCommand = orders
    .search({ status: 'CANCELLED', limit: 1_000_000 })
    .filter((o) => !orderSupport.commandsOfActivation(o.activationId).some((c) => c.kind === 'cancel' || c.kind === 'finish'))
    .map((o) => ({ id: o.id }));
  expect(cancelledWithoutCommand, 'cancelled orders the upstream was never told of').toEqual([]);
}
