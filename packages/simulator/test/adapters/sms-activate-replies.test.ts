/**
 * SmsActivateUpstream against exact reply strings over real HTTP: the facade is made to answer
 * each body of the protocol reference (with its HTTP status) and the adapter must turn it into
 * the expected result. Also retries, timeouts, the circuit breaker and key masking on the wire.
 */
import { ManualClock, type SmsActivateUpstream, type Upstream } from '@jiema/core';
import { describe, expect, it } from 'vitest';
import { captureLog, sharedSimulator, smsActivate, upstreamCalls } from './harness.js';

const t = sharedSimulator();
let adapter: SmsActivateUpstream;

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>\r\n</html>\r\n';
const T0 = Date.UTC(2026, 0, 1);

type Method = 'getBalance' | 'buy' | 'getStatus' | 'cancel' | 'finish' | 'requestNextSms' | 'listActive' | 'getCatalogue';
type Row = [method: Method, body: string, status: number, expected: unknown];

/** What the call gives, with errors as `{ error: kind }`. */
async function outcome(u: Upstream, method: Method, id: string): Promise<unknown> {
  const run = (): Promise<unknown> => {
    switch (method) {
      case 'buy':
        return u.buy({ service: 'tg', country: 7 });
      case 'getStatus':
      case 'cancel':
      case 'finish':
      case 'requestNextSms':
        return u[method](id);
      default:
        return u[method]();
    }
  };
  return run().then(
    (v) => (v === undefined ? 'ok' : v),
    (e: { kind?: string }) => ({ error: e.kind ?? String(e) }),
  );
}

const ROWS: Row[] = [
  ['getBalance', 'ACCESS_BALANCE:17.154', 200, { amount: '17.154' }],
  ['getBalance', 'ACCESS_BALANCE:17.154\r\n', 200, { amount: '17.154' }],
  ['getBalance', 'ACCESS_BALANCE: 9999', 200, { amount: '9999' }],
  ['getBalance', 'ACCESS_BALANCE:abc', 200, { error: 'PROTOCOL' }],
  ['getBalance', 'BAD_KEY', 200, { error: 'AUTH' }],
  ['getBalance', 'BAD_KEY', 401, { error: 'AUTH' }],
  ['getBalance', 'NO_KEY', 200, { error: 'AUTH' }],
  ['getBalance', '{"title":"UNPROCESSABLE_ENTITY","details":"Validation failed","info":{"field":"api_key"}}', 422, { error: 'AUTH' }],
  ['getBalance', 'ERROR_SQL', 200, { error: 'UNAVAILABLE' }],
  ['getBalance', HTML_502, 502, { error: 'UNAVAILABLE' }],
  ['getBalance', '', 200, { error: 'PROTOCOL' }],
  ['getBalance', 'SOMETHING_NEW', 200, { error: 'PROTOCOL' }],
  ['getBalance', 'ACCESS_BALANCE_OLD:1', 200, { error: 'PROTOCOL' }],
  ['buy', 'ACCESS_NUMBER:3936040355:60123456789', 200, { activationId: '3936040355', phone: '60123456789' }],
  ['buy', 'ACCESS_NUMBER: 1: 79990001122', 200, { activationId: '1', phone: '79990001122' }],
  ['buy', 'ACCESS_NUMBER:3936040355:60123456789\n', 200, { activationId: '3936040355', phone: '60123456789' }],
  [
    'buy',
    '{"activationId":635468024,"phoneNumber":"60123456789","activationCost":12.5,"currency":840,"countryCode":"7","canGetAnotherSms":"1","activationTime":"2022-06-01 17:30:57","activationOperator":"mtt"}',
    200,
    { activationId: '635468024', phone: '60123456789' },
  ],
  [
    'buy',
    '{"activationId":"635468024","phoneNumber":"60123456789","activationCost":12.5,"countryCode":"7","canGetAnotherSms":"1"}',
    200,
    { activationId: '635468024', phone: '60123456789' },
  ],
  ['buy', 'NO_NUMBERS', 200, { error: 'NO_NUMBERS' }],
  ['buy', 'NO_NUMBERS', 404, { error: 'NO_NUMBERS' }],
  ['buy', '{"error":"NO_NUMBERS","message":"There are no free numbers"}', 200, { error: 'NO_NUMBERS' }],
  ['buy', 'NO_BALANCE', 402, { error: 'NO_BALANCE' }],
  ['buy', 'WRONG_MAX_PRICE:0.025', 200, { error: 'NO_NUMBERS' }],
  ['buy', 'BAD_SERVICE', 200, { error: 'BAD_SERVICE' }],
  ['buy', "BANNED:'2026-01-01 12-00-00'", 200, { error: 'BANNED' }],
  ['buy', 'CHANNELS_LIMIT', 200, { error: 'UNAVAILABLE' }],
  ['buy', 'ORDER_ALREADY_EXISTS', 200, { error: 'UNAVAILABLE' }],
  ['buy', 'ERROR_SQL', 500, { error: 'UNAVAILABLE' }],
  // Unreadable answers to a buy leave the sale unknown: TIMEOUT, so the engine reconciles.
  ['buy', HTML_502, 502, { error: 'TIMEOUT' }],
  ['buy', '', 200, { error: 'TIMEOUT' }],
  ['buy', 'SOMETHING_NEW', 200, { error: 'TIMEOUT' }],
  ['buy', 'STATUS_OK:1234', 200, { error: 'TIMEOUT' }],
  ['buy', '{"activationId":1}', 200, { error: 'TIMEOUT' }],
  ['getStatus', 'STATUS_WAIT_CODE', 200, { state: 'WAITING', messages: [] }],
  ['getStatus', 'STATUS_WAIT_RETRY:123456', 200, { state: 'WAITING', messages: [] }],
  ['getStatus', 'STATUS_WAIT_RESEND', 200, { state: 'WAITING', messages: [] }],
  ['getStatus', 'STATUS_OK:Нет кода', 200, { state: 'WAITING', messages: [] }],
  ['getStatus', 'STATUS_CANCEL', 200, { state: 'CLOSED', messages: [] }],
  ['getStatus', 'STATUS_CANCEL\n', 200, { state: 'CLOSED', messages: [] }],
  ['getStatus', 'NO_ACTIVATION', 200, { error: 'NO_ACTIVATION' }],
  ['getStatus', 'NO_ACTIVATION', 404, { error: 'NO_ACTIVATION' }],
  ['getStatus', 'WRONG_ACTIVATION_ID', 200, { error: 'NO_ACTIVATION' }],
  ['getStatus', "BANNED:'2026-01-01 12-00-00'", 403, { error: 'BANNED' }],
  ['getStatus', 'STATUS_OKAY:1', 200, { error: 'PROTOCOL' }],
  ['cancel', 'ACCESS_CANCEL', 200, 'ok'],
  ['cancel', 'EARLY_CANCEL_DENIED', 200, { error: 'EARLY_CANCEL_DENIED' }],
  ['cancel', 'EARLY_CANCEL_DENIED', 409, { error: 'EARLY_CANCEL_DENIED' }],
  ['cancel', 'ACCESS_CANCEL_ALREADY', 200, { error: 'NO_ACTIVATION' }],
  ['cancel', 'NO_ACTIVATION', 200, { error: 'NO_ACTIVATION' }],
  // BAD_STATUS on a number still waiting for its first SMS: refused for another reason.
  ['cancel', 'BAD_STATUS', 200, { error: 'BAD_STATUS' }],
  ['finish', 'ACCESS_ACTIVATION', 200, 'ok'],
  ['finish', 'NO_ACTIVATION', 200, { error: 'NO_ACTIVATION' }],
  ['finish', 'BAD_STATUS', 400, { error: 'BAD_STATUS' }],
  ['requestNextSms', 'ACCESS_RETRY_GET', 200, 'ok'],
  ['requestNextSms', 'BAD_STATUS', 200, { error: 'BAD_STATUS' }],
  ['listActive', '{"status":"error","error":"NO_ACTIVATIONS"}', 200, []],
  ['listActive', '{"status":"error","error":"NO_ACTIVATIONS"}\n', 200, []],
  [
    'listActive',
    '{"status":"success","activeActivations":[{"activationId":"11","serviceCode":"tg","phoneNumber":"60123456789","activationCost":"0.2","activationStatus":"4","smsCode":null,"smsText":null,"activationTime":"2026-01-01 00:00:05","countryCode":"7","countryName":"Malaysia","canGetAnotherSms":"1","currency":840},{"activationId":"12","serviceCode":"tg","phoneNumber":"60123456780","activationStatus":"8","activationTime":"2026-01-01 00:00:06","countryCode":"7"}]}',
    200,
    [{ activationId: '11', phone: '60123456789', service: 'tg', country: 7, startedAt: T0 + 5_000 }],
  ],
  ['getCatalogue', '{"status":"false","msg":"service is incorrect"}', 200, { error: 'BAD_SERVICE' }],
  ['getCatalogue', HTML_502, 502, { error: 'UNAVAILABLE' }],
];

describe('SmsActivateUpstream: exact replies over HTTP', () => {
  it.each(ROWS)('%s answered %j (HTTP %i) gives %j', async (method, body, status, expected) => {
    const id = (await t.sim.world.upstream.buy({ service: 'tg', country: 7 })).activationId;
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now())));
    t.sim.faults.arm({ kind: 'reply', body, status, method, count: 1 });
    expect(await outcome(adapter, method, id)).toEqual(expected);
  });

  it('reads the full SMS from getStatusV2: sms-only, call-only, bare STATUS_CANCEL, and colons in codes', async () => {
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now())));
    const poll = async (v2: string) => {
      t.sim.faults.arm({ kind: 'reply', body: 'STATUS_OK:12:34', method: 'getStatus', count: 1 });
      t.sim.faults.arm({ kind: 'reply', body: v2, method: 'getStatus', count: 1 });
      return (await adapter.getStatus('42')).messages;
    };
    const sms = await poll(
      '{"verificationType":0,"sms":{"dateTime":"2026-01-01 00:00:05","code":"12:34","text":"Your code: 12:34"},"call":null}',
    );
    // The payload is split at its first colon only; "12:34" is no code to the project's one extractor.
    expect(sms).toEqual([{ key: expect.stringMatching(/^42-/), text: 'Your code: 12:34', code: null, receivedAt: T0 + 5_000 }]);
    const again = await poll(
      '{"verificationType":0,"sms":{"dateTime":"2026-01-01 00:00:05","code":"12:34","text":"Your code: 12:34"},"call":null}',
    );
    expect(again[0]!.key).toBe(sms[0]!.key);
    const call = await poll(
      '{"verificationType":2,"sms":null,"call":{"from":"123","text":"voice text 1234","code":"1234","dateTime":"2026-01-01 00:00:09","url":"x","parsingCount":1}}',
    );
    expect(call).toEqual([expect.objectContaining({ text: 'voice text 1234', code: '1234', receivedAt: T0 + 9_000 })]);
    const bare = await poll('STATUS_CANCEL');
    expect(bare).toEqual([{ key: expect.stringMatching(/^42-/), text: '12:34', code: null, receivedAt: null, codeOnly: true }]);
    expect(bare[0]!.key).not.toBe(sms[0]!.key);
  });

  it('falls back to the code from getStatus when the upstream does not implement getStatusV2', async () => {
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now())));
    t.sim.faults.arm({ kind: 'reply', body: 'STATUS_OK:5555', method: 'getStatus', count: 1 });
    t.sim.faults.arm({ kind: 'reply', body: 'BAD_ACTION', method: 'getStatus', count: 1 });
    expect((await adapter.getStatus('42')).messages).toEqual([expect.objectContaining({ text: '5555', code: '5555' })]);
    t.sim.faults.arm({ kind: 'reply', body: 'STATUS_OK:6666', method: 'getStatus', count: 1 });
    const before = upstreamCalls(t.sim, 'getStatus');
    expect((await adapter.getStatus('42')).messages).toEqual([expect.objectContaining({ code: '6666' })]);
    expect(upstreamCalls(t.sim, 'getStatus') - before).toBe(1); // getStatusV2 was not asked again
  });

  it('reads activation times in the configured zone', async () => {
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now()), { activationTimeZone: 'Europe/Moscow' }));
    t.sim.faults.arm({
      kind: 'reply',
      body: '{"status":"success","activeActivations":[{"activationId":"11","serviceCode":"tg","phoneNumber":"60123456789","activationTime":"2026-01-01 03:00:00","countryCode":"7"}]}',
      method: 'listActive',
      count: 1,
    });
    expect((await adapter.listActive())[0]!.startedAt).toBe(T0);
  });

  it('retries a read after an HTML 502, but never a buy', async () => {
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now()), { retries: 2 }));
    const before = upstreamCalls(t.sim, 'getBalance');
    t.sim.faults.arm({ kind: 'garbage', method: 'getBalance', count: 2 });
    expect(await adapter.getBalance()).toEqual({ amount: t.sim.world.upstream.balance });
    expect(upstreamCalls(t.sim, 'getBalance') - before).toBe(3);

    const buys = upstreamCalls(t.sim, 'buy');
    t.sim.faults.arm({ kind: 'garbage', method: 'buy', count: 1 });
    await expect(adapter.buy({ service: 'tg', country: 7 })).rejects.toMatchObject({ kind: 'TIMEOUT' });
    expect(upstreamCalls(t.sim, 'buy') - buys).toBe(1);
  });

  it('gives up on a connection that never answers after its timeout, and a read then succeeds on retry', async () => {
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now()), { timeoutMs: 200, buyTimeoutMs: 200 }));
    t.sim.faults.arm({ kind: 'timeout', method: 'getBalance', count: 1 });
    await expect(adapter.getBalance()).rejects.toMatchObject({ kind: 'TIMEOUT' });
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now()), { timeoutMs: 200, retries: 1 }));
    t.sim.faults.arm({ kind: 'timeout', method: 'getBalance', count: 1 });
    expect(await adapter.getBalance()).toEqual({ amount: t.sim.world.upstream.balance });
  });

  it('reports UNAVAILABLE when nothing listens at the base URL', async () => {
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now()), { baseUrl: 'http://127.0.0.1:9' }));
    await expect(adapter.buy({ service: 'tg', country: 7 })).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
  });

  it('opens the circuit after repeated failures: calls fail fast without reaching the upstream, and it recovers by itself', async () => {
    const clock = new ManualClock(t.sim.now());
    adapter = t.track(smsActivate(t.sim, clock, { breaker: { failureThreshold: 3, cooldownMs: 30_000 } }));
    t.sim.faults.arm({ kind: 'error', error: 'UNAVAILABLE', method: 'getBalance', count: 3 });
    for (let i = 0; i < 3; i++) await expect(adapter.getBalance()).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
    expect(adapter.health()).toMatchObject({ status: 'down', detail: expect.stringContaining('circuit open') });
    const calls = upstreamCalls(t.sim, 'getBalance') + upstreamCalls(t.sim, 'buy');
    await expect(adapter.buy({ service: 'tg', country: 7 })).rejects.toMatchObject({ kind: 'UNAVAILABLE', raw: 'CIRCUIT_OPEN' });
    expect(upstreamCalls(t.sim, 'getBalance') + upstreamCalls(t.sim, 'buy')).toBe(calls);
    clock.advance(30_000);
    expect(adapter.health().status).toBe('degraded');
    expect(await adapter.getBalance()).toEqual({ amount: t.sim.world.upstream.balance });
    expect(adapter.health().status).toBe('degraded');
    clock.advance(60_000);
    expect(adapter.health()).toEqual({ status: 'ok' });
  });

  it('never shows the key in errors or logs, and alerts operators on BAD_KEY and NO_BALANCE', async () => {
    const log = captureLog();
    const key = t.sim.upstreamApiKey;
    adapter = t.track(smsActivate(t.sim, new ManualClock(t.sim.now()), { logger: log, timeoutMs: 200 }));
    const errors: unknown[] = [];
    const keep = (e: unknown) => errors.push(e);
    t.sim.faults.arm({ kind: 'reply', body: `Bad request: api_key=${key}&action=getBalance`, status: 400, method: 'getBalance', count: 1 });
    await adapter.getBalance().catch(keep);
    t.sim.faults.arm({ kind: 'reply', body: `<html>${key}</html>`, status: 502, method: 'buy', count: 1 });
    await adapter.buy({ service: 'tg', country: 7 }).catch(keep);
    t.sim.faults.arm({ kind: 'timeout', method: 'getBalance', count: 1 });
    await adapter.getBalance().catch(keep);
    t.sim.faults.arm({ kind: 'reply', body: 'NO_BALANCE', method: 'buy', count: 1 });
    await adapter.buy({ service: 'tg', country: 7 }).catch(keep);
    expect(adapter.health()).toMatchObject({ status: 'down', detail: expect.stringContaining('NO_BALANCE') });
    t.sim.faults.arm({ kind: 'reply', body: 'BAD_KEY', method: 'getBalance', count: 1 });
    await adapter.getBalance().catch(keep);
    expect(adapter.health()).toMatchObject({ status: 'down', detail: expect.stringContaining('AUTH') });

    expect(errors).toHaveLength(5);
    const seen =
      JSON.stringify(errors.map((e) => ({ message: (e as Error).message, raw: (e as { raw?: string }).raw, stack: (e as Error).stack }))) +
      log.text();
    expect(seen).not.toContain(key);
    expect(seen).toContain('api_key=***');
    expect(log.lines.filter((l) => l.event === 'upstream.operator_alert').map((l) => l.kind)).toEqual(['NO_BALANCE', 'AUTH']);
  });
});
