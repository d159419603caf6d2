/**
 * The console's own routes, /console/v1 (docs/decisions.md D111–D116), in the same route table and
 * pipeline as the API: signing in and out, the pages jiema.my has that the public API lacks (a
 * user's ledger and keys), the live feeds, and what operators see across users (orders, the
 * upstream's balance). Everything else the console shows comes from /api/v1, /admin/v1 and /_sim/v1.
 */
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { ok, parseInput, type HandlerResult } from '../http/envelope.js';
import { ledgerPage, presentKey } from '../http/admin-routes.js';
import { defineRoute, type Route, type RouteContext } from '../http/route.js';
import * as S from '../http/schemas.js';
import { ORDER_STATUSES } from '../order/order.js';
import type { ConsoleQueries } from './console-queries.js';
import type { ConsoleSession, ConsoleSessions } from './console-sessions.js';
import type { ConsoleStreams } from './console-streams.js';

export interface ConsoleRouteDeps {
  sessions: ConsoleSessions;
  streams: ConsoleStreams;
  queries: ConsoleQueries;
  /** 'simulator' shows the developer view and simulated top-ups. */
  mode: 'simulator' | 'upstream';
  /** A login token that did not work: counted like a failed authentication (docs/decisions.md D44); throws. */
  loginFailed(ip: string): never;
}

const SessionInfo = z.object({
  signedIn: z.boolean(),
  kind: z.enum(['operator', 'user']).optional(),
  csrfToken: z.string().optional().describe('Send it as X-CSRF-Token on every state-changing call made with the session cookie'),
  user: z.object({ id: z.string(), displayName: z.string() }).nullable().optional().describe('The user the account pages show'),
  mode: z.enum(['simulator', 'upstream']),
  upstream: z.string(),
});

const TokenBody = z.strictObject({ token: z.string().min(1).max(200) });
const ViewAsBody = z.strictObject({ userId: z.string().min(1).max(64) });
const PageQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(64).optional() });
const OrdersQuery = z.object({
  q: z.string().max(64).optional().describe('An order id, a user id, or 3+ digits of a phone number'),
  userId: z.string().max(64).optional(),
  status: z.enum(ORDER_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(64).optional(),
});
const ConsoleOrder = S.Order.extend({ userId: z.string(), userName: z.string() });

const userErrors = ['AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED'] as const;
const adminErrors = ['AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'BAD_REQUEST'] as const;

export function consoleRoutes(d: ConsoleRouteDeps): Route[] {
  const info = (ctx: RouteContext, session: ConsoleSession | undefined) => {
    const base = { mode: d.mode, upstream: ctx.engine.upstream.name };
    if (!session) return { signedIn: false, ...base };
    const userId = session.kind === 'user' ? session.userId : d.sessions.viewedUser(session);
    const user = userId !== undefined ? ctx.engine.accounts.getUser(userId) : undefined;
    return {
      signedIn: true,
      kind: session.kind,
      csrfToken: session.csrfToken,
      user: user ? { id: user.id, displayName: user.displayName } : null,
      ...base,
    };
  };
  /** The answer to a sign-in: the session's cookie, and what GET /session would say. */
  const signedIn = (ctx: RouteContext, opened: { secret: string; session: ConsoleSession }): HandlerResult => ({
    ...ok(info(ctx, opened.session)),
    headers: { 'Set-Cookie': d.sessions.cookie(opened.secret, ctx.headers), 'Cache-Control': 'no-store' },
  });
  const me = (ctx: RouteContext): string => ctx.principal!.user.id;
  const console = (route: Omit<Route, 'tag'>): Route => defineRoute({ ...route, tag: 'console' });

  const routes: Route[] = [
    console({
      method: 'GET',
      path: '/console/v1/session',
      operationId: 'consoleGetSession',
      auth: 'none',
      summary: 'Who the console is signed in as (from its session cookie), and the server mode',
      response: SessionInfo,
      errors: [],
      handler: (ctx) => ({ ...ok(info(ctx, ctx.session)), headers: { 'Cache-Control': 'no-store' } }),
    }),
    console({
      method: 'POST',
      path: '/console/v1/session',
      operationId: 'consoleSignIn',
      auth: 'user',
      summary: 'Sign in with an API key (sent as Authorization: Bearer): a user session cookie for the account pages',
      response: SessionInfo,
      errors: [...userErrors],
      handler: (ctx) => signedIn(ctx, d.sessions.openUser(ctx.principal!)),
    }),
    console({
      method: 'POST',
      path: '/console/v1/session/operator',
      operationId: 'consoleSignInOperator',
      auth: 'admin',
      summary: 'Sign in with the admin token (sent as X-Admin-Token): an operator session cookie',
      response: SessionInfo,
      errors: [...adminErrors],
      handler: (ctx) => (ctx.session ? ok(info(ctx, ctx.session)) : signedIn(ctx, d.sessions.openOperator())),
    }),
    console({
      method: 'POST',
      path: '/console/v1/session/token',
      operationId: 'consoleSignInWithLink',
      auth: 'none',
      summary: 'Sign in with the one-time token of the link `jiema serve` printed: an operator session cookie',
      request: { body: TokenBody },
      response: SessionInfo,
      errors: ['BAD_REQUEST', 'AUTH_INVALID', 'RATE_LIMITED'],
      handler: (ctx) => {
        const body = parseInput(TokenBody, ctx.body ?? {}, 'the request body');
        const opened = d.sessions.exchangeLoginToken(body.token);
        if (!opened) d.loginFailed(ctx.ip ?? 'unknown');
        return signedIn(ctx, opened);
      },
    }),
    console({
      method: 'DELETE',
      path: '/console/v1/session',
      operationId: 'consoleSignOut',
      auth: 'none',
      summary: 'Sign out: ends the session and clears its cookie',
      response: z.object({ signedIn: z.literal(false) }),
      errors: ['FORBIDDEN'],
      handler: (ctx) => {
        if (ctx.session) d.sessions.end(ctx.session);
        return { ...ok({ signedIn: false }), headers: { 'Set-Cookie': d.sessions.clearCookie() } };
      },
    }),
    console({
      method: 'PUT',
      path: '/console/v1/session/user',
      operationId: 'consoleViewAs',
      auth: 'admin',
      summary: "An operator's session: the user whose account pages to show",
      request: { body: ViewAsBody },
      response: SessionInfo,
      errors: [...adminErrors, 'NOT_FOUND'],
      handler: (ctx) => {
        if (!ctx.session) throw new AppError('BAD_REQUEST', 'Only a console session can view as a user; sign in to the console first.');
        d.sessions.viewAs(ctx.session, parseInput(ViewAsBody, ctx.body ?? {}, 'the request body').userId);
        return ok(info(ctx, ctx.session));
      },
    }),
    console({
      method: 'GET',
      path: '/console/v1/me/ledger',
      operationId: 'consoleListMyLedger',
      auth: 'user',
      rateClass: 'read',
      summary: "The caller's ledger (every balance change), newest first",
      request: { query: PageQuery },
      response: z.object({ items: z.array(S.AdminLedgerEntry), nextCursor: z.string().nullable() }),
      errors: [...userErrors, 'BAD_REQUEST'],
      handler: (ctx) => ledgerPage(ctx, me(ctx)),
    }),
    console({
      method: 'GET',
      path: '/console/v1/me/keys',
      operationId: 'consoleListMyKeys',
      auth: 'user',
      rateClass: 'read',
      summary: "The caller's API keys (hints only, never the keys)",
      response: z.object({ items: z.array(S.AdminKey), limit: z.number().int() }),
      errors: [...userErrors],
      handler: (ctx) => ok({ items: ctx.engine.accounts.listKeys(me(ctx)).map(presentKey), limit: 10 }),
    }),
    console({
      method: 'POST',
      path: '/console/v1/me/keys',
      operationId: 'consoleCreateMyKey',
      auth: 'user',
      rateClass: 'write',
      summary: 'Create an API key; the full key is in this response only',
      request: { body: S.AdminCreateKeyBody },
      response: z.object({ key: S.AdminKey, apiKey: z.string() }),
      errors: [...userErrors, 'BAD_REQUEST', 'KEY_LIMIT'],
      handler: (ctx) => {
        const body = parseInput(S.AdminCreateKeyBody, ctx.body ?? {}, 'the request body');
        const { key, apiKey } = ctx.engine.accounts.createKey(me(ctx), body.name);
        ctx.engine.log.info({ event: 'console.key_created', userId: me(ctx), keyId: key.id });
        return { ...ok({ key: presentKey(key), apiKey }, 201), headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    console({
      method: 'POST',
      path: '/console/v1/me/keys/:keyId/revoke',
      operationId: 'consoleRevokeMyKey',
      auth: 'user',
      rateClass: 'write',
      summary: 'Revoke one of your keys; it stops working on the next request',
      response: S.AdminKey,
      errors: [...userErrors, 'NOT_FOUND'],
      handler: (ctx) => ok(presentKey(ctx.engine.accounts.revokeKey(me(ctx), ctx.params.keyId ?? ''))),
    }),
    console({
      method: 'GET',
      path: '/console/v1/me/stream',
      operationId: 'consoleStreamMine',
      auth: 'user',
      summary: "Server-sent events: the caller's orders (`orders`) and balance (`balances`) as they change",
      response: z.null(),
      errors: [...userErrors],
      handler: (ctx) => d.streams.answer({ userId: me(ctx), key: ctx.principal!.keyId }),
    }),
    console({
      method: 'GET',
      path: '/console/v1/stream',
      operationId: 'consoleStreamAll',
      auth: 'admin',
      summary: 'Server-sent events for operators: every order and balance change, and the simulator\u2019s event log (`sim`)',
      response: z.null(),
      errors: [...adminErrors],
      handler: (ctx) => d.streams.answer({ key: ctx.session ? `console:${ctx.session.id.slice(0, 16)}` : 'admin' }),
    }),
    console({
      method: 'GET',
      path: '/console/v1/orders',
      operationId: 'consoleSearchOrders',
      auth: 'admin',
      summary: "Every user's orders, newest first: search by order id, user id or phone digits",
      request: { query: OrdersQuery },
      response: z.object({ items: z.array(ConsoleOrder), nextCursor: z.string().nullable() }),
      errors: [...adminErrors],
      handler: (ctx) => {
        const q = parseInput(OrdersQuery, ctx.query, 'the query');
        return ok(d.queries.orders({ q: q.q, userId: q.userId, status: q.status, limit: q.limit, before: q.cursor }));
      },
    }),
    console({
      method: 'GET',
      path: '/console/v1/upstream',
      operationId: 'consoleGetUpstream',
      auth: 'admin',
      summary: "The upstream's health, and its balance (asked now)",
      response: z.object({
        name: z.string(),
        status: z.enum(['ok', 'degraded', 'down']),
        detail: z.string().nullable(),
        balance: z.string().nullable(),
        balanceError: z.string().nullable(),
      }),
      errors: [...adminErrors],
      handler: async (ctx) => {
        const { upstream } = ctx.engine;
        const health = upstream.health?.() ?? { status: 'ok' as const };
        let balance: string | null = null;
        let balanceError: string | null = null;
        try {
          balance = (await upstream.getBalance()).amount;
        } catch (err) {
          balanceError = err instanceof Error ? err.message : 'The upstream did not answer.';
        }
        return ok({ name: upstream.name, status: health.status, detail: health.detail ?? null, balance, balanceError });
      },
    }),
  ];
  return routes;
}
