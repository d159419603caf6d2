/**
 * The reliability suite's environment knobs, with CI-sized defaults, and where each test reports
 * its figures: a line on stdout, and a JSON line appended to JIEMA_RELIABILITY_REPORT when set
 * (docs/reliability.md is written from those).
 */
import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';

function int(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`${name} must be a whole number${min === 0 ? ' ≥ 0' : ''}, got ${JSON.stringify(raw)}`);
  return n;
}

export const knobs = {
  /** Model-based runs (fast-check numRuns). */
  fcRuns: int('JIEMA_FC_RUNS', 1_000),
  /** Model-based runs on PostgreSQL, where each run makes a schema and opens an engine on it (a worker and two connections). */
  fcRunsPostgres: int('JIEMA_FC_RUNS_POSTGRES', 100),
  /** Replay a failure: the seed and path fast-check printed. */
  fcSeed: process.env.JIEMA_FC_SEED ? int('JIEMA_FC_SEED', 0, -(2 ** 31)) : undefined,
  fcPath: process.env.JIEMA_FC_PATH || undefined,
  /** The commands' own replay hint (the replayPath="…" fast-check prints inside the counterexample). */
  fcReplayPath: process.env.JIEMA_FC_REPLAY_PATH || undefined,
  /** Malformed requests sent over HTTP. */
  fuzzCount: int('JIEMA_FUZZ_COUNT', 4_000),
  /** SIGKILL/restart cycles of a real server process. */
  crashCycles: int('JIEMA_CRASH_CYCLES', 10),
  /** Duration of the load test. */
  loadSeconds: int('JIEMA_LOAD_SECONDS', 10),
  /** Concurrent clients of the load test. */
  loadClients: int('JIEMA_LOAD_CLIENTS', 200),
  /** Seed for the fuzz, crash and load generators (the model-based test has its own, above). */
  seed: int('JIEMA_RELIABILITY_SEED', 20_260_101),
};

export function report(test: string, figures: Record<string, unknown>): void {
  const line = { test, ...figures, node: process.version, cpus: cpus().length, at: new Date().toISOString() };
  console.log(`[reliability] ${JSON.stringify(line)}`);
  const file = process.env.JIEMA_RELIABILITY_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(line)}\n`);
}
