/**
 * The operators' view of orders, across users, for support tickets (docs/decisions.md D100):
 * search by user, status, phone, service and time; one order with its upstream activation id
 * and its history; and a refund with a reason, through the ledger, for an order the upstream
 * failed to honour (docs/decisions.md D101).
 */
import { AppError } from '../errors/app-error.js';
import type { Engine } from '../engine.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import { isTerminal, type Order, type OrderStatus } from '../order/order.js';
import type { OrderCommand } from './order-support-store.js';

export interface OrderSearch {
  userId?: string | undefined;
  status?: OrderStatus | undefined;
  /** Digits of the full number; '+', spaces and dashes are ignored. */
  phone?: string | undefined;
  /** The upstream service code ("tg"). */
  service?: string | undefined;
  /** Created at or after (ms). */
  from?: number | undefined;
  /** Created before (ms). */
  to?: number | undefined;
  limit: number;
  /** The previous page's last order id. */
  cursor?: string | undefined;
}

/** One moment in an order's life, derived from what the database keeps of it. */
interface OrderHistoryEvent {
  at: number;
  event: 'created' | 'charged' | 'sms_received' | 'ended' | 'refunded' | 'upstream_command' | 'balance_change';
  detail: string;
}

export interface OrderDetail {
  order: Order;
  history: OrderHistoryEvent[];
  ledger: LedgerEntry[];
  commands: OrderCommand[];
}

export function searchOrders(engine: Engine, s: OrderSearch): { items: Order[]; nextCursor: string | null } {
  const rows = engine.stores.orders.search({
    userId: s.userId,
    status: s.status,
    phone: s.phone === undefined ? undefined : `+${s.phone.replace(/[^\d]/g, '')}`, // stored as +digits
    service: s.service,
    from: s.from,
    to: s.to,
    before: s.cursor,
    limit: s.limit + 1,
  });
  const items = rows.slice(0, s.limit);
  return { items, nextCursor: rows.length > s.limit ? items.at(-1)!.id : null };
}

function requireOrder(engine: Engine, id: string): Order {
  const order = engine.stores.orders.get(id);
  if (!order) throw new AppError('NOT_FOUND', `No order ${JSON.stringify(id)}.`);
  return order;
}

export function orderDetail(engine: Engine, id: string): OrderDetail {
  const order = requireOrder(engine, id);
  const ledger = engine.stores.orderSupport.ledgerOfOrder(id);
  const commands = engine.stores.orderSupport.commandsOfActivation(order.activationId);
  const history: OrderHistoryEvent[] = [
    {
      at: order.createdAt,
      event: 'created',
      detail: `bought ${order.service} in country ${order.country}: activation ${order.activationId}, number ${order.phone}`,
    },
  ];
  for (const e of ledger) {
    if (e.kind === 'order_debit')
      history.push({ at: e.createdAt, event: 'charged', detail: `charged ${-e.amountCents} cents (ledger ${e.id})` });
    else if (e.kind === 'refund')
      history.push({
        at: e.createdAt,
        event: 'refunded',
        detail: `refunded ${e.amountCents} cents${e.reason ? `: ${e.reason}` : ''} (ledger ${e.id})`,
      });
    else
      history.push({
        at: e.createdAt,
        event: 'balance_change',
        detail: `${e.kind} ${e.amountCents} cents${e.reason ? `: ${e.reason}` : ''} (ledger ${e.id})`,
      });
  }
  for (const sms of order.smsHistory)
    history.push({ at: sms.receivedAt, event: 'sms_received', detail: sms.code ? `SMS with code ${sms.code}` : 'SMS received' });
  for (const c of commands) {
    const state =
      c.doneAt === null
        ? `pending after ${c.attempts} attempt(s)${c.lastError ? ` (last error: ${c.lastError})` : ''}`
        : `done: ${c.outcome ?? 'ok'}`;
    history.push({ at: c.createdAt, event: 'upstream_command', detail: `${c.kind} owed to the upstream, ${state}` });
  }
  if (isTerminal(order.status))
    history.push({ at: order.updatedAt, event: 'ended', detail: `${order.status}${order.endReason ? ` (${order.endReason})` : ''}` });
  // Stable: events at the same moment keep the order above (creation before its charge).
  history.sort((a, b) => a.at - b.at);
  return { order, history, ledger, commands };
}

/**
 * Refunds what an ended order was charged, with the operator's reason, as one ledger row (an
 * order is refunded at most once, docs/decisions.md D4). Refused for a live order (it may still
 * complete or be refunded by its own cancel or expiry), for an order charged nothing, and for one
 * already refunded.
 */
export function refundOrder(engine: Engine, id: string, reason: string): { order: Order; entry: LedgerEntry } {
  return engine.stores.tx.write(() => {
    const order = requireOrder(engine, id);
    if (!isTerminal(order.status)) {
      throw new AppError(
        'BAD_STATUS',
        `Order ${id} is ${order.status}: it may still receive its code or be refunded by its own cancel or expiry. Cancel it, or wait until it ends.`,
      );
    }
    if (order.chargedCents <= 0) throw new AppError('BAD_STATUS', `Order ${id} was charged nothing; there is nothing to refund.`);
    const prior = engine.stores.orderSupport.refundOf(id);
    if (prior !== undefined)
      throw new AppError('BAD_STATUS', `Order ${id} was already refunded (ledger ${prior}); an order is refunded at most once.`);
    const entry = engine.money.refundOrderByOperator({
      userId: order.userId,
      orderId: order.id,
      chargedCents: order.chargedCents,
      reason,
      at: engine.clock.now(),
    });
    engine.log.info({ event: 'admin.order_refunded', orderId: id, userId: order.userId, amountCents: order.chargedCents, reason });
    return { order, entry };
  });
}
