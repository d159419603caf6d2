/**
 * Transactions on PostgreSQL (docs/decisions.md D127). Every write transaction first takes one
 * advisory lock for the schema, so write transactions of all instances run one at a time, as
 * SQLite's BEGIN IMMEDIATE runs those of one file: each reads what the one before committed, and
 * every read-then-write the engine does (a balance check, an order's transition, a job's claim)
 * holds across instances without further locking. Reads outside a transaction do not wait.
 *
 * At commit the transaction announces itself on the schema's channel (NOTIFY, delivered with the
 * commit, never for a rollback): other instances clear their caches and wake their waiters with
 * the ids it names.
 */
import type { Transactions } from '../transactions.js';
import type { PostgresDb } from './postgres-db.js';

/** What a commit tells other instances: ids of changed orders, users' balances, users' event logs. */
export interface Announcement {
  orders: string[];
  users: string[];
  events: string[];
}

const MAX_PAYLOAD = 7_000;

export class PostgresTransactions implements Transactions {
  private savepoints = 0;
  private pending: { orders: Set<string>; users: Set<string>; events: Set<string> } | undefined;

  constructor(private readonly db: PostgresDb) {}

  get active(): boolean {
    return this.db.inTransaction;
  }

  write<T>(fn: () => T): T {
    return this.run(fn, false);
  }

  writeUnsynced<T>(fn: () => T): T {
    return this.run(fn, true);
  }

  savepoint<T>(fn: () => T): T {
    if (!this.db.inTransaction) return this.write(fn);
    const name = `sp${++this.savepoints}`;
    const { client } = this.db;
    // The SAVEPOINT goes with the savepoint's first statement that is waited for.
    const mark = client.deferredCount;
    const sent = client.stats.roundTrips;
    client.defer(`SAVEPOINT ${name}`);
    try {
      const result = fn();
      assertNotPromise(result);
      // Its deferred writes are sent before it returns, so an error they meet is thrown here,
      // inside it, and rolls back only it. No RELEASE: it would cost a round trip and change
      // nothing. A savepoint that returned keeps its writes either way, until the enclosing
      // transaction or savepoint commits or rolls them back; the next SAVEPOINT of the same name
      // hides it (ROLLBACK TO names the newest), and COMMIT ends them all.
      client.flush();
      return result;
    } catch (err) {
      if (client.stats.roundTrips === sent) {
        // Nothing of it reached the database: forget its statements, SAVEPOINT included.
        client.dropDeferred(mark);
      } else {
        client.dropDeferred();
        try {
          client.query(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
        } catch {
          // The transaction failed before this savepoint began (a statement of the enclosing
          // one, sent with it): the enclosing savepoint or transaction rolls back; its error stands.
        }
      }
      throw err;
    } finally {
      this.savepoints -= 1;
    }
  }

  /** Names a change for other instances: sent with this transaction's commit, or at once outside one. */
  announce(kind: keyof Announcement, id: string): void {
    if (!this.db.inTransaction) {
      this.send({ orders: [], users: [], events: [], [kind]: [id] });
      return;
    }
    this.pending?.[kind].add(id);
  }

  private run<T>(fn: () => T, unsynced: boolean): T {
    if (this.db.inTransaction) return fn();
    const { client } = this.db;
    try {
      client.query(
        `BEGIN; ${unsynced ? 'SET LOCAL synchronous_commit TO OFF; ' : ''}SELECT pg_advisory_xact_lock(${client.writeLockKey})`,
        undefined,
        { fresh: true, retry: true },
      );
    } catch (err) {
      // BEGIN ran, the lock did not come (lock_timeout): end the aborted transaction, or every later statement fails.
      rollbackQuietly(client);
      throw err;
    }
    this.db.inTransaction = true;
    this.pending = { orders: new Set(), users: new Set(), events: new Set() };
    let result: T;
    try {
      result = fn();
      assertNotPromise(result);
    } catch (err) {
      this.end();
      rollbackQuietly(client);
      throw err;
    }
    const announced = this.pending;
    this.end();
    const notifies = payloads({ orders: [...announced.orders], users: [...announced.users], events: [...announced.events] })
      .map((p) => `SELECT pg_notify(${literal(client.channel)}, ${literal(p)}); `)
      .join('');
    try {
      client.query(`${notifies}COMMIT`);
    } catch (err) {
      rollbackQuietly(client);
      throw err;
    }
    return result;
  }

  private end(): void {
    this.db.inTransaction = false;
    this.pending = undefined;
    this.savepoints = 0;
  }

  private send(a: Announcement): void {
    const { client } = this.db;
    const sql = payloads(a)
      .map((p) => `SELECT pg_notify(${literal(client.channel)}, ${literal(p)})`)
      .join('; ');
    client.query(sql, undefined, { fresh: true });
  }
}

/** The announcement as JSON payloads under PostgreSQL's 8000-byte limit; always at least one (a bare commit still clears caches). */
export function payloads(a: Announcement): string[] {
  const out: string[] = [];
  let cur: Announcement = { orders: [], users: [], events: [] };
  let size = 40;
  for (const kind of ['orders', 'users', 'events'] as const) {
    for (const id of a[kind]) {
      if (size + id.length + 3 > MAX_PAYLOAD) {
        out.push(JSON.stringify(cur));
        cur = { orders: [], users: [], events: [] };
        size = 40;
      }
      cur[kind].push(id);
      size += id.length + 3;
    }
  }
  out.push(JSON.stringify(cur));
  return out;
}

/** Parses a payload another instance sent; undefined for anything else on the channel. */
export function parseAnnouncement(payload: string): Announcement | undefined {
  try {
    const v = JSON.parse(payload) as Partial<Announcement>;
    const ids = (x: unknown) => (Array.isArray(x) ? x.filter((i): i is string => typeof i === 'string') : []);
    return { orders: ids(v.orders), users: ids(v.users), events: ids(v.events) };
  } catch {
    return undefined;
  }
}

function rollbackQuietly(client: PostgresDb['client']): void {
  client.dropDeferred();
  try {
    client.query('ROLLBACK');
  } catch {
    // the connection is gone: PostgreSQL rolled the transaction back itself
  }
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

function assertNotPromise(value: unknown): void {
  if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function')
    throw new Error('A transaction ran an async function: the storage port is synchronous, so it would commit before the function ends.');
}
