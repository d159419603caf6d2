/**
 * What an operator's tooling polls (docs/decisions.md D102, D103): `/metrics` in the Prometheus
 * text format, behind the admin token (or on a listener of its own, `--metrics-port`), and
 * `/readyz`, which answers 503 with the reason while the server should not take traffic.
 * `/healthz` stays the cheap liveness check.
 */
import { z } from 'zod';
import type { Engine } from '../engine.js';
import { AppError } from '../errors/app-error.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/metrics.js';
import { ok } from './envelope.js';
import { defineRoute, type Route } from './route.js';

interface Readiness {
  ready: boolean;
  /** Why not, one line each (empty when ready). */
  reasons: string[];
  checks: {
    database: 'ok' | 'error';
    upstream: 'ok' | 'degraded' | 'down';
    circuit: 'closed' | 'half-open' | 'open';
    upstreamBalance: 'ok' | 'low' | 'unknown' | 'unchecked';
  };
  upstreamBalance: { amount: string | null; minimum: number | null; readAt: string | null };
}

/**
 * Whether the server should take traffic: its database takes a write (a real commit, so a full
 * disk or a replaced file shows), the upstream's circuit breaker is not open, and the provider
 * balance — when a minimum is set — is known and at least the minimum.
 */
function checkReadiness(engine: Engine): Readiness {
  const reasons: string[] = [];
  let database: 'ok' | 'error' = 'ok';
  const storage = engine.storage.check();
  if (!storage.ok) {
    database = 'error';
    reasons.push(`the database cannot be used: ${storage.detail}`);
  } else {
    try {
      const { tx, settings } = engine.stores;
      tx.writeUnsynced(() => settings.set('ready_probe_at', String(engine.clock.now())));
    } catch (err) {
      database = 'error';
      reasons.push(`the database cannot be written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const health = engine.upstream.health?.() ?? { status: 'ok' as const };
  const circuit = engine.upstream.circuitState?.() ?? 'closed';
  if (circuit === 'open') reasons.push(`the upstream's circuit breaker is open${health.detail ? `: ${health.detail}` : ''}`);
  const b = engine.balance.current();
  let balance: Readiness['checks']['upstreamBalance'] = 'unchecked';
  if (b.minimum !== null) {
    if (b.amount === null) {
      balance = 'unknown';
      reasons.push(`the provider balance has not been read yet${b.error ? ` (${b.error})` : ''}; the minimum is ${b.minimum}`);
    } else if (b.low) {
      balance = 'low';
      reasons.push(`the provider balance ${b.text} is below the minimum ${b.minimum}`);
    } else balance = 'ok';
  } else if (b.amount !== null) balance = 'ok';
  return {
    ready: reasons.length === 0,
    reasons,
    checks: { database, upstream: health.status, circuit, upstreamBalance: balance },
    upstreamBalance: { amount: b.text, minimum: b.minimum, readAt: b.readAt === null ? null : new Date(b.readAt).toISOString() },
  };
}

const ReadinessSchema = z.object({
  status: z.literal('ready'),
  checks: z.object({
    database: z.enum(['ok', 'error']),
    upstream: z.enum(['ok', 'degraded', 'down']),
    circuit: z.enum(['closed', 'half-open', 'open']),
    upstreamBalance: z.enum(['ok', 'low', 'unknown', 'unchecked']).describe('unchecked: no --min-upstream-balance is set'),
  }),
  upstreamBalance: z.object({
    amount: z.string().nullable().describe("In the provider's currency, as last read; null until read"),
    minimum: z.number().nullable(),
    readAt: z.string().nullable(),
  }),
  time: z.string(),
});

export const operationsRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/readyz',
    operationId: 'getReadiness',
    auth: 'none',
    tag: 'system',
    summary: 'Readiness: 503 NOT_READY with the reason while the server should not take traffic',
    description:
      "Not ready while the database cannot be written, the upstream's circuit breaker is open, or the provider balance is below `--min-upstream-balance` (or not read yet, when a minimum is set). Point a load balancer's health check here; use `/healthz` for liveness.",
    response: ReadinessSchema,
    errors: ['NOT_READY'],
    handler: (ctx) => {
      const r = checkReadiness(ctx.engine);
      if (!r.ready) throw new AppError('NOT_READY', `Not ready: ${r.reasons.join('; ')}.`);
      return ok({
        status: 'ready',
        checks: r.checks,
        upstreamBalance: r.upstreamBalance,
        time: new Date(ctx.engine.clock.now()).toISOString(),
      });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/metrics',
    operationId: 'getMetrics',
    auth: 'admin',
    tag: 'system',
    summary: 'Prometheus metrics (text format), behind the admin token',
    description:
      'Requests, order transitions, upstream calls, the circuit breaker, the outbox, buy reconciliation, the provider balance, rate-limit refusals and process metrics. `jiema serve --metrics-port` serves the same on a listener of its own, without the token. docs/operations.md lists them and what to alert on.',
    enveloped: false,
    contentType: 'text/plain',
    response: z.string().describe('The Prometheus text exposition format'),
    errors: [],
    handler: async (ctx) => {
      const text = await ctx.engine.metrics.render();
      return { status: 200, body: text, stream: { contentType: PROMETHEUS_CONTENT_TYPE, start: (res) => void res.end(text) } };
    },
  }),
];
