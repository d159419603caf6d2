/** The shapes the console reads from the API (docs/api.md). */

export type OrderStatus = 'WAITING' | 'RECEIVED' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface Order {
  id: string;
  status: OrderStatus;
  service: string;
  country: string;
  phone: string;
  expiresAt: string;
  chargedCents: string;
  createdAt: string;
  updatedAt: string;
  smsBody: string | null;
  smsCode: string | null;
  smsHistory: Array<{ body: string; receivedAt: string }>;
  smsReceivedAt: string | null;
}

/** An order as operators see it: whose it is. */
export interface ConsoleOrder extends Order {
  userId: string;
  userName: string;
}

export interface SessionInfo {
  signedIn: boolean;
  kind?: 'operator' | 'user';
  csrfToken?: string;
  user?: { id: string; displayName: string } | null;
  mode: 'simulator' | 'upstream';
  upstream: string;
}

export interface SimEvent {
  seq: number;
  at: string;
  type: string;
  data: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

export interface LedgerEntry {
  id: string;
  kind: string;
  amountCents: string;
  balanceAfterCents: string;
  orderId: string | null;
  reason: string | null;
  createdAt: string;
}

export interface ApiKeyInfo {
  id: string;
  name: string | null;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  active: boolean;
}

export interface User {
  id: string;
  displayName: string;
  balanceCents: string;
  banned: boolean;
  banReason: string | null;
  createdAt: string;
}

export interface Service {
  code: string;
  slug: string;
  name: string;
  minCostUsd: number;
  totalCount: number;
  countryCount: number;
}

export interface Country {
  id: number;
  slug: string;
  name: string;
}

export interface PriceItem {
  countryId: number;
  countrySlug: string;
  priceCents: string;
  count: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const TERMINAL: ReadonlySet<OrderStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
