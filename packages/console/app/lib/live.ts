/**
 * The live feed: server-sent events from this server (docs/decisions.md D113). EventSource
 * reconnects by itself after a dropped connection; a `hello` (every connection, including after a
 * simulator reset) or a `resync` (the page fell behind) means: reload the lists. `hello` and
 * `clock` carry the server's time.
 */
import { setServerClock } from './server-clock.js';

export interface LiveHandlers {
  /** Load everything again: the first connection, a reconnection, or events were missed. */
  sync(): void;
  orders?(orders: unknown[]): void;
  balances?(balances: Array<{ userId: string; balanceCents: string }>): void;
  sim?(events: unknown[]): void;
  /** Whether the feed is connected, for the status dot. */
  status?(connected: boolean): void;
}

export function openLive(path: string, handlers: LiveHandlers): () => void {
  let source: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const on = (name: string, fn: ((data: never) => void) | undefined) => {
    if (!fn || !source) return;
    source.addEventListener(name, (e) => fn(JSON.parse((e as MessageEvent<string>).data) as never));
  };
  const connect = () => {
    source = new EventSource(path, { withCredentials: true });
    source.addEventListener('open', () => handlers.status?.(true));
    on('hello', (clock: { nowMs: number; speed: number }) => {
      setServerClock(clock);
      handlers.sync();
    });
    on('clock', setServerClock);
    on('resync', () => handlers.sync());
    on('orders', handlers.orders);
    on('balances', handlers.balances);
    on('sim', handlers.sim);
    source.addEventListener('error', () => {
      handlers.status?.(false);
      // A refused connection (the session ended, the server stopped) is not retried by the browser.
      if (source?.readyState === EventSource.CLOSED && !stopped) {
        source.close();
        retry = setTimeout(connect, 2_000);
      }
    });
  };
  connect();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    source?.close();
  };
}
