/**
 * The upstream's incoming-SMS webhook (docs/decisions.md D99): `POST /upstream/v1/<upstream>/<secret>`,
 * served when the server runs an adapter that can read pushes (SMS-Activate) and was given a
 * webhook secret. The provider is told the whole URL; the secret in its path is the only
 * credential, compared in constant time, and any other request under the prefix — a wrong secret,
 * another method, no secret configured — gets the same 404 an unknown path gets. The body (JSON or
 * form fields) is read by the adapter and applied through the order service's one path for what
 * the upstream shows (`receivePushed`). Not part of the OpenAPI document: the provider, not an
 * API client, calls it, in the provider's format.
 */
import type { Request, Response } from 'express';
import type { Engine } from '../engine.js';
import { isUpstreamError } from '../upstream/upstream-error.js';
import { hashSecret, secretMatches } from './auth.js';
import { errorResult, ok, type HandlerResult } from './envelope.js';
import { writeResult } from './fast-path.js';
import { labelRoute } from './instrument.js';

export const UPSTREAM_PUSH_PREFIX = '/upstream/v1';

/** The Express handler for everything under UPSTREAM_PUSH_PREFIX; the body arrives as text. */
export function createUpstreamPush(engine: Engine, secret: string | undefined): (req: Request, res: Response) => Promise<void> {
  const secretSha256 = secret ? hashSecret(secret) : undefined;
  return async (req, res) => {
    const path = req.baseUrl + req.path;
    const segments = req.path.split('/').slice(1);
    const [name = '', presented = ''] = segments;
    let presentedSecret = presented;
    try {
      presentedSecret = decodeURIComponent(presented);
    } catch {
      // left as sent: it cannot match
    }
    const matches = secretSha256 !== undefined && secretMatches(presentedSecret, secretSha256);
    const enabled = engine.upstream.readPush !== undefined && name === engine.upstream.name && segments.length === 2;
    if (!matches || !enabled || req.method !== 'POST') {
      writeResult(res, errorResult('NOT_FOUND', `No route ${req.method} ${path}.`));
      return;
    }
    labelRoute(res, `${UPSTREAM_PUSH_PREFIX}/${name}/:secret`);
    writeResult(res, await receive(engine, req));
  };
}

async function receive(engine: Engine, req: Request): Promise<HandlerResult> {
  const body = readBody(typeof req.body === 'string' ? req.body : '');
  if (typeof body === 'string') return errorResult('BAD_REQUEST', body);
  let pushed;
  try {
    pushed = engine.upstream.readPush!(body);
  } catch (err) {
    if (isUpstreamError(err)) return errorResult('BAD_REQUEST', `The webhook body could not be read: ${err.message}.`);
    throw err;
  }
  try {
    const { outcome, order } = await engine.orders.receivePushed(pushed);
    // Unknown activations are acknowledged all the same, so the provider stops retrying them.
    if (outcome === 'unknown_activation') engine.log.warn({ event: 'upstream.push_unknown_activation', activationId: pushed.activationId });
    else engine.log.info({ event: 'upstream.push_received', activationId: pushed.activationId, orderId: order?.id, outcome });
    return ok({ received: true, outcome });
  } catch (err) {
    engine.log.error({ event: 'upstream.push_failed', activationId: pushed.activationId, error: String(err) });
    return errorResult('INTERNAL', 'The message could not be recorded; it has been logged. Send it again.');
  }
}

/** JSON (an object) or form fields; a string says what is wrong. */
function readBody(text: string): Record<string, unknown> | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    return 'The webhook body is not valid JSON.';
  }
  if (trimmed.includes('=')) return Object.fromEntries(new URLSearchParams(trimmed));
  return 'The webhook body is empty or neither JSON nor form fields.';
}
