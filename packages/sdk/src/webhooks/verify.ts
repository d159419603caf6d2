/**
 * Verifies a webhook delivery by the Standard Webhooks 1.0 scheme, as a jiema server signs them:
 * `webhook-signature` holds one or more `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`
 * (two during a secret rotation), the secret is `whsec_<base64 key>`, and a timestamp more than
 * 5 minutes from now is refused (replays). Interoperable with the official `standardwebhooks`
 * libraries in both directions.
 */
import { JiemaError } from '../errors/jiema-error.js';
import { fromBase64, hmacSha256, toBase64 } from './hmac-sha256.js';

/** The specification's tolerance between the delivery's timestamp and the receiver's clock. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyOptions {
  /** Default 300 (the specification's 5 minutes). */
  toleranceSeconds?: number;
  /** The receiver's time in ms; default Date.now(). */
  now?: number;
}

/** A delivery that must not be trusted: missing headers, a bad signature, or an old or future timestamp. */
export class JiemaWebhookVerificationError extends JiemaError {
  constructor(message: string) {
    super({ code: 'WEBHOOK_VERIFICATION_FAILED', message });
  }
}

/** The event a jiema server sends (the webhook body, and each server-sent event's data). */
export interface WebhookEvent<T = Record<string, unknown>> {
  /** The event id, also the `webhook-id` header: the same on every retry, so use it to de-duplicate. */
  id: string;
  type: 'order.updated' | 'sms.received' | (string & {});
  timestamp: string;
  data: T;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | readonly string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? (value[0] as string | undefined) : (value as string | undefined);
}

const encoder = new TextEncoder();

function equal(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The `v1,…` signature of one message: what a sender puts in `webhook-signature`. */
export function signWebhookPayload(secret: string, id: string, timestampSeconds: number, rawBody: string | Uint8Array): string {
  const key = fromBase64(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  if (!key || key.length === 0)
    throw new TypeError('A webhook secret is "whsec_" followed by base64, as the server showed it when the endpoint was created.');
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`${id}.${timestampSeconds}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  return `v1,${toBase64(hmacSha256(key, message))}`;
}

/**
 * Checks a delivery and returns its event. `rawBody` must be the body exactly as received (not
 * re-serialized JSON). Throws JiemaWebhookVerificationError when it cannot be trusted.
 */
export function verifyWebhook<T = Record<string, unknown>>(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyOptions = {},
): WebhookEvent<T> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new JiemaWebhookVerificationError(
      'Missing webhook-id, webhook-timestamp or webhook-signature header: not a Standard Webhooks delivery.',
    );
  if (!/^\d{1,12}$/.test(timestamp)) throw new JiemaWebhookVerificationError('webhook-timestamp is not Unix seconds.');
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const ts = Number(timestamp);
  if (ts < nowSeconds - tolerance)
    throw new JiemaWebhookVerificationError(`webhook-timestamp is more than ${tolerance} s old: refused as a possible replay.`);
  if (ts > nowSeconds + tolerance)
    throw new JiemaWebhookVerificationError(`webhook-timestamp is more than ${tolerance} s in the future: check the clocks.`);
  const expected = signWebhookPayload(secret, id, ts, rawBody);
  const ok = signatures.split(' ').some((s) => s.startsWith('v1,') && equal(s, expected));
  if (!ok)
    throw new JiemaWebhookVerificationError(
      'No signature in webhook-signature matches this secret and body: wrong secret, or the body was changed.',
    );
  const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  try {
    return JSON.parse(text) as WebhookEvent<T>;
  } catch {
    throw new JiemaWebhookVerificationError('The signed body is not JSON.');
  }
}
