/**
 * Waits on one order until a new SMS arrives. Resolves with the order; fails fast with
 * JiemaOrderEndedError when the order ends first, and with JiemaWaitTimeoutError (carrying the
 * last order seen) at the deadline. Transient failures (network, 5xx, 429) do not end the wait.
 *
 * Against a server that long-polls (a jiema server; its answers carry `Jiema-Long-Poll`), each
 * request is held by the server until the order changes, so the SMS arrives as soon as the server
 * has it, at the cost of one poll per 25 s. Against one that does not (jiema.my itself), it polls
 * every 3–5 s through the client's pacer and coalescing, so many waiters share one budget.
 */
import { JiemaRateLimitedError, JiemaServerError } from '../errors/api-errors.js';
import { JiemaConnectionError, JiemaInvalidResponseError, JiemaTimeoutError } from '../errors/client-errors.js';
import type { JiemaError } from '../errors/jiema-error.js';
import { JiemaOrderEndedError, JiemaWaitTimeoutError } from '../errors/wait-errors.js';
import { CallScope } from '../http/call-scope.js';
import type { RequestOptions } from '../http/requester.js';
import type { Clock } from '../ports/clock.js';
import { isTerminalStatus, type Order } from '../types.js';

export interface WaitForSmsOptions {
  /** Give up after this long. Default 20 minutes, the order window (D5). */
  timeoutMs?: number;
  /** Between polls. Default 3 000 ms; the API asks for 3–5 s. */
  intervalMs?: number;
  signal?: AbortSignal;
  /**
   * Resolve only once the order holds more SMS than this. Default: if the first poll finds the
   * order RECEIVED, resolve with it at once; otherwise wait for more SMS than that poll saw —
   * which, after `nextSms`, is the next SMS and not the old one.
   */
  afterSmsCount?: number;
  /** Use long-poll when the server offers it (default true); false always polls every `intervalMs`. */
  longPoll?: boolean;
  /** Called with the order after every successful poll (e.g. to show its status as it waits). */
  onPoll?: (order: Order) => void;
}

export const DEFAULT_WAIT_MS = 20 * 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 3_000;

/** One read of the order; with `wait`, a long-poll the server may hold until the order differs from `since` SMS. */
export type OrderPoller = (id: string, options: RequestOptions, longPoll?: { waitSeconds: number; since: number }) => Promise<Order>;

/** What the client knows of the server: undefined until an answer says whether it long-polls. */
export interface LongPollSupport {
  supported: boolean | undefined;
}

/** The longest a long-poll asks the server to hold (the server allows 30 s). */
export const LONG_POLL_SECONDS = 25;

function isTransient(err: unknown): boolean {
  return (
    err instanceof JiemaConnectionError ||
    err instanceof JiemaTimeoutError ||
    err instanceof JiemaServerError ||
    err instanceof JiemaRateLimitedError ||
    err instanceof JiemaInvalidResponseError
  );
}

export async function waitForSms(
  poll: OrderPoller,
  clock: Clock,
  id: string,
  options: WaitForSmsOptions = {},
  support: LongPollSupport = { supported: false },
): Promise<Order> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const scope = new CallScope(clock, options.signal, timeoutMs);
  let baseline = options.afterSmsCount;
  let last: Order | undefined;
  const stopped = (): JiemaError =>
    scope.timedOut ? new JiemaWaitTimeoutError(id, timeoutMs, last) : scope.stopError(`waitForSms(${id})`);
  try {
    for (;;) {
      let held = false;
      try {
        const remaining = Math.min(timeoutMs, scope.remainingMs());
        const longPoll = options.longPoll !== false && support.supported !== false && remaining >= 2_000;
        const order = longPoll
          ? await poll(
              id,
              { signal: scope.signal },
              { waitSeconds: Math.min(LONG_POLL_SECONDS, Math.floor(remaining / 1000) - 1), since: baseline ?? 0 },
            )
          : await poll(id, { signal: scope.signal });
        held = longPoll && support.supported === true;
        last = order;
        options.onPoll?.(order);
        const count = order.smsHistory?.length ?? 0;
        if (baseline === undefined && order.status === 'RECEIVED') return order;
        baseline ??= count;
        if (count > baseline) return order;
        if (isTerminalStatus(order.status)) throw new JiemaOrderEndedError(order);
      } catch (err) {
        if (scope.signal.aborted) throw stopped();
        if (!isTransient(err)) throw err;
      }
      // A held answer came back because the wait was over or the order changed: ask again at once.
      if (held) continue;
      try {
        await clock.sleep(intervalMs, scope.signal);
      } catch {
        throw stopped();
      }
    }
  } finally {
    scope.dispose();
  }
}
