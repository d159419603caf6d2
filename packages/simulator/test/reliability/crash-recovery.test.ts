/**
 * Crash recovery of the real server process: `jiema serve` (the CLI binary, simulated upstream,
 * manual clock, one SQLite file) under traffic from several clients is killed with SIGKILL at
 * seeded random moments — some while a buy that the upstream sold is still being reconciled,
 * some while the outbox is sending — and restarted on the same file, again and again. After
 * every restart the D4 invariants hold, every order and cancel the server acknowledged is there,
 * and once virtual time has moved on no owed upstream command is stuck, no buy is unresolved and
 * no number is open at the upstream without a live order.
 *
 * SQLite only: this test needs the simulated upstream and its manual clock inside the killed
 * process, and `jiema serve` runs the simulated upstream on a SQLite file or in memory only (it
 * refuses --db postgres://…, as its fake upstream's state lives in one process). On PostgreSQL,
 * crash recovery is covered by the same kill between the upstream's sale and the local write with
 * the real adapter (packages/cli/test/adapter-e2e.test.ts) and by crash-in-process.test.ts, both
 * run on both databases.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSeededRng, type Db } from '@jiema/core';
import { serve, type Served } from '../../../cli/test/helpers.js';
import { clockLoop, CrashClient, openReadOnly, trafficLoop, type Account, type Acked } from './crash/crash-client.js';
import { knobs, report } from './knobs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLIENTS = 6;
type Mode = 'random moment' | 'buy sold, not yet recorded' | 'outbox sending';
const MODES: Mode[] = ['random moment', 'buy sold, not yet recorded', 'outbox sending'];

/** Everything the server acknowledged is in the file: each order with its charge, each cancel. */
function expectAcknowledged(db: Db, acked: Acked): void {
  const rows = new Map(
    db
      .prepare<[], { id: string; user_id: string; charged_cents: number; status: string }>(
        'SELECT id, user_id, charged_cents, status FROM orders',
      )
      .all()
      .map((o) => [o.id, o]),
  );
  const lost = [...acked.orders].filter(
    ([id, a]) => rows.get(id)?.user_id !== a.user || String(rows.get(id)?.charged_cents) !== a.chargedCents,
  );
  expect(lost, 'acknowledged orders missing or changed').toEqual([]);
  const undone = [...acked.cancelled].filter((id) => rows.get(id)?.status !== 'CANCELLED');
  expect(undone, 'acknowledged cancels undone').toEqual([]);
}

/** Open numbers at the upstream all belong to live orders; no buy waits for reconciliation; nothing owed is overdue. */
async function expectNothingStranded(client: CrashClient, db: Db): Promise<void> {
  const now = (await client.control('GET', '/_sim/v1/clock')).body.data.nowMs as number;
  const live = new Set(
    db
      .prepare<[], { activation_id: string }>("SELECT activation_id FROM orders WHERE status IN ('WAITING', 'RECEIVED')")
      .all()
      .map((r) => r.activation_id),
  );
  const open = ((await client.control('GET', '/_sim/v1/upstream')).body.data.activations as Array<{ id: string; state: string }>).filter(
    (a) => a.state !== 'CLOSED',
  );
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
  expect(db.prepare("SELECT COUNT(*) AS n FROM buy_intents WHERE state = 'pending'").get(), 'buys left unreconciled').toEqual({ n: 0 });
}

describe('crash recovery', () => {
  it('keeps invariants, acknowledged orders and owed commands through repeated SIGKILLs of jiema serve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiema-crash-'));
    const file = join(dir, 'jiema.db');
    const rng = createSeededRng(knobs.seed);
    const acked: Acked = { orders: new Map(), cancelled: new Set() };
    const counts: Record<string, number> = {};
    const kills: Record<string, number> = {};
    /** Kills that left a buy unresolved, or upstream commands owed, for the next start to finish. */
    const leftOver = { unresolvedBuy: 0, owedCommands: 0 };
    const logs: string[] = [];
    const users: Account[] = [];
    let buyer: Account | undefined;
    let served: Served | undefined;
    let adminToken = '';
    const started = performance.now();
    try {
      for (let cycle = 0; cycle <= knobs.crashCycles; cycle++) {
        served = await serve(['--db', file, '--clock', 'manual', '--seed', String(knobs.seed), '--log-level', 'info']);
        // Shown on the start that generated it; later starts keep it in the credentials file.
        adminToken = served.adminToken ?? (JSON.parse(readFileSync(served.credentialsFile!, 'utf8')) as { adminToken: string }).adminToken;
        const client = new CrashClient(served.url, adminToken);
        const db = openReadOnly(file);
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
            expectAcknowledged(db, acked);
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
          const left = openReadOnly(file);
          const pending = (sql: string) => left.prepare<[], { n: number }>(sql).get()!.n;
          if (pending("SELECT COUNT(*) AS n FROM buy_intents WHERE state = 'pending'") > 0) leftOver.unresolvedBuy += 1;
          if (pending('SELECT COUNT(*) AS n FROM outbox WHERE done_at IS NULL') > 0) leftOver.owedCommands += 1;
          left.close();
        } finally {
          db.close();
        }
      }

      // The last run: let virtual time run for hours. Every owed command is sent, every order ends.
      const client = new CrashClient(served!.url, adminToken);
      await client.advance(3 * 60 * 60_000, 10 * 60_000);
      const db = openReadOnly(file);
      try {
        expect((await client.control('GET', '/admin/v1/outbox?limit=1')).body.data.pending).toBe(0);
        expect(db.prepare("SELECT COUNT(*) AS n FROM orders WHERE status IN ('WAITING', 'RECEIVED')").get()).toEqual({ n: 0 });
        expectAcknowledged(db, acked);
        await expectNothingStranded(client, db);
        expect((await client.control('GET', '/admin/v1/invariants')).body.data.ok).toBe(true);
        const orders = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM orders').get()!.n;
        await served!.stop('SIGTERM');
        logs.push(served!.output().stderr);
        served = undefined;

        // The server's own logs, all runs: no key or token in them.
        const text = logs.join('\n');
        expect(text).not.toMatch(/jm_[0-9A-Za-z]{6,}/);
        expect(text).not.toContain(adminToken);
        report('crash-recovery', {
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
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
