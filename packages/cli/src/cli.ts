/**
 * The `jiema` command line: global flags, every command, and one place where failures become
 * one clear line and an exit code.
 */
import yargs, { type Argv } from 'yargs';
import { PostgresUnreachableError, redactSecrets } from '@jiema/core';
import { CliError, createOutput, EXIT } from './output.js';
import { configDefaults, configPathFrom, loadConfigFile, type ConfigFile, type OptionTypes } from './config-file.js';
import type { Command } from './commands/command.js';
import { serveCommand } from './commands/serve.js';
import { seedCommand } from './commands/seed.js';
import { replayCommand } from './commands/replay.js';
import { adminCommands } from './commands/admin.js';
import { automationCommands } from './commands/automation.js';
import { listenCommand } from './commands/listen.js';
import { simCommands } from './commands/sim.js';
import { adminOrdersCommand, ledgerCommand } from './commands/support.js';
import { backupCommand, restoreCommand } from './commands/backup.js';
import { migrateCommand } from './commands/migrate.js';

const COMMANDS: Command[] = [
  serveCommand,
  seedCommand,
  replayCommand,
  ...adminCommands,
  ...automationCommands,
  adminOrdersCommand,
  ledgerCommand,
  backupCommand,
  restoreCommand,
  migrateCommand,
  listenCommand,
  ...simCommands,
];

const EPILOGUE = `Exit codes: 0 success · 1 the command failed (an API error, a failed scenario) · 2 bad usage or an invalid input file · 3 the server could not be reached or started.
Environment: every flag has a JIEMA_ equivalent (JIEMA_BASE_URL, JIEMA_API_KEY, JIEMA_ADMIN_TOKEN, JIEMA_PORT, …).
Configuration: --config jiema.yaml sets flags by name (port: 8787); a flag wins over its JIEMA_ variable, which wins over the file.`;

export async function runCli(argv: string[], io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<number> {
  let exitCode: number = EXIT.OK;
  const stderr = io.stderr ?? process.stderr;
  let config: ConfigFile | undefined;
  try {
    const path = configPathFrom(argv);
    config = path === undefined ? undefined : loadConfigFile(path);
  } catch (err) {
    return report(err, createOutput(false, io.stdout, stderr));
  }
  let y: Argv = yargs(argv)
    .scriptName('jiema')
    .option('json', { type: 'boolean', default: false, describe: 'Machine-readable output: one JSON document' })
    .option('config', {
      type: 'string',
      describe: 'A YAML/JSON file of settings named like the flags (env JIEMA_CONFIG); flags and JIEMA_ variables override it',
    })
    .strict()
    .demandCommand(1, 'Name a command; `jiema --help` lists them.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(EPILOGUE)
    .help()
    .alias('help', 'h')
    .version('0.1.0')
    .fail((msg, err) => {
      // Throwing stops yargs: a command must never run with arguments it refused.
      // Only yargs' own validation (unknown flags, failed checks) lands here: usage errors.
      if (err instanceof CliError) throw err;
      throw new CliError(`${msg ?? err?.message}\nRun with --help to see the usage.`, EXIT.USAGE);
    });
  for (const c of COMMANDS) {
    y = y.command(
      c.command,
      c.describe,
      (b) => withEnvDefaults(c.builder(b), config),
      async (args) => {
        const out = createOutput(Boolean(args.json), io.stdout, stderr);
        try {
          await c.handler(args, out);
        } catch (err) {
          exitCode = report(err, out);
        }
      },
    );
  }
  try {
    await y.parseAsync();
  } catch (err) {
    exitCode = report(err, createOutput(false, io.stdout, stderr));
  }
  return exitCode;
}

function report(err: unknown, out: ReturnType<typeof createOutput>): number {
  // A PostgreSQL database that cannot be reached is a fact about the machine, not a bug here.
  if (err instanceof PostgresUnreachableError) err = new CliError(err.message, EXIT.UNREACHABLE);
  if (err instanceof CliError) {
    if (err.quiet) return err.exitCode;
    // No secret in an error message (docs/decisions.md D46): a key or token that found its way
    // into one (an argument echoed back) is masked to its hint.
    if (out.json)
      out.line(
        JSON.stringify({ ok: false, error: redactSecrets(err.message), ...(err.details !== undefined && { details: err.details }) }),
      );
    else out.error(`jiema: ${redactSecrets(err.message)}`);
    return err.exitCode;
  }
  out.error(`jiema: unexpected error: ${redactSecrets(err instanceof Error ? err.message : String(err))}`);
  return EXIT.FAILED;
}

/**
 * JIEMA_<FLAG> sets the default of --<flag>, for the flags a command declares. (yargs' own .env()
 * turns every JIEMA_ variable into an argument, which strict mode then refuses for commands that
 * do not take it: JIEMA_API_KEY would break the admin commands.)
 */
const SECRET_FLAG = /key|token|secret|password/i;

// getOptions() is public in yargs 18 but missing from @types/yargs 17.
const optionsOf = (y: Argv): OptionTypes => {
  const o = (y as unknown as { getOptions(): OptionTypes }).getOptions();
  return { ...o, choices: o.choices ?? {} };
};

let allOptionNames: Set<string> | undefined;
/** Every flag of every command: the names a configuration file may use. */
function knownSettings(): Set<string> {
  if (!allOptionNames) {
    allOptionNames = new Set();
    for (const c of COMMANDS) for (const name of Object.keys(optionsOf(c.builder(yargs([]))).key)) allOptionNames.add(name);
  }
  return allOptionNames;
}

/** The file's settings become defaults first; JIEMA_ variables then override them, and flags override both (docs/decisions.md D105). */
function withEnvDefaults(y: Argv, config?: ConfigFile): Argv {
  const o = optionsOf(y);
  if (config)
    for (const [name, value] of configDefaults(config, o, new Set([...knownSettings(), ...Object.keys(o.key)])))
      y = y.default(name, value, SECRET_FLAG.test(name) ? `from ${config.path}` : undefined);
  for (const name of Object.keys(o.key)) {
    if (name === 'help' || name === 'version' || name.includes('.')) continue;
    const variable = `JIEMA_${name.replace(/-/g, '_').toUpperCase()}`;
    const value = process.env[variable];
    if (value === undefined || value === '') continue;
    // --help shows where a secret's default comes from, never the secret (docs/decisions.md D46).
    const shown = SECRET_FLAG.test(name) ? `from $${variable}` : undefined;
    if (o.boolean.includes(name)) y = y.default(name, /^(1|true|yes)$/i.test(value), shown);
    else if (o.number.includes(name)) y = y.default(name, Number(value), shown);
    else if (o.array.includes(name)) y = y.default(name, value.split(/\s+/).filter(Boolean), shown);
    else y = y.default(name, value, shown);
  }
  return y;
}
