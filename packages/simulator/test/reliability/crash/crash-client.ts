/**
 * The client side of the crash-recovery test: talks to a `jiema serve` child over HTTP, drives
 * mixed traffic from several loops, and remembers what the server acknowledged — each order it
 * answered 200 to, with its charge, and each cancel it confirmed — so the test can demand them
 * back after a SIGKILL. It also reads the server's database between and after runs: the SQLite
 * file read-only, or the PostgreSQL schema over a connection of the test's own.
 */
import { createRequire } from 'node:module';
import type { Db, Rng } from '@jiema/core';
import type { TestSchema } from '../../../../core/test/postgres.js';

export interface Account {
  id: string;
  apiKey: string;
}

export interface Acked {
  orders: Map<string, { user: string; chargedCents: string }>;
  cancelled: Set<string>;
}

export interface Res {
  status: number;
  body: any;
}

/** better-sqlite3 from core's dependencies, opened read-only: the test never writes the server's file. */
export function openReadOnly(path: string): Db {
  const Database = createRequire(new URL('../../../../core/package.json', import.meta.url))('better-sqlite3') as new (
    p: string,
    o: { readonly: boolean; fileMustExist: boolean },
  ) => Db;
  return new Database(path, { readonly: true, fileMustExist: true });
}

/**
 * The server's database as the test reads it, the same on both: rows of a query. PostgreSQL gives
 * BIGINT and COUNT(*) as strings, so callers read numbers with Number() and compare text with String().
 */
export interface DbReader {
  all<T>(sql: string): Promise<T[]>;
  close(): void;
}

/** A one-row query's `n` (a count, a maximum), as a number on both databases; 0 for NULL. */
export async function scalar(reader: DbReader, sql: string): Promise<number> {
  const [row] = await reader.all<{ n: number | string }>(sql);
  return Number(row!.n);
}

/** The SQLite file, opened read-only for as long as the reader is kept. */
export function sqliteReader(path: string): DbReader {
  const db = openReadOnly(path);
  return {
    all: async <T>(sql: string) => db.prepare<[], T>(sql).all(),
    close: () => db.close(),
  };
}

/** The PostgreSQL schema, over the test's own connection (search_path set to it); closing it is the schema's drop. */
export function postgresReader(client: TestSchema['client']): DbReader {
  return {
    all: async <T>(sql: string) => (await client.query(sql)).rows as T[],
    close: () => undefined,
  };
}

export class CrashClient {
  constructor(
    readonly url: string,
    readonly adminToken: string,
  ) {}

  async call(method: string, path: string, auth: { key?: string; admin?: boolean }, body?: unknown): Promise<Res> {
    const headers: Record<string, string> = {};
    if (auth.key) headers.authorization = `Bearer ${auth.key}`;
    if (auth.admin) headers['x-admin-token'] = this.adminToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + path, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { unparsable: text.slice(0, 200) };
    }
    return { status: res.status, body: parsed };
  }

  control(method: string, path: string, body?: unknown): Promise<Res> {
    return this.call(method, path, { admin: true }, body);
  }

  /** Advances virtual time in steps, so every retry, hold and expiry on the way gets its tick. */
  async advance(totalMs: number, stepMs = 30_000): Promise<void> {
    for (let done = 0; done < totalMs; done += stepMs) {
      const r = await this.control('POST', '/_sim/v1/clock/advance', { ms: Math.min(stepMs, totalMs - done) });
      if (r.status !== 200) throw new Error(`advance: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
}

const SERVICES = [
  { service: 'tg', country: 'my' },
  { service: 'tg', country: 6 },
  { service: 'wa', country: 7 },
  { service: 'go', country: 'id' },
];

/**
 * One client's loop until `stop()` says so or the server goes away: buy, poll, get an SMS,
 * next-sms, cancel — and remember every acknowledgement.
 */
export async function trafficLoop(
  client: CrashClient,
  user: Account,
  rng: Rng,
  acked: Acked,
  stop: () => boolean,
  counts: Record<string, number>,
): Promise<void> {
  const mine: string[] = [];
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  try {
    while (!stop()) {
      const roll = rng.next();
      const id = mine.length ? mine[Math.floor(rng.next() * mine.length)]! : undefined;
      if (roll < 0.35 || !id) {
        const r = await client.call('POST', '/api/v1/orders', { key: user.apiKey }, SERVICES[Math.floor(rng.next() * SERVICES.length)]);
        bump(`buy ${r.status}`);
        if (r.status === 200) {
          acked.orders.set(r.body.data.id, { user: user.id, chargedCents: r.body.data.chargedCents });
          mine.push(r.body.data.id);
        }
      } else if (roll < 0.55) {
        bump(`poll ${(await client.call('GET', `/api/v1/orders/${id}`, { key: user.apiKey })).status}`);
      } else if (roll < 0.7) {
        bump(`sms ${(await client.control('POST', `/_sim/v1/orders/${id}/sms`)).status}`);
      } else if (roll < 0.8) {
        bump(`next-sms ${(await client.call('POST', `/api/v1/orders/${id}/next-sms`, { key: user.apiKey })).status}`);
      } else {
        const r = await client.call('POST', `/api/v1/orders/${id}/cancel`, { key: user.apiKey });
        bump(`cancel ${r.status}`);
        if (r.status === 200) acked.cancelled.add(id);
      }
    }
  } catch {
    // the server was killed under us: this loop is over
  }
}

/** Moves virtual time forward in small random steps while the traffic runs. */
export async function clockLoop(client: CrashClient, rng: Rng, stop: () => boolean): Promise<void> {
  try {
    while (!stop()) {
      await client.control('POST', '/_sim/v1/clock/advance', { ms: 1_000 + Math.floor(rng.next() * 20_000) });
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch {
    // killed
  }
}
