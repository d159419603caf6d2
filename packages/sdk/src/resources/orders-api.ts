/**
 * Orders: buy, read (coalesced), cancel, next-sms, list, and waitForSms. Writes carry an
 * Idempotency-Key (one per call, unless the caller passes theirs) so that a lost answer can be
 * retried without buying twice.
 */
import { JiemaAbortError } from '../errors/client-errors.js';
import type { RequestOptions, Requester, WriteOptions } from '../http/requester.js';
import { SingleFlight } from '../pacing/single-flight.js';
import type { Clock } from '../ports/clock.js';
import type { CreateOrderInput, ListOrdersQuery, Order, OrderPage, OrderStatusResult } from '../types.js';
import { ApiResource } from './api-resource.js';
import { OrderList } from './order-list.js';
import { waitForSms, type LongPollSupport, type WaitForSmsOptions } from './wait-for-sms.js';

function orderPath(id: string, action = ''): string {
  if (typeof id !== 'string' || id === '')
    throw new TypeError('An order id is a non-empty string, such as the `id` orders.create returned.');
  return `/orders/${encodeURIComponent(id)}${action}`;
}

export class OrdersApi extends ApiResource {
  readonly #clock: Clock;
  /** Whether the server long-polls: learnt from its first answer to a request with `wait`. */
  readonly #longPoll: LongPollSupport = { supported: undefined };
  readonly #reads = new SingleFlight<Order>(
    (reason) => new JiemaAbortError({ message: 'GET /orders/:id was aborted by the caller.', cause: reason }),
  );

  constructor(requester: Requester, clock: Clock) {
    super(requester);
    this.#clock = clock;
  }

  /**
   * Buys a number: reserves it and charges the balance. On a lost answer it is retried with the
   * same Idempotency-Key; if the outcome stays unknown, JiemaOutcomeUnknownError says how to
   * reconcile.
   */
  create(input: CreateOrderInput, options?: WriteOptions): Promise<Order> {
    return this.request<Order>(
      {
        method: 'POST',
        path: '/orders',
        body: { service: input.service, country: input.country },
        rateClass: 'write',
        reconcile:
          'The order may or may not exist: call client.orders.list({ limit: 5 }) to see whether it was created before buying again.',
      },
      options,
    );
  }

  /**
   * One order, synced with the upstream by the server. Concurrent calls for the same id share
   * one request (the first caller's options apply to it; each keeps its own signal).
   */
  get(id: string, options: RequestOptions = {}): Promise<Order> {
    const path = orderPath(id);
    return this.#reads.run(id, options.signal, (signal) =>
      this.request<Order>({ method: 'GET', path, rateClass: 'poll' }, { ...options, signal }),
    );
  }

  /** Cancels an order that has received no SMS, for a full refund. */
  cancel(id: string, options?: WriteOptions): Promise<OrderStatusResult> {
    return this.request<OrderStatusResult>(
      {
        method: 'POST',
        path: orderPath(id, '/cancel'),
        rateClass: 'write',
        reconcile: `Call client.orders.get('${id}') to see whether it was cancelled.`,
      },
      options,
    );
  }

  /** After RECEIVED: keep the number and wait for another SMS (back to WAITING, no charge). */
  nextSms(id: string, options?: WriteOptions): Promise<OrderStatusResult> {
    return this.request<OrderStatusResult>(
      {
        method: 'POST',
        path: orderPath(id, '/next-sms'),
        rateClass: 'write',
        reconcile: `Call client.orders.get('${id}') to see whether it is WAITING again.`,
      },
      options,
    );
  }

  /** Await it for one page; `for await` over it for every order across pages. */
  list(query: ListOrdersQuery = {}, options?: RequestOptions): OrderList {
    const fetchPage = (cursor: string | undefined): Promise<OrderPage> =>
      this.request<OrderPage>(
        { method: 'GET', path: '/orders', query: { status: query.status, limit: query.limit, cursor }, rateClass: 'read' },
        options,
      );
    return new OrderList(fetchPage, query.cursor);
  }

  /**
   * One order, held by the server up to `waitSeconds` until its SMS count differs from `since`
   * (or it ends): long-poll, a jiema extension. A server without it (jiema.my) answers at once;
   * the answer's `Jiema-Long-Poll` header tells which.
   */
  getWhenChanged(id: string, wait: { waitSeconds: number; since: number }, options: RequestOptions = {}): Promise<Order> {
    const path = orderPath(id);
    return this.request<Order>(
      {
        method: 'GET',
        path,
        query: { wait: Math.max(0, Math.min(30, Math.floor(wait.waitSeconds))), since: wait.since },
        rateClass: 'poll',
        onHeaders: (headers) => {
          this.#longPoll.supported = headers.get('jiema-long-poll') !== null;
        },
      },
      // The server holds the answer: an attempt may take the whole wait and then some.
      { ...options, timeoutMs: Math.max(options.timeoutMs ?? 0, (wait.waitSeconds + 15) * 1000) },
    );
  }

  /** Waits until a new SMS arrives, by long-poll when the server offers it, else polling; see WaitForSmsOptions. */
  waitForSms(id: string, options?: WaitForSmsOptions): Promise<Order> {
    orderPath(id);
    return waitForSms(
      (orderId, o, wait) => (wait ? this.getWhenChanged(orderId, wait, o) : this.get(orderId, o)),
      this.#clock,
      id,
      options,
      this.#longPoll,
    );
  }
}
