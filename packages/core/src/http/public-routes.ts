/**
 * The public API, /api/v1, exactly as the public jiema.my v1 API shows it (docs/api.md), with the order representation
 * of docs/decisions.md D18.
 */
import { AppError } from '../errors/app-error.js';
import { centsToWire } from '../money/money.js';
import { presentOrder } from '../order/order-presenter.js';
import type { Order } from '../order/order.js';
import { longPoll, parseSince } from '../push/long-poll.js';
import { MAX_WAIT_SECONDS } from '../push/push-schemas.js';
import { ok, parseInput, type HandlerResult } from './envelope.js';
import { defineRoute, type Route, type RouteContext } from './route.js';
import * as S from './schemas.js';

const userId = (ctx: RouteContext): string => ctx.principal!.user.id;

/** A body that must be empty or `{}`: cancel and next-sms take no fields. */
const noFields = (ctx: RouteContext): void => {
  if (ctx.body !== undefined) parseInput(S.EmptyBody, ctx.body, 'the request body');
};

const orderId = (ctx: RouteContext): string => ctx.params.id ?? '';

const statusResult = (o: Order) => ({ id: o.id, status: o.status });

/** The poll's answer: the order's JSON, reused while the order is unchanged; the body parsed only if asked. */
function orderAnswer(ctx: RouteContext, order: Order): HandlerResult {
  const json = ctx.engine.orders.envelopeJson(order);
  return {
    status: 200,
    json,
    get body(): unknown {
      return JSON.parse(json) as unknown;
    },
  };
}

export const publicRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/account',
    operationId: 'getAccount',
    description: 'The balance is a decimal string of cents (`"1200"` is $12.00).',
    fast: true,
    auth: 'user',
    rateClass: 'read',
    tag: 'public',
    summary: 'Balance and basic profile',
    response: S.Account,
    errors: ['AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED'],
    handler: (ctx) => {
      const u = ctx.engine.accounts.requireUser(userId(ctx));
      return ok({
        id: u.id,
        balanceCents: centsToWire(u.balanceCents),
        referralCode: u.referralCode,
        displayName: u.displayName,
        lang: u.lang,
      });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/services',
    operationId: 'listServices',
    description:
      'Only services with stock in at least one country. `minCostUsd` is the lowest retail price among those countries, in dollars, exactly what `/prices` shows. If a refresh from the upstream fails, the cached copy is served; with no copy at all the answer is 503.',
    auth: 'user',
    rateClass: 'read',
    tag: 'public',
    summary: 'Services with stock (cached about 5 minutes)',
    response: S.ServiceList,
    errors: ['AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED', 'UPSTREAM_UNAVAILABLE'],
    handler: async (ctx) => {
      const { catalogue, pricing } = ctx.engine;
      const view = await catalogue.get();
      const items = [];
      for (const s of view.services) {
        const inStock = (view.offersByService.get(s.code) ?? []).filter((o) => o.count > 0);
        if (inStock.length === 0) continue;
        const min = Math.min(...inStock.map((o) => pricing.priceCents(s.code, o.country, o.costMicros)));
        items.push({
          code: s.code,
          slug: s.slug,
          name: s.name,
          minCostUsd: min / 100,
          totalCount: inStock.reduce((n, o) => n + o.count, 0),
          countryCount: inStock.length,
        });
      }
      return ok({ items });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/countries',
    operationId: 'listCountries',
    description: 'Either `id` or `slug` works as the `country` of a new order.',
    auth: 'user',
    rateClass: 'read',
    tag: 'public',
    summary: 'Countries: upstream numeric id and short slug',
    response: S.CountryList,
    errors: ['AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED', 'UPSTREAM_UNAVAILABLE'],
    handler: async (ctx) => {
      const view = await ctx.engine.catalogue.get();
      return ok({ items: view.countries.map((c) => ({ id: c.id, slug: c.slug, name: c.name })) });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/prices',
    operationId: 'listPrices',
    description:
      "Prices include the operators' markup or discount and are exactly what an order charges. Countries out of stock (`count: 0`) are listed too: the price is known and the stock may come back.",
    auth: 'user',
    rateClass: 'read',
    tag: 'public',
    summary: 'Price and stock per country for one service',
    request: { query: S.PricesQuery },
    response: S.PriceList,
    errors: ['BAD_REQUEST', 'BAD_SERVICE', 'AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED', 'UPSTREAM_UNAVAILABLE'],
    handler: async (ctx) => {
      const q = parseInput(S.PricesQuery, ctx.query, 'the query');
      const { catalogue, pricing } = ctx.engine;
      const view = await catalogue.get();
      const service = catalogue.resolveService(view, q.service);
      const slugs = new Map(view.countries.map((c) => [c.id, c.slug]));
      const items = (view.offersByService.get(service.code) ?? []).map((o) => ({
        countryId: o.country,
        countrySlug: slugs.get(o.country)!,
        priceCents: centsToWire(pricing.priceCents(service.code, o.country, o.costMicros)),
        count: o.count,
      }));
      return ok({ service: service.code, items });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/orders',
    operationId: 'createOrder',
    description:
      'The balance is checked before the upstream is asked (`INSUFFICIENT` costs nothing), and the charge is written with the order only after the upstream sold the number: a refused or failed buy charges nothing. Service and country match codes, slugs and ids, ignoring case; any other field is refused.',
    auth: 'user',
    rateClass: 'write',
    idempotent: true,
    tag: 'public',
    summary: 'Buy a number: reserves it at the upstream and charges the balance',
    request: { body: S.CreateOrderBody },
    response: S.Order,
    errors: [
      'BAD_REQUEST',
      'INSUFFICIENT',
      'NO_NUMBERS',
      'BAD_SERVICE',
      'BAD_COUNTRY',
      'IDEMPOTENCY_MISMATCH',
      'IDEMPOTENCY_IN_PROGRESS',
      'AUTH_MISSING',
      'AUTH_INVALID',
      'FORBIDDEN',
      'RATE_LIMITED',
      'UPSTREAM_UNAVAILABLE',
    ],
    handler: async (ctx) => {
      const body = parseInput(S.CreateOrderBody, ctx.body ?? {}, 'the request body');
      const order = await ctx.engine.orders.create(userId(ctx), body, (o) => ctx.remember(ok(presentOrder(o))));
      return ok(presentOrder(order));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/orders/:id',
    operationId: 'getOrder',
    description: `Poll every 3–5 s until \`status\` is \`RECEIVED\` and \`smsBody\` is set. Polling syncs the order with the upstream (at most once per order every 2 s, shared by concurrent polls) and expires it once \`expiresAt\` has passed. An order that is not yours is answered exactly like one that does not exist.

**Extension: long-poll.** With \`wait=<seconds ≤ ${MAX_WAIT_SECONDS}>\` the answer is held until the order differs from \`since\` (an SMS arrived, it expired, it was cancelled…) or the wait is over, then it is the same answer; it counts as one poll. A finished order is answered at once. Such answers carry \`Jiema-Long-Poll: ${MAX_WAIT_SECONDS}\` (the longest wait), which tells a client the server long-polls; jiema.my ignores \`wait\` and answers at once.`,
    fast: true,
    longPoll: true,
    auth: 'user',
    rateClass: 'poll',
    tag: 'public',
    summary: 'One order; polling it also syncs it with the upstream',
    request: { query: S.GetOrderQuery },
    response: S.Order,
    errors: ['NOT_FOUND', 'BAD_REQUEST', 'AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED'],
    handler: (ctx) => {
      const user = userId(ctx);
      const id = orderId(ctx);
      if (ctx.query.wait !== undefined || ctx.query.since !== undefined) {
        const q = parseInput(S.GetOrderQuery, ctx.query, 'the query');
        const since = parseSince(q.since);
        if (q.wait !== undefined && q.wait > 0) {
          return longPoll(ctx.engine, user, id, q.wait, since).then((o) => {
            const answer = orderAnswer(ctx, o);
            answer.headers = { 'Jiema-Long-Poll': String(MAX_WAIT_SECONDS) };
            return answer;
          });
        }
      }
      // Most polls find the order synced within the last 2 s: answered without waiting on anything.
      const ready = ctx.engine.orders.peek(user, id);
      return ready ? orderAnswer(ctx, ready) : ctx.engine.orders.get(user, id).then((o) => orderAnswer(ctx, o));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/orders/:id/cancel',
    operationId: 'cancelOrder',
    description:
      'Only an order that is `WAITING` and never received an SMS. The refund is immediate; the upstream is told later. The body is empty or `{}`. A cancel after `expiresAt` expires the order instead and answers `ALREADY_CHANGED`.',
    auth: 'user',
    rateClass: 'write',
    idempotent: true,
    tag: 'public',
    summary: 'Cancel an order that has not received an SMS, for a full refund',
    request: { body: S.EmptyBody },
    response: S.OrderStatusResult,
    errors: ['CODE_RECEIVED', 'ALREADY_CHANGED', 'NOT_FOUND', 'BAD_REQUEST', 'AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED'],
    handler: (ctx) => {
      noFields(ctx);
      const o = ctx.engine.orders.cancel(userId(ctx), orderId(ctx), (next) => ctx.remember(ok(statusResult(next))));
      return ok(statusResult(o));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/orders/:id/next-sms',
    operationId: 'requestNextSms',
    description: 'From `RECEIVED` back to `WAITING`, at no charge; `expiresAt` does not move. The body is empty or `{}`.',
    auth: 'user',
    rateClass: 'write',
    idempotent: true,
    tag: 'public',
    summary: 'After RECEIVED, keep the number and wait for another SMS',
    request: { body: S.EmptyBody },
    response: S.OrderStatusResult,
    errors: ['BAD_STATUS', 'NOT_FOUND', 'BAD_REQUEST', 'AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED'],
    handler: (ctx) => {
      noFields(ctx);
      const o = ctx.engine.orders.nextSms(userId(ctx), orderId(ctx), (next) => ctx.remember(ok(statusResult(next))));
      return ok(statusResult(o));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/orders',
    operationId: 'listOrders',
    description:
      "Newest first. Pass the previous page's `nextCursor` as `cursor`; ids are time-ordered, so orders created while you page never shift or repeat an item.",
    fast: true,
    auth: 'user',
    rateClass: 'read',
    tag: 'public',
    summary: "The caller's orders, newest first, cursor-paginated",
    request: { query: S.ListOrdersQuery },
    response: S.OrderList,
    errors: ['BAD_REQUEST', 'AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED'],
    handler: (ctx) => {
      const q = parseInput(S.ListOrdersQuery, ctx.query, 'the query');
      if (q.cursor !== undefined && !/^ck[0-9a-z]{25}$/.test(q.cursor))
        throw new AppError('BAD_REQUEST', 'cursor: not a cursor this API returned.');
      const page = ctx.engine.orders.list(userId(ctx), { status: q.status, limit: q.limit, cursor: q.cursor });
      return ok({ items: page.items.map(presentOrder), nextCursor: page.nextCursor });
    },
  }),
];
