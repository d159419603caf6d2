/**
 * The wire types of the jiema v1 API (docs/api.md, with the full order of docs/decisions.md D18).
 * Money stays a decimal string of cents, exactly as the server sends it.
 */
export const ORDER_STATUSES = ['WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED'] as const satisfies readonly OrderStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminalStatus(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export interface Account {
  id: string;
  /** Integer cents as a decimal string: "1200" is $12.00. */
  balanceCents: string;
  referralCode: string;
  displayName: string;
  lang: string;
}

export interface Service {
  code: string;
  slug: string;
  name: string;
  /** The lowest retail price among countries with stock, in dollars. */
  minCostUsd: number;
  totalCount: number;
  countryCount: number;
}

export interface Country {
  id: number;
  slug: string;
  name: string;
}

export interface Price {
  countryId: number;
  countrySlug: string;
  priceCents: string;
  count: number;
}

export interface PriceList {
  /** The canonical service code, whichever form was asked for. */
  service: string;
  items: Price[];
}

export interface SmsMessage {
  body: string;
  receivedAt: string;
}

export interface Order {
  id: string;
  status: OrderStatus;
  service: string;
  /** The upstream country id, as a string. */
  country: string;
  phone: string;
  expiresAt: string;
  chargedCents: string;
  createdAt: string;
  updatedAt: string;
  /** The latest SMS, or null before any. */
  smsBody: string | null;
  /** The code extracted from the latest SMS (an extension of our server). */
  smsCode: string | null;
  /** Every SMS of the order, oldest first. */
  smsHistory: SmsMessage[];
  smsReceivedAt: string | null;
}

/** What cancel and next-sms answer. */
export interface OrderStatusResult {
  id: string;
  status: OrderStatus;
}

export interface OrderPage {
  items: Order[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface CreateOrderInput {
  /** Service code ("tg") or slug ("telegram"). */
  service: string;
  /** Upstream country id (7 or "7") or slug ("my"). */
  country: number | string;
}

export interface ListOrdersQuery {
  status?: OrderStatus;
  /** Page size, 1–100 (server default 20). */
  limit?: number;
  cursor?: string;
}
