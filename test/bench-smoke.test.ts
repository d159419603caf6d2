/**
 * The core and PostgreSQL benchmarks (`pnpm bench --only core`, `--only postgres`,
 * docs/benchmarks.md) still run against the built packages: a `--quick` pass of each must finish
 * and report every figure. A script that reached for something no longer exported once broke
 * `pnpm bench` unnoticed; this catches that. Targets are not asserted — quick figures on a loaded
 * test machine are not for the record — only that each measurement happened and its requests
 * were answered. Needs the build, and PostgreSQL at JIEMA_BENCH_POSTGRES_URL (by default the
 * test server, as .ci/run requires).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
}

async function quick(group: string): Promise<Record<string, unknown> & { checks: Array<{ name: string; ok: boolean; value: string }> }> {
  const out = join(mkdtempSync(join(tmpdir(), 'jiema-bench-smoke-')), `${group}.json`);
  await promisify(execFile)(process.execPath, ['scripts/bench/run.mjs', '--quick', '--only', group, '--out', out], {
    cwd: REPO,
    timeout: 170_000,
  });
  return JSON.parse(readFileSync(out, 'utf8')) as never;
}

const answered = (r: Run) => {
  expect(r.requests).toBeGreaterThan(0);
  expect({ non2xx: r.non2xx, errors: r.errors }).toEqual({ non2xx: 0, errors: 0 });
};

it('runs the core section of pnpm bench --quick and reports every figure', { timeout: 180_000 }, async () => {
  const r = (await quick('core')) as unknown as {
    poll: { bare: Run; jiema: Run };
    create: { bareTps: number; jiema: Run };
    simulator: { orders: number; completed: number; failed: number; live: number; invariantsOk: boolean };
    startup: { serveReadyMs: number; startSimulatorMs: number };
    checks: Array<{ name: string; ok: boolean; value: string }>;
  };
  answered(r.poll.bare);
  answered(r.poll.jiema);
  answered(r.create.jiema);
  expect(r.create.bareTps).toBeGreaterThan(0);
  expect(r.simulator.invariantsOk).toBe(true);
  expect(r.simulator.completed + r.simulator.failed).toBe(r.simulator.orders);
  expect(r.simulator.live).toBe(0);
  expect(r.startup.serveReadyMs).toBeGreaterThan(0);
  expect(r.checks.length).toBeGreaterThanOrEqual(10);
  for (const c of r.checks) expect(c.value, c.name).not.toMatch(/not measured/);
});

it('runs the PostgreSQL section of pnpm bench --quick and reports both figures beside their baselines', { timeout: 120_000 }, async () => {
  const r = (await quick('postgres')) as unknown as {
    postgres: { error?: string; unreachable?: string; create: { bareTps: number; jiema: Run }; poll: { bare: Run; jiema: Run } };
    checks: Array<{ name: string; ok: boolean; value: string }>;
  };
  expect(r.postgres.unreachable).toBeUndefined();
  expect(r.postgres.error).toBeUndefined();
  expect(r.postgres.create.bareTps).toBeGreaterThan(0);
  answered(r.postgres.create.jiema);
  answered(r.postgres.poll.bare);
  answered(r.postgres.poll.jiema);
  expect(r.checks.map((c) => c.name)).toEqual([
    'create on PostgreSQL ≥ 30 % of the bare pg loop',
    'poll on PostgreSQL ≥ 40 % of bare node:http',
  ]);
  for (const c of r.checks) expect(c.value, c.name).toMatch(/^\d+ %$/);
});
