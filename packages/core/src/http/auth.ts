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

export function checkAdminToken(headers: IncomingHttpHeaders, adminToken: string): void {
  const presented = single(headers['x-admin-token'], 'X-Admin-Token')?.trim() ?? bearer(headers);
  if (!presented) throw new AppError('AUTH_MISSING', 'Admin routes need the admin token as "Authorization: Bearer <token>" or "X-Admin-Token".');
  if (!timingSafeEqual(digest(presented), digest(adminToken))) throw new AppError('AUTH_INVALID', 'The admin token is not valid.');
}
