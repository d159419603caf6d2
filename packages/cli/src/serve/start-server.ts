/**
 * Assembles what `jiema serve` runs: the simulator (fake upstream, virtual clock) by default, or
 * the engine on a real upstream adapter. Either way: a SQLite file (or memory) that only this
 * server holds, or a PostgreSQL schema (held by one simulator, or shared by servers on a real
 * upstream), the secrets it starts with (docs/decisions.md D45, D46), and — with the simulator,
 * or when asked with --demo — a demo user with a key, kept for the CLI in the credentials file.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  checkPostgresUrl,
  createLogger,
  DatabaseLockedError,
  isPostgresUrl,
  peekPostgresSettings,
  peekSettings,
  PostgresError,
  redactPostgresUrl,
  UPSTREAM_PUSH_PREFIX,
  type Engine,
  type LogLevel,
  type TrustProxy,
} from '@jiema/core';
import { hashSecret } from '@jiema/core/http';
import { BEHAVIOUR_PRESETS, BehaviourSpecSchema, startSimulator, type Simulator, type World } from '@jiema/simulator';
import { consoleAssetsDir } from '@jiema/console';
import { credentialsPath, readCredentials, writeCredentials, type LocalCredentials } from '../credentials.js';
import { loadStructuredFile } from '../load-file.js';
import { eventLine, isEventPoll, prettyLogDestination } from '../event-lines.js';
import { CliError, EXIT } from '../output.js';
import { startWithAdapter, type AdapterKind } from './adapter-server.js';
import { startMetricsListener, type MetricsListener } from './metrics-listener.js';
import { chooseSecret, newAdminToken, newFacadeKey, savedAdminToken, SETTING, type SecretSource } from './secrets.js';

export interface ServeOptions {
  port: number;
  host: string;
  /** A file path, or null for memory (--ephemeral). */
  db: string | null;
  seed: number;
  clock: string;
  fixtures?: string | undefined;
  upstream: 'sim' | AdapterKind;
  upstreamUrl?: string | undefined;
  upstreamKey?: string | undefined;
  /** With --upstream sms-activate: the secret in the path of the provider's webhook (docs/decisions.md D99). */
  upstreamWebhookSecret?: string | undefined;
  costRate?: string | undefined;
  adminToken?: string | undefined;
  logLevel: LogLevel;
  /** pretty: readable lines, and with the simulator one line per request; json: pino's JSON lines (docs/decisions.md D78). */
  logFormat?: 'pretty' | 'json' | undefined;
  /** Demo user's opening balance when it is created. */
  demoBalanceCents: number;
  /** Create the demo user with a real upstream too (it always exists with the simulator). */
  demo?: boolean | undefined;
  /** The key the simulator's protocol facades accept (default: kept from the last start, or new). */
  facadeKey?: string | undefined;
  /** The simulator's SMS-Activate facade POSTs every SMS here, as the provider's webhook (docs/decisions.md D99). */
  facadeWebhookUrl?: string | undefined;
  /** A YAML/JSON file with the simulator's behaviour. */
  behaviour?: string | undefined;
  reconcileAfterMs?: number | undefined;
  /** Webhooks may go to private and loopback addresses (docs/decisions.md D95); the simulator always allows them. */
  allowPrivateWebhooks?: boolean | undefined;
  trustProxy?: TrustProxy | undefined;
  /** Serve the web console at / (default true; --no-console turns it off). */
  console?: boolean | undefined;
  /** The provider balance below which /readyz answers 503 (docs/decisions.md D103). */
  minUpstreamBalance?: number | undefined;
  /** Serve /metrics on a listener of its own, without the admin token (docs/decisions.md D102). */
  metricsPort?: number | undefined;
  metricsHost?: string | undefined;
}

export interface RunningServe {
  url: string;
  adminToken: string;
  /** Where the admin token came from: given by the operator, kept from an earlier start, or made now. */
  adminTokenSource: SecretSource;
  /** A stored digest whose plain token was lost (the credentials file was deleted): a new one replaced it. */
  adminTokenReplaced: boolean;
  engine: () => Engine;
  /** The demo user's key, when there is a demo user. */
  demoKey: string | undefined;
  /** Whether this start created the demo user (or its key). */
  demoCreated: boolean;
  demoUserId: string | undefined;
  upstream: string;
  /** With the simulator: where its upstream-protocol facades answer, and their key. */
  facade: { url: string; apiKey: string } | undefined;
  /** With a webhook secret: the provider's webhook path, the secret shown as `<secret>` (never printed). */
  upstreamPushPath: string | undefined;
  /** The 0600 file the CLI reads the secrets from, or undefined for --ephemeral. */
  credentialsFile: string | undefined;
  /** The database file was missing while its credentials file said a server used it before. */
  databaseWasMissing: boolean;
  /** Where the metrics listener answers (with --metrics-port). */
  metricsUrl: string | undefined;
  /** The console's address, or undefined with --no-console. */
  consoleUrl: string | undefined;
  /** A one-time link that signs a browser in to the console as an operator (docs/decisions.md D112). */
  consoleLoginUrl(): string | undefined;
  close(): Promise<void>;
}

export async function startServe(o: ServeOptions): Promise<RunningServe> {
  if (o.upstream !== 'sim' && (!o.upstreamUrl || !o.upstreamKey)) {
    throw new CliError(
      `--upstream ${o.upstream} needs --upstream-url and --upstream-key (or JIEMA_UPSTREAM_URL and JIEMA_UPSTREAM_KEY).`,
      EXIT.USAGE,
    );
  }
  // A PostgreSQL database (docs/decisions.md D127) is shared by any number of servers on a real
  // upstream, or held by one simulator; its credentials file is kept in ./.jiema (credentials.ts).
  const postgresUrl = o.db !== null && isPostgresUrl(o.db) ? o.db : undefined;
  if (postgresUrl) {
    try {
      checkPostgresUrl(postgresUrl);
    } catch (err) {
      throw new CliError((err as Error).message, EXIT.USAGE);
    }
  }
  const dbPath = o.db === null || postgresUrl ? null : resolve(o.db);
  const credentialsKey = postgresUrl ?? dbPath;
  const creds = credentialsKey ? readCredentials(credentialsKey) : undefined;
  const databaseWasMissing = dbPath !== null && creds !== undefined && !existsSync(dbPath);
  // Read before the lock is taken: deciding the secrets writes nothing.
  const settings = postgresUrl ? await peekPostgresSettings(postgresUrl).catch(postgresStartError) : peekSettings(dbPath);
  const admin = chooseSecret(o.adminToken, savedAdminToken(creds, settings), settings.get(SETTING.adminTokenSha256), newAdminToken);
  if (postgresUrl && admin.replacedLost) {
    // Other servers may answer to the stored one: it is never replaced behind their back.
    throw new CliError(
      `${redactPostgresUrl(postgresUrl)} already has an admin token (made by the first server on it), and this machine has no saved copy: pass it with --admin-token (or JIEMA_ADMIN_TOKEN).`,
      EXIT.USAGE,
    );
  }
  if (admin.source === 'generated' && dbPath === null && !postgresUrl && o.upstream !== 'sim' && !process.stdout.isTTY) {
    throw new CliError(
      '--ephemeral with a real upstream needs --admin-token (or JIEMA_ADMIN_TOKEN): a generated token could be neither shown nor saved.',
      EXIT.USAGE,
    );
  }
  const facadeKey =
    o.upstream === 'sim' ? chooseSecret(o.facadeKey, creds?.facadeKey, settings.get(SETTING.facadeKeySha256), newFacadeKey) : undefined;
  const pretty = o.logFormat === 'pretty';
  const logger = (clock: { now(): number }) =>
    createLogger({ clock, level: o.logLevel, destination: pretty ? prettyLogDestination(process.stderr) : process.stderr });
  // With the simulator, pretty logs show one line per request (and per order change, SMS and
  // fault from info up), read from its event log, whatever the log level but silent.
  const requestLines = pretty && o.logLevel !== 'silent';
  const verbose = ['trace', 'debug', 'info'].includes(o.logLevel);
  const tail = (w: World) => {
    if (!requestLines) return;
    w.log.subscribe((e) => {
      if (isEventPoll(e)) return;
      if (e.type === 'api.request' || (verbose && /^(order|sms|fault|number)\./.test(e.type))) process.stderr.write(`${eventLine(e)}\n`);
    });
  };
  const wantDemo = o.upstream === 'sim' || Boolean(o.demo);
  let demo: { userId: string; apiKey: string; created: boolean } | undefined;
  // The console's account pages show the demo user to an operator until another is chosen.
  const consoleOptions = o.console === false ? undefined : { assetsDir: consoleAssetsDir, defaultUser: () => demo?.userId };

  let engine: () => Engine;
  let loginToken: () => string | undefined;
  let close: () => Promise<void>;
  let url: string;
  let facade: RunningServe['facade'];
  try {
    if (o.upstream === 'sim') {
      const sim: Simulator = await startSimulator({
        seed: o.seed,
        clock: o.clock,
        port: o.port,
        host: o.host,
        db: postgresUrl ?? dbPath ?? ':memory:',
        adminToken: admin.value,
        upstreamApiKey: facadeKey!.value,
        ...(o.facadeWebhookUrl && { smsActivateWebhookUrl: o.facadeWebhookUrl }),
        ...(o.fixtures && { fixtures: resolve(o.fixtures) }),
        behaviour: serveBehaviour(o.behaviour),
        ...(o.reconcileAfterMs !== undefined && { reconcileAfterMs: o.reconcileAfterMs }),
        ...(o.minUpstreamBalance !== undefined && { minUpstreamBalance: o.minUpstreamBalance }),
        ...(o.trustProxy !== undefined && { trustProxy: o.trustProxy }),
        ...(consoleOptions && { console: consoleOptions }),
        keepSettingsOnReset: [SETTING.adminTokenSha256, SETTING.facadeKeySha256],
        // A reset empties the data; the demo user comes back with the same key, so what the
        // developer saved keeps working (docs/decisions.md D46).
        onReset: (w: World) => {
          tail(w);
          if (demo) demo = { ...ensureDemoUser(w.engine, o.demoBalanceCents, demo.apiKey), created: false };
        },
        logger,
      });
      tail(sim.world);
      engine = () => sim.world.engine;
      loginToken = () => sim.world.app.console?.issueLoginToken();
      close = () => sim.close();
      url = sim.url;
      facade = { url: `${sim.url}/stubs/handler_api.php`, apiKey: sim.upstreamApiKey };
    } else {
      const running = await startWithAdapter(o, {
        dbPath,
        postgresUrl,
        adminToken: admin.value,
        logger,
        ...(consoleOptions && { console: consoleOptions }),
      });
      engine = () => running.engine;
      loginToken = () => running.app.console?.issueLoginToken();
      close = () => running.close();
      url = running.url;
    }
  } catch (err) {
    if (err instanceof DatabaseLockedError) throw new CliError(err.message, EXIT.UNREACHABLE);
    if (err instanceof PostgresError) postgresStartError(err);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CliError(`Port ${o.port} on ${o.host} is already in use; pick another with --port.`, EXIT.UNREACHABLE);
    if (code === 'EACCES')
      throw new CliError(`Not allowed to listen on ${o.host}:${o.port}; pick a port above 1024 with --port.`, EXIT.UNREACHABLE);
    if (code === 'EADDRNOTAVAIL')
      throw new CliError(`${o.host} is not an address of this machine; use --host 127.0.0.1.`, EXIT.UNREACHABLE);
    throw err;
  }

  let metrics: MetricsListener | undefined;
  if (o.metricsPort !== undefined) {
    const host = o.metricsHost ?? '127.0.0.1';
    try {
      metrics = await startMetricsListener(engine, host, o.metricsPort);
    } catch (err) {
      await close();
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(
        `Could not serve the metrics on ${host}:${o.metricsPort}: ${code === 'EADDRINUSE' ? 'the port is already in use; pick another with --metrics-port' : (err as Error).message}`,
        EXIT.UNREACHABLE,
      );
    }
    const serverClose = close;
    close = async () => {
      await metrics!.close();
      await serverClose();
    };
  }

  // This server holds the database now: record the digests, drop what the first release kept in clear.
  const e = engine();
  if (postgresUrl) {
    // The database records the admin token servers on it answer to, so one started later without
    // --admin-token is refused rather than given a token of its own; of two generating at once,
    // the first to store its digest wins.
    const digest = hashSecret(admin.value);
    if (admin.source === 'supplied') e.stores.settings.set(SETTING.adminTokenSha256, digest);
    else if (e.stores.settings.claim(SETTING.adminTokenSha256, digest) !== digest) {
      await close();
      throw new CliError(
        `Another server on ${redactPostgresUrl(postgresUrl)} made its admin token first: pass that one with --admin-token (or JIEMA_ADMIN_TOKEN).`,
        EXIT.USAGE,
      );
    }
  } else if (admin.source !== 'supplied') e.stores.settings.set(SETTING.adminTokenSha256, hashSecret(admin.value));
  if (e.stores.settings.get(SETTING.legacyAdminToken) !== undefined) e.stores.settings.delete(SETTING.legacyAdminToken);
  if (facadeKey && facadeKey.source !== 'supplied') e.stores.settings.set(SETTING.facadeKeySha256, hashSecret(facadeKey.value));
  if (wantDemo) demo = ensureDemoUser(e, o.demoBalanceCents, creds?.apiKey);

  let credentialsFile: string | undefined;
  if (credentialsKey) {
    const update: { [K in keyof LocalCredentials]?: string | null } = {
      baseUrl: url,
      // A supplied token is the operator's to keep; a saved copy of another one would only mislead.
      adminToken: admin.source === 'supplied' ? null : admin.value,
      apiKey: demo?.apiKey ?? null,
      userId: demo?.userId ?? null,
      facadeKey: facadeKey && facadeKey.source !== 'supplied' ? facadeKey.value : null,
    };
    writeCredentials(credentialsKey, update);
    credentialsFile = credentialsPath(credentialsKey);
  }

  return {
    url,
    adminToken: admin.value,
    adminTokenSource: admin.source,
    adminTokenReplaced: admin.replacedLost,
    engine,
    demoKey: demo?.apiKey,
    demoCreated: demo?.created ?? false,
    demoUserId: demo?.userId,
    upstream: o.upstream,
    facade,
    upstreamPushPath:
      o.upstream === 'sms-activate' && o.upstreamWebhookSecret ? `${UPSTREAM_PUSH_PREFIX}/sms-activate/<secret>` : undefined,
    credentialsFile,
    databaseWasMissing,
    consoleUrl: consoleOptions ? `${url}/` : undefined,
    metricsUrl: metrics?.url,
    consoleLoginUrl() {
      const token = loginToken();
      return token === undefined ? undefined : `${url}/#token=${token}`;
    },
    close,
  };
}

/**
 * The demo user and a working key for it: the saved key when it still opens this user, else a new
 * one (the user is created when missing, with its opening balance as a ledger top-up).
 */
function ensureDemoUser(
  e: Engine,
  balanceCents: number,
  savedKey: string | undefined,
): { userId: string; apiKey: string; created: boolean } {
  const existing = e.stores.settings.get(SETTING.demoUserId);
  const user = existing ? e.accounts.getUser(existing) : undefined;
  if (user) {
    if (savedKey) {
      try {
        if (e.accounts.authenticate(savedKey).user.id === user.id) return { userId: user.id, apiKey: savedKey, created: false };
      } catch {
        // revoked, or from another database: a new key below
      }
    }
    for (const k of e.accounts.listKeys(user.id)) if (k.name === 'demo' && k.revokedAt === null) e.accounts.revokeKey(user.id, k.id);
    return { userId: user.id, apiKey: e.accounts.createKey(user.id, 'demo').apiKey, created: true };
  }
  const created = e.accounts.createUser({ displayName: 'Demo', balanceCents });
  e.stores.settings.set(SETTING.demoUserId, created.id);
  // After a reset the saved key is registered again, so it keeps working.
  if (savedKey) {
    try {
      if (e.accounts.importKey(created.id, savedKey, 'demo')) return { userId: created.id, apiKey: savedKey, created: false };
    } catch {
      // not a key this database can take: a new one below
    }
  }
  return { userId: created.id, apiKey: e.accounts.createKey(created.id, 'demo').apiKey, created: true };
}

/**
 * `--behaviour`: a preset's name or a YAML/JSON file (which may name a preset to start from).
 * Without it the server is `ideal`: every order gets its SMS, so a first-time user always sees a
 * code (docs/decisions.md D70).
 */
function serveBehaviour(value: string | undefined) {
  if (value === undefined || value === '') return 'ideal' as const;
  if ((BEHAVIOUR_PRESETS as readonly string[]).includes(value)) return value as (typeof BEHAVIOUR_PRESETS)[number];
  if (!existsSync(value)) {
    throw new CliError(`--behaviour takes ${BEHAVIOUR_PRESETS.join(', ')} or a behaviour file; ${value} is neither.`, EXIT.USAGE);
  }
  return loadStructuredFile(value, BehaviourSpecSchema);
}

/** A PostgreSQL database that cannot be used: one line for the operator (the URL without its password). */
function postgresStartError(err: unknown): never {
  if (err instanceof PostgresError) throw new CliError(oneLine(err.message), EXIT.UNREACHABLE);
  throw err;
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ');
