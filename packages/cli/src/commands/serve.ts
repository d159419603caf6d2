/**
 * `jiema serve`: the main job. A local jiema-compatible server on 127.0.0.1:8787, on a SQLite
 * file, the simulator's upstream on real time and the default fixtures, unless told otherwise.
 */
import type { Argv } from 'yargs';
import { isPostgresUrl, parseTrustProxy, redactPostgresUrl, type LogLevel } from '@jiema/core';
import { DEFAULT_DB } from '../local-state.js';
import { CliError, dollars, EXIT, type Output } from '../output.js';
import { startServe, type RunningServe } from '../serve/start-server.js';
import { exposureWarning } from '../serve/exposure.js';
import type { Command } from './command.js';

export const serveCommand: Command = {
  command: 'serve',
  describe: 'Start a local jiema-compatible server (simulated upstream by default)',
  builder: (y: Argv) =>
    y
      .option('port', { type: 'number', default: 8787, describe: 'Port to listen on (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('db', {
        type: 'string',
        default: DEFAULT_DB,
        describe:
          'SQLite file (created if missing, kept across restarts), or a PostgreSQL URL postgres://user@host:5432/database (tables in its first search_path schema; one simulator per schema, any number of servers on a real upstream; see docs/scaling.md)',
      })
      .option('ephemeral', { type: 'boolean', default: false, describe: 'Keep everything in memory; nothing is written to disk' })
      .option('seed', { type: 'number', default: 1, describe: 'Seed for the simulated upstream (same seed, same run)' })
      .option('clock', { type: 'string', default: 'real', describe: 'Simulator clock: real, manual, or a speed like 60x' })
      .option('fixtures', { type: 'string', describe: 'Catalogue fixture file (default: the catalogue shipped in @jiema/core)' })
      .option('upstream', {
        choices: ['sim', 'sms-activate', '5sim'] as const,
        default: 'sim' as const,
        describe: 'Where numbers come from',
      })
      .option('upstream-url', { type: 'string', describe: 'Base URL of the real upstream (with --upstream sms-activate|5sim)' })
      .option('upstream-key', { type: 'string', describe: "The real upstream's API key" })
      .option('upstream-webhook-secret', {
        type: 'string',
        describe:
          "With --upstream sms-activate: accept the provider's incoming-SMS webhook at POST /upstream/v1/sms-activate/<secret> (at least 16 letters, digits, - or _; never printed)",
      })
      .option('cost-rate', { type: 'string', describe: 'US dollars per one upstream cost unit, e.g. 0.011 for RUB (default 1)' })
      .option('admin-token', {
        type: 'string',
        describe:
          'Admin token (default: generated once, its digest kept in the database; on PostgreSQL, needed when the database has one this machine did not save)',
      })
      .option('log-level', {
        choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const,
        default: 'warn' as const,
        describe: 'Log level (logs go to stderr)',
      })
      .option('log-format', {
        choices: ['pretty', 'json'] as const,
        describe:
          'pretty: readable lines, and with the simulator one line per request (default on a terminal); json: one JSON object a line (default otherwise)',
      })
      .option('facade-key', {
        type: 'string',
        describe: 'Simulator: the key its upstream-protocol facades accept (default: random, printed at start)',
      })
      .option('facade-webhook-url', {
        type: 'string',
        describe:
          "Simulator: the SMS-Activate facade POSTs every SMS to this URL, as the provider's incoming-SMS webhook (also: jiema sim webhook <url>)",
      })
      .option('behaviour', {
        type: 'string',
        describe:
          'Simulator: ideal (default: every order gets its SMS in 5–40 s), realistic (real-world failure rates), scripted (no SMS unless sent with `jiema sim sms`), or a YAML/JSON behaviour file',
      })
      .option('reconcile-after-ms', {
        type: 'number',
        describe: 'How old a buy with an unknown outcome must be before it is reconciled (default 60000)',
      })
      .option('demo', {
        type: 'boolean',
        default: false,
        describe: 'With a real upstream: create a demo user too (it spends real money). Always on with the simulator',
      })
      .option('demo-balance', { type: 'number', default: 1_000, describe: "The demo user's balance when it is created, in cents" })
      .option('console', { type: 'boolean', default: true, describe: 'Serve the web console at / (--no-console to turn it off)' })
      .option('allow-private-webhooks', {
        type: 'boolean',
        default: false,
        describe:
          'With a real upstream: let webhooks go to private and loopback addresses (refused by default against SSRF; the simulator always allows them)',
      })
      .option('min-upstream-balance', {
        type: 'number',
        describe: "Not ready (/readyz 503) and a warning once the provider balance is below this, in the provider's currency",
      })
      .option('metrics-port', {
        type: 'number',
        describe: 'Also serve /metrics on this port, without the admin token (on the main port it needs the token)',
      })
      .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'Address for --metrics-port' })
      .option('trust-proxy', {
        type: 'string',
        describe:
          'Behind a reverse proxy: how many hops (1) or which proxy addresses/CIDRs (10.0.0.0/8,loopback) to believe X-Forwarded-For from',
      })
      .check((a) => {
        if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65_535)
          throw new Error(`--port must be a whole number from 0 to 65535, got ${String(a.port)}.`);
        if (!Number.isInteger(a.seed)) throw new Error(`--seed must be a whole number, got ${String(a.seed)}.`);
        if (!Number.isInteger(a['demo-balance']) || a['demo-balance'] < 0)
          throw new Error('--demo-balance must be a whole number of cents.');
        if (!/^(real|manual|\d+(\.\d+)?x)$/.test(String(a.clock)))
          throw new Error(`--clock is real, manual, or a speed like 60x; got ${String(a.clock)}.`);
        if (a['min-upstream-balance'] !== undefined && !(Number.isFinite(a['min-upstream-balance']) && a['min-upstream-balance'] >= 0)) {
          throw new Error(`--min-upstream-balance must be a number of at least 0, got ${String(a['min-upstream-balance'])}.`);
        }
        const mp = a['metrics-port'];
        if (mp !== undefined && (!Number.isInteger(mp) || mp < 0 || mp > 65_535))
          throw new Error(`--metrics-port must be a whole number from 0 to 65535, got ${String(mp)}.`);
        const hookSecret = a['upstream-webhook-secret'];
        if (hookSecret !== undefined) {
          if (a.upstream !== 'sms-activate')
            throw new Error(
              `--upstream-webhook-secret is for --upstream sms-activate, whose provider pushes SMS; not --upstream ${String(a.upstream)}.`,
            );
          if (!/^[A-Za-z0-9_-]{16,128}$/.test(String(hookSecret)))
            throw new Error('--upstream-webhook-secret must be 16 to 128 letters, digits, - or _ (it goes in a URL path).');
        }
        if (a['facade-webhook-url'] !== undefined) {
          if (a.upstream !== 'sim') throw new Error('--facade-webhook-url is for the simulated upstream (--upstream sim).');
          if (!/^https?:\/\/\S+$/.test(String(a['facade-webhook-url'])))
            throw new Error('--facade-webhook-url must be an http or https URL.');
        }
        if (a.behaviour !== undefined && a.upstream !== 'sim')
          throw new Error('--behaviour describes the simulated upstream; it does not apply with --upstream ' + String(a.upstream) + '.');
        if (a['trust-proxy'] !== undefined) {
          try {
            parseTrustProxy(String(a['trust-proxy']));
          } catch (err) {
            throw new Error(
              `--trust-proxy takes a hop count (1) or proxy addresses and CIDRs separated by commas: ${(err as Error).message}`,
            );
          }
        }
        return true;
      })
      .example('$0 serve', 'Local server on http://127.0.0.1:8787 with a simulated upstream')
      .example('$0 serve --ephemeral --port 0 --json', 'Throwaway server on a free port; prints {url, apiKey, adminToken}')
      .example(
        "$0 serve --db 'postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Ddev'",
        'The simulator on PostgreSQL, in the schema "dev" (CREATE SCHEMA dev first)',
      )
      .example(
        '$0 serve --upstream sms-activate --upstream-url https://hero-sms.com --upstream-key $KEY',
        'Production, on a real upstream',
      ),
  handler: async (args, out: Output) => {
    // Everything this server writes (the database, its -wal/-shm, the credentials file) is private.
    process.umask(0o077);
    const running = await startServe({
      port: args.port as number,
      host: args.host as string,
      db: args.ephemeral ? null : (args.db as string),
      seed: args.seed as number,
      clock: args.clock as string,
      fixtures: args.fixtures as string | undefined,
      upstream: args.upstream as 'sim' | 'sms-activate' | '5sim',
      upstreamUrl: args['upstream-url'] as string | undefined,
      upstreamKey: args['upstream-key'] as string | undefined,
      upstreamWebhookSecret: args['upstream-webhook-secret'] as string | undefined,
      costRate: args['cost-rate'] as string | undefined,
      adminToken: args['admin-token'] as string | undefined,
      logLevel: args['log-level'] as LogLevel,
      logFormat: (args['log-format'] as 'pretty' | 'json' | undefined) ?? (process.stderr.isTTY ? 'pretty' : 'json'),
      demoBalanceCents: args['demo-balance'] as number,
      demo: args.demo as boolean,
      facadeKey: args['facade-key'] as string | undefined,
      facadeWebhookUrl: args['facade-webhook-url'] as string | undefined,
      behaviour: args.behaviour as string | undefined,
      reconcileAfterMs: args['reconcile-after-ms'] as number | undefined,
      allowPrivateWebhooks: Boolean(args['allow-private-webhooks']),
      console: args.console as boolean,
      minUpstreamBalance: args['min-upstream-balance'] as number | undefined,
      metricsPort: args['metrics-port'] as number | undefined,
      metricsHost: args['metrics-host'] as string,
      ...(args['trust-proxy'] !== undefined && { trustProxy: parseTrustProxy(String(args['trust-proxy'])) }),
    }).catch((err: unknown) => {
      if (err instanceof CliError) throw err;
      throw new CliError(`Could not start the server: ${(err as Error).message}`, EXIT.UNREACHABLE);
    });
    printReady(running, args, out);
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

/**
 * The ready banner (docs/decisions.md D46). A supplied admin token is never printed; a generated
 * one is printed once, on the start that made it, and only to a terminal — or, for the simulator,
 * in the --json ready line of that start (its machine interface; ephemeral servers have nowhere
 * else to keep it). Otherwise it is in the 0600 credentials file, whose path is printed.
 */
function printReady(running: RunningServe, args: Record<string, unknown>, out: Output): void {
  const sim = running.upstream === 'sim';
  const tty = Boolean(process.stdout.isTTY);
  const generatedNow = running.adminTokenSource === 'generated';
  const warning = exposureWarning(args.host as string, sim);
  if (warning) out.error(warning);
  if (running.databaseWasMissing) {
    out.error(
      `jiema: warning: the database ${String(args.db)} was missing (its credentials file shows a server used it before), so this server starts with an empty one.`,
    );
  }
  if (running.adminTokenReplaced) {
    out.error('jiema: the saved admin token was missing, so a new one replaced it (the old one no longer works).');
  }
  // The console link signs a browser in once, as an operator: printed only to a terminal, or in the
  // simulator's --json ready line, its machine interface (docs/decisions.md D112).
  const consoleUrl =
    running.consoleUrl !== undefined && (tty || (sim && out.json)) ? (running.consoleLoginUrl() ?? running.consoleUrl) : running.consoleUrl;
  if (out.json) {
    out.line(
      JSON.stringify({
        url: running.url,
        ...(consoleUrl !== undefined && { consoleUrl }),
        ...(running.metricsUrl !== undefined && { metricsUrl: running.metricsUrl }),
        apiKey: sim ? (running.demoKey ?? null) : null,
        ...(sim && generatedNow && { adminToken: running.adminToken }),
        userId: running.demoUserId ?? null,
        docsUrl: `${running.url}/docs`,
        ...(running.credentialsFile && { credentialsFile: running.credentialsFile }),
        ...(running.facade && { facadeUrl: running.facade.url, facadeKey: running.facade.apiKey }),
      }),
    );
    return;
  }
  const showToken = generatedNow && (tty || (sim && !running.credentialsFile));
  out.line(
    `jiema server ready at ${running.url}  (upstream: ${running.upstream}, database: ${args.ephemeral ? 'in memory' : isPostgresUrl(String(args.db)) ? redactPostgresUrl(String(args.db)) : String(args.db)})`,
  );
  if (consoleUrl !== undefined) {
    out.line(
      `  console:       ${consoleUrl}   ${consoleUrl.includes('#token=') ? '(open it to sign in; the link works once)' : '(sign in with the admin token or an API key)'}`,
    );
  }
  out.line(`  API reference: ${running.url}/docs`);
  if (running.metricsUrl !== undefined) out.line(`  metrics:       ${running.metricsUrl}   (no token; keep this port private)`);
  if (running.adminTokenSource === 'supplied') out.line('  admin token:   the one you supplied (not shown)');
  else if (showToken)
    out.line(
      `  admin token:   ${running.adminToken}   (shown only now${running.credentialsFile ? `; also saved in ${running.credentialsFile}` : ''})`,
    );
  else out.line(`  admin token:   saved in ${running.credentialsFile ?? '(nowhere: pass --admin-token)'}`);
  if (running.upstreamPushPath)
    out.line(`  upstream webhook: POST ${running.url}${running.upstreamPushPath}   (give the provider this URL with your secret)`);
  if (running.facade) out.line(`  upstream protocol (SMS-Activate family): ${running.facade.url}  key ${running.facade.apiKey}`);
  if (running.demoKey && (sim || (running.demoCreated && tty))) {
    const balance = running.engine().accounts.requireUser(running.demoUserId!).balanceCents;
    out.line(
      `  demo API key:  ${running.demoKey}   (demo balance ${dollars(balance)}${running.credentialsFile ? '; saved for the jiema CLI' : ''})`,
    );
    out.line('');
    out.line(`  try:  curl -s -H 'Authorization: Bearer ${running.demoKey}' ${running.url}/api/v1/account`);
  } else if (running.demoKey && running.credentialsFile) {
    out.line(`  demo API key:  saved in ${running.credentialsFile}`);
  } else if (running.demoKey) {
    // No file to keep it in (PostgreSQL): a key shown nowhere would be lost; an operator makes one with `jiema admin`.
    out.line(`  demo user:     ${running.demoUserId!} (make it a key with: jiema keys create ${running.demoUserId!})`);
  }
  out.line('Press Ctrl-C to stop.');
}
