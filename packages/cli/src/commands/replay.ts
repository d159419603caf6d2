/**
 * `jiema replay <files or globs…>`: runs scenario files — on a fresh in-process simulator each
 * (manual virtual time: a 20-minute timeline takes milliseconds), or against a running server
 * with --target. Exit code 1 when any scenario fails.
 */
import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { glob } from 'tinyglobby';
import { loadStructuredFile } from '../load-file.js';
import { CliError, EXIT, type Output } from '../output.js';
import { createReporter, REPORTERS, type ReporterName } from '../replay/reporters.js';
import { runScenario, type ScenarioResult } from '../replay/runner.js';
import { ScenarioSchema, scenarioJsonSchema, type Scenario } from '../replay/scenario-schema.js';
import { remoteTarget, simulatorTarget, type Target } from '../replay/target.js';
import type { Command } from './command.js';

async function expand(patterns: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of patterns) {
    if (/[*?[{]/.test(p)) {
      const found = (await glob(p, { absolute: false })).sort();
      if (found.length === 0) throw new CliError(`No scenario files match ${p}.`, EXIT.USAGE);
      files.push(...found);
    } else {
      if (!existsSync(p)) throw new CliError(`${p}: no such file.`, EXIT.USAGE);
      files.push(p);
    }
  }
  return [...new Set(files)];
}

function parseKeys(values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of ([] as unknown[]).concat(values ?? [])) {
    const m = /^([A-Za-z_]\w*)=(jm_\S+)$/.exec(String(v));
    if (!m) throw new CliError(`--key takes name=jm_…, got ${JSON.stringify(v)}.`, EXIT.USAGE);
    out[m[1]!] = m[2]!;
  }
  return out;
}

export const replayCommand: Command = {
  command: 'replay [files..]',
  describe: 'Run scenario files: on an in-process simulator, or against a running server',
  builder: (y: Argv) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'Scenario files (.yaml/.json) or globs' })
      .option('target', { type: 'string', describe: 'Run against this server instead of an in-process simulator' })
      .option('admin-token', { type: 'string', describe: "The target's admin token (opens its admin and control APIs)" })
      .option('key', { type: 'string', array: true, describe: 'A fixed key for a scenario user: alice=jm_… (targets without an admin token)' })
      .option('max-spend-cents', { type: 'number', describe: 'Refuse to order once this many cents were charged (for live servers)' })
      .option('reporter', { choices: REPORTERS, default: 'pretty', describe: 'Output format' })
      .option('seed', { type: 'number', describe: "Seed for the simulator (overrides each scenario's seed)" })
      .option('bail', { type: 'boolean', default: false, describe: 'Stop after the first failing scenario' })
      .option('print-schema', { type: 'boolean', default: false, describe: 'Print the JSON Schema of scenario files and exit' })
      .example("$0 replay 'fixtures/scenarios/*.yaml'", 'Run every bundled scenario on in-process simulators')
      .example('$0 replay happy.yaml --target http://127.0.0.1:8787 --admin-token $T --reporter junit > report.xml', 'Against a running server'),
  handler: async (args, out: Output) => {
    if (args['print-schema']) {
      out.line(JSON.stringify(scenarioJsonSchema(), null, 2));
      return;
    }
    const patterns = (args.files as string[] | undefined) ?? [];
    if (patterns.length === 0) throw new CliError('Name at least one scenario file or glob, e.g. jiema replay "fixtures/scenarios/*.yaml".', EXIT.USAGE);
    const files = await expand(patterns);
    const scenarios: Array<{ file: string; scenario: Scenario }> = files.map((file) => ({ file, scenario: loadStructuredFile(file, ScenarioSchema) }));
    const reporterName: ReporterName = out.json ? 'json' : (args.reporter as ReporterName);
    const reporter = createReporter(reporterName, (text) => process.stdout.write(text));
    const keys = parseKeys(args.key);
    let remote: Target | undefined;
    if (args.target) {
      try {
        remote = await remoteTarget(args.target as string, args['admin-token'] as string | undefined);
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.UNREACHABLE);
      }
    }
    const results: ScenarioResult[] = [];
    for (const [i, { file, scenario }] of scenarios.entries()) {
      reporter.scenarioStart(scenario.name, file, i, scenarios.length);
      const target = remote ?? (await simulatorTarget(scenario, (args.seed as number | undefined) ?? scenario.seed ?? 1));
      try {
        const result = await runScenario(scenario, file, target, {
          keys,
          maxSpendCents: args['max-spend-cents'] as number | undefined,
          onStep: (r) => reporter.step(r),
        });
        results.push(result);
        reporter.scenarioEnd(result);
      } finally {
        if (!remote) await target.close();
      }
      if (args.bail && results.at(-1)!.status === 'failed') break;
    }
    reporter.end(results);
    if (results.some((r) => r.status === 'failed')) throw new CliError(`${results.filter((r) => r.status === 'failed').length} scenario(s) failed.`, EXIT.FAILED, undefined, true);
  },
};
