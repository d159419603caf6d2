/**
 * A synchronous PostgreSQL connection (docs/decisions.md D127). The storage port is synchronous
 * (D125): a transaction never spans an await, so no request's I/O runs while it holds a lock. On
 * PostgreSQL each statement is a network round trip, so the connection lives in a worker thread
 * running node-postgres, and the engine's thread waits for each answer (Atomics.wait) — the same
 * model as better-sqlite3, whose every call also blocks the thread until SQLite answers.
 *
 * The worker also listens (LISTEN) for the commits other instances announce on this schema's
 * channel: it counts them in shared memory, read without a round trip (the equivalent of SQLite's
 * data_version), and passes their payloads on to `onNotification` listeners.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { PostgresError, PostgresUnreachableError, redactPostgresUrl } from './postgres.js';

/** An error PostgreSQL answered, with its SQLSTATE code (23505 unique violation, 40P01 deadlock…). */
export class PostgresQueryError extends PostgresError {
  override name = 'PostgresQueryError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail: string | undefined,
    readonly constraint: string | undefined,
  ) {
    super(message);
  }
}

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** A deferred statement's row count, filled in once the statement has been sent. */
export interface DeferredCount {
  count: number | undefined;
  /** The error the round trip it went with met: its count is unknown. */
  error?: unknown;
  /** Set to true to be given the statement's first row (RETURNING …) as well. */
  wantRow?: boolean;
  /** The first row it answered (when `wantRow`), undefined when it answered none. */
  row?: unknown;
}

interface Deferred {
  text: string;
  values: readonly unknown[] | undefined;
  slot: DeferredCount | undefined;
}

type Answer =
  { ok: true; result: unknown } | { ok: false; error: { message: string; code?: string; detail?: string; constraint?: string } };

export interface SyncPostgresOptions {
  /** Longest wait for one answer before the connection is given up as broken. Default 60 s. */
  answerTimeoutMs?: number;
  /** PostgreSQL's statement_timeout for this connection. Default 30 s. */
  statementTimeoutMs?: number;
  /** How long opening a connection may take (the first, and each after a broken one). Default 5 s. */
  connectTimeoutMs?: number;
  /** PostgreSQL's lock_timeout: how long a statement waits for a lock another instance holds. Default 10 s. */
  lockTimeoutMs?: number;
}

// The worker, as CommonJS source: it needs no file of its own beside the compiled one, so the
// package works wherever it is installed. `pg` is resolved by the engine's thread and passed in.
const WORKER_SOURCE = String.raw`
const { workerData, parentPort } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { port, flag, url, channel, settings } = workerData;
const INT8 = 20, NUMERIC = 1700, BOOL = 16;
const safe = (v) => {
  const n = Number(v);
  if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) throw new Error('A number (' + v + ') is beyond JavaScript\'s safe integers.');
  return n;
};
const types = {
  getTypeParser(oid, format) {
    if (format !== 'binary') {
      if (oid === INT8 || oid === NUMERIC) return safe;
      if (oid === BOOL) return (v) => (v === 't' ? 1 : 0);
    }
    return pg.types.getTypeParser(oid, format);
  },
};
let client;
let listener;
let broken;
let closing = false;
const names = new Map();
const sessionSetup = new Map();
const answer = (a) => {
  port.postMessage(a);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
const failure = (err) => ({ ok: false, error: { message: (err && err.message) || String(err), code: err && err.code, detail: err && err.detail, constraint: err && err.constraint } });
// Commits this connection may have missed (no listener for a moment): every cache looks again.
const missed = () => { Atomics.add(flag, 1, 1); parentPort.postMessage({ payload: '' }); };
async function openClient() {
  if (client) client.end().catch(() => {});
  // Pipelined: statements sent together go out without waiting for each other's answers.
  const c = new pg.Client({ connectionString: url, types, connectionTimeoutMillis: settings.connectTimeoutMs, keepAlive: true, pipeline: true });
  c.on('error', (err) => { if (client === c) broken = err; });
  client = c;
  broken = undefined;
  names.clear();
  // A new session: what the old one held (session advisory locks) is gone.
  Atomics.add(flag, 2, 1);
  await c.connect();
  await c.query("SET statement_timeout = " + settings.statementTimeoutMs + "; SET lock_timeout = " + settings.lockTimeoutMs + "; SET idle_in_transaction_session_timeout = " + settings.answerTimeoutMs);
  // What a session holds for its whole life (the schema's lock) is taken again on the new one.
  for (const sql of sessionSetup.values()) await c.query(sql);
}
async function openListener(ch) {
  const l = new pg.Client({ connectionString: url, types, connectionTimeoutMillis: settings.connectTimeoutMs, keepAlive: true });
  l.on('error', () => {
    if (listener !== l || closing) return;
    listener = undefined;
    missed();
    setTimeout(() => relisten(ch), 1000).unref();
  });
  l.on('notification', (n) => {
    if (client && n.processId === client.processID) return;
    Atomics.add(flag, 1, 1);
    parentPort.postMessage({ payload: n.payload || '' });
  });
  await l.connect();
  await l.query('LISTEN "' + ch.replace(/"/g, '""') + '"');
  listener = l;
}
async function relisten(ch) {
  if (closing) return;
  try {
    await openListener(ch);
    missed();
  } catch {
    setTimeout(() => relisten(ch), 1000).unref();
  }
}
async function connect() {
  await openClient();
  const info = (await client.query('SELECT current_schema() AS s, hashtext($1 || current_schema()) AS k', ['jiema.write:'])).rows[0];
  if (!info || !info.s) throw new Error('The connection has no schema to write to: its search_path names none that exists.');
  const ch = (channel + info.s).slice(0, 63);
  await openListener(ch);
  return { pid: client.processID, schema: info.s, writeLockKey: info.k, channel: ch };
}
// A statement outside a transaction (msg.fresh) may run on a new connection when the old one broke
// (a restart or failover of the server); inside one it fails, and the transaction with it.
async function run(msg) {
  if (broken) {
    if (!msg.fresh) throw broken;
    await openClient();
  }
  const before = msg.before || [];
  // Statements whose answers nobody waited for (deferred writes, a SAVEPOINT) are sent with this
  // one, pipelined: one round trip for all, each still a prepared statement. After one fails,
  // PostgreSQL refuses the rest of the transaction's statements: the first error is the one thrown.
  const items = msg.text === null ? before : before.concat([{ text: msg.text, values: msg.values }]);
  const sent = items.map((it, i) => {
    let q;
    if (it.values === undefined || it.values === null) q = { text: it.text };
    else {
      let name = names.get(it.text);
      if (name === undefined && names.size < 2000) { name = 's' + names.size; names.set(it.text, name); }
      q = { text: it.text, values: it.values, name };
    }
    if (msg.array && msg.text !== null && i === items.length - 1) q.rowMode = 'array';
    return client.query(q);
  });
  const settled = await Promise.allSettled(sent);
  const failed = settled.find((x) => x.status === 'rejected');
  if (failed) {
    const err = failed.reason;
    // The connection, not the statement, failed: no SQLSTATE (or a socket's ECONNRESET, EPIPE…),
    // a connection exception (08…), or the server ending the session (57P01–57P03).
    const code = err && err.code;
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || /^(08|57P0)/.test(code)) broken = err;
    throw err;
  }
  const results = settled.map((x) => x.value);
  const r = results[results.length - 1];
  const last = Array.isArray(r) ? r[r.length - 1] : r;
  if (before.length === 0) return { rows: last.rows || [], rowCount: last.rowCount || 0 };
  const lasts = results.map((x) => (Array.isArray(x) ? x[x.length - 1] : x));
  const counts = lasts.map((x) => x.rowCount || 0);
  // The first row of each deferred statement that asked for it (an INSERT … RETURNING).
  const firsts = before.map((it, i) => (it.wantRow && lasts[i].rows ? lasts[i].rows[0] : undefined));
  return msg.text === null ? { rows: [], rowCount: 0, counts, firsts } : { rows: last.rows || [], rowCount: last.rowCount || 0, counts, firsts };
}
port.on('message', async (msg) => {
  try {
    let result;
    if (msg.op === 'connect') result = await connect();
    else if (msg.op === 'query') {
      try {
        result = await run(msg);
      } catch (err) {
        // The connection died under a statement that is safe to repeat: once more, on a new one.
        if (!msg.retry || !msg.fresh || !broken) throw err;
        result = await run(msg);
      }
    } else if (msg.op === 'session') {
      if (msg.sql === undefined) sessionSetup.delete(msg.name);
      else sessionSetup.set(msg.name, msg.sql);
      result = null;
    } else if (msg.op === 'close') {
      closing = true;
      await Promise.allSettled([client && client.end(), listener && listener.end()]);
      result = null;
    }
    answer({ ok: true, result });
  } catch (err) {
    answer(failure(err));
  }
});
`;

export class SyncPostgresClient {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0] answer ready, [1] commits other connections announced, [2] sessions opened. */
  private readonly flag = new Int32Array(new SharedArrayBuffer(12));
  private readonly answerTimeoutMs: number;
  private readonly listeners: Array<(payload: string) => void> = [];
  private brokenReason: string | undefined;
  private closed = false;
  /** Statements deferred until the next round trip (see `defer`). */
  private pending: Deferred[] = [];
  /** Round trips made and statements that went with another one's, for tests and benchmarks. */
  readonly stats = { roundTrips: 0, deferred: 0 };
  /** The server process of the connection as first opened. */
  readonly pid: number;
  readonly schema: string;
  /** The advisory lock every write transaction takes (see PostgresTransactions). */
  readonly writeLockKey: number;
  /** The channel this schema's commits are announced on. */
  readonly channel: string;
  readonly displayUrl: string;

  constructor(url: string, options: SyncPostgresOptions = {}) {
    this.answerTimeoutMs = options.answerTimeoutMs ?? 60_000;
    this.displayUrl = redactPostgresUrl(url);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const pgPath = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        port: port2,
        flag: this.flag,
        url,
        pgPath,
        channel: 'jiema.',
        settings: {
          statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
          connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
          lockTimeoutMs: options.lockTimeoutMs ?? 10_000,
          answerTimeoutMs: this.answerTimeoutMs,
        },
      },
      transferList: [port2],
    });
    this.worker.unref();
    this.worker.on('message', (m: { payload: string }) => {
      for (const l of this.listeners) l(m.payload);
    });
    this.worker.on('error', (err) => {
      this.brokenReason = `the PostgreSQL connection's worker failed: ${err.message}`;
    });
    let info: { pid: number; schema: string; writeLockKey: number; channel: string };
    try {
      info = this.call<typeof info>({ op: 'connect' });
    } catch (err) {
      void this.worker.terminate();
      throw new PostgresUnreachableError(`Cannot connect to ${this.displayUrl}: ${(err as Error).message}`);
    }
    this.pid = info.pid;
    this.schema = info.schema;
    this.writeLockKey = info.writeLockKey;
    this.channel = info.channel;
  }

  /**
   * Runs one statement ($1… parameters) or, without values, one or more statements separated by
   * semicolons. `fresh`: no transaction is open on this connection, so after a broken connection
   * (a server restart, a failover) the statement may run on a new one; `retry`: the statement is
   * safe to send twice (a read, a BEGIN), so it is sent once more when the connection breaks under it.
   */
  query<R = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
    options: { array?: boolean; fresh?: boolean; retry?: boolean } = {},
  ): QueryResult<R> {
    if (this.pending.length > 0) return this.send<R>(text, values, options.array === true);
    return this.call<QueryResult<R>>({
      op: 'query',
      text,
      values,
      array: options.array === true,
      fresh: options.fresh === true,
      retry: options.retry === true,
    });
  }

  /**
   * Sends one statement later, with the next one whose answer is waited for (docs/decisions.md
   * D127): inside a transaction, a write whose result nobody reads yet need not cost a round trip
   * of its own. An error it meets is thrown by the statement it went with (or by `flush`), and
   * the transaction fails as it would have. `slot` receives its row count once it is sent. Only
   * for one statement, inside a transaction: outside one it would commit unseen.
   */
  defer(text: string, values?: readonly unknown[], slot?: DeferredCount): void {
    this.pending.push({ text, values, slot });
    this.stats.deferred += 1;
  }

  /** How many statements wait to be sent. */
  get deferredCount(): number {
    return this.pending.length;
  }

  /** Forgets the deferred statements from `from` on (they belong to a savepoint rolled back before they were sent). */
  dropDeferred(from = 0): void {
    for (const d of this.pending.slice(from)) if (d.slot) d.slot.count = 0;
    this.pending.length = Math.min(this.pending.length, from);
  }

  /** Sends the deferred statements now (one round trip), throwing the error one of them met. */
  flush(): void {
    if (this.pending.length > 0) this.send(null, undefined, false);
  }

  private send<R>(text: string | null, values: readonly unknown[] | undefined, array: boolean): QueryResult<R> {
    const before = this.pending;
    this.pending = [];
    let r: QueryResult<R> & { counts: number[]; firsts: unknown[] };
    try {
      r = this.call<QueryResult<R> & { counts: number[]; firsts: unknown[] }>({
        op: 'query',
        text,
        values,
        array,
        before: before.map((d) => ({ text: d.text, values: d.values, wantRow: d.slot?.wantRow === true })),
        fresh: false,
        retry: false,
      });
    } catch (err) {
      for (const d of before) if (d.slot) d.slot.error = err;
      throw err;
    }
    before.forEach((d, i) => {
      if (!d.slot) return;
      d.slot.count = r.counts[i] ?? 0;
      if (d.slot.wantRow) d.slot.row = r.firsts[i] ?? undefined;
    });
    return { rows: r.rows, rowCount: r.rowCount };
  }

  /**
   * How many sessions this connection has opened: 1, and one more after each reconnect (a server
   * restart, a failover). Session state, such as advisory locks, does not survive a reconnect.
   */
  sessions(): number {
    return Atomics.load(this.flag, 2);
  }

  /**
   * Statements every new session of this connection runs first, such as taking a session lock
   * again after a reconnect (`sql` undefined forgets `name`'s). They do not run now.
   */
  onEachSession(name: string, sql: string | undefined): void {
    this.call({ op: 'session', name, sql });
  }

  /** How many commits other connections have announced on this schema's channel since this one opened. */
  foreignCommits(): number {
    return Atomics.load(this.flag, 1);
  }

  /** Called (asynchronously) with the payload of each commit another connection announces. */
  onNotification(listener: (payload: string) => void): void {
    this.listeners.push(listener);
  }

  get open(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.brokenReason === undefined) {
      try {
        this.call({ op: 'close' }, 5_000);
      } catch {
        // already gone: terminating the worker closes its sockets
      }
    }
    void this.worker.terminate();
  }

  private call<T>(message: Record<string, unknown>, timeoutMs = this.answerTimeoutMs): T {
    if (this.closed && message.op !== 'close') throw new PostgresError(`The connection to ${this.displayUrl} is closed.`);
    if (this.brokenReason !== undefined) throw new PostgresError(`The connection to ${this.displayUrl} is broken: ${this.brokenReason}`);
    Atomics.store(this.flag, 0, 0);
    this.stats.roundTrips += 1;
    this.port.postMessage(message);
    // A wake-up is not an answer: the worker's store and notify for the previous answer can land
    // after this call reset the flag (the worker was descheduled between posting that answer and
    // signalling it), so the wait ends only when the answer is on the port, which the worker posts
    // before it sets the flag. A stale flag is cleared, then the port looked at again.
    const deadline = Date.now() + timeoutMs;
    let received: ReturnType<typeof receiveMessageOnPort>;
    for (;;) {
      received = receiveMessageOnPort(this.port);
      const left = deadline - Date.now();
      if (received !== undefined || left <= 0) break;
      if (Atomics.wait(this.flag, 0, 0, left) === 'not-equal') Atomics.store(this.flag, 0, 0);
    }
    if (received === undefined) {
      this.brokenReason = `PostgreSQL did not answer within ${timeoutMs} ms`;
      void this.worker.terminate();
      throw new PostgresError(`The connection to ${this.displayUrl} is broken: ${this.brokenReason}`);
    }
    const a = received.message as Answer;
    if (a.ok) return a.result as T;
    const e = a.error;
    throw new PostgresQueryError(e.message, e.code, e.detail, e.constraint);
  }
}
