/**
 * The stores' statements on PostgreSQL (docs/decisions.md D127). Each store prepares its SQL once
 * through `prepare`, as on SQLite, and runs it with `get`, `all`, `run` and `pluck`; here that runs
 * on a SyncPostgresClient. The stores' SQL is the portable subset both dialects share; a statement
 * that differs is written per dialect in its store (`dialectOf(db)`). What this layer translates is
 * only notation: `?` and `@name` parameters become `$1…`, and SQLite's `PRAGMA data_version` (has
 * another process committed?) becomes the count of commits other instances announced.
 */
import type { Db } from '../database.js';
import type { DeferredCount, SyncPostgresClient } from './sync-client.js';
import { PostgresTransactions } from './postgres-transactions.js';

export type Dialect = 'sqlite' | 'postgres';

/** Which dialect a store's database speaks. */
export function dialectOf(db: Db): Dialect {
  return (db as unknown as { dialect?: Dialect }).dialect === 'postgres' ? 'postgres' : 'sqlite';
}

interface Translated {
  text: string;
  /** For named parameters: the name of each $n, in order. Undefined for positional ones. */
  names: string[] | undefined;
  positional: number;
}

/** `?` → `$n`, `@name` → `$n` (one number per name), outside quotes and comments. */
export function translateParameters(sql: string): Translated {
  let out = '';
  let positional = 0;
  const names: string[] = [];
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      positional += 1;
      out += `$${positional}`;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))!;
      let n = names.indexOf(m[0]);
      if (n === -1) n = names.push(m[0]) - 1;
      out += `$${n + 1}`;
      i += m[0].length;
    } else out += c;
  }
  if (positional > 0 && names.length > 0) throw new Error(`A statement mixes ? and @name parameters: ${sql}`);
  return { text: out, names: names.length > 0 ? names : undefined, positional };
}

const toParam = (v: unknown): unknown => {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
};

/** Waits for a deferred statement's round trip if it has not been made, and throws the error it met. */
function sent(client: SyncPostgresClient, slot: DeferredCount): void {
  if (slot.count === undefined && slot.error === undefined) client.flush();
  if (slot.error !== undefined) throw slot.error as Error;
}

class PostgresStatement {
  private plucked = false;
  /** A plain SELECT: safe to send again when the connection broke under it. */
  private readonly reads: boolean;
  constructor(
    private readonly db: PostgresDb,
    private readonly sql: Translated,
    readonly source: string,
  ) {
    this.reads = /^\s*SELECT\b/i.test(source) && !/\b(FOR\s+UPDATE|pg_advisory|nextval|pg_notify)\b/i.test(source);
  }

  pluck(on = true): this {
    this.plucked = on;
    return this;
  }

  get(...args: unknown[]): unknown {
    return this.all(...args)[0];
  }

  all(...args: unknown[]): unknown[] {
    const fresh = !this.db.inTransaction;
    const r = this.db.client.query(this.sql.text, this.bind(args), { array: this.plucked, fresh, retry: fresh && this.reads });
    return this.plucked ? (r.rows as unknown as unknown[][]).map((row) => row[0]) : r.rows;
  }

  iterate(...args: unknown[]): IterableIterator<unknown> {
    return this.all(...args)[Symbol.iterator]();
  }

  run(...args: unknown[]): { changes: number; lastInsertRowid: number } {
    const { client } = this.db;
    if (this.db.inTransaction) {
      // Sent with the next statement that is waited for; `changes` waits for it only if read.
      const slot: DeferredCount = { count: undefined };
      client.defer(this.sql.text, this.bind(args), slot);
      return {
        get changes(): number {
          sent(client, slot);
          return slot.count ?? 0;
        },
        lastInsertRowid: 0,
      };
    }
    const r = client.query(this.sql.text, this.bind(args), { fresh: !this.db.inTransaction });
    return { changes: r.rowCount, lastInsertRowid: 0 };
  }

  /**
   * `get` whose answer is read later (see `getLater`): inside a transaction the statement goes with
   * the next round trip and the function waits for one only if called before it.
   */
  later(...args: unknown[]): () => unknown {
    const { client } = this.db;
    if (!this.db.inTransaction) {
      const row = this.get(...args);
      return () => row;
    }
    const slot: DeferredCount = { count: undefined, wantRow: true };
    client.defer(this.sql.text, this.bind(args), slot);
    const plucked = this.plucked;
    return () => {
      sent(client, slot);
      const row = slot.row as Record<string, unknown> | undefined;
      return plucked && row !== undefined ? Object.values(row)[0] : row;
    };
  }

  private bind(args: unknown[]): unknown[] {
    const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    if (this.sql.names) {
      const named = (flat[0] ?? {}) as Record<string, unknown>;
      return this.sql.names.map((n) => {
        if (!(n in named)) throw new RangeError(`Missing named parameter "${n}"`);
        return toParam(named[n]);
      });
    }
    if (flat.length !== this.sql.positional)
      throw new RangeError(`Too ${flat.length < this.sql.positional ? 'few' : 'many'} parameter values were provided`);
    return flat.map(toParam);
  }
}

/**
 * A statement's first row (`get`), to be read when needed: on SQLite it runs now; on PostgreSQL,
 * inside a transaction, it goes with the next statement that is waited for (docs/decisions.md
 * D127), so a write that returns what it wrote (INSERT … RETURNING) costs no round trip of its
 * own. The function throws the error the statement met.
 */
export function getLater<T>(stmt: { get(...args: never[]): T | undefined }, ...args: unknown[]): () => T | undefined {
  if (stmt instanceof PostgresStatement) return stmt.later(...args) as () => T | undefined;
  const row = (stmt.get as (...a: unknown[]) => T | undefined)(...args);
  return () => row;
}

/** SQLite's `PRAGMA data_version` on PostgreSQL: the count of commits other connections announced. */
class ForeignCommitsStatement extends PostgresStatement {
  constructor(private readonly pg: PostgresDb) {
    super(pg, { text: '', names: undefined, positional: 0 }, 'PRAGMA data_version');
  }
  override get(): number {
    return this.pg.client.foreignCommits();
  }
  override all(): unknown[] {
    return [this.get()];
  }
  override run(): never {
    throw new Error('PRAGMA data_version only reads.');
  }
}

/** A PostgreSQL connection shaped as the part of better-sqlite3's Database the stores use. */
export class PostgresDb {
  readonly dialect = 'postgres';
  readonly memory = false;
  /**
   * Set by PostgresTransactions while a transaction is open. Inside one, a write's round trip is
   * deferred to the next statement that is waited for (a read, a write whose row count is read, the
   * end of a savepoint, the commit); its error is thrown there, in the same savepoint or
   * transaction (docs/decisions.md D127).
   */
  inTransaction = false;

  /** This connection's transactions: the stores' and the services'. */
  readonly tx: PostgresTransactions;

  constructor(readonly client: SyncPostgresClient) {
    this.tx = new PostgresTransactions(this);
  }

  /** better-sqlite3's `db.transaction(fn)`: a write transaction, or a savepoint inside one. */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): ((...args: A) => T) & { immediate: (...args: A) => T } {
    const run = (...args: A) => (this.inTransaction ? this.tx.savepoint(() => fn(...args)) : this.tx.write(() => fn(...args)));
    return Object.assign(run, { immediate: run, deferred: run, exclusive: run });
  }

  get name(): string {
    return this.client.displayUrl;
  }

  get open(): boolean {
    return this.client.open;
  }

  prepare(source: string): PostgresStatement {
    if (/^\s*PRAGMA\s+data_version\s*$/i.test(source)) return new ForeignCommitsStatement(this);
    if (/^\s*PRAGMA\b/i.test(source)) throw new Error(`SQLite's ${source.trim()} has no PostgreSQL equivalent here.`);
    return new PostgresStatement(this, translateParameters(source), source);
  }

  /** Runs SQL with no parameters (one or more statements). */
  exec(sql: string): this {
    this.client.query(sql, undefined, { fresh: !this.inTransaction });
    return this;
  }

  close(): void {
    this.client.close();
  }

  /** This connection as the stores' database type: the statements they use behave alike. */
  asDb(): Db {
    return this as unknown as Db;
  }
}

/** A subquery of the values of a JSON array of strings bound to its one parameter, in the database's dialect. */
export function jsonValues(db: Db): string {
  return dialectOf(db) === 'postgres' ? 'SELECT json_array_elements_text(CAST(? AS json))' : 'SELECT value FROM json_each(?)';
}
