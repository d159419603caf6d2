/**
 * `jiema replay <files or globs…>`: runs scenario files — on a fresh in-process simulator each
 * (manual virtual time: a 20-minute timeline takes milliseconds), or against a running server
 * with --target. Exit code 1 when any scenario fails.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { glob } from 'tinyglobby';
import { loadStructuredFileAt } from '../load-file.js';
import { CliError, EXIT, type Output } from '../output.js';
import { createReporter, REPORTERS, type Reporter, type ReporterName } from '../replay/reporters.js';
import { runScenario, type ScenarioResult, type Where } from '../replay/runner.js';
import { ScenarioSchema, scenarioJsonSchema, scenarioProblems, type Scenario } from '../replay/scenario-schema.js';
import { remoteTarget, simulatorTarget, type Target } from '../replay/target.js';
import type { Command } from './command.js';

/** Scenario files in a folder (and its subfolders): .yaml, .yml and .json, but not JSON Schemas. */
const SCENARIO_FILES = ['**/*.yaml', '**/*.yml', '**/*.json', '!**/*.schema.json', '!**/node_modules/**'];

async function expand(patterns: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of patterns) {
    if (/[*?[{]/.test(p)) {
      const found = (await glob(p, { absolute: false })).sort();
      if (found.length === 0) throw new CliError(`No scenario files match ${p}.`, EXIT.USAGE);
      files.push(...found.filter((f) => !f.endsWith('.schema.json')));
    } else if (!existsSync(p)) {
      throw new CliError(`${p}: no such file or folder.`, EXIT.USAGE);
    } else if (statSync(p).isDirectory()) {
      const found = (await glob(SCENARIO_FILES, { cwd: p, absolute: false })).sort().map((f) => `${p.replace(/\/+$/, '')}/${f}`);
      if (found.length === 0) throw new CliError(`${p}: the folder has no scenario files (.yaml, .yml, .json).`, EXIT.USAGE);
      files.push(...found);
    } else {
      files.push(p);
    }
  }
  return [...new Set(files)];
}

function parseKeys(values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of ([] as unknown[]).concat(values ?? [])) {
    const m = /^([A-Za-z_]\w*)=(jm_\S+)$/.exec(String(v));
    if (!m)
      throw new CliError(
        `--key takes name=jm_… (a name, "=", then the key); got something else${/=/.test(String(v)) ? ` for "${String(v).split('=')[0]}"` : ''}.`,
        EXIT.USAGE,
      );
    out[m[1]!] = m[2]!;
  }
  return out;
}

export const replayCommand: Command = {
  command: 'replay [files..]',
  describe: 'Run scenario files: on an in-process simulator, or against a running server',
  builder: (y: Argv) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'Scenario files (.yaml/.json), folders, or globs' })
      .option('target', { type: 'string', describe: 'Run against this server instead of an in-process simulator' })
      .option('admin-token', { type: 'string', describe: "The target's admin token (opens its admin and control APIs)" })
      .option('key', {
        type: 'string',
        array: true,
        describe: 'A fixed key for a scenario user: alice=jm_… (targets without an admin token)',
      })
      .option('max-spend-cents', { type: 'number', describe: 'Refuse to order once this many cents were charged (for live servers)' })
      .option('reporter', { choices: REPORTERS, default: 'pretty', describe: 'Output format' })
      .option('seed', { type: 'number', describe: "Seed for the simulator (overrides each scenario's seed)" })
      .option('output', { type: 'string', describe: 'Write the report to this file (progress still shows on the terminal)' })
      .option('reset', {
        type: 'boolean',
        default: true,
        describe: 'With --target: reset a simulator target before each file (--no-reset to keep its data)',
      })
      .option('bail', { type: 'boolean', default: false, describe: 'Stop after the first failing scenario' })
      .option('print-schema', { type: 'boolean', default: false, describe: 'Print the JSON Schema of scenario files and exit' })
      .example('$0 replay fixtures/scenarios', 'Run every bundled scenario on in-process simulators')
      .example('$0 replay fixtures/scenarios --reporter junit --output report.xml', 'A JUnit report for CI, progress on the terminal')
      .example(
        '$0 replay happy.yaml --target http://127.0.0.1:8787 --admin-token $T --reporter junit > report.xml',
        'Against a running server',
      ),
  handler: async (args, out: Output) => {
    if (args['print-schema']) {
      out.line(JSON.stringify(scenarioJsonSchema(), null, 2));
      return;
    }
    const patterns = (args.files as string[] | undefined) ?? [];
    if (patterns.length === 0)
      throw new CliError('Name at least one scenario file or glob, e.g. jiema replay "fixtures/scenarios/*.yaml".', EXIT.USAGE);
    const files = await expand(patterns);
    const scenarios: Array<{ file: string; scenario: Scenario; where: Where }> = files.map((file) => {
      const loaded = loadStructuredFileAt(file, ScenarioSchema, scenarioProblems);
      return { file, scenario: loaded.data, where: loaded.where };
    });
    const reporterName: ReporterName = out.json ? 'json' : (args.reporter as ReporterName);
    const output = args.output as string | undefined;
    let report = '';
    const reporter = output
      ? both(
          createReporter(reporterName, (text) => (report += text)),
          out.json || reporterName === 'pretty' ? undefined : createReporter('pretty', (text) => process.stdout.write(text)),
        )
      : createReporter(reporterName, (text) => process.stdout.write(text));
    const keys = parseKeys(args.key);
    let remote: Target | undefined;
    if (args.target) {
      try {
        remote = await remoteTarget(args.target as string, args['admin-token'] as string | undefined, { reset: args.reset as boolean });
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.UNREACHABLE);
      }
    }
    const results: ScenarioResult[] = [];
    for (const [i, { file, scenario, where }] of scenarios.entries()) {
      reporter.scenarioStart(scenario.name, file, i, scenarios.length);
      const seed = (args.seed as number | undefined) ?? scenario.seed ?? 1;
      const target = remote ?? (await simulatorTarget(scenario, seed));
      try {
        const result = await runScenario(scenario, file, target, {
          seed,
          where,
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
    if (output) {
      try {
        writeFileSync(output, report);
      } catch (err) {
        throw new CliError(
          `Cannot write the report to ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
          EXIT.FAILED,
        );
      }
      if (!out.json) process.stdout.write(`Report written to ${output}\n`);
    }
    if (results.some((r) => r.status === 'failed'))
      throw new CliError(`${results.filter((r) => r.status === 'failed').length} scenario(s) failed.`, EXIT.FAILED, undefined, true);
  },
};

/** Tells two reporters the same run (the report for a file, progress for the terminal). */
function both(a: Reporter, b: Reporter | undefined): Reporter {
  if (!b) return a;
  return {
    scenarioStart: (...x) => (a.scenarioStart(...x), b.scenarioStart(...x)),
    step: (r) => (a.step(r), b.step(r)),
    scenarioEnd: (r) => (a.scenarioEnd(r), b.scenarioEnd(r)),
    end: (r) => (a.end(r), b.end(r)),
  };
}
