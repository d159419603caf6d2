/**
 * The operators' API: the full walk a person takes to set up a user and a key, balances through
 * the ledger, keys, bans, pricing rules, and who may call it.
 */
import { describe, expect, it } from 'vitest';
import * as schemas from '../src/http/schemas.js';
import { useTestServer } from '../src/testing.js';
import { expectError } from './helpers.js';

const s = useTestServer();

describe('admin API', () => {
  it('creates a user and a key that works on the public API at once', async () => {
    const created = await s.admin('POST', '/admin/v1/users', { displayName: 'Alice', lang: 'en', balanceCents: '1200' });
    expect(created.status).toBe(201);
    schemas.AdminUser.parse(created.body.data);
    const user = created.body.data;
    expect(user).toMatchObject({ displayName: 'Alice', balanceCents: '1200', banned: false });
    const key = await s.admin('POST', `/admin/v1/users/${user.id}/keys`, { name: 'ci' });
    expect(key.status).toBe(201);
    expect(key.body.data.apiKey).toMatch(/^jm_[0-9A-Za-z]{43}$/);
    expect(key.body.data.key).toMatchObject({ name: 'ci', hint: key.body.data.apiKey.slice(-4), active: true });
    const acct = await s.call('GET', '/api/v1/account', { key: key.body.data.apiKey });
    expect(acct.body.data).toEqual({
      id: user.id,
      balanceCents: '1200',
      referralCode: user.referralCode,
      displayName: 'Alice',
      lang: 'en',
    });
    const list = await s.admin('GET', `/admin/v1/users/${user.id}/keys`);
    expect(list.body.data.items).toHaveLength(1);
    expect(list.text).not.toContain(key.body.data.apiKey);
  });

  it('credits and debits through ledger rows with reasons, and never below zero', async () => {
    const u = s.createUser({ balanceCents: 0 });
    const credit = await s.admin('POST', `/admin/v1/users/${u.id}/balance`, { amountCents: 500, reason: 'USDT top-up tx 0xabc' });
    expect(credit.body.data.user.balanceCents).toBe('500');
    expect(credit.body.data.entry).toMatchObject({
      kind: 'topup',
      amountCents: '500',
      balanceAfterCents: '500',
      reason: 'USDT top-up tx 0xabc',
    });
    const debit = await s.admin('POST', `/admin/v1/users/${u.id}/balance`, { amountCents: '-200', reason: 'chargeback' });
    expect(debit.body.data.entry).toMatchObject({ kind: 'adjustment', amountCents: '-200', balanceAfterCents: '300' });
    expectError(await s.admin('POST', `/admin/v1/users/${u.id}/balance`, { amountCents: -301, reason: 'too much' }), 400, 'INSUFFICIENT');
    expectError(await s.admin('POST', `/admin/v1/users/${u.id}/balance`, { amountCents: 0, reason: 'zero' }), 400, 'BAD_REQUEST');
    expectError(await s.admin('POST', `/admin/v1/users/${u.id}/balance`, { amountCents: 1.5, reason: 'half' }), 400, 'BAD_REQUEST');
    expectError(await s.admin('POST', `/admin/v1/users/${u.id}/balance`, { amountCents: 10 }), 400, 'BAD_REQUEST');
    expectError(
      await s.admin('POST', `/admin/v1/users/${u.id}/balance`, { amountCents: -10, kind: 'topup', reason: 'x' }),
      400,
      'BAD_REQUEST',
    );
    expectError(await s.admin('POST', '/admin/v1/users/cl_nobody/balance', { amountCents: 10, reason: 'x' }), 404, 'NOT_FOUND');
    const ledger = await s.admin('GET', `/admin/v1/users/${u.id}/ledger`);
    expect(ledger.body.data.items.map((e: { amountCents: string }) => e.amountCents)).toEqual(['-200', '500']);
    expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(300);
  });

  it('pages the ledger with a cursor', async () => {
    const u = s.createUser({ balanceCents: 0 });
    for (let i = 1; i <= 5; i++) await s.admin('POST', `/admin/v1/users/${u.id}/balance`, { amountCents: i, reason: `r${i}` });
    const p1 = await s.admin('GET', `/admin/v1/users/${u.id}/ledger?limit=2`);
    const p2 = await s.admin('GET', `/admin/v1/users/${u.id}/ledger?limit=2&cursor=${p1.body.data.nextCursor}`);
    expect([...p1.body.data.items, ...p2.body.data.items].map((e: { reason: string }) => e.reason)).toEqual(['r5', 'r4', 'r3', 'r2']);
  });

  it('revokes a key so that the next request with it fails', async () => {
    const u = s.createUser();
    const keyId = (await s.admin('GET', `/admin/v1/users/${u.id}/keys`)).body.data.items[0].id;
    expect((await s.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
    const revoked = await s.admin('POST', `/admin/v1/users/${u.id}/keys/${keyId}/revoke`);
    expect(revoked.body.data).toMatchObject({ active: false });
    expectError(await s.call('GET', '/api/v1/account', { key: u.key }), 401, 'AUTH_INVALID');
  });

  it('holds a user to 10 active keys', async () => {
    const u = s.createUser();
    for (let i = 0; i < 9; i++) expect((await s.admin('POST', `/admin/v1/users/${u.id}/keys`, {})).status).toBe(201);
    expectError(await s.admin('POST', `/admin/v1/users/${u.id}/keys`, {}), 400, 'KEY_LIMIT');
    const keyId = (await s.admin('GET', `/admin/v1/users/${u.id}/keys`)).body.data.items[0].id;
    await s.admin('POST', `/admin/v1/users/${u.id}/keys/${keyId}/revoke`);
    expect((await s.admin('POST', `/admin/v1/users/${u.id}/keys`, {})).status).toBe(201);
  });

  it('bans and unbans', async () => {
    const u = s.createUser();
    const banned = await s.admin('POST', `/admin/v1/users/${u.id}/ban`, { reason: 'fraud' });
    expect(banned.body.data).toMatchObject({ banned: true, banReason: 'fraud' });
    expectError(await s.call('GET', '/api/v1/account', { key: u.key }), 403, 'FORBIDDEN');
    await s.admin('POST', `/admin/v1/users/${u.id}/unban`);
    expect((await s.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
  });

  it('replaces pricing rules; prices and charges follow them at once', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const before = await s.admin('GET', '/admin/v1/pricing');
    expect(before.body.data).toEqual({ rules: [], fallback: { service: null, country: null, markupBps: 5000, floorCents: 1 } });
    const put = await s.admin('PUT', '/admin/v1/pricing', {
      rules: [
        { service: 'tg', country: 7, markupBps: 10_000 },
        { service: 'tg', country: null, markupBps: -1_000, floorCents: 5 },
      ],
    });
    expect(put.status).toBe(200);
    const prices = await s.call('GET', '/api/v1/prices?service=tg', { key: u.key });
    expect(prices.body.data.items).toContainEqual({ countryId: 7, countrySlug: 'my', priceCents: '43', count: 540 }); // 0.2133 × 2
    expect(prices.body.data.items).toContainEqual({ countryId: 6, countrySlug: 'id', priceCents: '16', count: 34876 }); // 0.1667 × 0.9
    const o = await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 'my' } });
    expect(o.body.data.chargedCents).toBe('43');
    expectError(
      await s.admin('PUT', '/admin/v1/pricing', {
        rules: [
          { service: 'tg', country: 7, markupBps: 1 },
          { service: 'tg', country: 7, markupBps: 2 },
        ],
      }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await s.admin('PUT', '/admin/v1/pricing', { rules: [{ service: 'tg', country: 7, markupBps: -10_000 }] }),
      400,
      'BAD_REQUEST',
    );
    expectError(await s.admin('PUT', '/admin/v1/pricing', { rules: [{ service: 'tg', markupBps: 1 }] }), 400, 'BAD_REQUEST');
    expect((await s.admin('GET', '/admin/v1/pricing')).body.data.rules).toHaveLength(2);
  });

  it('reports the ledger invariants and the outbox', async () => {
    expect((await s.admin('GET', '/admin/v1/invariants')).body.data).toEqual({ ok: true, violations: [] });
    expect((await s.admin('GET', '/admin/v1/outbox')).body.data).toEqual({ pending: 0, items: [] });
  });

  it('takes only the admin token: user keys and no token are refused, and the token does not open user routes', async () => {
    const u = s.createUser();
    expectError(await s.call('GET', '/admin/v1/users'), 401, 'AUTH_MISSING');
    expectError(await s.call('GET', '/admin/v1/users', { key: u.key }), 401, 'AUTH_INVALID');
    expectError(await s.call('GET', '/admin/v1/users', { headers: { 'x-admin-token': 'wrong' } }), 401, 'AUTH_INVALID');
    expect((await s.call('GET', '/admin/v1/users', { headers: { authorization: `Bearer ${s.adminToken}` } })).status).toBe(200);
    expectError(await s.call('GET', '/api/v1/account', { headers: { authorization: `Bearer ${s.adminToken}` } }), 401, 'AUTH_INVALID');
  });

  it('refuses unknown fields and bad values when creating users', async () => {
    expectError(await s.admin('POST', '/admin/v1/users', { name: 'x' }), 400, 'BAD_REQUEST');
    expectError(await s.admin('POST', '/admin/v1/users', { balanceCents: -5 }), 400, 'BAD_REQUEST');
    expectError(await s.admin('POST', '/admin/v1/users', { lang: 'english' }), 400, 'BAD_REQUEST');
    expectError(await s.admin('GET', '/admin/v1/users/nobody'), 404, 'NOT_FOUND');
  });
});
