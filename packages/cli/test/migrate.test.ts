/**
 * `jiema migrate --from x.db --to postgres://…` through the real binary, into a fresh schema of
 * the real PostgreSQL server (docs/decisions.md D123): a database a real server wrote (users,
 * keys, orders in several states, SMS, refunds, webhooks, events) arrives row for row; the SQLite
 * file is unchanged; a target with data, a server still running, a bad URL and an unreachable
 * server are refused with one clear line and nothing written.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '@jiema/core';
import { createTestSchema, type TestSchema } from '../../core/test/postgres.js';
import { readCredentials } from '../src/credentials.js';
import { api, jiema, serve, tempDir } from './helpers.js';

let t: TestSchema;
beforeEach(async () => {
  t = await createTestSchema();
});
afterEach(async () => {
  await t.drop();
});

/** A database written by a real server: orders waiting, with an SMS, completed, cancelled (refunded). */
async function writtenByAServer(): Promise<string> {
  const db = join(tempDir(), 'jiema.db');
  const s = await serve(['--db', db, '--clock', 'manual']);
  try {
    const admin = readCredentials(db)!.adminToken!;
    const user = (await api(s.url, '/admin/v1/users', { admin, method: 'POST', body: { balanceCents: '5000', displayName: 'Migrating' } }))
      .body.data;
    const key = (await api(s.url, `/admin/v1/users/${user.id}/keys`, { admin, method: 'POST', body: { name: 'ci' } })).body.data
      .apiKey as string;
    const buy = async () => {
      const r = await api(s.url, '/api/v1/orders', { key, method: 'POST', body: { service: 'tg', country: 7 } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.data.id as string;
    };
    const sms = async (id: string) => {
      const r = await api(s.url, `/_sim/v1/orders/${id}/sms`, { admin, method: 'POST', body: {} });
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    };
    // One completes (an SMS, then its window ends), one is cancelled (refunded) …
    const [completed, cancelled] = [await buy(), await buy()];
    await sms(completed);
    expect((await api(s.url, `/api/v1/orders/${cancelled}/cancel`, { key, method: 'POST' })).status).toBe(200);
    expect((await api(s.url, '/_sim/v1/clock/advance', { admin, method: 'POST', body: { ms: 21 * 60_000 } })).status).toBe(200);
    // … one waits, one has its SMS.
    const [waiting, received] = [await buy(), await buy()];
    await sms(received);
    const hook = await api(s.url, '/api/v1/webhooks', {
      key,
      method: 'POST',
      body: { url: 'http://127.0.0.1:9/hook', events: ['order.updated', 'sms.received'] },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    expect(waiting).toBeTruthy();
  } finally {
    await s.stop();
  }
  return db;
}

function sqliteRows(db: string, table: string): Record<string, unknown>[] {
  // Only after the file's hash was taken: opening it this way may write to it.
  const d = openDatabase({ path: db });
  try {
    return d.prepare(`SELECT * FROM ${table} ORDER BY 1`).all() as Record<string, unknown>[];
  } finally {
    d.close();
  }
}

describe('jiema migrate', () => {
  it('copies a real server’s database row for row, leaves the file unchanged, and refuses a second run', async () => {
    const db = await writtenByAServer();
    const before = createHash('sha256').update(readFileSync(db)).digest('hex');

    const r = await jiema(['migrate', '--from', db, '--to', t.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Copying .*jiema\.db into postgres:\/\/postgres@127\.0\.0\.1:5432\/test/);
    expect(r.stdout).toMatch(/ {2}ledger +\d+ row\(s\)/);
    expect(r.stdout).toMatch(
      /Copied \d+ row\(s\) in \d+ tables \(schema \d+, balances \d+ cents\) .*ledger invariant checked before commit\./,
    );
    expect(createHash('sha256').update(readFileSync(db)).digest('hex')).toBe(before);

    const tables = [
      'users',
      'api_keys',
      'ledger',
      'orders',
      'outbox',
      'buy_intents',
      'events',
      'webhooks',
      'webhook_deliveries',
      'settings',
    ];
    for (const table of tables) {
      const mine = sqliteRows(db, table);
      const theirs = (await t.client.query(`SELECT * FROM ${table} ORDER BY 1`)).rows as Record<string, unknown>[];
      // BIGINT reads as text through a plain pg client: compare as text.
      const norm = (rows: Record<string, unknown>[]) =>
        rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)])));
      expect(norm(theirs), table).toEqual(norm(mine));
    }
    expect(sqliteRows(db, 'orders').map((o) => o.status)).toEqual(
      expect.arrayContaining(['WAITING', 'RECEIVED', 'COMPLETED', 'CANCELLED']),
    );
    expect(sqliteRows(db, 'ledger').some((l) => l.kind === 'refund')).toBe(true);

    // The identity columns continue after the copied rows.
    const seq = await t.client.query<{ next: string; max: string }>(
      "SELECT nextval(pg_get_serial_sequence('events', 'seq'))::text AS next, (SELECT MAX(seq) FROM events)::text AS max",
    );
    expect(Number(seq.rows[0]!.next)).toBe(Number(seq.rows[0]!.max) + 1);

    const again = await jiema(['migrate', '--from', db, '--to', t.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^jiema: The PostgreSQL database already holds jiema data \(.*users: \d+.*\); migrate into an empty database or schema/,
    );
  });

  it('refuses while a server holds the file, with nothing written', async () => {
    const db = join(tempDir(), 'jiema.db');
    const s = await serve(['--db', db]);
    try {
      const r = await jiema(['migrate', '--from', db, '--to', t.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/in use by a jiema server \(pid \d+.*Stop that server first: writes made after the copy would be lost\./s);
      const tables = await t.client.query('SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema()');
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it('bad input: not a PostgreSQL URL (exit 2), no such file (1), a server that cannot be reached (3) — one line each, no stack', async () => {
    const db = await writtenByAServer();
    const bad = await jiema(['migrate', '--from', db, '--to', 'mysql://x@y/z']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to must be a PostgreSQL URL/);
    const missing = await jiema(['migrate', '--from', join(tempDir(), 'none.db'), '--to', t.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/There is no database at .*none\.db/);
    const down = await jiema(['migrate', '--from', db, '--to', 'postgres://postgres:secret@127.0.0.1:1/test']);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^jiema: Cannot connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/);
    expect(down.stderr).not.toContain('secret');
    for (const r of [bad, missing, down]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('jiema serve --db postgres://… serves from the schema instead of making a file of that name (serve-postgres.test.ts has more)', async () => {
    const cwd = tempDir();
    const s = await serve(['--db', t.url, '--clock', 'manual'], { cwd });
    await s.stop();
    expect(readdirSync(cwd)).toEqual(['.jiema']);
    expect(readdirSync(join(cwd, '.jiema'))).toEqual([expect.stringMatching(/^postgres-[0-9a-f]{16}\.credentials\.json$/)]);
  });
});
