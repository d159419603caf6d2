/**
 * The server's Prometheus metrics (docs/decisions.md D102), with prom-client: one registry per
 * engine (two engines in one process — simulators side by side, tests — never mix their
 * counts), plus the process's own metrics (CPU, memory, event loop, GC), collected once per
 * process. Counters and histograms are updated where things happen; gauges that the database
 * knows (the outbox, buy intents) are read when scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Scrape-time readings the engine provides. */
export interface MetricsSources {
  outbox(): { pending: number; oldestCreatedAt: number | null };
  pendingBuyIntents(): number;
  circuitState(): 'closed' | 'open' | 'half-open';
  upstreamBalance(): { amount: number | null; readAt: number | null; low: boolean };
  now(): number;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let processRegistry: Registry | undefined;
/** Process metrics are per process, not per engine: collected once, into their own registry. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  // Labels: from, to (typed as string: a quoted 'from' in a .d.ts reads as an import to the package checks).
  readonly orderTransitions: Counter<string>;
  readonly upstreamCalls: Counter<'method' | 'outcome'>;
  readonly upstreamDuration: Histogram<'method' | 'outcome'>;
  readonly rateLimitRefusals: Counter<'class'>;
  private sources: MetricsSources | undefined;

  constructor() {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'jiema_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'jiema_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.orderTransitions = new Counter({
      name: 'jiema_order_transitions_total',
      help: 'Order status changes, by the status left (NEW for a bought order) and the status entered',
      labelNames: ['from', 'to'],
      registers,
    });
    this.upstreamCalls = new Counter({
      name: 'jiema_upstream_calls_total',
      help: 'Calls to the number provider, by method and outcome (ok, or the error kind)',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'jiema_upstream_call_duration_seconds',
      help: 'Time the number provider took to answer, by method and outcome',
      labelNames: ['method', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.rateLimitRefusals = new Counter({
      name: 'jiema_rate_limit_refusals_total',
      help: 'Requests refused with 429, by rate class (auth_failure: too many failed authentications from one address)',
      labelNames: ['class'],
      registers,
    });
    const read = <T>(fn: (s: MetricsSources) => T): T | undefined => (this.sources ? fn(this.sources) : undefined);
    new Gauge({
      name: 'jiema_upstream_circuit_state',
      help: "The upstream circuit breaker's state: 1 for the current one of closed, half_open, open",
      labelNames: ['state'],
      registers,
      collect() {
        const state = read((s) => s.circuitState()) ?? 'closed';
        for (const s of ['closed', 'half-open', 'open'] as const) this.set({ state: s.replace('-', '_') }, s === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'jiema_outbox_pending_commands',
      help: 'Upstream commands (cancel, finish, next SMS) owed and not yet accepted by the upstream',
      registers,
      collect() {
        this.set(read((s) => s.outbox().pending) ?? 0);
      },
    });
    new Gauge({
      name: 'jiema_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest owed upstream command (0 when none is owed)',
      registers,
      collect() {
        const age = read((s) => {
          const oldest = s.outbox().oldestCreatedAt;
          return oldest === null ? 0 : Math.max(0, (s.now() - oldest) / 1000);
        });
        this.set(age ?? 0);
      },
    });
    new Gauge({
      name: 'jiema_buy_intents_pending',
      help: 'Buys whose outcome at the upstream is not known yet (timed out, or the process died): awaiting reconciliation',
      registers,
      collect() {
        this.set(read((s) => s.pendingBuyIntents()) ?? 0);
      },
    });
    new Gauge({
      name: 'jiema_upstream_balance',
      help: "The reseller's balance at the number provider, in the provider's currency, as last read (absent until read)",
      registers,
      collect() {
        this.reset();
        const amount = read((s) => s.upstreamBalance().amount);
        if (amount !== null && amount !== undefined) this.set(amount);
      },
    });
    new Gauge({
      name: 'jiema_upstream_balance_last_read_timestamp_seconds',
      help: 'When the provider balance was last read successfully (Unix time; absent until read)',
      registers,
      collect() {
        this.reset();
        const at = read((s) => s.upstreamBalance().readAt);
        if (at !== null && at !== undefined) this.set(at / 1000);
      },
    });
    new Gauge({
      name: 'jiema_upstream_balance_low',
      help: 'Whether the provider balance is below --min-upstream-balance (1) or not (0)',
      registers,
      collect() {
        this.set(read((s) => (s.upstreamBalance().low ? 1 : 0)) ?? 0);
      },
    });
  }

  /** Connects the scrape-time gauges to the engine. */
  bind(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** Every metric, this engine's and the process's, in the Prometheus text format. */
  async render(): Promise<string> {
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }
}
