/**
 * The synchronous PostgreSQL connection and its transactions (docs/decisions.md D127), on the real
 * server: errors keep their SQLSTATE, a broken connection is replaced outside a transaction and
 * fails the transaction inside one, write transactions of two connections never overlap, and a
 * commit is announced to the other connections on the schema, never to itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../src/storage/postgres/open-postgres.js';
import { PostgresDb, translateParameters } from '../src/storage/postgres/postgres-db.js';
import { parseAnnouncement, payloads } from '../src/storage/postgres/postgres-transactions.js';
import { PostgresQueryError, SyncPostgresClient } from '../src/storage/postgres/sync-client.js';
import { createTestSchema, type TestSchema } from './postgres.js';
import { toErrorResult } from '../src/http/envelope.js';

const waitFor = async (check: () => boolean, ms = 5_000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('translateParameters', () => {
  it('numbers ? in order and names once each, leaving quotes and comments alone', () => {
    expect(translateParameters('SELECT \'?\' AS q, "a?" FROM t WHERE a = ? AND b = ? -- c?\n AND c = ?').text).toBe(
      'SELECT \'?\' AS q, "a?" FROM t WHERE a = $1 AND b = $2 -- c?\n AND c = $3',
    );
    const named = translateParameters("UPDATE t SET a = @a, b = @b WHERE a = @a AND e = 'x@y'");
    expect(named.text).toBe("UPDATE t SET a = $1, b = $2 WHERE a = $1 AND e = 'x@y'");
    expect(named.names).toEqual(['a', 'b']);
  });

  it('refuses a statement mixing ? and @name', () => {
    expect(() => translateParameters('SELECT ? WHERE a = @a')).toThrow(/mixes/);
  });
});

describe('announcements', () => {
  it('fits any number of ids into payloads under the limit, and reads them back', () => {
    const orders = Array.from({ length: 900 }, (_, i) => `ck${String(i).padStart(25, '0')}`);
    const out = payloads({ orders, users: ['u1'], events: [] });
    expect(out.length).toBeGreaterThan(1);
    for (const p of out) expect(Buffer.byteLength(p)).toBeLessThan(8_000);
    const back = out.map((p) => parseAnnouncement(p)!);
    expect(back.flatMap((a) => a.orders)).toEqual(orders);
    expect(back.flatMap((a) => a.users)).toEqual(['u1']);
    expect(payloads({ orders: [], users: [], events: [] })).toHaveLength(1);
    expect(parseAnnouncement('not json')).toBeUndefined();
  });
});

describe('a database outage as an HTTP answer', () => {
  it('is 503 STORAGE_UNAVAILABLE for a lost connection, a timeout or a deadlock, and stays INTERNAL for a broken rule', () => {
    const status = (code: string | undefined) => toErrorResult(new PostgresQueryError('x', code, undefined, undefined)).status;
    for (const code of [undefined, 'ECONNRESET', '08006', '57P01', '55P03', '57014', '40P01', '40001', '53300'])
      expect(status(code)).toBe(503);
    for (const code of ['23505', '23514', '42P01', 'P0001']) expect(status(code)).toBe(500);
    expect(toErrorResult(new PostgresQueryError('x', '57P01', undefined, undefined)).body).toMatchObject({
      ok: false,
      code: 'STORAGE_UNAVAILABLE',
    });
  });
});

describe('SyncPostgresClient on the real server', () => {
  let schema: TestSchema;
  const opened: SyncPostgresClient[] = [];
  const open = (options?: ConstructorParameters<typeof SyncPostgresClient>[1]) => {
    const c = openPostgres(schema.url, options);
    opened.push(c);
    return c;
  };

  beforeEach(async () => {
    schema = await createTestSchema();
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    await schema.drop();
  });

  it('keeps the SQLSTATE of an error, and goes on after it', () => {
    const c = open();
    c.query("INSERT INTO settings (key, value) VALUES ('k', 'v')");
    let err: unknown;
    try {
      c.query("INSERT INTO settings (key, value) VALUES ('k', 'w')");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PostgresQueryError);
    expect((err as PostgresQueryError).code).toBe('23505');
    expect(c.query<{ value: string }>('SELECT value FROM settings').rows).toEqual([{ value: 'v' }]);
  });

  it('says the server cannot be reached, naming the URL without its password', () => {
    expect(() => new SyncPostgresClient('postgres://someone:secret@127.0.0.1:1/none')).toThrow(
      /Cannot connect to postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1/,
    );
  });

  it('replaces a connection the server ended, outside a transaction', () => {
    const c = open();
    const admin = open();
    c.onEachSession('name', "SET application_name = 'jiema-again'");
    const pid = c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').rows[0]!.pid;
    admin.query('SELECT pg_terminate_backend($1)', [pid]);
    // A read that is safe to repeat goes through on a new connection.
    const again = c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', [], { fresh: true, retry: true }).rows[0]!.pid;
    expect(again).not.toBe(pid);
    // What each session must hold (the schema's lock, in the servers) is set up again on the new one.
    expect(c.query<{ application_name: string }>('SHOW application_name').rows[0]!.application_name).toBe('jiema-again');
    const db = new PostgresDb(c);
    db.tx.write(() => db.prepare("INSERT INTO settings (key, value) VALUES ('after', 'yes')").run());
    expect(admin.query('SELECT value FROM settings WHERE key = $1', ['after']).rows).toEqual([{ value: 'yes' }]);
  });

  it('fails a transaction whose connection ended under it, and keeps none of it', () => {
    const c = open();
    const admin = open();
    const db = new PostgresDb(c);
    expect(() =>
      db.tx.write(() => {
        db.prepare("INSERT INTO settings (key, value) VALUES ('half', 'x')").run();
        const pid = db.prepare('SELECT pg_backend_pid() AS pid').pluck().get() as number;
        admin.query('SELECT pg_terminate_backend($1)', [pid]);
        db.prepare("INSERT INTO settings (key, value) VALUES ('half2', 'x')").run();
      }),
    ).toThrow();
    expect(db.inTransaction).toBe(false);
    expect(admin.query("SELECT key FROM settings WHERE key LIKE 'half%'").rows).toEqual([]);
    // The next transaction runs on a new connection.
    db.tx.write(() => db.prepare("INSERT INTO settings (key, value) VALUES ('next', 'x')").run());
    expect(admin.query("SELECT key FROM settings WHERE key = 'next'").rows).toHaveLength(1);
  });

  it('runs the write transactions of two connections one at a time', () => {
    const a = new PostgresDb(open());
    const b = new PostgresDb(open({ lockTimeoutMs: 300 }));
    let refused: unknown;
    a.tx.write(() => {
      a.prepare("INSERT INTO settings (key, value) VALUES ('a', '1')").run();
      // b waits for a's lock; a cannot commit while this thread waits, so b gives up after its lock timeout.
      try {
        b.tx.write(() => b.prepare("INSERT INTO settings (key, value) VALUES ('b', '1')").run());
      } catch (e) {
        refused = e;
      }
    });
    expect((refused as PostgresQueryError).code).toBe('55P03');
    b.tx.write(() => b.prepare("INSERT INTO settings (key, value) VALUES ('b', '1')").run());
    expect(a.prepare('SELECT key FROM settings ORDER BY key').pluck().all()).toEqual(['a', 'b']);
  });

  it('refuses an async function as a transaction', () => {
    const db = new PostgresDb(open());
    expect(() => db.tx.write(async () => undefined)).toThrow(/async/);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls a savepoint back alone', () => {
    const db = new PostgresDb(open());
    db.tx.write(() => {
      db.prepare("INSERT INTO settings (key, value) VALUES ('kept', '1')").run();
      expect(() =>
        db.tx.savepoint(() => {
          db.prepare("INSERT INTO settings (key, value) VALUES ('undone', '1')").run();
          db.prepare("INSERT INTO settings (key, value) VALUES ('kept', 'dup')").run();
        }),
      ).toThrow();
    });
    expect(db.prepare('SELECT key FROM settings').pluck().all()).toEqual(['kept']);
  });

  it('announces a commit to the other connections with its ids, never to itself, and nothing for a rollback', async () => {
    const a = new PostgresDb(open());
    const bClient = open();
    const heard: string[] = [];
    bClient.onNotification((p) => heard.push(p));
    const before = bClient.foreignCommits();
    a.tx.write(() => {
      a.tx.announce('orders', 'ck1');
      a.tx.announce('users', 'cl1');
      a.prepare("INSERT INTO settings (key, value) VALUES ('x', '1')").run();
    });
    await waitFor(() => heard.length === 1);
    expect(parseAnnouncement(heard[0]!)).toEqual({ orders: ['ck1'], users: ['cl1'], events: [] });
    expect(bClient.foreignCommits()).toBe(before + 1);
    expect(a.client.foreignCommits()).toBe(0);
    expect(() =>
      a.tx.write(() => {
        a.tx.announce('orders', 'ck2');
        throw new Error('no');
      }),
    ).toThrow('no');
    a.tx.write(() => a.tx.announce('orders', 'ck3'));
    await waitFor(() => heard.length === 2);
    expect(parseAnnouncement(heard[1]!)!.orders).toEqual(['ck3']);
  });

  it('keeps hearing other commits after its listening connection is ended, and counts the gap as a change', async () => {
    const a = new PostgresDb(open());
    const b = open();
    const admin = open();
    const heard: string[] = [];
    b.onNotification((p) => heard.push(p));
    // The listening connections of this schema's channel only (other tests may be listening on theirs).
    admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [`LISTEN "${b.channel}"`]);
    await waitFor(() => heard.includes(''), 5_000);
    const counted = b.foreignCommits();
    expect(counted).toBeGreaterThan(0);
    await waitFor(() => {
      a.tx.write(() => a.tx.announce('orders', 'ck9'));
      return heard.some((p) => parseAnnouncement(p)?.orders.includes('ck9'));
    }, 8_000);
  });
});
