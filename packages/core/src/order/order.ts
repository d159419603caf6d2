/**
 * The order as the engine sees it, and the vocabulary of its lifecycle (docs/decisions.md D5–D6).
 */
export const ORDER_STATUSES = ['WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export interface Sms {
  /** The upstream's id for this message, or a digest of it: how duplicates are recognised. */
  key: string;
  body: string;
  code: string | null;
  receivedAt: number;
}

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  service: string;
  country: number;
  phone: string;
  activationId: string;
  chargedCents: number;
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
  smsHistory: Sms[];
  /** Why a terminal order ended, for operators: 'cancelled', 'expired', 'upstream_closed'. */
  endReason: string | null;
}
