/**
 * Crash recovery of `jiema serve` with the real SMS-Activate adapter, on a SQLite file and on a
 * PostgreSQL schema: a simulator process plays the upstream and outlives the server, which is
 * killed with SIGKILL at seeded random moments under traffic from several clients and restarted
 * on the same database, again and again. After every restart the ledger invariants hold and every
 * order and cancel the server acknowledged is there; at the end nothing owed to the upstream is
 * left and every number open at the upstream belongs to a live order.
 * (packages/simulator/test/reliability/crash-recovery.test.ts does the same with the simulated
 * upstream inside the server, on both databases too.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededRng } from '@jiema/core';
import { DATABASES, useTestDatabase } from '../../core/test/databases.js';
import { CrashClient, trafficLoop, type Account, type Acked } from '../../simulator/test/reliability/crash/crash-client.js';
import { report } from '../../simulator/test/reliability/knobs.js';
import { adapterServeArgs, api, eventually, serve, tempDir, type Served } from './helpers.js';

const CYCLES = Number(process.env.JIEMA_ADAPTER_CRASH_CYCLES ?? 4);
const CLIENTS = 4;
const ADMIN = 'jma_crash_reseller_admin_token_0123456789';
const SEED = 20_260_101;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let upstream: Served;

const reseller = (db: string) => serve(adapterServeArgs(upstream.url, 'crash-upstream-key', db, ADMIN));

/** Every order and cancel the server acknowledged, read back through its API. */
async function expectAcknowledged(client: CrashClient, users: Account[], acked: Acked): Promise<void> {
  const lost: string[] = [];
  for (const [id, a] of acked.orders) {
    const key = users.find((u) => u.id === a.user)!.apiKey;
    const r = await client.call('GET', `/api/v1/orders/${id}`, { key });
    if (r.status !== 200 || r.body.data.chargedCents !== a.chargedCents) lost.push(id);
    else if (acked.cancelled.has(id) && r.body.data.status !== 'CANCELLED') lost.push(`${id} (cancel undone)`);
  }
  expect(lost, 'acknowledged orders or cancels missing').toEqual([]);
}

describe.each(DATABASES)('jiema serve with the SMS-Activate adapter, SIGKILLed and restarted, on $name', (kind) => {
  const database = useTestDatabase(kind, { persistent: true });
  beforeAll(async () => {
    // Real time, as a real upstream: reconciliation matches sold numbers by when they were bought.
    // No early-cancel hold, so what the kills left owed can be sent within the test.
    const behaviour = join(tempDir(), 'behaviour.json');
    writeFileSync(behaviour, JSON.stringify({ default: { earlyCancelHoldMs: 0, banProbability: 0 } }));
    upstream = await serve(['--ephemeral', '--clock', 'real', '--behaviour', behaviour, '--facade-key', 'crash-upstream-key']);
  });
  afterAll(async () => {
    await upstream?.stop();
  });

  it('keeps invariants, acknowledged orders and cancels, and leaves nothing owed or open at the upstream', async () => {
    const rng = createSeededRng(SEED);
    const acked: Acked = { orders: new Map(), cancelled: new Set() };
    const counts: Record<string, number> = {};
    const users: Account[] = [];
    let served: Served | undefined;
    try {
      for (let cycle = 0; cycle <= CYCLES; cycle++) {
        served = await reseller(database.db);
        const client = new CrashClient(served.url, ADMIN);
        if (cycle === 0) {
          for (let i = 0; i < CLIENTS; i++) {
            const user = (await client.control('POST', '/admin/v1/users', { balanceCents: 100_000 })).body.data as { id: string };
            const key = (await client.control('POST', `/admin/v1/users/${user.id}/keys`, {})).body.data as { apiKey: string };
            users.push({ id: user.id, apiKey: key.apiKey });
          }
        } else {
          expect((await client.control('GET', '/admin/v1/invariants')).body.data, `invariants after kill ${cycle}`).toEqual({
            ok: true,
            violations: [],
          });
          await expectAcknowledged(client, users, acked);
        }
        if (cycle === CYCLES) break;
        let stopped = false;
        const loops = users.map((u, i) => trafficLoop(client, u, createSeededRng(SEED + cycle * 100 + i), acked, () => stopped, counts));
        await sleep(300 + Math.floor(rng.next() * 1_200));
        await served.stop('SIGKILL');
        served = undefined;
        stopped = true;
        await Promise.all(loops);
      }

      // The last start: what the kills left owed is sent, and the upstream holds no stray number.
      const client = new CrashClient(served!.url, ADMIN);
      await eventually(
        async () => ((await client.control('GET', '/admin/v1/outbox?limit=1')).body.data.pending === 0 ? true : undefined),
        30_000,
      );
      const live = new Set<string>();
      for (const status of ['WAITING', 'RECEIVED']) {
        const page = (await client.control('GET', `/admin/v1/orders?status=${status}&limit=100`)).body.data as {
          items: Array<{ phone: string }>;
        };
        for (const o of page.items) live.add(o.phone);
      }
      const open = (
        (await api(upstream.url, '/_sim/v1/upstream', { admin: upstream.adminToken })).body.data.activations as Array<{
          phone: string;
          state: string;
        }>
      ).filter((a) => a.state !== 'CLOSED');
      expect(
        open.filter((a) => !live.has(`+${a.phone}`)),
        'numbers open at the upstream with no live order',
      ).toEqual([]);
      await expectAcknowledged(client, users, acked);
      expect((await client.control('GET', '/admin/v1/invariants')).body.data.ok).toBe(true);
      report('adapter-crashes', {
        database: kind.name,
        cycles: CYCLES,
        ackedOrders: acked.orders.size,
        ackedCancels: acked.cancelled.size,
        requests: counts,
      });
      expect(acked.orders.size).toBeGreaterThan(CYCLES);
    } finally {
      await served?.stop('SIGKILL');
    }
  }, 120_000);
});
