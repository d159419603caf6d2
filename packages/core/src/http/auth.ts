/**
 * Reads credentials from request headers. Users present an API key as `Authorization: Bearer`
 * or `X-API-Key` (both present and different: 400). Operators present the admin token as
 * `Authorization: Bearer` or `X-Admin-Token`; it is compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../errors/app-error.js';

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw new AppError('BAD_REQUEST', `The ${name} header must appear once.`);
    return value[0];
  }
  return value;
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const auth = single(headers.authorization, 'Authorization');
  if (auth === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
  if (!m) throw new AppError('AUTH_INVALID', 'The Authorization header must be "Bearer <key>".');
  return m[1];
}

/** Whether the request carries a key or token in a header (then a console session cookie is not looked at). */
export function hasCredentialHeaders(headers: IncomingHttpHeaders): boolean {
  return headers.authorization !== undefined || headers['x-api-key'] !== undefined || headers['x-admin-token'] !== undefined;
}

/** The presented user key, or AUTH_MISSING. */
export function readApiKey(headers: IncomingHttpHeaders): string {
  const fromBearer = bearer(headers);
  const fromHeader = single(headers['x-api-key'], 'X-API-Key')?.trim();
  if (fromBearer !== undefined && fromHeader !== undefined && fromBearer !== fromHeader) {
    throw new AppError('BAD_REQUEST', 'Authorization and X-API-Key carry different keys; send one of them.');
  }
  const key = fromBearer ?? fromHeader;
  if (!key) throw new AppError('AUTH_MISSING', 'Send your API key as "Authorization: Bearer jm_…" or "X-API-Key: jm_…".');
  return key;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The SHA-256 hex digest of a secret token: what a database keeps instead of the token (docs/decisions.md D45). */
export function hashSecret(token: string): string {
  return digest(token).toString('hex');
}

/** Whether a presented secret matches a stored SHA-256 hex digest, in constant time. */
export function secretMatches(presented: string, sha256Hex: string): boolean {
  const expected = Buffer.from(sha256Hex, 'hex');
  return expected.length === 32 && timingSafeEqual(digest(presented), expected);
}

/** Checks the admin token against its SHA-256 hex digest (the server never needs the token itself). */
export function checkAdminToken(headers: IncomingHttpHeaders, adminTokenSha256: string): void {
  const presented = single(headers['x-admin-token'], 'X-Admin-Token')?.trim() ?? bearer(headers);
  if (!presented)
    throw new AppError('AUTH_MISSING', 'Admin routes need the admin token as "Authorization: Bearer <token>" or "X-Admin-Token".');
  if (!secretMatches(presented, adminTokenSha256)) throw new AppError('AUTH_INVALID', 'The admin token is not valid.');
}
