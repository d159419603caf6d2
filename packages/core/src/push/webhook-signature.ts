/**
 * Standard Webhooks 1.0 signing (docs/decisions.md D93): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, one per valid secret, separated by
 * spaces during a rotation; a secret is `whsec_` + the base64 of the key's bytes.
 */
import { createHmac } from 'node:crypto';
import type { Rng } from '../ports/rng.js';

const SECRET_PREFIX = 'whsec_';

/** A new secret: 24 random bytes (192 bits), within the specification's 24–64. */
export function generateWebhookSecret(rng: Rng): string {
  return SECRET_PREFIX + Buffer.from(rng.bytes(24)).toString('base64');
}

const keyOf = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');

/** The `v1,…` signature of one message with one secret. */
function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The three headers of a delivery, signed with every secret given (the current one first). */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => signWebhook(s, id, timestampSeconds, body)).join(' '),
  };
}
