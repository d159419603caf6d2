/**
 * The exact reply strings of the protocol reference (§3, §11.3) through the classifier: each
 * body, with its HTTP status, and what it must become.
 */
import { describe, expect, it } from 'vitest';
import { parseReply, type SmsActivateReply } from './parse.js';

type Expected = { token: string; payload: string | null } | { json: unknown } | { error: string; known: boolean };

function shape(r: SmsActivateReply): Expected {
  if (r.kind === 'token') return { token: r.token, payload: r.payload };
  if (r.kind === 'json') return { json: r.value };
  return { error: r.error.kind, known: r.known };
}

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>\r\n</html>\r\n';

const TABLE: Array<[body: string, status: number, expected: Expected]> = [
  ['ACCESS_BALANCE:17.154', 200, { token: 'ACCESS_BALANCE', payload: '17.154' }],
  ['ACCESS_BALANCE:17.154\r\n', 200, { token: 'ACCESS_BALANCE', payload: '17.154' }],
  ['  ACCESS_BALANCE:0.5632\n', 200, { token: 'ACCESS_BALANCE', payload: '0.5632' }],
  ['ACCESS_BALANCE: 9999', 200, { token: 'ACCESS_BALANCE', payload: '9999' }],
  ['ACCESS_NUMBER:3936040355:60123456789', 200, { token: 'ACCESS_NUMBER', payload: '3936040355:60123456789' }],
  ['ACCESS_NUMBER: 1: 79990001122', 200, { token: 'ACCESS_NUMBER', payload: '1: 79990001122' }],
  ['ACCESS_RETRY_GET', 200, { token: 'ACCESS_RETRY_GET', payload: null }],
  ['ACCESS_ACTIVATION', 200, { token: 'ACCESS_ACTIVATION', payload: null }],
  ['ACCESS_CANCEL', 200, { token: 'ACCESS_CANCEL', payload: null }],
  ['STATUS_WAIT_CODE', 200, { token: 'STATUS_WAIT_CODE', payload: null }],
  ['STATUS_WAIT_RETRY:123456', 200, { token: 'STATUS_WAIT_RETRY', payload: '123456' }],
  ['STATUS_WAIT_RESEND', 200, { token: 'STATUS_WAIT_RESEND', payload: null }],
  ['STATUS_OK:123456', 200, { token: 'STATUS_OK', payload: '123456' }],
  ['STATUS_OK:12:34', 200, { token: 'STATUS_OK', payload: '12:34' }],
  ['STATUS_OK:Your code: 12:34 (valid 5 min)', 200, { token: 'STATUS_OK', payload: 'Your code: 12:34 (valid 5 min)' }],
  ['STATUS_CANCEL', 200, { token: 'STATUS_CANCEL', payload: null }],
  ['NO_NUMBERS', 200, { error: 'NO_NUMBERS', known: true }],
  ['NO_NUMBERS', 404, { error: 'NO_NUMBERS', known: true }],
  ['NO_BALANCE', 402, { error: 'NO_BALANCE', known: true }],
  ['WRONG_MAX_PRICE:0.025', 400, { error: 'NO_NUMBERS', known: true }],
  ['BAD_SERVICE', 200, { error: 'BAD_SERVICE', known: true }],
  ['BAD_COUNTRY', 422, { error: 'BAD_COUNTRY', known: true }],
  ['BAD_KEY', 200, { error: 'AUTH', known: true }],
  ['BAD_KEY', 401, { error: 'AUTH', known: true }],
  ['NO_KEY', 200, { error: 'AUTH', known: true }],
  ['BAD_ACTION', 200, { error: 'PROTOCOL', known: true }],
  ['BAD_STATUS', 200, { error: 'BAD_STATUS', known: true }],
  ['NO_ACTIVATION', 200, { error: 'NO_ACTIVATION', known: true }],
  ['WRONG_ACTIVATION_ID', 200, { error: 'NO_ACTIVATION', known: true }],
  ['EARLY_CANCEL_DENIED', 200, { error: 'EARLY_CANCEL_DENIED', known: true }],
  ['EARLY_CANCEL_DENIED', 409, { error: 'EARLY_CANCEL_DENIED', known: true }],
  ['ERROR_SQL', 200, { error: 'UNAVAILABLE', known: true }],
  ["BANNED:'2026-01-01 12-00-00'", 200, { error: 'BANNED', known: true }],
  ['CHANNELS_LIMIT', 200, { error: 'UNAVAILABLE', known: true }],
  ['ORDER_ALREADY_EXISTS', 200, { error: 'UNAVAILABLE', known: true }],
  ['ACCESS_CANCEL_ALREADY', 200, { error: 'NO_ACTIVATION', known: true }],
  ['{"status":"error","error":"NO_ACTIVATIONS"}', 200, { token: 'NO_ACTIVATIONS', payload: null }],
  ['{"status":"false","msg":"service is incorrect"}', 200, { error: 'BAD_SERVICE', known: true }],
  ['{"status":"false","msg":"country is incorrect"}', 200, { error: 'BAD_COUNTRY', known: true }],
  ['{"status":"false","msg":"something else"}', 200, { error: 'PROTOCOL', known: true }],
  ['{"error":"NO_NUMBERS","message":"There are no free numbers"}', 200, { error: 'NO_NUMBERS', known: true }],
  ['{"title":"UNPROCESSABLE_ENTITY","details":"Validation failed","info":{"field":"api_key"}}', 422, { error: 'AUTH', known: true }],
  ['{"title":"UNPROCESSABLE_ENTITY","details":"Validation failed"}', 422, { error: 'PROTOCOL', known: false }],
  ['{"status":"success","activeActivations":[]}', 200, { json: { status: 'success', activeActivations: [] } }],
  ['{"7":{"tg":{"cost":0.2,"count":4}}}\n', 200, { json: { 7: { tg: { cost: 0.2, count: 4 } } } }],
  ['[{"id":7,"eng":"Malaysia"}]', 200, { json: [{ id: 7, eng: 'Malaysia' }] }],
  ['{"activationId":', 200, { error: 'PROTOCOL', known: false }],
  [HTML_502, 502, { error: 'UNAVAILABLE', known: false }],
  ['<html><body>OK</body></html>', 200, { error: 'UNAVAILABLE', known: false }],
  ['', 200, { error: 'PROTOCOL', known: false }],
  ['\r\n', 200, { error: 'PROTOCOL', known: false }],
  ['', 503, { error: 'UNAVAILABLE', known: false }],
  ['SOMETHING_NEW', 200, { error: 'PROTOCOL', known: false }],
  ['Internal Server Error', 500, { error: 'UNAVAILABLE', known: false }],
  // Exact tokens only: a prefix, a suffix or a different case is not the token.
  ['NO_ACTIVATIONS_X', 200, { error: 'PROTOCOL', known: false }],
  ['BAD_KEYS', 200, { error: 'PROTOCOL', known: false }],
  ['status_ok:1234', 200, { error: 'PROTOCOL', known: false }],
  ['STATUS_OKAY:1234', 200, { error: 'PROTOCOL', known: false }],
  ['Your code BAD_KEY NO_NUMBERS', 200, { error: 'PROTOCOL', known: false }],
];

describe('parseReply (SMS-Activate)', () => {
  it.each(TABLE)('classifies %j (HTTP %i)', (body, status, expected) => {
    expect(shape(parseReply(body, status))).toEqual(expected);
  });

  it('keeps the raw text of every error, trimmed, for operators', () => {
    const r = parseReply('SOMETHING_NEW\n', 200);
    expect(r.kind === 'error' && r.error.raw).toBe('SOMETHING_NEW');
    const html = parseReply(HTML_502, 502);
    expect(html.kind === 'error' && html.error.raw).toContain('<h1>502 Bad Gateway</h1>');
    const banned = parseReply("BANNED:'2026-01-01 12-00-00'", 200);
    expect(banned.kind === 'error' && banned.error.message).toContain("'2026-01-01 12-00-00'");
  });

  it('caps a huge raw body at 2,000 characters', () => {
    const r = parseReply(`<html>${'x'.repeat(10_000)}</html>`, 502);
    expect(r.kind === 'error' && r.error.raw?.length).toBe(2_000);
  });
});
