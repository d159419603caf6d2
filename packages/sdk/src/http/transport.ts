/**
 * One HTTP attempt over fetch, with no retries: the per-attempt timeout (on the injected
 * clock), the call's signal, and a verdict on whether a failed request may have reached the
 * server — which decides whether a write may be retried without an Idempotency-Key.
 */
import type { Clock } from '../ports/clock.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface AttemptRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** The call's signal (the caller's, plus the call's total deadline). */
  signal: AbortSignal;
  timeoutMs: number;
}

export type AttemptResult =
  | { kind: 'response'; status: number; headers: Headers; text: string; json: unknown }
  | { kind: 'network'; error: unknown; sent: boolean }
  | { kind: 'timeout' }
  | { kind: 'aborted'; reason: unknown; sent: boolean };

/** Error codes meaning no byte of the request reached a server. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True only when the failure certainly happened before the request was sent (undici nests the cause). */
function failedBeforeSending(err: unknown): boolean {
  let e = err as { code?: unknown; cause?: unknown; errors?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth += 1) {
    if (typeof e.code === 'string') return NEVER_SENT.has(e.code);
    if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(failedBeforeSending);
    e = e.cause as typeof e;
  }
  return false;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function sendAttempt(fetchImpl: FetchLike, clock: Clock, req: AttemptRequest): Promise<AttemptResult> {
  if (req.signal.aborted) return { kind: 'aborted', reason: req.signal.reason, sent: false };
  const controller = new AbortController();
  const timer = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort(req.signal.reason);
  req.signal.addEventListener('abort', onAbort, { once: true });
  clock.sleep(req.timeoutMs, timer.signal).then(
    () => {
      timedOut = true;
      controller.abort(new Error(`attempt timed out after ${req.timeoutMs} ms`));
    },
    () => undefined,
  );
  try {
    const res = await fetchImpl(req.url, { method: req.method, headers: req.headers, body: req.body, signal: controller.signal });
    const text = await res.text();
    return { kind: 'response', status: res.status, headers: res.headers, text, json: parseJson(text) };
  } catch (error) {
    if (req.signal.aborted) return { kind: 'aborted', reason: req.signal.reason, sent: true };
    if (timedOut) return { kind: 'timeout' };
    return { kind: 'network', error, sent: !failedBeforeSending(error) };
  } finally {
    timer.abort();
    req.signal.removeEventListener('abort', onAbort);
  }
}
