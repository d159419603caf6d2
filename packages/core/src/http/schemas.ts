/**
 * The wire contract as zod schemas, written once (STYLE rule 10): request validation uses
 * them, and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { ORDER_STATUSES } from '../order/order.js';
import { ERROR_CODES } from '../errors/error-codes.js';

const centsString = z.string().regex(/^\d+$/).describe('Integer cents as a decimal string');
const isoTime = z.string().describe('ISO 8601 time, UTC');

export const ErrorEnvelope = z.object({
  ok: z.literal(false),
  code: z.enum(ERROR_CODES),
  message: z.string(),
});

// ----------------------------------------------------------------- requests

export const CreateOrderBody = z.strictObject({
  service: z.string().min(1).max(64).describe('Service code ("tg") or slug ("telegram")'),
  country: z.union([z.number().int().nonnegative(), z.string().min(1).max(64)]).describe('Upstream country id (7 or "7") or slug ("my")'),
});

export const EmptyBody = z.strictObject({});

export const ListOrdersQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(64).optional().describe("The previous page's nextCursor"),
});

export const PricesQuery = z.object({
  service: z.string().min(1).max(64).describe('Service code or slug'),
});

// ----------------------------------------------------------------- responses

export const Account = z.object({
  id: z.string(),
  balanceCents: centsString,
  referralCode: z.string(),
  displayName: z.string(),
  lang: z.string(),
});

export const ServiceItem = z.object({
  code: z.string(),
  slug: z.string(),
  name: z.string(),
  minCostUsd: z.number().describe('Lowest retail price among countries with stock, in dollars'),
  totalCount: z.number().int(),
  countryCount: z.number().int(),
});

export const CountryItem = z.object({ id: z.number().int(), slug: z.string(), name: z.string() });

export const PriceItem = z.object({
  countryId: z.number().int(),
  countrySlug: z.string(),
  priceCents: centsString,
  count: z.number().int(),
});

export const Order = z.object({
  id: z.string(),
  status: z.enum(ORDER_STATUSES),
  service: z.string(),
  country: z.string().describe('Upstream country id, as a string'),
  phone: z.string(),
  expiresAt: isoTime,
  chargedCents: centsString,
  createdAt: isoTime,
  updatedAt: isoTime,
  smsBody: z.string().nullable(),
  smsCode: z
    .string()
    .nullable()
    .describe('The code extracted from the latest SMS. An extension: jiema.my has no such field.')
    .meta({ 'x-jiema-extension': true }),
  smsHistory: z.array(z.object({ body: z.string(), receivedAt: isoTime })),
  smsReceivedAt: isoTime.nullable(),
});

export const OrderStatusResult = z.object({ id: z.string(), status: z.enum(ORDER_STATUSES) });

export const OrderList = z.object({ items: z.array(Order), nextCursor: z.string().nullable() });

// ----------------------------------------------------------------- admin

const signedCents = z.union([z.number().int(), z.string().regex(/^-?\d{1,15}$/)]);

export const AdminCreateUserBody = z.strictObject({
  displayName: z.string().min(1).max(64).optional(),
  lang: z
    .string()
    .regex(/^[a-z]{2}(-[A-Za-z]{2,4})?$/)
    .optional(),
  balanceCents: signedCents.optional().describe('Opening balance, recorded as a top-up'),
});

export const AdminBalanceBody = z.strictObject({
  amountCents: signedCents.describe('Positive to credit, negative to debit; never zero'),
  reason: z.string().min(1).max(200),
  kind: z.enum(['topup', 'adjustment']).optional().describe('Default: topup for credits, adjustment for debits'),
});

export const AdminCreateKeyBody = z.strictObject({ name: z.string().min(1).max(64).optional() });

export const AdminBanBody = z.strictObject({ reason: z.string().min(1).max(200).optional() });

export const PricingRuleSchema = z.strictObject({
  service: z.string().min(1).max(16).nullable(),
  country: z.number().int().nonnegative().nullable(),
  markupBps: z.number().int().min(-9_999).max(1_000_000).describe('Basis points: 2500 = +25 %, -1000 = 10 % off'),
  floorCents: z.number().int().min(0).max(1_000_000).default(1),
});

export const AdminPricingBody = z.strictObject({
  rules: z.array(PricingRuleSchema).max(10_000),
});

export const AdminUser = z.object({
  id: z.string(),
  displayName: z.string(),
  lang: z.string(),
  referralCode: z.string(),
  balanceCents: centsString,
  banned: z.boolean(),
  bannedAt: isoTime.nullable(),
  banReason: z.string().nullable(),
  createdAt: isoTime,
});

export const AdminKey = z.object({
  id: z.string(),
  name: z.string().nullable(),
  hint: z.string().describe('The last four characters of the key'),
  createdAt: isoTime,
  lastUsedAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
  active: z.boolean(),
});

export const AdminLedgerEntry = z.object({
  id: z.string(),
  kind: z.enum(['topup', 'order_debit', 'refund', 'adjustment']),
  amountCents: z.string().regex(/^-?\d+$/),
  balanceAfterCents: centsString,
  orderId: z.string().nullable(),
  reason: z.string().nullable(),
  createdAt: isoTime,
});

export const ServiceList = z.object({ items: z.array(ServiceItem) });
export const CountryList = z.object({ items: z.array(CountryItem) });
export const PriceList = z.object({ service: z.string(), items: z.array(PriceItem) });

export const AdminRefundBody = z.strictObject({
  reason: z.string().trim().min(1).max(200).describe("Why, for the ledger row and the customer's ticket"),
});

export const AdminOrder = Order.extend({
  userId: z.string(),
  activationId: z.string().describe("The upstream's activation id"),
  endReason: z.string().nullable().describe("Why an ended order ended: 'cancelled', 'expired', 'upstream_closed'…"),
});

export const AdminOrderDetail = z.object({
  order: AdminOrder,
  user: AdminUser,
  history: z.array(
    z.object({
      at: isoTime,
      event: z.enum(['created', 'charged', 'sms_received', 'ended', 'refunded', 'upstream_command', 'balance_change']),
      detail: z.string(),
    }),
  ),
  ledger: z.array(AdminLedgerEntry),
  upstreamCommands: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      attempts: z.number().int(),
      createdAt: isoTime,
      doneAt: isoTime.nullable(),
      outcome: z.string().nullable(),
      lastError: z.string().nullable(),
    }),
  ),
});

// ----------------------------------------------------------------- push (docs/decisions.md D90–D99)

export * from '../push/push-schemas.js';
