/**
 * The push benchmarks (`pnpm bench --only push`, docs/benchmarks.md) still run: a `--quick` pass
 * (about 40 s: 1,000 waiters, 2 s windows) must finish and report every push figure. Its targets
 * are not asserted — quick figures on a loaded test machine are not for the record — only that
 * each measurement happened. Needs the build.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));

it('runs the push section of pnpm bench --quick and reports every figure', { timeout: 120_000 }, async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'jiema-bench-smoke-')), 'push.json');
  await promisify(execFile)(process.execPath, ['scripts/bench/run.mjs', '--quick', '--only', 'push', '--out', out], {
    cwd: REPO,
    timeout: 110_000,
  });
  const r = JSON.parse(readFileSync(out, 'utf8')) as {
    push: {
      smsLatency: { longPoll: { samples: number; p99: number }; polling3s: { samples: number; p99: number } };
      waiters: { waiters: number; stillHeld: number; held: { rssMb: number; cpuMs: number } };
      webhooks: { paced1000: { unique: number; events: number }; backlog: { perSecond: number; unique: number; events: number } };
    };
    checks: Array<{ name: string; ok: boolean; value: string }>;
  };
  const { smsLatency, waiters, webhooks } = r.push;
  expect(smsLatency.longPoll.samples).toBe(50);
  expect(smsLatency.polling3s.samples).toBe(30);
  // Long-poll answers within the polling interval; polling cannot.
  expect(smsLatency.longPoll.p99).toBeLessThan(smsLatency.polling3s.p99);
  expect(waiters.stillHeld).toBe(waiters.waiters);
  expect(waiters.held.rssMb).toBeGreaterThan(0);
  expect(webhooks.paced1000.unique).toBeGreaterThanOrEqual(webhooks.paced1000.events);
  expect(webhooks.backlog.unique).toBeGreaterThanOrEqual(webhooks.backlog.events);
  expect(webhooks.backlog.perSecond).toBeGreaterThan(0);
  expect(r.checks).toHaveLength(5);
});
