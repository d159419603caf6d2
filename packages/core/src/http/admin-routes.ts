/**
 * The operators' API, /admin/v1, behind the admin token (never a user key): users, balances
 * (always a ledger row with a reason), keys, bans, pricing rules, ledgers, and health checks of
 * the money invariants and the outbox.
 */
import { z } from 'zod';
import type { ApiKeyInfo, User } from '../account/account-service.js';
import { AppError } from '../errors/app-error.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import { centsToWire, parseCents } from '../money/money.js';
import type { PricingRule } from '../pricing/pricing.js';
import { ok, parseInput } from './envelope.js';
import { defineRoute, type Route, type RouteContext } from './route.js';
import * as S from './schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const presentUser = (u: User) => ({
  id: u.id,
  displayName: u.displayName,
  lang: u.lang,
  referralCode: u.referralCode,
  balanceCents: centsToWire(u.balanceCents),
  banned: u.bannedAt !== null,
  bannedAt: iso(u.bannedAt),
  banReason: u.banReason,
  createdAt: iso(u.createdAt)!,
});

export const presentKey = (k: ApiKeyInfo) => ({
  id: k.id,
  name: k.name,
  hint: k.hint,
  createdAt: iso(k.createdAt)!,
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
  active: k.revokedAt === null,
});

export const presentEntry = (e: LedgerEntry) => ({
  id: e.id,
  kind: e.kind,
  amountCents: String(e.amountCents),
  balanceAfterCents: centsToWire(e.balanceAfterCents),
  orderId: e.orderId,
  reason: e.reason,
  createdAt: iso(e.createdAt)!,
});

const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(64).optional(),
});

/** A user's ledger, a page at a time, newest first (also the console's account pages). */
export function ledgerPage(ctx: RouteContext, userId: string) {
  const q = parseInput(PageQuery, ctx.query, 'the query');
  const rows = ctx.engine.ledger.list(userId, q.limit + 1, q.cursor);
  const items = rows.slice(0, q.limit);
  return ok({ items: items.map(presentEntry), nextCursor: rows.length > q.limit ? items.at(-1)!.id : null });
}

const cents = (value: unknown, field: string): number => {
  const n = parseCents(value);
  if (n === undefined) throw new AppError('BAD_REQUEST', `${field}: must be a whole number of cents.`);
  return n;
};

const user = (ctx: RouteContext): string => ctx.engine.accounts.requireUser(ctx.params.id ?? '').id;

// NOT_FOUND for an unknown user or key comes with the path's ids (docs/decisions.md D82).
const adminErrors = ['AUTH_MISSING', 'AUTH_INVALID', 'BAD_REQUEST'] as const;

function sameScope(a: PricingRule, b: PricingRule): boolean {
  return a.service === b.service && a.country === b.country;
}

export const adminRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/admin/v1/users',
    operationId: 'adminCreateUser',
    successStatus: 201,
    auth: 'admin',
    tag: 'admin',
    summary: 'Create a user, optionally with an opening balance (a top-up ledger row)',
    request: { body: S.AdminCreateUserBody },
    response: S.AdminUser,
    errors: [...adminErrors],
    handler: (ctx) => {
      const body = parseInput(S.AdminCreateUserBody, ctx.body ?? {}, 'the request body');
      const balanceCents = body.balanceCents === undefined ? undefined : cents(body.balanceCents, 'balanceCents');
      if (balanceCents !== undefined && balanceCents < 0)
        throw new AppError('BAD_REQUEST', 'balanceCents: an opening balance cannot be negative.');
      const u = ctx.engine.accounts.createUser({ displayName: body.displayName, lang: body.lang, balanceCents });
      return ok(presentUser(u), 201);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/users',
    operationId: 'adminListUsers',
    auth: 'admin',
    tag: 'admin',
    summary: 'List users, newest first',
    request: { query: PageQuery },
    response: z.object({ items: z.array(S.AdminUser), nextCursor: z.string().nullable() }),
    errors: [...adminErrors],
    handler: (ctx) => {
      const q = parseInput(PageQuery, ctx.query, 'the query');
      const rows = ctx.engine.accounts.listUsers(q.limit + 1, q.cursor);
      const items = rows.slice(0, q.limit);
      return ok({ items: items.map(presentUser), nextCursor: rows.length > q.limit ? items.at(-1)!.id : null });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/users/:id',
    operationId: 'adminGetUser',
    auth: 'admin',
    tag: 'admin',
    summary: 'One user',
    response: S.AdminUser,
    errors: [...adminErrors],
    handler: (ctx) => ok(presentUser(ctx.engine.accounts.requireUser(ctx.params.id ?? ''))),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/users/:id/balance',
    operationId: 'adminChangeBalance',
    auth: 'admin',
    tag: 'admin',
    summary: 'Credit or debit a balance; always a ledger row with a reason',
    request: { body: S.AdminBalanceBody },
    response: z.object({ user: S.AdminUser, entry: S.AdminLedgerEntry }),
    errors: [...adminErrors, 'INSUFFICIENT'],
    handler: (ctx) => {
      const id = user(ctx);
      const body = parseInput(S.AdminBalanceBody, ctx.body ?? {}, 'the request body');
      const amount = cents(body.amountCents, 'amountCents');
      const { engine } = ctx;
      // The money service checks the amount and the kind (docs/decisions.md D131).
      const entry = engine.money.adjust({ userId: id, kind: body.kind, amountCents: amount, reason: body.reason });
      engine.log.info({ event: 'admin.balance', userId: id, kind: entry.kind, amountCents: amount });
      return ok({ user: presentUser(engine.accounts.requireUser(id)), entry: presentEntry(entry) });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/users/:id/ledger',
    operationId: 'adminListLedger',
    auth: 'admin',
    tag: 'admin',
    summary: "A user's ledger, newest first",
    request: { query: PageQuery },
    response: z.object({ items: z.array(S.AdminLedgerEntry), nextCursor: z.string().nullable() }),
    errors: [...adminErrors],
    handler: (ctx) => ledgerPage(ctx, user(ctx)),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/users/:id/keys',
    operationId: 'adminCreateKey',
    successStatus: 201,
    auth: 'admin',
    tag: 'admin',
    summary: 'Issue an API key; the full key is in this response only',
    request: { body: S.AdminCreateKeyBody },
    response: z.object({ key: S.AdminKey, apiKey: z.string() }),
    errors: [...adminErrors, 'KEY_LIMIT'],
    handler: (ctx) => {
      const body = parseInput(S.AdminCreateKeyBody, ctx.body ?? {}, 'the request body');
      const { key, apiKey } = ctx.engine.accounts.createKey(user(ctx), body.name);
      return ok({ key: presentKey(key), apiKey }, 201);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/users/:id/keys',
    operationId: 'adminListKeys',
    auth: 'admin',
    tag: 'admin',
    summary: "A user's keys (hints only, never the keys)",
    response: z.object({ items: z.array(S.AdminKey) }),
    errors: [...adminErrors],
    handler: (ctx) => ok({ items: ctx.engine.accounts.listKeys(user(ctx)).map(presentKey) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/users/:id/keys/:keyId/revoke',
    operationId: 'adminRevokeKey',
    auth: 'admin',
    tag: 'admin',
    summary: 'Revoke a key; it stops working on the next request',
    response: S.AdminKey,
    errors: [...adminErrors],
    handler: (ctx) => ok(presentKey(ctx.engine.accounts.revokeKey(user(ctx), ctx.params.keyId ?? ''))),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/users/:id/ban',
    operationId: 'adminBanUser',
    auth: 'admin',
    tag: 'admin',
    summary: 'Ban a user: every key answers 403 FORBIDDEN',
    request: { body: S.AdminBanBody },
    response: S.AdminUser,
    errors: [...adminErrors],
    handler: (ctx) => {
      const body = parseInput(S.AdminBanBody, ctx.body ?? {}, 'the request body');
      return ok(presentUser(ctx.engine.accounts.setBanned(user(ctx), true, body.reason)));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/users/:id/unban',
    operationId: 'adminUnbanUser',
    auth: 'admin',
    tag: 'admin',
    summary: 'Lift a ban',
    response: S.AdminUser,
    errors: [...adminErrors],
    handler: (ctx) => ok(presentUser(ctx.engine.accounts.setBanned(user(ctx), false))),
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/pricing',
    operationId: 'adminGetPricing',
    auth: 'admin',
    tag: 'admin',
    summary: 'The pricing rules, and the fallback used when none matches',
    response: z.object({ rules: z.array(S.PricingRuleSchema), fallback: S.PricingRuleSchema }),
    errors: [...adminErrors],
    handler: (ctx) => ok({ rules: ctx.engine.pricing.getRules(), fallback: ctx.engine.pricing.fallback }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/admin/v1/pricing',
    operationId: 'adminReplacePricing',
    auth: 'admin',
    tag: 'admin',
    summary: 'Replace every pricing rule at once',
    request: { body: S.AdminPricingBody },
    response: z.object({ rules: z.array(S.PricingRuleSchema), fallback: S.PricingRuleSchema }),
    errors: [...adminErrors],
    handler: (ctx) => {
      const body = parseInput(S.AdminPricingBody, ctx.body ?? {}, 'the request body');
      body.rules.forEach((r, i) => {
        const j = body.rules.findIndex((o) => sameScope(o, r));
        if (j !== i) throw new AppError('BAD_REQUEST', `rules.${i}: the same service and country as rules.${j}.`);
      });
      const rules = ctx.engine.pricing.replaceRules(body.rules);
      ctx.engine.log.info({ event: 'admin.pricing_replaced', rules: rules.length });
      return ok({ rules, fallback: ctx.engine.pricing.fallback });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/catalogue/refresh',
    operationId: 'adminRefreshCatalogue',
    auth: 'admin',
    tag: 'admin',
    summary: 'Drop the cached catalogue; the next read asks the upstream',
    response: z.object({ refreshed: z.boolean() }),
    errors: [...adminErrors],
    handler: (ctx) => {
      ctx.engine.catalogue.invalidate();
      return ok({ refreshed: true });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/invariants',
    operationId: 'adminCheckInvariants',
    auth: 'admin',
    tag: 'admin',
    summary: 'Checks the ledger invariants (docs/decisions.md D4) now',
    response: z.object({ ok: z.boolean(), violations: z.array(z.object({ invariant: z.string(), detail: z.string() })) }),
    errors: [...adminErrors],
    handler: (ctx) => {
      const violations = ctx.engine.checkInvariants();
      return ok({ ok: violations.length === 0, violations });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/outbox',
    operationId: 'adminListOutbox',
    auth: 'admin',
    tag: 'admin',
    summary: 'Recent upstream commands and their outcome',
    request: { query: PageQuery },
    response: z.object({ pending: z.number().int(), items: z.array(z.record(z.string(), z.unknown())) }),
    errors: [...adminErrors],
    handler: (ctx) => {
      const q = parseInput(PageQuery, ctx.query, 'the query');
      return ok({ pending: ctx.engine.outbox.pending().length, items: ctx.engine.outbox.list(q.limit) });
    },
  }),
];
