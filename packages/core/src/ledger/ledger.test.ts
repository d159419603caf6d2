import { describe, expect, it } from 'vitest';
import { makeEngine } from '../../test/helpers.js';
import { openDatabase } from '../storage/database.js';

/** An engine on a database this test also holds raw, to try what the schema's guards refuse. */
const withRawDb = () => {
  const db = openDatabase({ path: ':memory:' });
  return { db, ...makeEngine({ db }) };
};

describe('ledger', () => {
  it('is append-only: rows cannot be updated or deleted', () => {
    const { engine, db } = withRawDb();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    expect(() => db.prepare('UPDATE ledger SET amount_cents = 1').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM ledger').run()).toThrow(/append-only/);
    expect(engine.ledger.list(u.id, 10)).toHaveLength(1);
  });

  it('refuses to post outside a transaction and to go below zero', () => {
    const { engine, clock } = makeEngine();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    expect(() => engine.ledger.post({ userId: u.id, kind: 'adjustment', amountCents: -1, at: clock.now() })).toThrow(/transaction/);
    expect(() =>
      engine.stores.tx.write(() => engine.ledger.post({ userId: u.id, kind: 'adjustment', amountCents: -101, at: clock.now() })),
    ).toThrow(/balance is too low/);
    expect(engine.accounts.requireUser(u.id).balanceCents).toBe(100);
  });

  it('has its invariants checked against the database, which catch a tampered balance', () => {
    const { engine, db } = withRawDb();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    expect(engine.checkInvariants()).toEqual([]);
    db.prepare('UPDATE users SET balance_cents = 150 WHERE id = ?').run(u.id);
    expect(engine.checkInvariants().map((v) => v.invariant)).toEqual(['balance = sum of ledger']);
  });

  it('keeps terminal orders frozen at the database level', async () => {
    const { engine, db } = withRawDb();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    const o = await engine.orders.create(u.id, { service: 'tg', country: 7 });
    engine.orders.cancel(u.id, o.id);
    expect(() => db.prepare("UPDATE orders SET status = 'WAITING' WHERE id = ?").run(o.id)).toThrow(/terminal/);
    expect(() =>
      db
        .prepare(
          'INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run('led_x', u.id, 'refund', 32, 132, o.id, 0),
    ).toThrow(/UNIQUE/);
  });
});

describe('the ledger store', () => {
  it('refuses, writing nothing, a move that would take the balance below zero or name no user', () => {
    const { engine, clock } = makeEngine();
    const u = engine.accounts.createUser({ balanceCents: 100 });
    const entry = { userId: u.id, kind: 'adjustment' as const, orderId: null, reason: 'test', createdAt: clock.now() };
    engine.stores.tx.write(() => {
      expect(engine.stores.ledger.append({ ...entry, id: 'led_a', amountCents: -101 })).toBeUndefined();
      expect(engine.stores.ledger.append({ ...entry, id: 'led_b', userId: 'usr_none', amountCents: 5 })).toBeUndefined();
      expect(engine.stores.ledger.append({ ...entry, id: 'led_c', amountCents: -100 })).toMatchObject({ balanceAfterCents: 0 });
    });
    expect(engine.stores.ledger.balanceOf(u.id)).toBe(0);
    const ids = engine.ledger.list(u.id, 10).map((e) => e.id);
    expect(ids).toHaveLength(2); // the opening balance and led_c
    expect(ids).toContain('led_c');
    expect(engine.checkInvariants()).toEqual([]);
  });
});
