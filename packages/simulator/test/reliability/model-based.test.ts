/**
 * Model-based test (fast-check): random sequences of buys, polls, cancels, next-sms, SMS
 * arrivals (duplicate and late ones too), clock moves with and without the worker, upstream
 * faults of every kind and concurrent bursts run against core's real engine and a small
 * reference model. After every command the ledger invariants (D4) hold and every order and
 * balance equals the model's. On SQLite (a fresh in-memory database per run) and on PostgreSQL
 * (a fresh schema per run, dropped after it; fewer runs, JIEMA_FC_RUNS_POSTGRES, as each run
 * there makes a schema and opens an engine with its worker and connections). A failure shrinks
 * to a minimal sequence; replay it with JIEMA_FC_SEED, JIEMA_FC_PATH and JIEMA_FC_REPLAY_PATH
 * (docs/reliability.md).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandArbitraries, tally } from './model/commands.js';
import { OrderModel } from './model/order-model.js';
import { createRealSystem, settle, START_MS } from './model/real-system.js';
import { knobs, report } from './knobs.js';
import { DATABASES } from '../../../core/test/databases.js';

describe.each(DATABASES)('the engine against its reference model, on $name', (kind) => {
  const postgres = kind.name === 'PostgreSQL';
  const numRuns = postgres ? knobs.fcRunsPostgres : knobs.fcRuns;
  it('keeps every order, balance and the ledger invariants equal to the model after every command, and leaves nothing owed', async () => {
    let runs = 0;
    let commands = 0;
    tally.clear(); // this database's outcomes only
    const started = performance.now();
    const property = fc.asyncProperty(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.commands(commandArbitraries, { maxCommands: 40, size: 'max', ...(knobs.fcReplayPath && { replayPath: knobs.fcReplayPath }) }),
      async (b0, b1, engineSeed, cmds) => {
        const database = await kind.create();
        const real = createRealSystem([b0, b1], engineSeed, database.db);
        const model = new OrderModel(START_MS, [b0, b1], [], [], postgres);
        try {
          runs += 1;
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await settle(model, real);
        } finally {
          commands += real.steps;
          real.engine.close();
          await database.drop();
        }
      },
    );
    await fc.assert(property, {
      numRuns,
      ...(knobs.fcSeed !== undefined && { seed: knobs.fcSeed }),
      ...(knobs.fcPath && { path: knobs.fcPath }),
      endOnFailure: knobs.fcPath !== undefined,
    });
    const ms = Math.round(performance.now() - started);
    report('model-based', { database: kind.name, runs, comparisons: commands, ms, outcomes: Object.fromEntries([...tally].sort()) });
    expect(runs).toBeGreaterThanOrEqual(numRuns);
  }, 600_000);
});
