/**
 * Long-poll on `GET /api/v1/orders/:id?wait=&since=` (docs/decisions.md D91): the answer is held
 * until the order differs from what the client says it has, or `wait` seconds pass, then it is
 * the same answer a poll gives. The request was counted once by the rate limiter when it arrived;
 * while it waits it costs a timer and a map entry, and it is woken by the commit that changes the
 * order (an SMS, an expiry, a cancel), through the engine's feed.
 */
import { AppError } from '../errors/app-error.js';
import type { Engine } from '../engine.js';
import { isTerminal, type Order } from '../order/order.js';

const SELF_SYNC_AFTER_MS = 5_000;
const SELF_SYNC_EVERY_MS = 2_000;

/** What the client has: an smsHistory length, or the updatedAt it saw (ms). */
export type Since = { kind: 'sms'; count: number } | { kind: 'updated'; at: number } | { kind: 'now' };

export function parseSince(raw: string | undefined): Since {
  if (raw === undefined || raw === '') return { kind: 'now' };
  if (/^\d{1,6}$/.test(raw)) return { kind: 'sms', count: Number(raw) };
  const at = /^\d{10,16}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(at))
    throw new AppError('BAD_REQUEST', 'since: give the smsHistory length you have (0, 1…) or the updatedAt you saw (ISO 8601).');
  return { kind: 'updated', at };
}

/** True when the client should get the order now: it differs from what the client has, or it can no longer change. */
function differs(order: Order, since: Since, arrival: Order): boolean {
  if (isTerminal(order.status)) return true;
  switch (since.kind) {
    case 'sms':
      return order.smsHistory.length !== since.count;
    case 'updated':
      return order.updatedAt !== since.at;
    case 'now':
      return order.updatedAt !== arrival.updatedAt || order.status !== arrival.status;
  }
}

/** Reads the order (syncing it as a poll does) until it differs from `since`, or `waitSeconds` pass. */
export async function longPoll(engine: Engine, userId: string, orderId: string, waitSeconds: number, since: Since): Promise<Order> {
  const { orders, push } = engine;
  const read = (): Order | Promise<Order> => orders.peek(userId, orderId) ?? orders.get(userId, orderId);
  const arrival = await read();
  let order = arrival;
  // Real time, not the engine's clock: a request's wait is the client's, even under a virtual clock.
  const deadline = Date.now() + waitSeconds * 1000;
  while (!differs(order, since, arrival)) {
    const left = deadline - Date.now();
    if (left <= 0 || push.waiters.closed) break;
    // A server whose scheduler ticks syncs live orders itself: the waiter only waits for the commit.
    // With nothing ticking (a test's engine, a manual clock) the waiter re-reads, and so syncs, every interval.
    const selfSync = Date.now() - engine.lastTickAt > SELF_SYNC_AFTER_MS;
    await push.waiters.wait(orderId, selfSync ? Math.min(left, SELF_SYNC_EVERY_MS) : left);
    if (!push.events.open) break;
    order = await read();
  }
  return order;
}
