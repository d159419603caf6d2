/**
 * Core's real server for SDK tests, from core's test kit (`@jiema/core/testing`, docs/decisions.md
 * D150–D154), plus what SDK tests look at — buys at the upstream, orders in the database — and a
 * client factory with quick, deterministic retries.
 */
import { useTestServer, useTestServers, type TestServer, type TestServerOptions } from '@jiema/core/testing';
import { JiemaClient, type JiemaClientOptions } from '../src/index.js';

export interface SdkTestServer extends TestServer {
  /** Numbers bought at the upstream. */
  buys(): number;
  /** Orders in the database (all users). */
  orderCount(): number;
  /** Delivers an SMS to the order's number and moves the clock past the server's sync interval. */
  deliver(orderId: string, text: string): void;
  client(key: string, options?: Partial<JiemaClientOptions>): JiemaClient;
}

export type StartOptions = TestServerOptions;

/** Retries that take milliseconds and jitter that is always the same. */
export const QUICK_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };

/** The SDK's view of a test server: `s` itself for the rest (it may be useTestServer's stand-in for the current one). */
function withSdk(s: TestServer): SdkTestServer {
  const extras: Omit<SdkTestServer, keyof TestServer> = {
    buys: () => s.upstream.calls.filter((c) => c.method === 'buy').length,
    orderCount: () => s.engine.stores.orders.count(),
    deliver(orderId, text) {
      if (!s.upstream.deliverSms(s.activationOf(orderId), text)) throw new Error(`order ${orderId}: its number is closed`);
      s.advance(3_000);
    },
    client: (key, o = {}) => new JiemaClient({ apiKey: key, baseUrl: s.url, random: () => 0.5, retry: QUICK_RETRY, ...o }),
  };
  return Object.assign(Object.create(s) as TestServer, extras);
}

/** A server per test (useTestServer: started before it, invariants checked and closed after it). */
export function useCore(options?: StartOptions): SdkTestServer {
  return withSdk(useTestServer(options));
}

/** For suites whose tests each start their own server (with their own options): the starter; each is checked and closed after its test. */
export function serverPerTest(): (options?: StartOptions) => Promise<SdkTestServer> {
  const start = useTestServers();
  return async (options) => withSdk(await start(options));
}
