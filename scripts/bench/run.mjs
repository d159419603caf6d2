// `pnpm bench`: every performance target of the benchmarks issues, each measured beside its
// physical limit or baseline in the same run, printed as one table and written as JSON to
// bench-results/latest.json. `--quick` shortens every run (a smoke test, not figures).
// `--only core`, `--only push` or `--only postgres` runs one group: core.mjs (the first issue's
// targets), push.mjs (#18: long-poll, waiters, webhooks) or postgres.mjs (#15: creation and the
// poll on PostgreSQL; JIEMA_BENCH_POSTGRES_URL names the server). `--out <file>` writes the JSON there instead.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { coreBenchmarks } from './core.mjs';
import { REPO } from './lib.mjs';
import { postgresBenchmarks } from './postgres.mjs';
import { pushBenchmarks } from './push.mjs';

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const GROUPS = { core: coreBenchmarks, push: pushBenchmarks, postgres: postgresBenchmarks };
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const outAt = process.argv.indexOf('--out');
const out = outAt >= 0 ? process.argv[outAt + 1] : join(REPO, 'bench-results/latest.json');
if (only !== undefined && !(only in GROUPS)) throw new Error(`--only takes one of ${Object.keys(GROUPS).join(', ')}; got ${only}`);
const work = mkdtempSync(join(tmpdir(), 'jiema-bench-'));
const rows = [];
const results = {
  startedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  quick,
  ...(only && { only }),
};
const log = (text) => process.stderr.write(`${text}\n`);
const row = (name, r, extra = {}) =>
  rows.push({
    name,
    rps: r.rps === undefined ? '' : Math.round(r.rps),
    p50: r.p50 ?? '',
    p99: r.p99 ?? '',
    rss: extra.rss ?? '',
    note: extra.note ?? '',
  });

const checks = [];
for (const [name, run] of Object.entries(GROUPS)) {
  if (only !== undefined && only !== name) continue;
  const group = await run({ quick, work, rows, row, log });
  Object.assign(results, group.results);
  checks.push(...group.checks);
}

// The table and the ratios.
const cols = ['name', 'rps', 'p50', 'p99', 'rss', 'note'];
const heads = { name: 'benchmark', rps: 'req/s', p50: 'p50 ms', p99: 'p99 ms', rss: 'RSS MB', note: '' };
const widths = cols.map((c) => Math.max(heads[c].length, ...rows.map((r) => String(r[c]).length)));
const fmt = (r) => cols.map((c, i) => String(r[c]).padEnd(widths[i])).join('  ');
console.log(fmt(heads));
for (const r of rows) console.log(fmt(r));
console.log('');
for (const [name, ok, value] of checks) console.log(`${ok ? 'PASS' : 'MISS'}  ${name}: ${value}`);
results.checks = checks.map(([name, ok, value]) => ({ name, ok, value }));
results.table = rows;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwritten: ${relative(REPO, out)}`);
