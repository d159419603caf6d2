/**
 * The 5sim reply classifier (pure). Data is JSON; errors are bare lowercase texts, matched
 * exactly (never by substring) whatever the HTTP status; 401 and 429 mean the same whatever the
 * body says. Anything else — unknown texts, HTML error pages, empty bodies — is an UpstreamError
 * that keeps the raw text.
 */
import { UpstreamError, type UpstreamErrorKind } from '../upstream-error.js';
import { ERROR_KINDS, STATUS_KINDS } from './protocol.js';

export type FiveSimReply =
  | { kind: 'json'; value: unknown }
  /** `known`: the upstream clearly refused. Otherwise whether the call took effect is unknown. */
  | { kind: 'error'; error: UpstreamError; known: boolean };

const RAW_LIMIT = 2_000;

const error = (kind: UpstreamErrorKind, message: string, raw: string, known: boolean): FiveSimReply => ({
  kind: 'error',
  error: new UpstreamError(kind, message, { raw: raw.slice(0, RAW_LIMIT) }),
  known,
});

export function parseReply(body: string, httpStatus = 200): FiveSimReply {
  const text = body.trim();
  const byStatus = Object.hasOwn(STATUS_KINDS, httpStatus) ? STATUS_KINDS[httpStatus] : undefined;
  if (byStatus) return error(byStatus, `the upstream answered HTTP ${httpStatus}${text ? ` (${text.slice(0, 100)})` : ''}`, text, true);
  const failure: UpstreamErrorKind = httpStatus >= 500 ? 'UNAVAILABLE' : 'PROTOCOL';
  if (text === '') return error(failure, `an empty reply (HTTP ${httpStatus})`, '', false);
  if (text.startsWith('<')) return error('UNAVAILABLE', `an HTML page instead of a reply (HTTP ${httpStatus})`, text, false);
  if (text.startsWith('{') || text.startsWith('[')) {
    if (httpStatus >= 400) return error(failure, `a JSON error page (HTTP ${httpStatus})`, text, false);
    try {
      return { kind: 'json', value: JSON.parse(text) };
    } catch {
      return error(failure, `unreadable JSON (HTTP ${httpStatus})`, text, false);
    }
  }
  const said = text.toLowerCase();
  const kind = Object.hasOwn(ERROR_KINDS, said) ? ERROR_KINDS[said] : undefined;
  if (kind) return error(kind, `the upstream answered "${said}"`, text, true);
  return error(failure, `an unknown reply (HTTP ${httpStatus})`, text, false);
}
