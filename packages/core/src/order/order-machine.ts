/**
 * The order state machine as data (STYLE rule 6): a transitions table plus one pure
 * `applyEvent` that returns the new order, the ledger rows and the upstream commands the event
 * implies. It is the only code that decides money movement for orders.
 */
import { AppError } from '../errors/app-error.js';
import { isTerminal, type Order, type OrderStatus, type Sms } from './order.js';

export type OrderEvent =
  { type: 'SMS_RECEIVED'; sms: Sms } | { type: 'NEXT_SMS' } | { type: 'CANCEL' } | { type: 'EXPIRE' } | { type: 'UPSTREAM_CLOSED' };

export type EventType = OrderEvent['type'];

/** A ledger movement implied by a transition: only refunds, which return the whole charge. */
export interface LedgerEffect {
  kind: 'refund';
  amountCents: number;
}

/** An upstream command owed after a transition; sent later through the outbox (D8). */
type UpstreamCommandKind = 'cancel' | 'finish' | 'next_sms';

export interface Transition {
  order: Order;
  ledger: LedgerEffect[];
  commands: UpstreamCommandKind[];
  changed: boolean;
}

/**
 * Every transition states its money effect (docs/decisions.md D131): `none`, or `refund` (the whole
 * charge back, D4). The buy's debit is not a transition: it is posted with the order's creation.
 */
type MoneyEffect = 'none' | 'refund';

type Outcome =
  | { to: OrderStatus; money: MoneyEffect; command?: UpstreamCommandKind; endReason?: string }
  | { error: 'CODE_RECEIVED' | 'ALREADY_CHANGED' | 'BAD_STATUS' }
  | 'ignore';

type Row = (order: Order) => Outcome;

const hasSms = (o: Order): boolean => o.smsHistory.length > 0;

/**
 * What each event does in each live state. Terminal orders never change: every event on them is
 * ignored, except user actions, which are told ALREADY_CHANGED / BAD_STATUS.
 */
export const TRANSITIONS: Record<EventType, Partial<Record<OrderStatus, Row>>> = {
  SMS_RECEIVED: {
    WAITING: () => ({ to: 'RECEIVED', money: 'none' }),
    RECEIVED: () => ({ to: 'RECEIVED', money: 'none' }),
  },
  NEXT_SMS: {
    RECEIVED: () => ({ to: 'WAITING', money: 'none', command: 'next_sms' }),
  },
  CANCEL: {
    WAITING: (o) =>
      hasSms(o) ? { error: 'CODE_RECEIVED' } : { to: 'CANCELLED', money: 'refund', command: 'cancel', endReason: 'cancelled' },
    RECEIVED: () => ({ error: 'CODE_RECEIVED' }),
  },
  EXPIRE: {
    WAITING: (o) =>
      hasSms(o)
        ? { to: 'COMPLETED', money: 'none', command: 'finish', endReason: 'expired' }
        : { to: 'FAILED', money: 'refund', command: 'cancel', endReason: 'expired' },
    RECEIVED: () => ({ to: 'COMPLETED', money: 'none', command: 'finish', endReason: 'expired' }),
  },
  UPSTREAM_CLOSED: {
    WAITING: (o) =>
      hasSms(o)
        ? { to: 'COMPLETED', money: 'none', endReason: 'upstream_closed' }
        : { to: 'FAILED', money: 'refund', endReason: 'upstream_closed' },
    RECEIVED: () => ({ to: 'COMPLETED', money: 'none', endReason: 'upstream_closed' }),
  },
};

/** What a user action on an order in a state with no row is told. */
const REFUSAL: Partial<Record<EventType, 'ALREADY_CHANGED' | 'BAD_STATUS'>> = {
  CANCEL: 'ALREADY_CHANGED',
  NEXT_SMS: 'BAD_STATUS',
};

const MESSAGES = {
  CODE_RECEIVED: 'This order already received an SMS, so it can no longer be cancelled.',
  ALREADY_CHANGED: 'This order is no longer waiting for its first SMS; nothing was changed.',
  BAD_STATUS: 'Another SMS can only be requested for an order whose status is RECEIVED.',
} as const;

export function applyEvent(order: Order, event: OrderEvent, now: number): Transition {
  const row = TRANSITIONS[event.type][order.status];
  const outcome: Outcome = row && !isTerminal(order.status) ? row(order) : REFUSAL[event.type] ? { error: REFUSAL[event.type]! } : 'ignore';
  if (outcome === 'ignore') return { order, ledger: [], commands: [], changed: false };
  if ('error' in outcome) {
    throw new AppError(outcome.error, MESSAGES[outcome.error], { orderId: order.id, status: order.status });
  }
  if (event.type === 'SMS_RECEIVED' && order.smsHistory.some((s) => s.key === event.sms.key)) {
    return { order, ledger: [], commands: [], changed: false };
  }
  const next: Order = {
    ...order,
    status: outcome.to,
    updatedAt: now,
    smsHistory: event.type === 'SMS_RECEIVED' ? [...order.smsHistory, event.sms] : order.smsHistory,
    endReason: outcome.endReason ?? order.endReason,
  };
  return {
    order: next,
    ledger: outcome.money === 'refund' ? [{ kind: 'refund', amountCents: order.chargedCents }] : [],
    commands: outcome.command ? [outcome.command] : [],
    changed: true,
  };
}
