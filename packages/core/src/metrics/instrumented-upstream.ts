/**
 * Wraps the engine's Upstream so every call is counted and timed by method and outcome
 * (docs/decisions.md D102), whichever adapter it is. Each call looks the method up on the wrapped
 * object when it is made, so nothing about the adapter is captured at start.
 */
import type { Upstream } from '../upstream/upstream.js';
import { isUpstreamError } from '../upstream/upstream-error.js';
import type { Metrics } from './metrics.js';

const CALLS = ['getCatalogue', 'getBalance', 'buy', 'getStatus', 'requestNextSms', 'finish', 'cancel', 'listActive'] as const;

export function instrumentUpstream(inner: Upstream, metrics: Metrics): Upstream {
  const wrapped: Upstream = Object.create(inner) as Upstream;
  for (const method of CALLS) {
    (wrapped as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const started = process.hrtime.bigint();
      let outcome = 'ok';
      try {
        return await (inner[method] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
      } catch (err) {
        outcome = isUpstreamError(err) ? err.kind.toLowerCase() : 'error';
        throw err;
      } finally {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.upstreamCalls.inc({ method, outcome });
        metrics.upstreamDuration.observe({ method, outcome }, seconds);
      }
    };
  }
  // Health and the breaker are read through the adapter itself, never through the wrapper.
  if (inner.health) wrapped.health = () => inner.health!();
  if (inner.circuitState) wrapped.circuitState = () => inner.circuitState!();
  // Reading a pushed message is no call to the upstream.
  if (inner.readPush) wrapped.readPush = (body) => inner.readPush!(body);
  return wrapped;
}
