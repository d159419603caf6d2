/**
 * Crash recovery of the real server process: `jiema serve` (the CLI binary, simulated upstream,
 * manual clock) on a SQLite file or on a PostgreSQL schema, under traffic from several clients,
 * is killed with SIGKILL at seeded random moments — some while a buy that the upstream sold is
 * still being reconciled, some while the outbox is sending — and restarted on the same database,
 * again and again. After every restart the D4 invariants hold, every order and cancel the server
 * acknowledged is there, and once virtual time has moved on no owed upstream command is stuck, no
 * buy is unresolved and no number is open at the upstream without a live order.
 *
 * On PostgreSQL the simulator holds its schema with a session advisory lock (docs/decisions.md
 * D127, "Serving"), which the server drops with the killed process's connections, so the restart
 * takes the schema again; the virtual clock and the fake upstream's open numbers come back from
 * the database as they do from the file. The test reads the database between runs to check what
 * the server says: the SQLite file read-only, or the schema over a connection of its own.
 * The case where the upstream outlives the process (a number sold to a buy that died before its
 * order was written) is crash-in-process.test.ts's, on both databases too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSeededRng } from '@jiema/core';
import { serve, type Served } from '../../../cli/test/helpers.js';
import { DATABASES } from '../../../core/test/databases.js';
import { createTestSchema } from '../../../core/test/postgres.js';
import {
  clockLoop,
  scalar,
  CrashClient,
  postgresReader,
  sqliteReader,
  trafficLoop,
  type Account,
  type Acked,
  type DbReader,
} from './crash/crash-client.js';
import { knobs, report } from './knobs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLIENTS = 6;
type Mode = 'random moment' | 'buy sold, not yet recorded' | 'outbox sending';
const MODES: Mode[] = ['random moment', 'buy sold, not yet recorded', 'outbox sending'];

/** Everything the server acknowledged is in the database: each order with its charge, each cancel. */
async function expectAcknowledged(db: DbReader, acked: Acked): Promise<void> {
  const rows = new Map(
    (
      await db.all<{ id: string; user_id: string; charged_cents: number | string; status: string }>(
        'SELECT id, user_id, charged_cents, status FROM orders',
      )
    ).map((o) => [o.id, o]),
  );
  const lost = [...acked.orders].filter(
    ([id, a]) => rows.get(id)?.user_id !== a.user || String(rows.get(id)?.charged_cents) !== a.chargedCents,
  );
  expect(lost, 'acknowledged orders missing or changed').toEqual([]);
  const undone = [...acked.cancelled].filter((id) => rows.get(id)?.status !== 'CANCELLED');
  expect(undone, 'acknowledged cancels undone').toEqual([]);
}

const liveActivations = async (db: DbReader): Promise<Set<string>> =>
  new Set(
    (await db.all<{ activation_id: string }>("SELECT activation_id FROM orders WHERE status IN ('WAITING', 'RECEIVED')")).map(
      (r) => r.activation_id,
    ),
  );

type UpstreamActivation = { id: string; state: string; closedReason: string | null };

const atUpstream = async (client: CrashClient): Promise<UpstreamActivation[]> =>
  (await client.control('GET', '/_sim/v1/upstream')).body.data.activations as UpstreamActivation[];

const openAtUpstream = async (client: CrashClient): Promise<UpstreamActivation[]> =>
  (await atUpstream(client)).filter((a) => a.state !== 'CLOSED');

const clockNow = async (client: CrashClient): Promise<number> => (await client.control('GET', '/_sim/v1/clock')).body.data.nowMs as number;

/**
 * The restarted simulator took its world back from the database: its virtual clock is not before
 * the last change the killed one committed, and every live order's number is at its new fake
 * upstream, open, or closed only by its lifetime running out (the upstream closes an activation
 * past its lifetime when it is looked at; the engine's next expiry sweep ends the order).
 */
async function expectWorldRestored(client: CrashClient, db: DbReader, lastChange: number): Promise<void> {
  expect(await clockNow(client), 'virtual clock after the restart').toBeGreaterThanOrEqual(lastChange);
  const held = new Set((await atUpstream(client)).filter((a) => a.state !== 'CLOSED' || a.closedReason === 'expired').map((a) => a.id));
  expect(
    [...(await liveActivations(db))].filter((id) => !held.has(id)),
    'live orders whose number the restarted upstream does not hold',
  ).toEqual([]);
}

/** Open numbers at the upstream all belong to live orders; no buy waits for reconciliation; nothing owed is overdue. */
async function expectNothingStranded(client: CrashClient, db: DbReader): Promise<void> {
  const now = await clockNow(client);
  const live = await liveActivations(db);
  const open = await openAtUpstream(client);
  expect(
    open.filter((a) => !live.has(a.id)),
    'numbers open at the upstream with no live order',
  ).toEqual([]);
  const outbox = (await client.control('GET', '/admin/v1/outbox?limit=500')).body.data as {
    items: Array<{ doneAt: number | null; nextAttemptAt: number; kind: string }>;
  };
  expect(
    outbox.items.filter((c) => c.doneAt === null && c.nextAttemptAt <= now),
    'owed upstream commands overdue',
  ).toEqual([]);
  expect(await scalar(db, "SELECT COUNT(*) AS n FROM buy_intents WHERE state = 'pending'"), 'buys left unreconciled').toBe(0);
}

/** The database a run serves on: a SQLite file in the run's folder, or a fresh PostgreSQL schema. */
interface CrashDatabase {
  /** For `jiema serve --db`. */
  db: string;
  /** Reads it as it is now (a SQLite reader holds the file open until closed). */
  reader(): DbReader;
  drop(): Promise<void>;
}

async function crashDatabase(postgres: boolean, dir: string): Promise<CrashDatabase> {
  if (!postgres) {
    const file = join(dir, 'jiema.db');
    return { db: file, reader: () => sqliteReader(file), drop: async () => undefined };
  }
  const schema = await createTestSchema();
  const reader = postgresReader(schema.client);
  return { db: schema.url, reader: () => reader, drop: () => schema.drop() };
}

describe.each(DATABASES)('crash recovery, on $name', (kind) => {
  it('keeps invariants, acknowledged orders and owed commands through repeated SIGKILLs of jiema serve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiema-crash-'));
    const database = await crashDatabase(kind.name === 'PostgreSQL', dir);
    const rng = createSeededRng(knobs.seed);
    const acked: Acked = { orders: new Map(), cancelled: new Set() };
    const counts: Record<string, number> = {};
    const kills: Record<string, number> = {};
    /** Kills that left a buy unresolved, or upstream commands owed, for the next start to finish. */
    const leftOver = { unresolvedBuy: 0, owedCommands: 0 };
    /** The newest order change the killed server committed (virtual ms). */
    let lastChange = 0;
    const logs: string[] = [];
    const users: Account[] = [];
    let buyer: Account | undefined;
    let served: Served | undefined;
    let adminToken = '';
    const started = performance.now();
    try {
      for (let cycle = 0; cycle <= knobs.crashCycles; cycle++) {
        // The run's folder as the working directory: on PostgreSQL the credentials file goes to ./.jiema.
        served = await serve(['--db', database.db, '--clock', 'manual', '--seed', String(knobs.seed), '--log-level', 'info'], {
          cwd: dir,
        });
        // Shown on the start that generated it; later starts keep it in the credentials file.
        adminToken = served.adminToken ?? (JSON.parse(readFileSync(served.credentialsFile!, 'utf8')) as { adminToken: string }).adminToken;
        const client = new CrashClient(served.url, adminToken);
        const db = database.reader();
        try {
          if (cycle === 0) {
            for (let i = 0; i < CLIENTS; i++)
              users.push((await client.control('POST', '/_sim/v1/users', { balanceCents: 100_000 })).body.data);
            // Buys only once per run, so its write limit never turns the targeted buy away.
            buyer = (await client.control('POST', '/_sim/v1/users', { balanceCents: 100_000 })).body.data;
            users.push(buyer!);
          } else {
            // Straight after the restart, before anything else happens.
            expect((await client.control('GET', '/admin/v1/invariants')).body.data, `invariants after kill ${cycle}`).toEqual({
              ok: true,
              violations: [],
            });
            await expectAcknowledged(db, acked);
            await expectWorldRestored(client, db, lastChange);
            for (const [id, a] of [...acked.orders].slice(-10)) {
              const key = users.find((u) => u.id === a.user)!.apiKey;
              const r = await client.call('GET', `/api/v1/orders/${id}`, { key });
              expect({ status: r.status, charged: r.body.data?.chargedCents }).toEqual({ status: 200, charged: a.chargedCents });
            }
            // Past every reconciliation delay and early-cancel hold: nothing may be left hanging.
            await client.advance(10 * 60_000);
            await expectNothingStranded(client, db);
          }
          if (cycle === knobs.crashCycles) break;

          const mode = MODES[cycle % MODES.length]!;
          let stopped = false;
          const stop = () => stopped;
          const loops = users
            .filter((u) => u !== buyer)
            .map((u, i) => trafficLoop(client, u, createSeededRng(knobs.seed + cycle * 100 + i), acked, stop, counts));
          loops.push(clockLoop(client, createSeededRng(knobs.seed + cycle), stop));
          await sleep(200 + Math.floor(rng.next() * 800));
          if (mode === 'buy sold, not yet recorded') {
            // The next buy is sold but its answer lost, and the reconciliation that follows stalls
            // on the upstream's active list: the number is sold and no order records it yet.
            await client.control('POST', '/_sim/v1/faults', { kind: 'timeout', afterSuccess: true, method: 'buy', count: 1 });
            await client.control('POST', '/_sim/v1/faults', { kind: 'latency', method: 'listActive', latencyMs: 3_000, count: 1 });
            void client.call('POST', '/api/v1/orders', { key: buyer!.apiKey }, { service: 'tg', country: 'my' }).catch(() => undefined);
            await sleep(300 + Math.floor(rng.next() * 1_500));
          } else if (mode === 'outbox sending') {
            // Upstream commands take 1.5 s each; the next advance sends the due ones.
            for (const method of ['cancel', 'finish', 'requestNextSms'])
              await client.control('POST', '/_sim/v1/faults', { kind: 'latency', method, latencyMs: 1_500, count: 20 });
            void client.control('POST', '/_sim/v1/clock/advance', { ms: 5 * 60_000 }).catch(() => undefined);
            await sleep(200 + Math.floor(rng.next() * 1_000));
          }
          await served.stop('SIGKILL');
          logs.push(served.output().stderr);
          served = undefined;
          stopped = true;
          await Promise.all(loops);
          kills[mode] = (kills[mode] ?? 0) + 1;
          // What the kill left behind, as the next start will find it.
          const left = database.reader();
          try {
            if ((await scalar(left, "SELECT COUNT(*) AS n FROM buy_intents WHERE state = 'pending'")) > 0) leftOver.unresolvedBuy += 1;
            if ((await scalar(left, 'SELECT COUNT(*) AS n FROM outbox WHERE done_at IS NULL')) > 0) leftOver.owedCommands += 1;
            lastChange = await scalar(left, 'SELECT MAX(updated_at) AS n FROM orders');
          } finally {
            left.close();
          }
        } finally {
          db.close();
        }
      }

      // The last run: let virtual time run for hours. Every owed command is sent, every order ends.
      const client = new CrashClient(served!.url, adminToken);
      await client.advance(3 * 60 * 60_000, 10 * 60_000);
      const db = database.reader();
      try {
        expect((await client.control('GET', '/admin/v1/outbox?limit=1')).body.data.pending).toBe(0);
        expect(await scalar(db, "SELECT COUNT(*) AS n FROM orders WHERE status IN ('WAITING', 'RECEIVED')")).toBe(0);
        await expectAcknowledged(db, acked);
        await expectNothingStranded(client, db);
        expect((await client.control('GET', '/admin/v1/invariants')).body.data.ok).toBe(true);
        const orders = await scalar(db, 'SELECT COUNT(*) AS n FROM orders');
        await served!.stop('SIGTERM');
        logs.push(served!.output().stderr);
        served = undefined;

        // The server's own logs, all runs: no key or token in them.
        const text = logs.join('\n');
        expect(text).not.toMatch(/jm_[0-9A-Za-z]{6,}/);
        expect(text).not.toContain(adminToken);
        report('crash-recovery', {
          database: kind.name,
          cycles: knobs.crashCycles,
          kills,
          killsThatLeft: leftOver,
          ackedOrders: acked.orders.size,
          ackedCancels: acked.cancelled.size,
          ordersInDatabase: orders,
          requests: counts,
          logLines: text.split('\n').filter(Boolean).length,
          ms: Math.round(performance.now() - started),
        });
        expect(acked.orders.size).toBeGreaterThan(knobs.crashCycles);
        // The targeted kills did land where they aim.
        if ((kills['buy sold, not yet recorded'] ?? 0) > 0) expect(leftOver.unresolvedBuy).toBeGreaterThan(0);
        if ((kills['outbox sending'] ?? 0) > 0) expect(leftOver.owedCommands).toBeGreaterThan(0);
      } finally {
        db.close();
      }
    } finally {
      if (served) await served.stop('SIGKILL');
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
