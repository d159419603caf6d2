/**
 * The options every HTTP protocol adapter takes, and the transport and call guard they build
 * from them. Each vendor's adapter adds its own options on top.
 */
import { silentLogger, type Logger } from '../logger.js';
import type { Clock } from '../ports/clock.js';
import { cryptoRng, type Rng } from '../ports/rng.js';
import { CallGuard } from './call-guard.js';
import type { BreakerOptions } from './circuit-breaker.js';
import { HttpClient } from './http-client.js';
import { assertTimeZone } from './wire-values.js';

export interface HttpUpstreamOptions {
  /** Where the upstream's API lives, e.g. `https://hero-sms.com` or `https://5sim.net/v1`. */
  baseUrl: string;
  /** The reseller's key at the upstream. Masked in every log line and error. */
  apiKey: string;
  clock: Clock;
  /** Backoff jitter. Default: the system CSPRNG. */
  rng?: Rng;
  logger?: Logger;
  /** Per-call timeout for reads and commands. Default 15 s. */
  timeoutMs?: number;
  /** Per-call timeout for a buy, whose outcome is unknown when it runs out. Default 30 s. */
  buyTimeoutMs?: number;
  /** Extra attempts for reads (never for buys or commands). Default 2. */
  retries?: number;
  /** Backoff between read attempts: base doubled per attempt, capped at max, times 0.5–1.5. Default 250 ms / 2 s. */
  backoffMs?: { base: number; max: number };
  /** The unit the upstream quotes costs and balances in ("USD", "RUB"). For operators only; the engine's `costRate` converts. */
  costUnit?: string;
  /** How to read upstream times that carry no zone: "UTC" (default), "+03:00", or an IANA name. */
  activationTimeZone?: string;
  breaker?: BreakerOptions;
  /** How to wait between read attempts. Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
}

export interface HttpUpstreamParts {
  http: HttpClient;
  guard: CallGuard;
  log: Logger;
  timeoutMs: number;
  buyTimeoutMs: number;
  costUnit: string;
  timeZone: string;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function buildHttpUpstream(name: string, options: HttpUpstreamOptions): HttpUpstreamParts {
  if (!/^https?:\/\//.test(options.baseUrl)) throw new RangeError(`${name}: baseUrl must start with http:// or https://`);
  if (!options.apiKey) throw new RangeError(`${name}: apiKey is required`);
  const timeZone = options.activationTimeZone ?? 'UTC';
  assertTimeZone(timeZone);
  const log = (options.logger ?? silentLogger).child({ upstream: name });
  return {
    http: new HttpClient({ baseUrl: options.baseUrl, secrets: [options.apiKey] }),
    guard: new CallGuard({
      name,
      clock: options.clock,
      rng: options.rng ?? cryptoRng,
      log,
      retries: options.retries ?? 2,
      backoffMs: options.backoffMs ?? { base: 250, max: 2_000 },
      breaker: options.breaker ?? {},
      sleep: options.sleep ?? realSleep,
    }),
    log,
    timeoutMs: options.timeoutMs ?? 15_000,
    buyTimeoutMs: options.buyTimeoutMs ?? 30_000,
    costUnit: options.costUnit ?? 'USD',
    timeZone,
  };
}
