/**
 * Deferred writes on PostgreSQL (docs/decisions.md D127): inside a transaction a write whose result
 * nobody reads goes with the next statement that is waited for, pipelined on the connection.
 * These tests hold it to what the stores rely on: the same rows, the same errors in the same
 * savepoint, rollbacks that undo exactly what they did before, and fewer round trips.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../src/storage/postgres/open-postgres.js';
import { getLater, PostgresDb } from '../src/storage/postgres/postgres-db.js';
import { PostgresQueryError } from '../src/storage/postgres/sync-client.js';
import { createTestSchema, type TestSchema } from './postgres.js';

describe('deferred writes on PostgreSQL', () => {
  let schema: TestSchema;
  let db: PostgresDb;
  beforeEach(async () => {
    schema = await createTestSchema();
    db = new PostgresDb(openPostgres(schema.url));
    db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT NOT NULL CHECK (n >= 0), note TEXT)');
  });
  afterEach(async () => {
    db.close();
    await schema.drop();
  });

  const rows = () => db.prepare('SELECT id, n, note FROM t ORDER BY id').all() as Array<{ id: string; n: number; note: string | null }>;
  const insert = () => db.prepare('INSERT INTO t (id, n, note) VALUES (?, ?, ?)');

  it('writes what the same statements write one at a time, odd text included, in one round trip with the next read', () => {
    const odd = ["quote ' and '' two", 'back\\slash \\n', 'unicode ключ 🚀', '$1 and ? and @a', '-- not a comment', ''];
    const before = db.client.stats.roundTrips;
    const count = db.tx.write(() => {
      odd.forEach((note, i) => insert().run(`k${i}`, i * 2 ** 40, note));
      insert().run('null', 0, null);
      return db.prepare('SELECT COUNT(*) AS c FROM t').get() as { c: number };
    });
    expect(count.c).toBe(odd.length + 1);
    // BEGIN, the read (carrying the 7 inserts), COMMIT.
    expect(db.client.stats.roundTrips - before).toBe(3);
    expect(rows()).toEqual(
      [...odd.map((note, i) => ({ id: `k${i}`, n: i * 2 ** 40, note })), { id: 'null', n: 0, note: null }].sort((a, b) =>
        a.id < b.id ? -1 : 1,
      ),
    );
  });

  it("answers a deferred write's row count when it is read, from the round trip that carried it", () => {
    db.exec("INSERT INTO t VALUES ('a', 1, NULL), ('b', 1, NULL)");
    const update = db.prepare('UPDATE t SET n = n + 1 WHERE n >= ?');
    const result = db.tx.write(() => {
      const all = update.run(1);
      const none = update.run(100);
      const before = db.client.stats.roundTrips;
      expect([all.changes, none.changes]).toEqual([2, 0]);
      expect(db.client.stats.roundTrips - before).toBe(1);
      return all.changes;
    });
    expect(result).toBe(2);
    expect(rows().map((r) => r.n)).toEqual([2, 2]);
  });

  it("throws a deferred write's error inside its savepoint, which rolls back alone", () => {
    const outcome = db.tx.write(() => {
      insert().run('kept', 1, null);
      let caught: unknown;
      try {
        db.tx.savepoint(() => {
          insert().run('gone', 1, null);
          insert().run('bad', -1, null); // the CHECK fails, when it is sent
        });
      } catch (err) {
        caught = err;
      }
      insert().run('after', 2, null);
      return caught;
    });
    expect(outcome).toBeInstanceOf(PostgresQueryError);
    expect((outcome as PostgresQueryError).code).toBe('23514');
    expect(rows().map((r) => r.id)).toEqual(['after', 'kept']);
  });

  it('forgets a savepoint that threw before anything of it was sent, without a round trip, and keeps the writes before it', () => {
    db.tx.write(() => {
      insert().run('outer', 1, null);
      const before = db.client.stats.roundTrips;
      expect(() =>
        db.tx.savepoint(() => {
          insert().run('inner', 1, null);
          throw new Error('changed my mind');
        }),
      ).toThrow('changed my mind');
      expect(db.client.stats.roundTrips).toBe(before);
    });
    expect(rows().map((r) => r.id)).toEqual(['outer']);
  });

  it('rolls a savepoint back after some of it was sent, and nothing of a transaction that throws stays', () => {
    db.tx.write(() => {
      db.tx.savepoint(() => {
        insert().run('sent', 1, null);
        expect(db.prepare('SELECT COUNT(*) AS c FROM t').get()).toEqual({ c: 1 });
        insert().run('pending', 1, null);
        expect(() => db.tx.savepoint(() => db.exec('SELECT 1/0'))).toThrow(/division by zero/);
        return undefined;
      });
      insert().run('last', 1, null);
    });
    expect(rows().map((r) => r.id)).toEqual(['last', 'pending', 'sent']);
    expect(() =>
      db.tx.write(() => {
        insert().run('never', 1, null);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(() => db.tx.write(() => insert().run('never', -5, null))).toThrow(/check constraint/);
    expect(rows().map((r) => r.id)).toEqual(['last', 'pending', 'sent']);
    // The connection is clean after both: no transaction left open, nothing left to send.
    expect(db.inTransaction).toBe(false);
    expect(db.client.deferredCount).toBe(0);
    expect(insert().run('free', 1, null).changes).toBe(1);
  });

  it("gives a deferred statement's returned row when read, with no round trip of its own, and its error there", () => {
    const returning = db.prepare('INSERT INTO t (id, n, note) VALUES (?, ?, ?) RETURNING n, note');
    const plucked = db.prepare('INSERT INTO t (id, n, note) VALUES (?, ?, ?) RETURNING n').pluck();
    const skipped = db.prepare('INSERT INTO t (id, n, note) SELECT ?, ?, ? WHERE false RETURNING n');
    db.tx.write(() => {
      const before = db.client.stats.roundTrips;
      const row = getLater(returning, 'a', 2 ** 40, 'x');
      const n = getLater(plucked, 'b', 7, null);
      const none = getLater(skipped, 'c', 1, null);
      expect(db.client.stats.roundTrips).toBe(before);
      expect(db.prepare('SELECT COUNT(*) AS c FROM t').get()).toEqual({ c: 2 }); // carries all three
      expect(db.client.stats.roundTrips - before).toBe(1);
      expect([row(), n(), none()]).toEqual([{ n: 2 ** 40, note: 'x' }, 7, undefined]);
      expect(db.client.stats.roundTrips - before).toBe(1);
      // Read before anything else is sent: the read sends it.
      const again = getLater(plucked, 'd', 8, null);
      expect(again()).toBe(8);
      expect(db.client.stats.roundTrips - before).toBe(2);
      let refused: () => unknown = () => undefined;
      expect(() =>
        db.tx.savepoint(() => {
          refused = getLater(plucked, 'e', -1, null);
          return refused();
        }),
      ).toThrow(/check constraint/);
      expect(() => refused()).toThrow(/check constraint/); // asked again: the same error
    });
    expect(rows().map((r) => r.id)).toEqual(['a', 'b', 'd']);
    // Outside a transaction it runs at once, as `get` does.
    expect(getLater(plucked, 'f', 9, null)()).toBe(9);
  });

  it('sends every write at once outside a transaction', () => {
    const before = db.client.stats.roundTrips;
    expect(insert().run('now', 1, null).changes).toBe(1);
    expect(db.client.stats.roundTrips - before).toBe(1);
    expect(db.client.deferredCount).toBe(0);
  });
});
