/**
 * The console, composed (docs/decisions.md D110–D116): its sessions (a cookie as one more
 * credential of the shared pipeline), its routes, its live feeds and its static files. `createApp`
 * builds one when given `console` options; `jiema serve` always does.
 */
import type { Engine } from '../engine.js';
import { AppError } from '../errors/app-error.js';
import type { PipelineDeps } from '../http/pipeline.js';
import type { Route } from '../http/route.js';
import { createConsoleAssets, type AssetHandler } from './console-assets.js';
import { ConsoleQueries } from './console-queries.js';
import { consoleRoutes } from './console-routes.js';
import { ConsoleSessions } from './console-sessions.js';
import { ConsoleStreams, type DeveloperFeed } from './console-streams.js';

export interface ConsoleOptions {
  /** The built console's folder (index.html, assets/): `consoleAssetsDir` from @jiema/console. */
  assetsDir: string;
  /** 'simulator' adds the developer view; default 'upstream'. */
  mode?: 'simulator' | 'upstream';
  /** The user an operator's account pages show until another is chosen (the demo user). */
  defaultUser?: () => string | undefined;
  /** Extra live events for operators: the simulator's event log, request journal included. */
  developerFeed?: DeveloperFeed;
  /** How fast the server's clock runs against real time (a virtual clock: 0 when manual, N when ×N). Default 1. */
  clockSpeed?: () => number;
}

export interface Console {
  sessions: ConsoleSessions;
  routes: Route[];
  assets: AssetHandler;
  /** A one-time login link's token (the newest one printed is the only one that works). */
  issueLoginToken(): string;
  /** Ends the live feeds (the server is stopping, or the simulator was reset). */
  close(): void;
}

export function createConsole(engine: Engine, deps: PipelineDeps, options: ConsoleOptions): Console {
  const sessions = new ConsoleSessions(engine, deps.adminTokenSha256, { ...(options.defaultUser && { defaultUser: options.defaultUser }) });
  const streams = new ConsoleStreams(engine, options.developerFeed, options.clockSpeed);
  const routes = consoleRoutes({
    sessions,
    streams,
    queries: new ConsoleQueries(engine.stores.consoleQueries),
    mode: options.mode ?? 'upstream',
    loginFailed(ip) {
      const d = deps.limits.byClass.auth_failure.hit(ip);
      engine.log.info({ event: 'auth.failed', errorCode: 'AUTH_INVALID', ip, throttled: !d.allowed, via: 'console_login_token' });
      if (!d.allowed) engine.metrics.rateLimitRefusals.inc({ class: 'auth_failure' });
      if (!d.allowed)
        throw new AppError('RATE_LIMITED', `Too many failed authentication attempts from this address; wait ${d.resetSeconds} s.`, {
          retryAfterSeconds: d.resetSeconds,
        });
      throw new AppError(
        'AUTH_INVALID',
        'This sign-in link has been used already, has expired, or belongs to an earlier start of the server. Sign in with an API key or the admin token instead.',
      );
    },
  });
  return {
    sessions,
    routes,
    assets: createConsoleAssets(options.assetsDir),
    issueLoginToken: () => sessions.issueLoginToken(),
    close: () => streams.close(),
  };
}
