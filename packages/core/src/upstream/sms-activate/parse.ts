/**
 * The SMS-Activate reply classifier (pure). A reply is judged by its body, not its HTTP status:
 * trimmed; JSON when it starts with `{` or `[`; otherwise split on the first colon only and the
 * token matched exactly against the known tables. Anything else — unknown tokens, HTML error
 * pages, empty bodies — is an UpstreamError that keeps the raw text.
 */
import { UpstreamError, type UpstreamErrorKind } from '../upstream-error.js';
import { ERROR_KINDS, JSON_ERROR_STATUSES, JSON_MSG_KINDS, JsonErrorSchema, PARAM, REPLY, SUCCESS_TOKENS } from './protocol.js';

export type SmsActivateReply =
  | { kind: 'token'; token: string; payload: string | null }
  | { kind: 'json'; value: unknown }
  /**
   * `known`: the upstream clearly refused (a token or JSON error it documents). Otherwise the
   * reply could not be read, so whether the call took effect is unknown.
   */
  | { kind: 'error'; error: UpstreamError; known: boolean };

/** How much of an unreadable reply is kept for operators. */
const RAW_LIMIT = 2_000;

const known = (kind: UpstreamErrorKind, message: string, raw: string): SmsActivateReply => ({
  kind: 'error',
  error: new UpstreamError(kind, message, { raw: raw.slice(0, RAW_LIMIT) }),
  known: true,
});

const unknown = (kind: UpstreamErrorKind, message: string, raw: string): SmsActivateReply => ({
  kind: 'error',
  error: new UpstreamError(kind, message, { raw: raw.slice(0, RAW_LIMIT) }),
  known: false,
});

const failureKind = (httpStatus: number): UpstreamErrorKind => (httpStatus >= 500 ? 'UNAVAILABLE' : 'PROTOCOL');

function errorToken(token: string): UpstreamErrorKind | undefined {
  return Object.hasOwn(ERROR_KINDS, token) ? ERROR_KINDS[token] : undefined;
}

export function parseReply(body: string, httpStatus = 200): SmsActivateReply {
  const text = body.trim();
  if (text === '') return unknown(failureKind(httpStatus), `an empty reply (HTTP ${httpStatus})`, '');
  if (text.startsWith('<')) return unknown('UNAVAILABLE', `an HTML page instead of a reply (HTTP ${httpStatus})`, text);
  if (text.startsWith('{') || text.startsWith('[')) return parseJson(text, httpStatus);
  const colon = text.indexOf(':');
  const token = (colon < 0 ? text : text.slice(0, colon)).trim();
  const payload = colon < 0 ? null : text.slice(colon + 1).trim();
  const kind = errorToken(token);
  if (kind) return known(kind, payload === null ? `the upstream answered ${token}` : `the upstream answered ${token} (${payload})`, text);
  if (SUCCESS_TOKENS.has(token)) return { kind: 'token', token, payload };
  return unknown(failureKind(httpStatus), `an unknown reply (HTTP ${httpStatus})`, text);
}

function parseJson(text: string, httpStatus: number): SmsActivateReply {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return unknown(failureKind(httpStatus), `unreadable JSON (HTTP ${httpStatus})`, text);
  }
  const shape = value !== null && typeof value === 'object' && !Array.isArray(value) ? JsonErrorSchema.safeParse(value) : undefined;
  if (shape?.success) {
    const e = shape.data;
    if (e.error === REPLY.noActivations) return { kind: 'token', token: REPLY.noActivations, payload: null };
    const kind = e.error === undefined ? undefined : errorToken(e.error);
    if (kind) return known(kind, `the upstream answered ${e.error}${e.message ? ` (${e.message})` : ''}`, text);
    if (e.status !== undefined && JSON_ERROR_STATUSES.has(String(e.status))) {
      const said = e.msg ?? e.error ?? e.message ?? '';
      const msgKind = Object.hasOwn(JSON_MSG_KINDS, said.trim()) ? JSON_MSG_KINDS[said.trim()] : undefined;
      return known(msgKind ?? 'PROTOCOL', `the upstream answered an error: ${said || 'no reason given'}`, text);
    }
    if (e.info?.field === PARAM.apiKey)
      return known('AUTH', `the upstream refused the request: ${e.title ?? 'the API key is missing or invalid'}`, text);
  }
  if (httpStatus >= 400) return unknown(failureKind(httpStatus), `a JSON error page (HTTP ${httpStatus})`, text);
  return { kind: 'json', value };
}
