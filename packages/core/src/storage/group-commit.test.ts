import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { GroupCommitter } from './group-commit.js';
import { sqliteTransactions } from './transactions.js';

describe('GroupCommitter', () => {
  it('commits writes of one turn in one transaction, and a failing one rolls back alone', async () => {
    const db = openDatabase({ path: ':memory:' });
    db.exec('CREATE TABLE t (v INTEGER NOT NULL CHECK (v >= 0))');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const gc = new GroupCommitter(sqliteTransactions(db));
    const results = await Promise.allSettled([gc.run(() => insert.run(1)), gc.run(() => insert.run(-1)), gc.run(() => insert.run(3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 3]);
    expect(gc.stats).toEqual({ batches: 1, writes: 3 });
    await gc.run(() => insert.run(5));
    expect(gc.stats.batches).toBe(2);
  });

  it('a write alone in its turn commits in its own transaction, without a savepoint; if it throws, nothing of it stays', async () => {
    const db = openDatabase({ path: ':memory:' });
    db.exec('CREATE TABLE t (v INTEGER NOT NULL CHECK (v >= 0))');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const gc = new GroupCommitter(sqliteTransactions(db));
    await expect(
      gc.run(() => {
        insert.run(1);
        insert.run(-1);
      }),
    ).rejects.toThrow(/CHECK/);
    expect(await gc.run(() => insert.run(2).changes)).toBe(1);
    expect(db.prepare('SELECT v FROM t').pluck().all()).toEqual([2]);
    expect(db.inTransaction).toBe(false);
    expect(gc.stats).toEqual({ batches: 1, writes: 1 });
  });

  it('rejects every write of a batch whose commit fails', async () => {
    const db = openDatabase({ path: ':memory:' });
    db.exec(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)',
    );
    const gc = new GroupCommitter(sqliteTransactions(db));
    const ok = gc.run(() => db.prepare('INSERT INTO parent VALUES (1)').run());
    // A deferred foreign key is only checked at COMMIT: the whole batch fails there.
    const bad = gc.run(() => db.prepare('INSERT INTO child VALUES (42)').run());
    await expect(ok).rejects.toThrow(/FOREIGN KEY/);
    await expect(bad).rejects.toThrow(/FOREIGN KEY/);
    expect(db.prepare('SELECT COUNT(*) FROM parent').pluck().get()).toBe(0);
  });

  it('without isolation, commits a batch in one transaction with no savepoints, and a write that throws fails the whole batch', async () => {
    const db = openDatabase({ path: ':memory:' });
    db.exec('CREATE TABLE t (v INTEGER NOT NULL CHECK (v >= 0))');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const gc = new GroupCommitter(sqliteTransactions(db), false, false);
    const ok = await Promise.all([gc.run(() => insert.run(1).changes), gc.run(() => insert.run(2).changes)]);
    expect(ok).toEqual([1, 1]);
    expect(gc.stats).toEqual({ batches: 1, writes: 2 });
    const results = await Promise.allSettled([gc.run(() => insert.run(3)), gc.run(() => insert.run(-1)), gc.run(() => insert.run(4))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 2]);
    expect(db.inTransaction).toBe(false);
  });
});
