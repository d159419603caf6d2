/**
 * `jiema serve --upstream sms-activate|5sim`: the engine on a real upstream adapter, its HTTP
 * API on a real server, and the scheduler calling tick() every second.
 */
import {
  createApp,
  createEngine,
  FiveSimUpstream,
  listen,
  loadCatalogueFixture,
  recordDatabaseHolder,
  SmsActivateUpstream,
  systemClock,
  type ConsoleOptions,
  type Engine,
  type JiemaApp,
  type Logger,
  type Upstream,
} from '@jiema/core';
import { CliError, EXIT } from '../output.js';
import type { ServeOptions } from './start-server.js';

export type AdapterKind = 'sms-activate' | '5sim';

export async function startWithAdapter(
  o: ServeOptions,
  ctx: {
    dbPath: string | null;
    /** A PostgreSQL URL: this server is one of any number on that database (docs/decisions.md D127). */
    postgresUrl?: string | undefined;
    adminToken: string;
    logger: (clock: { now(): number }) => Logger;
    console?: Pick<ConsoleOptions, 'assetsDir' | 'defaultUser'>;
  },
): Promise<{ url: string; engine: Engine; app: JiemaApp; close(): Promise<void> }> {
  if (!o.upstreamUrl || !o.upstreamKey) {
    throw new CliError(
      `--upstream ${o.upstream} needs --upstream-url and --upstream-key (or JIEMA_UPSTREAM_URL and JIEMA_UPSTREAM_KEY).`,
      EXIT.USAGE,
    );
  }
  const log = ctx.logger(systemClock);
  let upstream: Upstream;
  try {
    upstream = makeAdapter(o.upstream as AdapterKind, { baseUrl: o.upstreamUrl, apiKey: o.upstreamKey, log, fixture: o.fixtures });
  } catch (err) {
    throw new CliError(`--upstream ${o.upstream}: ${(err as Error).message}`, EXIT.USAGE);
  }
  const engine = createEngine({
    upstream,
    db: ctx.postgresUrl ?? ctx.dbPath ?? ':memory:',
    logger: log,
    ...(o.fixtures && { fixture: loadCatalogueFixture(o.fixtures) }),
    ...(o.costRate && { costRate: o.costRate }),
    ...(o.reconcileAfterMs !== undefined && { reconcileAfterMs: o.reconcileAfterMs }),
    webhooks: { allowPrivateTargets: o.allowPrivateWebhooks === true },
    ...(o.minUpstreamBalance !== undefined && { minUpstreamBalance: o.minUpstreamBalance }),
  });
  const app = createApp({
    engine,
    adminToken: ctx.adminToken,
    ...(o.trustProxy !== undefined && { trustProxy: o.trustProxy }),
    ...(o.upstreamWebhookSecret && { upstreamWebhookSecret: o.upstreamWebhookSecret }),
    ...(ctx.console && { console: { ...ctx.console, mode: 'upstream' as const } }),
  });
  const server = await listen(app, engine, { port: o.port, host: o.host }).catch((err) => {
    engine.close();
    throw err;
  });
  if (ctx.dbPath) recordDatabaseHolder(engine.stores.settings, server.url);
  return {
    url: server.url,
    engine,
    app,
    async close() {
      await server.close();
      engine.close();
    },
  };
}

function makeAdapter(kind: AdapterKind, o: { baseUrl: string; apiKey: string; log: Logger; fixture?: string | undefined }): Upstream {
  const common = { baseUrl: o.baseUrl, apiKey: o.apiKey, clock: systemClock, logger: o.log };
  if (kind === 'sms-activate') return new SmsActivateUpstream(common);
  return new FiveSimUpstream({ ...common, ...(o.fixture && { fixture: loadCatalogueFixture(o.fixture) }) });
}
