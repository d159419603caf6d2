/**
 * The Express adapter: body parsing (16 KiB JSON), request ids, access logs, the route table
 * run through the shared pipeline, and the JSON envelope for 404, 405, 413 and bad JSON. No
 * response from here is ever HTML or a stack trace.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Engine } from '../engine.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDocsHandler, DOCS_PATH } from './docs-page.js';
import { createFastPath, writeResult } from './fast-path.js';
import { createInstrumentation, labelRoute, type RequestObserver } from './instrument.js';
import { adminRoutes } from './admin-routes.js';
import { adminOrderRoutes } from './admin-order-routes.js';
import { operationsRoutes } from './operations-routes.js';
import { errorResult, ok, type HandlerResult } from './envelope.js';
import { buildOpenApi } from './openapi.js';
import { OPENAPI_EXAMPLES } from './openapi-examples.js';
import { runRoute, type PipelineDeps } from './pipeline.js';
import { publicRoutes } from './public-routes.js';
import {
  createResponseValidator,
  defaultViolationReporter,
  responseValidationFromEnv,
  withResponseValidation,
  type ViolationReporter,
} from './response-validator.js';
import { DEFAULT_RATE_LIMITS, RateLimits, type RateLimitConfig } from './rate-limiter.js';
import { compileRoute, defineRoute, matchPath, type Route } from './route.js';
import { hashSecret } from './auth.js';
import { createClientAddress, type TrustProxy } from './client-address.js';
import { z } from 'zod';
import { createConsole, type Console, type ConsoleOptions } from '../console/console.js';
import { createPushRoutes } from '../push/push-routes.js';
import { createUpstreamPush, UPSTREAM_PUSH_PREFIX } from './upstream-push.js';

export interface AppOptions {
  engine: Engine;
  /** The admin token, or give its SHA-256 hex digest as `adminTokenSha256` (the server needs no more). */
  adminToken?: string;
  adminTokenSha256?: string;
  rateLimits?: Partial<RateLimitConfig>;
  /**
   * Which reverse proxies to believe about the client address (X-Forwarded-For): a hop count, or
   * addresses and CIDR ranges. Default: none, the socket's peer is the client.
   */
  trustProxy?: TrustProxy;
  version?: string;
  /** Extra routes (the simulator's control API) run through the same pipeline. */
  extraRoutes?: Route[];
  /** Told of every finished request (the simulator's event log and request journal). */
  observe?: RequestObserver;
  /** Serve the console at `/` (docs/decisions.md D110): where its built files are, and what it shows. */
  console?: ConsoleOptions;
  /**
   * Check every response against the OpenAPI document and report the undocumented ones
   * (docs/decisions.md D85): true logs them, a function receives them. Default: on when the
   * environment sets JIEMA_VALIDATE_RESPONSES=1, as the test suite does.
   */
  validateResponses?: boolean | ViolationReporter;
  /**
   * The secret in the path of the upstream's incoming-SMS webhook, `POST /upstream/v1/<upstream>/<secret>`
   * (docs/decisions.md D99). Without it, or with an adapter that cannot read pushes, every path
   * under `/upstream/v1` is 404.
   */
  upstreamWebhookSecret?: string;
}

export interface JiemaApp {
  app: express.Express;
  routes: Route[];
  deps: PipelineDeps;
  /** The request listener to serve: the lean dispatcher for hot reads, Express for the rest. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The console, when the app serves it. */
  console: Console | undefined;
  /** Ends what outlives a request (the console's live feeds), so the server can close. */
  close(): void;
}

function send(res: Response, result: HandlerResult): void {
  writeResult(res, result);
}

export function createApp(options: AppOptions): JiemaApp {
  const { engine } = options;
  const adminTokenSha256 = options.adminTokenSha256 ?? (options.adminToken !== undefined ? hashSecret(options.adminToken) : undefined);
  if (!adminTokenSha256 || !/^[0-9a-f]{64}$/.test(adminTokenSha256))
    throw new Error('createApp needs adminToken (or its SHA-256 hex digest as adminTokenSha256).');
  const clientAddress = createClientAddress(options.trustProxy);
  const deps: PipelineDeps = {
    engine,
    adminTokenSha256,
    // The engine's windows: on PostgreSQL, the same for every instance (docs/decisions.md D129).
    limits: new RateLimits(engine.clock, { ...DEFAULT_RATE_LIMITS, ...options.rateLimits }, engine.stores.rateWindows),
  };
  const push = createPushRoutes(engine);
  const routes: Route[] = [
    ...publicRoutes,
    ...push.routes,
    ...adminRoutes,
    ...adminOrderRoutes,
    ...operationsRoutes,
    ...(options.extraRoutes ?? []),
  ];
  const consoleApp = options.console ? createConsole(engine, deps, options.console) : undefined;
  if (consoleApp) {
    deps.sessions = consoleApp.sessions;
    routes.push(...consoleApp.routes);
  }
  const version = options.version ?? '0.1.0';
  let openapi: Record<string, unknown> | undefined;
  routes.push(
    defineRoute({
      method: 'GET',
      path: '/api/v1/openapi.json',
      operationId: 'getOpenApiDocument',
      auth: 'none',
      tag: 'system',
      summary: 'This document: the OpenAPI 3.1 description of the jiema API',
      description: 'Generate clients from it. `/docs` on the same server renders it as a browsable reference.',
      enveloped: false,
      response: z.looseObject({
        openapi: z.literal('3.1.0'),
        info: z.looseObject({ title: z.string(), version: z.string() }),
        paths: z.record(z.string(), z.unknown()),
      }),
      errors: [],
      // The simulator's control routes have a document of their own (docs/decisions.md D81).
      handler: () => ({
        status: 200,
        body: (openapi ??= buildOpenApi(
          routes.filter((r) => r.tag !== 'simulator' && r.tag !== 'console'),
          { version, examples: OPENAPI_EXAMPLES },
        )),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/healthz',
      operationId: 'getHealth',
      auth: 'none',
      tag: 'system',
      summary: 'Liveness: the database answers; the upstream adapter, its health and the outbox backlog',
      response: z.object({
        status: z.enum(['ok', 'degraded']),
        db: z.string(),
        upstream: z.string(),
        upstreamStatus: z.enum(['ok', 'degraded', 'down']),
        upstreamDetail: z.string().optional(),
        dbDetail: z.string().optional(),
        outboxPending: z.number().int(),
        time: z.string(),
      }),
      errors: [],
      handler: () => {
        const storage = engine.storage.check();
        // A database server (PostgreSQL) that does not answer is a degraded status, not a failed check.
        let dbError: string | undefined = storage.ok ? undefined : storage.detail;
        let pending = 0;
        try {
          if (storage.ok && !engine.stores.health.ping()) dbError = 'the database did not answer';
          pending = engine.stores.outbox.pendingStats().pending;
        } catch (err) {
          dbError = `the database cannot be reached: ${err instanceof Error ? err.message : String(err)}`;
        }
        const dbOk = dbError === undefined;
        // Adapters without health() are taken as always ok.
        const upstream = engine.upstream.health?.() ?? { status: 'ok' as const };
        return ok({
          status: dbOk && upstream.status === 'ok' ? 'ok' : 'degraded',
          db: dbOk ? 'ok' : 'error',
          ...(dbError !== undefined && { dbDetail: dbError }),
          upstream: engine.upstream.name,
          upstreamStatus: upstream.status,
          ...(upstream.detail !== undefined && { upstreamDetail: upstream.detail }),
          outboxPending: pending,
          time: new Date(engine.clock.now()).toISOString(),
        });
      },
    }),
  );
  const compiled = routes.map(compileRoute);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  const begin = createInstrumentation(engine, options.observe);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const inst = begin(req, res, req.path);
    res.setHeader('X-Request-Id', inst.requestId);
    res.locals.requestId = inst.requestId;
    inst.within(next);
  });
  // The API reference, and the simulator's when its control API is mounted (docs/decisions.md D87).
  const docs = createDocsHandler([
    { path: DOCS_PATH, title: 'jiema API reference', specUrl: '/api/v1/openapi.json' },
    ...(routes.some((r) => r.path === '/_sim/v1/openapi.json')
      ? [{ path: `${DOCS_PATH}/simulator`, title: 'jiema simulator control API reference', specUrl: '/_sim/v1/openapi.json' }]
      : []),
  ]);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!docs(req, res)) next();
  });
  // The provider's webhook: its own format, JSON or form fields, so its body is read as text.
  const upstreamPush = createUpstreamPush(engine, options.upstreamWebhookSecret);
  app.use(UPSTREAM_PUSH_PREFIX, express.text({ limit: '16kb', type: () => true }), (req: Request, res: Response, next: NextFunction) => {
    upstreamPush(req, res).catch(next);
  });
  // Any content type is read as JSON: curl -d sends form encoding by default, and integrators copy curl lines.
  app.use(express.json({ limit: '16kb', strict: true, type: () => true }));

  for (const c of compiled) {
    const method = c.route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    app[method](c.route.path, async (req: Request, res: Response) => {
      labelRoute(res, c.route.path);
      const result = await runRoute(deps, c.route, {
        method: req.method,
        path: req.path,
        params: (req.params ?? {}) as Record<string, string>,
        query: req.query ?? {},
        body: req.body,
        headers: req.headers,
        ip: clientAddress(req),
      });
      send(res, result);
    });
  }

  app.use((req: Request, res: Response) => {
    const allowed = compiled.filter((c) => matchPath(c, req.path)).map((c) => c.route.method);
    if (allowed.length > 0) {
      res.setHeader('Allow', [...new Set(allowed)].join(', '));
      send(res, errorResult('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${[...new Set(allowed)].join(' or ')}.`));
      return;
    }
    send(res, errorResult('NOT_FOUND', `No route ${req.method} ${req.path}.`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: string }).type;
    let result: HandlerResult;
    if (type === 'entity.too.large') result = errorResult('PAYLOAD_TOO_LARGE', 'The request body is over 16 KiB.');
    else if (type === 'entity.parse.failed')
      result = errorResult('BAD_REQUEST', 'The request body is not valid JSON (it must be a JSON object).');
    else if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      result = errorResult('UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON, without content encoding.');
    else if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'stream.not.readable')
      result = errorResult('BAD_REQUEST', 'The request body was cut short.');
    else if (err instanceof URIError) result = errorResult('NOT_FOUND', `No route ${req.method} ${req.path}.`);
    else if (
      typeof (err as { status?: unknown }).status === 'number' &&
      (err as { status: number }).status >= 400 &&
      (err as { status: number }).status < 500
    ) {
      result = errorResult('BAD_REQUEST', 'The request could not be read.');
    } else {
      engine.log.error({ event: 'http.unhandled', error: err instanceof Error ? err.stack : String(err) });
      result = errorResult('INTERNAL', 'Something went wrong on our side; it has been logged. Try again.');
    }
    if (res.headersSent) return;
    send(res, result);
  });

  const fast = createFastPath(deps, routes, begin, clientAddress);
  const assets = consoleApp?.assets;
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    if (assets?.(req, res)) return;
    if (!fast(req, res)) app(req, res);
  };
  const validate = options.validateResponses ?? responseValidationFromEnv();
  const report = typeof validate === 'function' ? validate : defaultViolationReporter(engine.log);
  const handler = validate
    ? withResponseValidation(serve, createResponseValidator(routes.filter((r) => r.tag !== 'console')), report)
    : serve;
  return {
    app,
    routes,
    deps,
    handler,
    console: consoleApp,
    close: () => {
      consoleApp?.close();
      push.close();
      // Held long-polls answer now with what they have.
      engine.push.waiters.wakeAll();
    },
  };
}
