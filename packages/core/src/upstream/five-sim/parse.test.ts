/**
 * 5sim's replies through the classifier: JSON data, its lowercase error texts with their HTTP
 * statuses, 401/429, and what it must do with HTML, empty and unknown bodies.
 */
import { describe, expect, it } from 'vitest';
import { parseReply, type FiveSimReply } from './parse.js';

const shape = (r: FiveSimReply) => (r.kind === 'json' ? { json: r.value } : { error: r.error.kind, known: r.known });

const TABLE: Array<[body: string, status: number, expected: ReturnType<typeof shape>]> = [
  ['{"id":1,"phone":"+60123456789","status":"RECEIVED"}', 200, { json: { id: 1, phone: '+60123456789', status: 'RECEIVED' } }],
  ['no free phones', 400, { error: 'NO_NUMBERS', known: true }],
  ['no free phones\n', 200, { error: 'NO_NUMBERS', known: true }],
  ['not enough user balance', 400, { error: 'NO_BALANCE', known: true }],
  ['not enough rating', 400, { error: 'BANNED', known: true }],
  ['bad country', 400, { error: 'BAD_COUNTRY', known: true }],
  ['select country', 400, { error: 'BAD_COUNTRY', known: true }],
  ['no product', 400, { error: 'BAD_SERVICE', known: true }],
  ['bad operator', 400, { error: 'PROTOCOL', known: true }],
  ['server offline', 503, { error: 'UNAVAILABLE', known: true }],
  ['order not found', 404, { error: 'NO_ACTIVATION', known: true }],
  ['order expired', 400, { error: 'NO_ACTIVATION', known: true }],
  ['order has sms', 400, { error: 'CODE_RECEIVED', known: true }],
  ['order no sms', 400, { error: 'BAD_STATUS', known: true }],
  ['you need to wait time', 400, { error: 'EARLY_CANCEL_DENIED', known: true }],
  ['api limit is 100 requests per second', 429, { error: 'UNAVAILABLE', known: true }],
  ['Unauthorized', 401, { error: 'AUTH', known: true }],
  ['', 401, { error: 'AUTH', known: true }],
  ['<html><body><h1>502 Bad Gateway</h1></body></html>', 502, { error: 'UNAVAILABLE', known: false }],
  ['', 200, { error: 'PROTOCOL', known: false }],
  ['', 504, { error: 'UNAVAILABLE', known: false }],
  ['{"id":', 200, { error: 'PROTOCOL', known: false }],
  ['{"message":"oops"}', 500, { error: 'UNAVAILABLE', known: false }],
  ['something new', 400, { error: 'PROTOCOL', known: false }],
  // Exact texts only, never a substring.
  ['no free phones in this country', 400, { error: 'PROTOCOL', known: false }],
];

describe('parseReply (5sim)', () => {
  it.each(TABLE)('classifies %j (HTTP %i)', (body, status, expected) => {
    expect(shape(parseReply(body, status))).toEqual(expected);
  });

  it('keeps the raw text of an error', () => {
    const r = parseReply('something new', 400);
    expect(r.kind === 'error' && r.error.raw).toBe('something new');
  });
});
