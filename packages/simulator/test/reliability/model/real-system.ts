/**
 * The system under test for the model-based test: core's real engine on an in-memory SQLite, a
 * manual clock, and MemoryUpstream behind scripted faults. `compare` lists every way the engine
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

export function createRealSystem(balances: number[], seed: number): RealSystem {
  const clock = new ManualClock(START_MS);
  const memory = new MemoryUpstream({ clock, catalogue: CATALOGUE, lifetimeMs: LIFETIME_MS });
  const upstream = new ScriptedFaultsUpstream(memory, () => clock.now());
  // eagerOutbox as in production: owed commands race the next action, which the model must not notice.
  const engine = createEngine({ upstream, clock, rng: createSeededRng(seed), eagerOutbox: true });
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
  const { db } = r.engine;
  const attached = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM orders WHERE activation_id = ?');
  const released = db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE activation_id = ? AND kind = 'release'");
  const unresolved = db.prepare<[string, number], { n: number }>(
    "SELECT COUNT(*) AS n FROM buy_intents WHERE state = 'pending' AND service = ? AND country = ?",
  );
  return r.upstream.sold.filter(
    (s) =>
      r.memory.activation(s.activationId)?.state !== 'CLOSED' &&
      attached.get(s.activationId)!.n === 0 &&
      released.get(s.activationId)!.n === 0 &&
      unresolved.get(s.service, s.country)!.n === 0,
  );
}

/** Every difference between the engine's database and the model, as readable lines. */
export function compare(m: OrderModel, r: RealSystem): string[] {
  const diffs = r.engine.checkInvariants().map((v) => `invariant "${v.invariant}": ${v.detail}`);
  if (r.clock.now() !== m.now) diffs.push(`clock ${r.clock.now()} vs model ${m.now}`);
  const rows = r.engine.db
    .prepare<[], { id: string; user_id: string; status: string; charged_cents: number; sms_history: string }>(
      'SELECT id, user_id, status, charged_cents, sms_history FROM orders',
    )
    .all();
  if (rows.length !== m.orders.length) diffs.push(`${rows.length} orders in the database, ${m.orders.length} in the model`);
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const o of m.orders) {
    const row = byId.get(o.id);
    if (!row) {
      diffs.push(`order ${o.id} missing`);
      continue;
    }
    const sms = (JSON.parse(row.sms_history) as unknown[]).length;
    if (row.status !== o.status) diffs.push(`order ${o.id}: status ${row.status}, model ${o.status}`);
    if (sms !== o.smsCount) diffs.push(`order ${o.id}: ${sms} SMS, model ${o.smsCount}`);
    if (row.charged_cents !== o.chargedCents) diffs.push(`order ${o.id}: charged ${row.charged_cents}, model ${o.chargedCents}`);
    if (row.user_id !== r.users[o.user]) diffs.push(`order ${o.id}: belongs to ${row.user_id}`);
  }
  r.users.forEach((id, i) => {
    const balance = r.engine.accounts.requireUser(id).balanceCents;
    if (balance !== m.balances[i]) diffs.push(`user${i}: balance ${balance}, model ${m.balances[i]}`);
  });
  const intents = r.engine.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM buy_intents WHERE state = 'pending'").get()!.n;
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

  const { db } = r.engine;
  expect(db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM orders WHERE status IN ('WAITING', 'RECEIVED')").get()!.n).toBe(0);
  expect(r.engine.outbox.pending(), 'owed upstream commands left unsent').toEqual([]);
  expect(db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM buy_intents WHERE state = 'pending'").get()!.n).toBe(0);
  expect(openOrphans(r), 'numbers bought with no order').toEqual([]);
  const cancelledWithoutCommand = db
    .prepare<[], { id: string }>(
      "SELECT id FROM orders o WHERE status = 'CANCELLED' AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.order_id = o.id AND b.kind IN ('cancel', 'finish'))",
    )
    .all();
  expect(cancelledWithoutCommand, 'cancelled orders the upstream was never told of').toEqual([]);
}
