/**
 * What every protocol adapter wraps each upstream call in: the circuit breaker (fail fast while
 * the upstream keeps failing), jittered retries for reads only (a buy or a command is never
 * repeated here), operator alerts for a refused key, an empty balance or a banned account, and
 * the health those leave behind for `/healthz`.
 */
import type { Logger } from '../logger.js';
import type { Clock } from '../ports/clock.js';
import type { Rng } from '../ports/rng.js';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from './circuit-breaker.js';
import type { UpstreamHealth } from './upstream.js';
import { UpstreamError, type UpstreamErrorKind } from './upstream-error.js';

/** read: safe to repeat. buy: never repeated, and it alone clears a balance or ban alert. command: setStatus-like, retried by the outbox instead. */
export type CallClass = 'read' | 'buy' | 'command';

export interface CallGuardOptions {
  name: string;
  clock: Clock;
  rng: Rng;
  log: Logger;
  /** Extra attempts for reads. */
  retries: number;
  backoffMs: { base: number; max: number };
  breaker: BreakerOptions;
  sleep: (ms: number) => Promise<void>;
}

/** Failures that say the upstream is unwell, as opposed to a refusal it answered with. */
const BREAKER_KINDS: ReadonlySet<UpstreamErrorKind> = new Set(['UNAVAILABLE', 'TIMEOUT', 'PROTOCOL']);
const RETRYABLE_KINDS: ReadonlySet<UpstreamErrorKind> = new Set(['UNAVAILABLE', 'TIMEOUT']);
/** Refusals only an operator can fix. A refused key clears on any later success; the others on a later successful buy. */
const ALERT_KINDS: ReadonlySet<UpstreamErrorKind> = new Set(['AUTH', 'NO_BALANCE', 'BANNED']);
/** A failure this recent keeps the health at degraded. */
const RECENT_FAILURE_MS = 60_000;

interface Alert {
  kind: UpstreamErrorKind;
  detail: string;
}

export class CallGuard {
  private readonly breaker: CircuitBreaker;
  private alert: Alert | undefined;
  private lastFailure: { at: number; what: string } | undefined;

  constructor(private readonly o: CallGuardOptions) {
    this.breaker = new CircuitBreaker(o.clock, o.breaker);
  }

  /** Runs one upstream call under the breaker; reads are retried on UNAVAILABLE and TIMEOUT. */
  async run<T>(op: string, cls: CallClass, call: () => Promise<T>): Promise<T> {
    const attempts = cls === 'read' ? 1 + Math.max(0, this.o.retries) : 1;
    for (let attempt = 1; ; attempt++) {
      if (!this.breaker.admit()) {
        throw new UpstreamError(
          'UNAVAILABLE',
          `${this.o.name}: circuit open after repeated failures; calls resume after ${new Date(this.breaker.retryAt).toISOString()}`,
          {
            raw: 'CIRCUIT_OPEN',
          },
        );
      }
      let err: UpstreamError;
      try {
        const result = await call();
        this.answered(cls);
        return result;
      } catch (e) {
        err =
          e instanceof UpstreamError
            ? e
            : new UpstreamError('PROTOCOL', `${this.o.name} ${op}: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.failed(op, err);
      if (attempt >= attempts || !RETRYABLE_KINDS.has(err.kind) || this.breaker.state !== 'closed') throw err;
      const delayMs = this.backoff(attempt);
      this.o.log.debug({ event: 'upstream.retry', upstream: this.o.name, op, attempt, delayMs, kind: err.kind });
      await this.o.sleep(delayMs);
    }
  }

  /** The circuit breaker's state now, for metrics and readiness. */
  circuitState(): BreakerState {
    return this.breaker.state;
  }

  health(): UpstreamHealth {
    const state = this.breaker.state;
    const last = this.lastFailure ? ` (last: ${this.lastFailure.what})` : '';
    if (state === 'open') {
      return {
        status: 'down',
        detail: `circuit open after ${this.breaker.consecutiveFailures} failures in a row${last}; next try at ${new Date(this.breaker.retryAt).toISOString()}`,
      };
    }
    if (this.alert) return { status: 'down', detail: this.alert.detail };
    if (state === 'half-open') return { status: 'degraded', detail: `circuit half-open: trying the upstream again${last}` };
    if (this.breaker.consecutiveFailures > 0)
      return { status: 'degraded', detail: `${this.breaker.consecutiveFailures} failed calls in a row${last}` };
    if (this.lastFailure && this.o.clock.now() - this.lastFailure.at < RECENT_FAILURE_MS)
      return { status: 'degraded', detail: `a call failed recently${last}` };
    return { status: 'ok' };
  }

  private backoff(attempt: number): number {
    const { base, max } = this.o.backoffMs;
    return Math.round(Math.min(max, base * 2 ** (attempt - 1)) * (0.5 + this.o.rng.next()));
  }

  private answered(cls: CallClass): void {
    if (this.breaker.success()) this.o.log.info({ event: 'upstream.circuit_closed', upstream: this.o.name });
    if (this.alert && (this.alert.kind === 'AUTH' || cls === 'buy')) {
      this.o.log.info({ event: 'upstream.alert_cleared', upstream: this.o.name, kind: this.alert.kind });
      this.alert = undefined;
    }
  }

  private failed(op: string, err: UpstreamError): void {
    if (ALERT_KINDS.has(err.kind)) {
      if (this.alert?.kind !== err.kind) {
        this.o.log.error({ event: 'upstream.operator_alert', upstream: this.o.name, op, kind: err.kind, raw: err.raw, error: err.message });
      }
      this.alert = {
        kind: err.kind,
        detail: `${err.kind}: ${err.message}; an operator must act (key, balance or account at the upstream)`,
      };
    }
    if (!BREAKER_KINDS.has(err.kind)) {
      // The upstream answered, if only to refuse: it is alive.
      if (this.breaker.success()) this.o.log.info({ event: 'upstream.circuit_closed', upstream: this.o.name });
      return;
    }
    this.lastFailure = { at: this.o.clock.now(), what: `${op} ${err.kind}: ${err.message}`.slice(0, 300) };
    if (this.breaker.failure()) {
      this.o.log.error({
        event: 'upstream.circuit_open',
        upstream: this.o.name,
        op,
        kind: err.kind,
        failures: this.breaker.consecutiveFailures,
        cooldownMs: this.breaker.cooldownMs,
      });
    } else {
      this.o.log.warn({
        event: 'upstream.call_failed',
        upstream: this.o.name,
        op,
        kind: err.kind,
        raw: err.raw?.slice(0, 300),
        error: err.message,
      });
    }
  }
}
