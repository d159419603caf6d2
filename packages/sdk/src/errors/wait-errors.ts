/**
 * How `orders.waitForSms` ends without a new SMS: the order reached a terminal state, or the
 * caller's deadline passed. Both carry the last order seen.
 */
import type { Order } from '../types.js';
import { JiemaError } from './jiema-error.js';

/** The order ended (COMPLETED, FAILED or CANCELLED) while waiting; no new SMS can arrive. */
export class JiemaOrderEndedError extends JiemaError {
  readonly order: Order;
  constructor(order: Order) {
    super({
      code: 'ORDER_ENDED',
      message: `Order ${order.id} is ${order.status}; no new SMS can arrive.${order.status === 'FAILED' ? ' No SMS came in its window, so it was refunded.' : ''}`,
    });
    this.order = order;
  }
}

/** The wait's `timeoutMs` passed before a new SMS. The order may still receive one. */
export class JiemaWaitTimeoutError extends JiemaError {
  /** The last order seen, if any poll succeeded. */
  readonly order: Order | undefined;
  readonly timeoutMs: number;
  constructor(orderId: string, timeoutMs: number, order: Order | undefined) {
    super({
      code: 'WAIT_TIMEOUT',
      message: `No new SMS for order ${orderId} within ${timeoutMs} ms${order ? ` (last seen ${order.status})` : ''}. It may still arrive; an order that never received an SMS can be cancelled for a full refund.`,
    });
    this.order = order;
    this.timeoutMs = timeoutMs;
  }
}
