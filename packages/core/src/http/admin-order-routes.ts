/**
 * The operators' support routes (docs/decisions.md D100, D101): orders across users, one order
 * with its upstream activation id and history, and a refund with a reason through the ledger.
 */
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { ORDER_STATUSES, type Order } from '../order/order.js';
import { presentOrder } from '../order/order-presenter.js';
import { orderDetail, refundOrder, searchOrders } from '../support/order-support.js';
import { presentEntry, presentUser } from './admin-routes.js';
import { ok, parseInput } from './envelope.js';
import { defineRoute, type Route } from './route.js';
import * as S from './schemas.js';

const iso = (ms: number): string => new Date(ms).toISOString();

const presentAdminOrder = (o: Order) => ({
  ...presentOrder(o),
  userId: o.userId,
  activationId: o.activationId,
  endReason: o.endReason,
});

/** A time filter: ISO 8601 (a date alone is midnight UTC) or milliseconds since the epoch. */
const instant = (field: string) =>
  z
    .string()
    .max(40)
    .transform((text, ctx) => {
      const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
      if (!Number.isFinite(ms)) {
        ctx.addIssue({
          code: 'custom',
          message: `${field}: not a time; use ISO 8601 (2026-12-01T10:00:00Z) or milliseconds since the epoch`,
        });
        return z.NEVER;
      }
      return ms;
    });

const AdminOrdersQuery = z.strictObject({
  userId: z.string().min(1).max(64).optional().describe("Only this user's orders"),
  status: z.enum(ORDER_STATUSES).optional(),
  phone: z.string().min(1).max(32).optional().describe("The full number; '+', spaces, dashes and brackets are ignored"),
  service: z.string().min(1).max(64).optional().describe('The upstream service code ("tg")'),
  from: instant('from').optional().describe('Created at or after this time (ISO 8601, or ms since the epoch)'),
  to: instant('to').optional().describe('Created before this time (ISO 8601, or ms since the epoch)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(64).optional().describe("The previous page's nextCursor"),
});

const adminErrors = ['AUTH_MISSING', 'AUTH_INVALID', 'BAD_REQUEST'] as const;

export const adminOrderRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/admin/v1/orders',
    operationId: 'adminSearchOrders',
    auth: 'admin',
    tag: 'admin',
    summary: 'Search orders across users, newest first: by user, status, phone, service and creation time',
    description: "For support tickets. Filters combine (AND). Page with `cursor` = the previous page's `nextCursor`.",
    request: { query: AdminOrdersQuery },
    response: z.object({ items: z.array(S.AdminOrder), nextCursor: z.string().nullable() }),
    errors: [...adminErrors],
    handler: (ctx) => {
      const q = parseInput(AdminOrdersQuery, ctx.query, 'the query');
      if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new AppError('BAD_REQUEST', 'from: must be before to.');
      const page = searchOrders(ctx.engine, q);
      return ok({ items: page.items.map(presentAdminOrder), nextCursor: page.nextCursor });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/orders/:id',
    operationId: 'adminGetOrder',
    auth: 'admin',
    tag: 'admin',
    summary: 'One order of any user: its upstream activation id, ledger rows, owed upstream commands and history',
    response: S.AdminOrderDetail,
    errors: [...adminErrors],
    handler: (ctx) => {
      const d = orderDetail(ctx.engine, ctx.params.id ?? '');
      return ok({
        order: presentAdminOrder(d.order),
        user: presentUser(ctx.engine.accounts.requireUser(d.order.userId)),
        history: d.history.map((h) => ({ at: iso(h.at), event: h.event, detail: h.detail })),
        ledger: d.ledger.map(presentEntry),
        upstreamCommands: d.commands.map((c) => ({ ...c, createdAt: iso(c.createdAt), doneAt: c.doneAt === null ? null : iso(c.doneAt) })),
      });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/orders/:id/refund',
    operationId: 'adminRefundOrder',
    auth: 'admin',
    tag: 'admin',
    summary: 'Refund what an ended order was charged, with a reason (the upstream failed to honour it); one ledger row',
    description:
      'For an order whose number or code did not work although the upstream reported it delivered. Refused (`BAD_STATUS`) while the order is live, when it was charged nothing, and when it was already refunded: an order is refunded at most once, in full.',
    request: { body: S.AdminRefundBody },
    response: z.object({ order: S.AdminOrder, user: S.AdminUser, entry: S.AdminLedgerEntry }),
    errors: [...adminErrors, 'BAD_STATUS'],
    handler: (ctx) => {
      const body = parseInput(S.AdminRefundBody, ctx.body ?? {}, 'the request body');
      const { order, entry } = refundOrder(ctx.engine, ctx.params.id ?? '', body.reason);
      return ok({
        order: presentAdminOrder(order),
        user: presentUser(ctx.engine.accounts.requireUser(order.userId)),
        entry: presentEntry(entry),
      });
    },
  }),
];
