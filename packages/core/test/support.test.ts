/**
 * The operators' support tools (docs/decisions.md D100, D101): orders across users searched by
 * user, status, phone, service and time; one order with its activation id and history; and a
 * refund with a reason, through the ledger, once.
 */
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../src/testing.js';
import { expectError, expectInvariants } from './helpers.js';

const s = useTestServer();

async function buy(key: string, body: object = { service: 'tg', country: 7 }) {
  const r = await s.call('POST', '/api/v1/orders', { key, body });
  expect(r.status).toBe(200);
  return r.body.data as { id: string; phone: string; chargedCents: string };
}

describe('admin order search', () => {
  it('finds orders across users by user, status, phone, service and time, a page at a time', async () => {
    const alice = s.createUser({ balanceCents: 5_000 });
    const bob = s.createUser({ balanceCents: 5_000 });
    const a1 = await buy(alice.key);
    s.advance(60_000);
    const b1 = await buy(bob.key, { service: 'wa', country: 7 });
    s.advance(60_000);
    const a2 = await buy(alice.key);
    expect((await s.call('POST', `/api/v1/orders/${a2.id}/cancel`, { key: alice.key })).status).toBe(200);

    const all = await s.admin('GET', '/admin/v1/orders');
    expect(all.status).toBe(200);
    expect(all.body.data.items.map((o: { id: string }) => o.id)).toEqual([a2.id, b1.id, a1.id]);
    expect(all.body.data.items[0]).toMatchObject({
      userId: alice.id,
      status: 'CANCELLED',
      activationId: expect.any(String),
      endReason: 'cancelled',
    });

    const ids = async (query: string) =>
      ((await s.admin('GET', `/admin/v1/orders?${query}`)).body.data.items as Array<{ id: string }>).map((o) => o.id);
    expect(await ids(`userId=${alice.id}`)).toEqual([a2.id, a1.id]);
    expect(await ids('status=CANCELLED')).toEqual([a2.id]);
    expect(await ids(`phone=${encodeURIComponent(b1.phone)}`)).toEqual([b1.id]);
    expect(await ids(`phone=${encodeURIComponent(b1.phone.replace('+', '').replace(/^(\d{2})(\d{3})/, '$1 $2-'))}`)).toEqual([b1.id]);
    expect(await ids('service=wa')).toEqual([b1.id]);
    const created = (await s.admin('GET', `/admin/v1/orders/${b1.id}`)).body.data.order.createdAt as string;
    expect(await ids(`from=${encodeURIComponent(created)}`)).toEqual([a2.id, b1.id]);
    expect(await ids(`to=${encodeURIComponent(created)}`)).toEqual([a1.id]);
    expect(await ids(`userId=${alice.id}&status=WAITING`)).toEqual([a1.id]);

    const p1 = await s.admin('GET', '/admin/v1/orders?limit=2');
    expect(p1.body.data.nextCursor).toBe(b1.id);
    const p2 = await s.admin('GET', `/admin/v1/orders?limit=2&cursor=${p1.body.data.nextCursor}`);
    expect(p2.body.data).toEqual({ items: [expect.objectContaining({ id: a1.id })], nextCursor: null });
  });

  it('refuses bad filters with a message naming the field, and needs the admin token', async () => {
    expectError(await s.admin('GET', '/admin/v1/orders?status=LOST'), 400, 'BAD_REQUEST');
    expectError(await s.admin('GET', '/admin/v1/orders?from=yesterday'), 400, 'BAD_REQUEST');
    expectError(await s.admin('GET', '/admin/v1/orders?from=2026-02-01&to=2026-01-01'), 400, 'BAD_REQUEST');
    const typo = await s.admin('GET', '/admin/v1/orders?user=cl1');
    expectError(typo, 400, 'BAD_REQUEST');
    expect(typo.body.message).toContain('"user"');
    expectError(await s.call('GET', '/admin/v1/orders'), 401, 'AUTH_MISSING');
    const u = s.createUser();
    expectError(await s.call('GET', '/admin/v1/orders', { key: u.key }), 401, 'AUTH_INVALID');
  });
});

describe('admin order detail and refund', () => {
  it('shows one order with its activation id, ledger rows and history', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    const activation = s.activationOf(o.id);
    s.upstream.deliverSms(activation, 'Your code is 424242');
    s.advance(20 * 60_000);
    await s.engine.tick();
    const r = await s.admin('GET', `/admin/v1/orders/${o.id}`);
    expect(r.status).toBe(200);
    const d = r.body.data;
    expect(d.order).toMatchObject({ id: o.id, userId: u.id, activationId: activation, status: 'COMPLETED', smsCode: '424242' });
    expect(d.user.id).toBe(u.id);
    expect(d.ledger).toEqual([expect.objectContaining({ kind: 'order_debit', amountCents: `-${o.chargedCents}` })]);
    expect(d.history.map((h: { event: string }) => h.event)).toEqual(
      expect.arrayContaining(['created', 'charged', 'sms_received', 'ended']),
    );
    expect(d.history[0].event).toBe('created');
    expect(d.history.at(-1).event).toBe('ended');
    expectError(await s.admin('GET', '/admin/v1/orders/ck_nothing'), 404, 'NOT_FOUND');
  });

  it('refunds a completed order once, with the reason on the ledger row', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    const live = await s.admin('POST', `/admin/v1/orders/${o.id}/refund`, { reason: 'code never worked' });
    expectError(live, 400, 'BAD_STATUS');
    const activation = s.activationOf(o.id);
    s.upstream.deliverSms(activation, 'Your code is 111222');
    s.advance(20 * 60_000);
    await s.engine.tick();
    expectError(await s.admin('POST', `/admin/v1/orders/${o.id}/refund`, {}), 400, 'BAD_REQUEST');
    expectError(await s.admin('POST', `/admin/v1/orders/${o.id}/refund`, { reason: '  ' }), 400, 'BAD_REQUEST');
    const before = s.engine.accounts.requireUser(u.id).balanceCents;
    const r = await s.admin('POST', `/admin/v1/orders/${o.id}/refund`, { reason: 'ticket #812: the code was rejected by Telegram' });
    expect(r.status).toBe(200);
    expect(r.body.data.entry).toMatchObject({
      kind: 'refund',
      amountCents: o.chargedCents,
      orderId: o.id,
      reason: 'ticket #812: the code was rejected by Telegram',
    });
    expect(r.body.data.user.balanceCents).toBe(String(before + Number(o.chargedCents)));
    expectInvariants(s.engine);
    const again = await s.admin('POST', `/admin/v1/orders/${o.id}/refund`, { reason: 'twice' });
    expectError(again, 400, 'BAD_STATUS');
    expect(again.body.message).toContain('already refunded');
    expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(before + Number(o.chargedCents));
    const detail = (await s.admin('GET', `/admin/v1/orders/${o.id}`)).body.data;
    expect(detail.history.map((h: { event: string }) => h.event)).toContain('refunded');
  });

  it('refuses to refund a cancelled order a second time (its cancel already refunded it)', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = await buy(u.key);
    await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key });
    expectError(await s.admin('POST', `/admin/v1/orders/${o.id}/refund`, { reason: 'double' }), 400, 'BAD_STATUS');
    expectError(await s.admin('POST', '/admin/v1/orders/ck_nothing/refund', { reason: 'x' }), 404, 'NOT_FOUND');
  });
});
