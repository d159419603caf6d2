/**
 * Core's real server for SDK tests: an in-memory engine on a manual clock (or any clock) with
 * the memory upstream, over HTTP on 127.0.0.1 port 0, plus what SDK tests look at — buys at the
 * upstream, orders in the database — and a client factory with quick, deterministic retries.
 */
import { afterEach } from 'vitest';
import { expectInvariants, startServer, type TestServer } from '../../core/test/helpers.js';
import { JiemaClient, type JiemaClientOptions } from '../src/index.js';

export interface SdkTestServer extends TestServer {
  activationOf(orderId: string): string;
  /** Numbers bought at the upstream. */
  buys(): number;
  /** Orders in the database (all users). */
  orderCount(): number;
  /** Delivers an SMS to the order's number and moves the clock past the server's sync interval. */
  deliver(orderId: string, text: string): void;
  client(key: string, options?: Partial<JiemaClientOptions>): JiemaClient;
}

export type StartOptions = Parameters<typeof startServer>[0];

/** Retries that take milliseconds and jitter that is always the same. */
export const QUICK_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };

export async function startCore(options: StartOptions = {}): Promise<SdkTestServer> {
  const s = await startServer(options);
  const activationOf = (orderId: string): string =>
    s.engine.db.prepare<[string], { activation_id: string }>('SELECT activation_id FROM orders WHERE id = ?').get(orderId)!.activation_id;
  return {
    ...s,
    activationOf,
    buys: () => s.upstream.calls.filter((c) => c.method === 'buy').length,
    orderCount: () => s.engine.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM orders').get()!.n,
    deliver(orderId, text) {
      if (!s.upstream.deliverSms(activationOf(orderId), text)) throw new Error(`order ${orderId}: its number is closed`);
      s.clock.advance(3_000);
    },
    client: (key, o = {}) => new JiemaClient({ apiKey: key, baseUrl: s.url, random: () => 0.5, retry: QUICK_RETRY, ...o }),
  };
}

/**
 * For suites whose tests each start their own server (with their own options): registers an
 * afterEach that checks the ledger invariants (D4) and closes it, and returns the starter.
 */
export function serverPerTest(): (options?: StartOptions) => Promise<SdkTestServer> {
  let current: SdkTestServer | undefined;
  afterEach(async () => {
    const t = current;
    current = undefined;
    if (!t) return;
    expectInvariants(t.engine);
    await t.close();
  });
  return async (options) => (current = await startCore(options));
}
