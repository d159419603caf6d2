import { describe, expect, it } from 'vitest';
import { makeEngine } from '../../test/helpers.js';
import { writeTx } from '../storage/database.js';

describe('ledger', () => {
  it('is append-only: rows cannot be updated or deleted', () => {
    const { engine } = makeEngine();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    expect(() => engine.db.prepare('UPDATE ledger SET amount_cents = 1').run()).toThrow(/append-only/);
    expect(() => engine.db.prepare('DELETE FROM ledger').run()).toThrow(/append-only/);
    expect(engine.ledger.list(u.id, 10)).toHaveLength(1);
  });

  it('refuses to post outside a transaction and to go below zero', () => {
    const { engine, clock } = makeEngine();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    expect(() => engine.ledger.post({ userId: u.id, kind: 'adjustment', amountCents: -1, at: clock.now() })).toThrow(/transaction/);
    expect(() =>
      writeTx(engine.db, () => engine.ledger.post({ userId: u.id, kind: 'adjustment', amountCents: -101, at: clock.now() })),
    ).toThrow(/balance is too low/);
    expect(engine.accounts.requireUser(u.id).balanceCents).toBe(100);
  });

  it('has its invariants checked against the database, which catch a tampered balance', () => {
    const { engine } = makeEngine();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    expect(engine.checkInvariants()).toEqual([]);
    engine.db.prepare('UPDATE users SET balance_cents = 150 WHERE id = ?').run(u.id);
    expect(engine.checkInvariants().map((v) => v.invariant)).toEqual(['balance = sum of ledger']);
  });

  it('keeps terminal orders frozen at the database level', async () => {
    const { engine } = makeEngine();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    const o = await engine.orders.create(u.id, { service: 'tg', country: 7 });
    engine.orders.cancel(u.id, o.id);
    expect(() => engine.db.prepare("UPDATE orders SET status = 'WAITING' WHERE id = ?").run(o.id)).toThrow(/terminal/);
    expect(() =>
      engine.db
        .prepare(
          'INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run('led_x', u.id, 'refund', 32, 132, o.id, 0),
    ).toThrow(/UNIQUE/);
  });
});
