/**
 * `jiema serve`: the main job. A local jiema-compatible server on 127.0.0.1:8787, on a SQLite
 * file, the simulator's upstream on real time and the default fixtures, unless told otherwise.
 */
import type { Argv } from 'yargs';
import type { LogLevel } from '@jiema/core';
import { DEFAULT_DB } from '../local-state.js';
import { CliError, dollars, EXIT, type Output } from '../output.js';
import { startServe } from '../serve/start-server.js';
import type { Command } from './command.js';

export const serveCommand: Command = {
  command: 'serve',
  describe: 'Start a local jiema-compatible server (simulated upstream by default)',
  builder: (y: Argv) =>
    y
      .option('port', { type: 'number', default: 8787, describe: 'Port to listen on (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('db', { type: 'string', default: DEFAULT_DB, describe: 'SQLite file; created if missing, kept across restarts' })
      .option('ephemeral', { type: 'boolean', default: false, describe: 'Keep everything in memory; nothing is written to disk' })
      .option('seed', { type: 'number', default: 1, describe: 'Seed for the simulated upstream (same seed, same run)' })
      .option('clock', { type: 'string', default: 'real', describe: 'Simulator clock: real, manual, or a speed like 60x' })
      .option('fixtures', { type: 'string', describe: 'Catalogue fixture file (default: the bundled fixtures/catalogue.json)' })
      .option('upstream', { choices: ['sim', 'sms-activate', '5sim'] as const, default: 'sim' as const, describe: 'Where numbers come from' })
      .option('upstream-url', { type: 'string', describe: 'Base URL of the real upstream (with --upstream sms-activate|5sim)' })
      .option('upstream-key', { type: 'string', describe: "The real upstream's API key" })
      .option('cost-rate', { type: 'string', describe: 'US dollars per one upstream cost unit, e.g. 0.011 for RUB (default 1)' })
      .option('admin-token', { type: 'string', describe: 'Admin token (default: generated once and kept in the database)' })
      .option('log-level', { choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const, default: 'warn' as const, describe: 'Log level (logs go to stderr)' })
      .option('facade-key', { type: 'string', describe: "Simulator: the key its upstream-protocol facades accept (default: random, printed at start)" })
      .option('behaviour', { type: 'string', describe: 'Simulator: a YAML/JSON file with SMS delays, failure rates, early-cancel hold… (see the simulator README)' })
      .option('reconcile-after-ms', { type: 'number', describe: 'How old a buy with an unknown outcome must be before it is reconciled (default 60000)' })
      .option('demo-balance', { type: 'number', default: 1_000, describe: "The demo user's balance on first start, in cents" })
      .check((a) => {
        if (!Number.isInteger(a.port) || (a.port as number) < 0 || (a.port as number) > 65_535) throw new Error(`--port must be a whole number from 0 to 65535, got ${String(a.port)}.`);
        if (!Number.isInteger(a.seed)) throw new Error(`--seed must be a whole number, got ${String(a.seed)}.`);
        if (!Number.isInteger(a['demo-balance']) || (a['demo-balance'] as number) < 0) throw new Error('--demo-balance must be a whole number of cents.');
        if (!/^(real|manual|\d+(\.\d+)?x)$/.test(String(a.clock))) throw new Error(`--clock is real, manual, or a speed like 60x; got ${String(a.clock)}.`);
        return true;
      })
      .example('$0 serve', 'Local server on http://127.0.0.1:8787 with a simulated upstream')
      .example('$0 serve --ephemeral --port 0 --json', 'Throwaway server on a free port; prints {url, apiKey, adminToken}')
      .example('$0 serve --upstream sms-activate --upstream-url https://hero-sms.com --upstream-key $KEY', 'Production, on a real upstream'),
  handler: async (args, out: Output) => {
    const running = await startServe(
      {
        port: args.port as number,
        host: args.host as string,
        db: args.ephemeral ? null : (args.db as string),
        seed: args.seed as number,
        clock: args.clock as string,
        fixtures: args.fixtures as string | undefined,
        upstream: args.upstream as 'sim' | 'sms-activate' | '5sim',
        upstreamUrl: args['upstream-url'] as string | undefined,
        upstreamKey: args['upstream-key'] as string | undefined,
        costRate: args['cost-rate'] as string | undefined,
        adminToken: args['admin-token'] as string | undefined,
        logLevel: args['log-level'] as LogLevel,
        demoBalanceCents: args['demo-balance'] as number,
        facadeKey: args['facade-key'] as string | undefined,
        behaviour: args.behaviour as string | undefined,
        reconcileAfterMs: args['reconcile-after-ms'] as number | undefined,
      },
      { freshKey: Boolean(args.json) },
    ).catch((err: unknown) => {
      if (err instanceof CliError) throw err;
      throw new CliError(`Could not start the server: ${(err as Error).message}`, EXIT.UNREACHABLE);
    });

    if (out.json) {
      out.line(
        JSON.stringify({
          url: running.url,
          apiKey: running.demoKey ?? null,
          adminToken: running.adminToken,
          userId: running.demoUserId,
          ...(running.facade && { facadeUrl: running.facade.url, facadeKey: running.facade.apiKey }),
        }),
      );
    } else {
      out.line(`jiema server ready at ${running.url}  (upstream: ${running.upstream}, database: ${args.ephemeral ? 'in memory' : args.db})`);
      out.line(`  admin token:   ${running.adminToken}`);
      if (running.facade) out.line(`  upstream protocol (SMS-Activate family): ${running.facade.url}  key ${running.facade.apiKey}`);
      if (running.demoKey) {
        const balance = running.engine().accounts.requireUser(running.demoUserId).balanceCents;
        out.line(`  demo API key:  ${running.demoKey}   (shown only now; demo balance ${dollars(balance)})`);
        out.line('');
        out.line(`  try:  curl -s -H 'Authorization: Bearer ${running.demoKey}' ${running.url}/api/v1/account`);
      } else {
        out.line('  The demo user already exists; its key was shown on first start. Make another with `jiema keys create <userId>`.');
      }
      out.line('Press Ctrl-C to stop.');
    }

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        if (!out.json) out.error(`${signal} received: finishing in-flight work and closing the database…`);
        void running.close().then(resolve, resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  },
};
