/**
 * The order lifecycle through HTTP and the worker: SMS arrival, next-sms, cancel, expiry,
 * the outbox telling the upstream, sync coalescing, and every upstream failure on a buy.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryUpstream, UpstreamError } from '../src/index.js';
import { TEST_CATALOGUE, useTestServer, useTestServers } from '../src/testing.js';
import { sqliteDatabaseOf } from '../src/engine.js';
import { expectError } from './helpers.js';

const s = useTestServer();
const start = useTestServers();

async function buy(key: string, body: object = { service: 'tg', country: 7 }) {
  const r = await s.call('POST', '/api/v1/orders', { key, body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data as { id: string; phone: string };
}

const activationOf = (orderId: string) => s.activationOf(orderId);
const balance = (id: string) => s.engine.accounts.requireUser(id).balanceCents;
const upstreamCalls = (method: string) => s.upstream.calls.filter((c) => c.method === method).length;

describe('an order with SMS', () => {
  it('shows the SMS when polled: RECEIVED with body, code and history', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.advance(5_000);
    s.upstream.deliverSms(activationOf(o.id), 'Telegram code: 48213. Do not give this code to anyone');
    const r = await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expect(r.body.data).toMatchObject({
      status: 'RECEIVED',
      smsBody: 'Telegram code: 48213. Do not give this code to anyone',
      smsCode: '48213',
      smsReceivedAt: new Date(s.clock.now()).toISOString(),
    });
    expect(r.body.data.smsHistory).toHaveLength(1);
  });

  it('waits for a new SMS after next-sms, twice, at no extra charge, then completes at expiry', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    const act = activationOf(o.id);
    s.upstream.deliverSms(act, 'code 111111');
    expect((await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key })).body.data.status).toBe('RECEIVED');
    for (const code of ['222222', '333333']) {
      const next = await s.call('POST', `/api/v1/orders/${o.id}/next-sms`, { key: u.key });
      expect(next.body).toEqual({ ok: true, data: { id: o.id, status: 'WAITING' } });
      await s.engine.tick(); // the outbox tells the upstream (setStatus 3)
      s.advance(3_000);
      const waiting = await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
      expect(waiting.body.data.status).toBe('WAITING');
      s.upstream.deliverSms(act, `code ${code}`);
      s.advance(3_000);
      const got = await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
      expect(got.body.data).toMatchObject({ status: 'RECEIVED', smsCode: code });
    }
    expect(upstreamCalls('requestNextSms')).toBe(2);
    expect(balance(u.id)).toBe(968);
    s.advance(20 * 60_000);
    await s.engine.tick();
    const done = await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expect(done.body.data.status).toBe('COMPLETED');
    expect(done.body.data.smsHistory.map((h: { body: string }) => h.body)).toEqual(['code 111111', 'code 222222', 'code 333333']);
    expect(balance(u.id)).toBe(968);
  });

  it('answers BAD_STATUS to next-sms before any SMS', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    expectError(await s.call('POST', `/api/v1/orders/${o.id}/next-sms`, { key: u.key }), 400, 'BAD_STATUS');
  });

  it('refuses cancel after a code with CODE_RECEIVED, also back in WAITING after next-sms', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.upstream.deliverSms(activationOf(o.id), 'code 123456');
    await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expectError(await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key }), 400, 'CODE_RECEIVED');
    await s.call('POST', `/api/v1/orders/${o.id}/next-sms`, { key: u.key });
    expectError(await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key }), 400, 'CODE_RECEIVED');
    expect(balance(u.id)).toBe(968);
  });

  it('finds an SMS at cancel time only if it was synced: a cancel wins over an unseen SMS, which is then dropped', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.advance(200_000);
    s.upstream.deliverSms(activationOf(o.id), 'code 999999');
    const r = await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key });
    expect(r.body.data.status).toBe('CANCELLED');
    await s.engine.tick(); // cancel refused → a finish is owed
    await s.engine.tick(); // the finish is sent
    // the upstream refuses the cancel (the number got an SMS), so the outbox finishes it instead
    const cmds = s.engine.outbox.list(10);
    expect(cmds.map((c) => [c.kind, c.outcome])).toEqual([
      ['finish', 'ok'],
      ['cancel', 'converted_to_finish'],
    ]);
    expect((await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key })).body.data).toMatchObject({ status: 'CANCELLED', smsBody: null });
    expect(balance(u.id)).toBe(1_000);
  });
});

describe('cancel', () => {
  it('refunds in full at once and tells the upstream after its early-cancel hold', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    const r = await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key });
    expect(r.body).toEqual({ ok: true, data: { id: o.id, status: 'CANCELLED' } });
    expect(balance(u.id)).toBe(1_000);
    await s.engine.tick();
    let [cmd] = s.engine.outbox.pending();
    expect(cmd).toMatchObject({ kind: 'cancel', attempts: 1, lastError: expect.stringContaining('too early') });
    expect(s.upstream.activation(activationOf(o.id))!.state).toBe('WAITING');
    s.advance(121_000);
    await s.engine.tick();
    expect(s.engine.outbox.pending()).toHaveLength(0);
    expect(s.upstream.activation(activationOf(o.id))!.state).toBe('CLOSED');
    [cmd] = s.engine.outbox.list(1);
    expect(cmd!.outcome).toBe('ok');
  });

  it('answers ALREADY_CHANGED to a second cancel and never refunds twice', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key });
    expectError(await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key }), 400, 'ALREADY_CHANGED');
    expect(balance(u.id)).toBe(1_000);
    expect(s.engine.stores.ledger.countByKind('refund')).toBe(1);
  });

  it('refuses a body with fields', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    expectError(await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key, body: { reason: 'x' } }), 400, 'BAD_REQUEST');
    expect((await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key, body: {} })).status).toBe(200);
  });

  it('retries the upstream with backoff while it is down, until it accepts', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.advance(130_000);
    await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key });
    for (let i = 0; i < 3; i++) s.upstream.failNext('cancel', new UpstreamError('UNAVAILABLE', 'HTTP 502'));
    for (let i = 0; i < 3; i++) {
      await s.engine.tick();
      s.advance(10 * 60_000);
    }
    expect(s.engine.outbox.pending()[0]).toMatchObject({ attempts: 3 });
    await s.engine.tick();
    expect(s.engine.outbox.pending()).toHaveLength(0);
    expect(upstreamCalls('cancel')).toBe(4);
  });
});

describe('expiry', () => {
  it('fails and refunds an order with no SMS by expiresAt', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.advance(20 * 60_000 - 1);
    await s.engine.tick();
    expect((await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key })).body.data.status).toBe('WAITING');
    s.advance(1);
    await s.engine.tick();
    expect(s.engine.stores.orders.get(o.id)).toMatchObject({ status: 'FAILED', endReason: 'expired' });
    expect(balance(u.id)).toBe(1_000);
  });

  it('completes an order with an SMS at expiry, with no refund, and finishes it upstream', async () => {
    const clock = new ManualClock();
    // an upstream whose own lifetime outlasts our window, so closing it is our job
    const t = await start({ clock, upstream: new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE, lifetimeMs: 25 * 60_000 }) });
    const u = t.createUser({ balanceCents: 1_000 });
    const o = (await t.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } })).body.data;
    t.upstream.deliverSms(t.activationOf(o.id), 'code 424242');
    t.advance(20 * 60_000);
    const r = await t.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expect(r.body.data).toMatchObject({ status: 'COMPLETED', smsCode: '424242' });
    expect(t.engine.accounts.requireUser(u.id).balanceCents).toBe(968);
    await t.engine.tick();
    expect(t.engine.outbox.list(5).map((c) => [c.kind, c.outcome])).toEqual([['finish', 'ok']]);
  });

  it('expires on poll even when the worker is not running, and drops an SMS that arrives too late', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.advance(20 * 60_000 + 5_000);
    const r = await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expect(r.body.data.status).toBe('FAILED');
    expect(balance(u.id)).toBe(1_000);
  });

  it('cancels after the window answer ALREADY_CHANGED and the order is FAILED and refunded once', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.advance(21 * 60_000);
    expectError(await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key }), 400, 'ALREADY_CHANGED');
    expect((await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key })).body.data.status).toBe('FAILED');
    expect(balance(u.id)).toBe(1_000);
  });

  it('fails with a refund when the upstream loses the number before any SMS', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.upstream.failNext('getStatus', new UpstreamError('NO_ACTIVATION', 'gone'));
    const r = await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expect(r.body.data.status).toBe('FAILED');
    expect(balance(u.id)).toBe(1_000);
  });
});

describe('sync coalescing (D11)', () => {
  it('makes at most one upstream status call per order per 2 s, however hard it is polled', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    const before = upstreamCalls('getStatus');
    await Promise.all(Array.from({ length: 50 }, () => s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key })));
    expect(upstreamCalls('getStatus') - before).toBe(1);
    s.advance(1_999);
    await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expect(upstreamCalls('getStatus') - before).toBe(1);
    s.advance(1);
    await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expect(upstreamCalls('getStatus') - before).toBe(2);
  });

  it('keeps the order as it was when a status call fails', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    s.upstream.failNext('getStatus', new UpstreamError('UNAVAILABLE', 'down'));
    const r = await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key });
    expect(r.status).toBe(200);
    expect(r.body.data.status).toBe('WAITING');
  });
});

describe('buying when the upstream fails (D9, D10)', () => {
  it.each([
    ['UNAVAILABLE', 503, 'UPSTREAM_UNAVAILABLE'],
    ['PROTOCOL', 503, 'UPSTREAM_UNAVAILABLE'],
    ['NO_BALANCE', 503, 'UPSTREAM_UNAVAILABLE'],
    ['AUTH', 503, 'UPSTREAM_UNAVAILABLE'],
    ['NO_NUMBERS', 400, 'NO_NUMBERS'],
    ['BAD_SERVICE', 400, 'BAD_SERVICE'],
    ['BAD_COUNTRY', 400, 'BAD_COUNTRY'],
  ] as const)('answers %s from the upstream with %i %s and charges nothing', async (kind, status, code) => {
    const u = s.createUser({ balanceCents: 1_000 });
    s.upstream.failNext('buy', new UpstreamError(kind, 'scripted'));
    expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } }), status, code);
    expect(balance(u.id)).toBe(1_000);
    expect(s.engine.stores.orders.count()).toBe(0);
  });

  it('attaches the number a timed-out buy did sell, found in the active list, and charges once', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    s.upstream.failNext('buy', new UpstreamError('TIMEOUT', 'no answer in 10 s'), true);
    const r = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } });
    expect(r.status).toBe(200);
    expect(upstreamCalls('buy')).toBe(1);
    expect(upstreamCalls('listActive')).toBe(1);
    expect(balance(u.id)).toBe(968);
  });

  it('leaves a timed-out buy pending rather than take the number another buy of the pair was sold while the active list was read', async () => {
    const a = s.createUser({ balanceCents: 1_000 });
    const b = s.createUser({ balanceCents: 1_000 });
    // A's buy sells a number (ya), then its answer is lost; A then reads the active list.
    s.upstream.failNext('buy', new UpstreamError('TIMEOUT', 'no answer'), true);
    const readList = s.upstream.listActive.bind(s.upstream);
    const sell = s.upstream.buy.bind(s.upstream);
    let bought: Promise<{ status: number; body: any }> | undefined;
    s.upstream.listActive = async () => {
      s.upstream.listActive = readList;
      // Meanwhile B buys the same pair: the upstream sells it a newer number before the list is
      // answered, and B has not recorded its order yet when A looks at the list.
      let sold!: () => void;
      const soldToB = new Promise<void>((r) => (sold = r));
      s.upstream.buy = async (req) => {
        s.upstream.buy = sell;
        const act = await sell(req);
        sold();
        await new Promise((r) => setTimeout(r, 50));
        return act;
      };
      s.advance(1_000);
      bought = s.call('POST', '/api/v1/orders', { key: b.key, body: { service: 'tg', country: 7 } });
      await soldToB;
      return readList();
    };
    const first = await s.call('POST', '/api/v1/orders', { key: a.key, body: { service: 'tg', country: 7 } });
    const second = await bought!;
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expectError(first, 503, 'UPSTREAM_UNAVAILABLE');
    expect(balance(a.id)).toBe(1_000);
    expect(balance(b.id)).toBe(968);
    const xb = activationOf(second.body.data.id);
    const [ya] = (await readList()).filter((x) => x.activationId !== xb);
    expect(ya).toBeDefined();
    // The worker gives A's number back; B's stays B's.
    s.advance(61_000);
    await s.engine.tick();
    s.advance(120_000);
    await s.engine.tick();
    expect(s.upstream.activation(ya!.activationId)!.state).toBe('CLOSED');
    expect(s.upstream.activation(xb)!.state).not.toBe('CLOSED');
  });

  it('refuses a buy the balance cannot pay before asking the upstream, also after an operator debit since the last order', async () => {
    const u = s.createUser({ balanceCents: 100 });
    await buy(u.key); // 32 cents: 68 left
    s.engine.money.adjust({ userId: u.id, amountCents: -60, reason: 'chargeback' });
    const bought = upstreamCalls('buy');
    expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } }), 400, 'INSUFFICIENT');
    expect(upstreamCalls('buy')).toBe(bought);
    // A top-up since is seen: the next buy goes through.
    s.engine.money.adjust({ userId: u.id, amountCents: 100, reason: 'top-up' });
    await buy(u.key);
    expect(balance(u.id)).toBe(76);
  });

  it('answers 503 to a timed-out buy that sold nothing, charges nothing, and never retries the buy', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    s.upstream.failNext('buy', new UpstreamError('TIMEOUT', 'no answer'));
    expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } }), 503, 'UPSTREAM_UNAVAILABLE');
    expect(upstreamCalls('buy')).toBe(1);
    expect(balance(u.id)).toBe(1_000);
  });

  it('releases a number whose sale was seen late, through the worker reconciliation', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    // the buy times out and the active list cannot be read either: the intent stays pending
    s.upstream.failNext('buy', new UpstreamError('TIMEOUT', 'no answer'), true);
    s.upstream.failNext('listActive', new UpstreamError('UNAVAILABLE', 'down'));
    expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } }), 503, 'UPSTREAM_UNAVAILABLE');
    const [sold] = await s.upstream.listActive();
    expect(sold).toBeDefined();
    s.advance(61_000);
    await s.engine.tick(); // reconciles: the number is an orphan; a release is owed
    s.advance(120_000);
    await s.engine.tick(); // the release is sent after the early-cancel hold
    expect(s.upstream.activation(sold!.activationId)!.state).toBe('CLOSED');
    expect(balance(u.id)).toBe(1_000);
  });

  it('releases the number when the local write fails after the upstream sold it', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    sqliteDatabaseOf(s.engine).exec("CREATE TRIGGER fail_insert BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expectError(await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } }), 500, 'INTERNAL');
    sqliteDatabaseOf(s.engine).exec('DROP TRIGGER fail_insert');
    expect(balance(u.id)).toBe(1_000);
    expect(s.engine.outbox.pending()).toMatchObject([{ kind: 'release' }]);
    s.advance(121_000);
    await s.engine.tick();
    expect(await s.upstream.listActive()).toEqual([]);
  });
});
