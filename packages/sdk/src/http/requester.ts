/**
 * Runs one SDK call: pacing, attempts, hooks, retries with backoff, and the error the caller
 * finally sees. It is the only holder of the API key, in a private field that neither
 * `util.inspect` nor JSON can reach.
 */
import { maskApiKey } from '../api-key.js';
import { JiemaConnectionError, JiemaInvalidResponseError, JiemaOutcomeUnknownError, JiemaTimeoutError } from '../errors/client-errors.js';
import { errorFromResponse } from '../errors/error-from-response.js';
import { headersToRecord, type JiemaError } from '../errors/jiema-error.js';
import type { RatePacer, RateClass, Permit } from '../pacing/rate-pacer.js';
import type { Clock } from '../ports/clock.js';
import { randomId, type Random } from '../ports/random.js';
import { CallScope } from './call-scope.js';
import { callHook, type ClientHooks } from './hooks.js';
import { parseRateLimit, parseRetryAfter } from './rate-limit-headers.js';
import { backoffDelay, isRetryable, writeOutcome, type Failure, type RetrySettings } from './retry-policy.js';
import { sendAttempt, type AttemptResult, type FetchLike } from './transport.js';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** The path under /api/v1, already encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  rateClass: RateClass;
  /** For writes: what the caller should do when the outcome is unknown. */
  reconcile?: string;
  /** Told the headers of the successful answer (long-poll support is advertised in one). */
  onHeaders?: (headers: Headers) => void;
}

/** Options every method takes as its last argument. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Per attempt; default the client's timeoutMs. */
  timeoutMs?: number;
  /** For the whole call, backoff sleeps and pacing waits included; default the client's. */
  totalTimeoutMs?: number;
  maxRetries?: number;
  /** Sent as X-Request-Id on every attempt of this call; default a random UUID. */
  requestId?: string;
}

/** Options of a write (POST): the Idempotency-Key to send, default a fresh one per call. */
export interface WriteOptions extends RequestOptions {
  idempotencyKey?: string;
}

export interface RequesterConfig {
  apiKey: string;
  apiBase: string;
  fetch: FetchLike;
  clock: Clock;
  random: Random;
  pacer: RatePacer | undefined;
  timeoutMs: number;
  totalTimeoutMs: number | undefined;
  retry: RetrySettings;
  idempotencyKeys: boolean;
  userAgent: string;
  hooks: ClientHooks;
}

type Interpreted<T> =
  | { ok: true; value: T }
  | { ok: false; error: JiemaError; failure: Failure | undefined; retryAfterMs: number | undefined; counted: boolean };

interface Call {
  spec: RequestSpec;
  what: string;
  url: string;
  requestId: string;
  idempotencyKey: string | undefined;
  timeoutMs: number;
}

/** Rejects a caller's value that fetch would refuse to send, before it could pass for a lost request. */
function checkHeaderValue(name: string, value: string | undefined, max: number): void {
  if (value === undefined || (value.length <= max && /^[\x21-\x7e]+$/.test(value))) return;
  throw new TypeError(`${name} must be 1–${max} printable ASCII characters without spaces.`);
}

export class Requester {
  readonly #apiKey: string;
  readonly #config: Omit<RequesterConfig, 'apiKey'>;

  constructor(config: RequesterConfig) {
    const { apiKey, ...rest } = config;
    this.#apiKey = apiKey;
    this.#config = rest;
  }

  get maskedKey(): string {
    return maskApiKey(this.#apiKey);
  }

  async request<T>(spec: RequestSpec, options: WriteOptions = {}): Promise<T> {
    const cfg = this.#config;
    const call: Call = {
      spec,
      what: `${spec.method} ${spec.path}`,
      url: this.url(spec),
      requestId: options.requestId ?? randomId(),
      idempotencyKey: spec.method === 'POST' ? (options.idempotencyKey ?? (cfg.idempotencyKeys ? randomId() : undefined)) : undefined,
      timeoutMs: options.timeoutMs ?? cfg.timeoutMs,
    };
    checkHeaderValue('idempotencyKey', call.idempotencyKey, 255);
    checkHeaderValue('requestId', call.requestId, 128);
    const maxRetries = options.maxRetries ?? cfg.retry.maxRetries;
    const headers = this.headers(call);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const scope = new CallScope(cfg.clock, options.signal, options.totalTimeoutMs ?? cfg.totalTimeoutMs);
    let unknown = false;
    try {
      for (let attempt = 1; ; attempt += 1) {
        let permit: Permit | undefined;
        try {
          permit = await cfg.pacer?.acquire(spec.rateClass, scope.signal);
        } catch {
          throw this.final(call, scope.stopError(call.what, call.requestId), unknown, attempt - 1);
        }
        callHook(cfg.hooks.onRequest, {
          method: spec.method,
          path: spec.path,
          url: call.url,
          attempt,
          requestId: call.requestId,
          idempotencyKey: call.idempotencyKey,
          rateClass: spec.rateClass,
          headers: this.masked(headers),
        });
        const started = cfg.clock.now();
        const result = await sendAttempt(cfg.fetch, cfg.clock, {
          url: call.url,
          method: spec.method,
          headers,
          body,
          signal: scope.signal,
          timeoutMs: call.timeoutMs,
        });
        const outcome = this.interpret<T>(result, call, scope);
        const responseHeaders = result.kind === 'response' ? result.headers : undefined;
        permit?.release({
          counted: outcome.ok || outcome.counted,
          headers: responseHeaders,
          retryAfterMs: outcome.ok ? undefined : outcome.retryAfterMs,
        });
        callHook(cfg.hooks.onResponse, {
          method: spec.method,
          path: spec.path,
          url: call.url,
          attempt,
          requestId: call.requestId,
          status: result.kind === 'response' ? result.status : undefined,
          durationMs: cfg.clock.now() - started,
          headers: headersToRecord(responseHeaders),
          error: outcome.ok ? undefined : outcome.error,
        });
        if (outcome.ok) return outcome.value;

        const { error, failure } = outcome;
        if (result.kind === 'aborted') throw this.final(call, error, unknown || result.sent, attempt);
        const verdict = writeOutcome(failure!);
        if (verdict !== 'unchanged') unknown = verdict === 'unknown';
        const delayMs = this.retryDelay(call, failure!, outcome.retryAfterMs, attempt, maxRetries, scope);
        if (delayMs === undefined) throw this.final(call, error, unknown, attempt);
        callHook(cfg.hooks.onRetry, {
          method: spec.method,
          path: spec.path,
          attempt,
          delayMs,
          error,
          requestId: call.requestId,
          idempotencyKey: call.idempotencyKey,
        });
        try {
          await cfg.clock.sleep(delayMs, scope.signal);
        } catch {
          throw this.final(call, scope.stopError(call.what, call.requestId), unknown, attempt);
        }
      }
    } finally {
      scope.dispose();
    }
  }

  /** The backoff before the next attempt, or undefined when the error should go to the caller now. */
  private retryDelay(
    call: Call,
    failure: Failure,
    retryAfterMs: number | undefined,
    attempt: number,
    maxRetries: number,
    scope: CallScope,
  ): number | undefined {
    const { retry, random } = this.#config;
    if (attempt > maxRetries || !isRetryable(call.spec.method, failure, call.idempotencyKey !== undefined)) return undefined;
    if (retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfterMs) return undefined;
    const delay = Math.max(backoffDelay(attempt, retry, random), retryAfterMs ?? 0);
    return delay < scope.remainingMs() ? delay : undefined;
  }

  private interpret<T>(result: AttemptResult, call: Call, scope: CallScope): Interpreted<T> {
    const { requestId } = call;
    switch (result.kind) {
      case 'aborted':
        return {
          ok: false,
          error: scope.stopError(call.what, requestId),
          failure: undefined,
          retryAfterMs: undefined,
          counted: result.sent,
        };
      case 'timeout':
        return {
          ok: false,
          error: new JiemaTimeoutError({
            message: `${call.what} got no answer within ${call.timeoutMs} ms.`,
            timeoutMs: call.timeoutMs,
            requestId,
          }),
          failure: { kind: 'timeout' },
          retryAfterMs: undefined,
          counted: true,
        };
      case 'network': {
        const cause = (result.error as { cause?: { message?: string } } | undefined)?.cause?.message;
        const message = `${call.what} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}${cause ? ` (${cause})` : ''}.`;
        return {
          ok: false,
          error: new JiemaConnectionError({ message, requestId, cause: result.error, mayHaveReachedServer: result.sent }),
          failure: { kind: 'network', sent: result.sent },
          retryAfterMs: undefined,
          counted: result.sent,
        };
      }
      case 'response':
        return this.interpretResponse<T>(result, call);
    }
  }

  private interpretResponse<T>(res: Extract<AttemptResult, { kind: 'response' }>, call: Call): Interpreted<T> {
    const requestId = res.headers.get('x-request-id') ?? call.requestId;
    const body = res.json as { ok?: unknown; data?: unknown } | undefined;
    if (res.status >= 200 && res.status < 300) {
      if (body?.ok === true && 'data' in body) {
        call.spec.onHeaders?.(res.headers);
        return { ok: true, value: body.data as T };
      }
      const error = new JiemaInvalidResponseError({
        message: `${call.what} answered ${res.status} without the jiema JSON envelope.`,
        status: res.status,
        requestId,
        headers: res.headers,
      });
      return { ok: false, error, failure: { kind: 'invalid' }, retryAfterMs: undefined, counted: true };
    }
    const retryAfterMs = this.retryAfterOf(res);
    const error = errorFromResponse({ status: res.status, body: res.json, headers: res.headers, requestId, retryAfterMs });
    const failure: Failure = { kind: 'status', status: res.status, code: error.code };
    return { ok: false, error, failure, retryAfterMs, counted: res.status !== 429 };
  }

  /** Retry-After, or for a 429 without it, the RateLimit field's time to a free slot. */
  private retryAfterOf(res: { status: number; headers: Headers }): number | undefined {
    const given = parseRetryAfter(res.headers.get('retry-after'), this.#config.clock.now());
    if (given !== undefined || res.status !== 429) return given;
    return parseRateLimit(res.headers.get('ratelimit'))?.resetMs;
  }

  private final(call: Call, error: JiemaError, unknown: boolean, attempts: number): JiemaError {
    if (!unknown || call.spec.method === 'GET') return error;
    const key = call.idempotencyKey;
    const retry = key
      ? ` To retry without doing it twice, repeat the same call with { idempotencyKey: '${key}' }: the server replays the first outcome.`
      : '';
    return new JiemaOutcomeUnknownError({
      message: `${call.what} may or may not have taken effect: no definite answer after ${attempts} attempt(s) (${error.message}) ${call.spec.reconcile ?? ''}${retry}`,
      status: error.status,
      requestId: error.requestId,
      headers: error.headers,
      cause: error,
      idempotencyKey: key,
      method: call.spec.method,
      path: call.spec.path,
    });
  }

  private url(spec: RequestSpec): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.#config.apiBase}${spec.path}${qs ? `?${qs}` : ''}`;
  }

  private headers(call: Call): Record<string, string> {
    const h: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${this.#apiKey}`,
      'user-agent': this.#config.userAgent,
      'x-request-id': call.requestId,
    };
    if (call.spec.body !== undefined) h['content-type'] = 'application/json';
    if (call.idempotencyKey !== undefined) h['idempotency-key'] = call.idempotencyKey;
    return h;
  }

  private masked(headers: Record<string, string>): Record<string, string> {
    return { ...headers, authorization: `Bearer ${maskApiKey(this.#apiKey)}` };
  }
}
