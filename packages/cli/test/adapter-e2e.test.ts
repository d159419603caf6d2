/**
 * `jiema serve --upstream sms-activate` end to end: one `jiema serve` process plays the upstream
 * (its SMS-Activate facade), a second runs the real adapter against it. A full order lifecycle,
 * then a crash (SIGKILL) between the upstream's sale and the local write: after a restart on the
 * same database the sold number is released and no money moved.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCredentials } from '../src/credentials.js';
import { api, eventually, serve, tempDir, type Served } from './helpers.js';

let upstream: Served & { facadeUrl?: string; facadeKey?: string };
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  const behaviour = join(dir, 'behaviour.json');
  writeFileSync(
    behaviour,
    JSON.stringify({
      default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0, earlyCancelHoldMs: 0 },
    }),
  );
  // Real time, as a real upstream: reconciliation matches sold numbers by when they were bought.
  upstream = await serve(['--ephemeral', '--clock', 'real', '--behaviour', behaviour, '--facade-key', 'e2e-upstream-key']);
});
afterAll(async () => {
  await upstream.stop();
});

const control = (path: string, method = 'GET', body?: unknown) => api(upstream.url, path, { admin: upstream.adminToken, method, body });
const activations = async () =>
  (await control('/_sim/v1/upstream')).body.data.activations as Array<{
    id: string;
    phone: string;
    state: string;
    closedReason: string | null;
  }>;

const ADMIN = 'jma_e2e_reseller_admin_token_0123456789';

/** A production-style server: the operator supplies the admin token; --demo makes a user whose key is saved, never printed. */
async function reseller(db: string): Promise<Served> {
  const s = await serve([
    '--upstream',
    'sms-activate',
    '--upstream-url',
    upstream.url,
    '--upstream-key',
    'e2e-upstream-key',
    '--db',
    db,
    '--reconcile-after-ms',
    '1000',
    '--admin-token',
    ADMIN,
    '--demo',
  ]);
  expect(s.apiKey).toBeNull();
  expect(s.adminToken).toBeUndefined();
  expect(s.output().stdout + s.output().stderr).not.toContain(ADMIN);
  return Object.assign(s, { apiKey: readCredentials(db)!.apiKey!, adminToken: ADMIN });
}

describe('jiema serve --upstream sms-activate, against a simulator facade', () => {
  it('prints the facade and its key in the ready line', () => {
    expect(upstream.facadeUrl).toBe(`${upstream.url}/stubs/handler_api.php`);
    expect(upstream.facadeKey).toBe('e2e-upstream-key');
  });

  it('serves a full order lifecycle: buy, code, next SMS, second code, cancel with refund', async () => {
    const b = await reseller(join(dir, 'lifecycle.db'));
    try {
      const key = b.apiKey!;
      const order = (await api(b.url, '/api/v1/orders', { key, method: 'POST', body: { service: 'tg', country: 'my' } })).body.data;
      expect(order).toMatchObject({ status: 'WAITING', service: 'tg', country: '7', chargedCents: '32' });
      const act = (await activations()).find((a) => `+${a.phone}` === order.phone)!;
      expect(act.state).toBe('WAITING');

      await control(`/_sim/v1/activations/${act.id}/sms`, 'POST', { body: 'Telegram code: 41827' });
      const got = await eventually(async () => {
        const o = (await api(b.url, `/api/v1/orders/${order.id}`, { key })).body.data;
        return o.status === 'RECEIVED' ? o : undefined;
      });
      expect(got).toMatchObject({ smsCode: '41827', smsBody: 'Telegram code: 41827' });

      expect((await api(b.url, `/api/v1/orders/${order.id}/next-sms`, { key, method: 'POST' })).body.data.status).toBe('WAITING');
      await eventually(async () => ((await activations()).find((a) => a.id === act.id)!.state === 'WAITING' ? true : undefined));
      await control(`/_sim/v1/activations/${act.id}/sms`, 'POST', { body: 'Telegram code: 55210' });
      const second = await eventually(async () => {
        const o = (await api(b.url, `/api/v1/orders/${order.id}`, { key })).body.data;
        return o.status === 'RECEIVED' && o.smsHistory.length === 2 ? o : undefined;
      });
      expect(second.smsCode).toBe('55210');

      const other = (await api(b.url, '/api/v1/orders', { key, method: 'POST', body: { service: 'wa', country: 7 } })).body.data;
      expect((await api(b.url, `/api/v1/orders/${other.id}/cancel`, { key, method: 'POST' })).body.data.status).toBe('CANCELLED');
      const otherAct = (await activations()).find((a) => `+${a.phone}` === other.phone)!;
      await eventually(async () =>
        (await activations()).find((a) => a.id === otherAct.id)!.closedReason === 'cancelled' ? true : undefined,
      );
      expect((await api(b.url, '/api/v1/account', { key })).body.data.balanceCents).toBe(String(1000 - 32));
      expect((await api(b.url, '/admin/v1/invariants', { admin: b.adminToken })).body.data.ok).toBe(true);
      const health = (await api(b.url, '/healthz')).body.data;
      expect(health).toMatchObject({ upstream: 'sms-activate', upstreamStatus: 'ok' });
    } finally {
      await b.stop();
    }
  }, 60_000);

  it('releases the number a crashed server bought but never recorded, and charges nothing', async () => {
    const db = join(dir, 'crash.db');
    const b = await reseller(db);
    const before = await activations();
    // The upstream sells the number, then never answers: the server is killed mid-buy.
    await control('/_sim/v1/faults', 'POST', { kind: 'timeout', afterSuccess: true, method: 'buy', count: 1 });
    const pending = api(b.url, '/api/v1/orders', { key: b.apiKey!, method: 'POST', body: { service: 'go', country: 6 } }).catch(
      (e: Error) => e,
    );
    const sold = await eventually(async () => (await activations()).find((a) => !before.some((x) => x.id === a.id)));
    expect(sold.state).toBe('WAITING');
    await b.stop('SIGKILL');
    expect(await pending).toBeInstanceOf(Error);

    const restarted = await reseller(db);
    try {
      await eventually(async () => ((await activations()).find((a) => a.id === sold.id)!.state === 'CLOSED' ? true : undefined), 20_000);
      expect((await activations()).find((a) => a.id === sold.id)!.closedReason).toBe('cancelled');
      expect((await api(restarted.url, '/api/v1/account', { key: restarted.apiKey! })).body.data.balanceCents).toBe('1000');
      expect((await api(restarted.url, '/api/v1/orders', { key: restarted.apiKey! })).body.data.items).toEqual([]);
      expect((await api(restarted.url, '/admin/v1/invariants', { admin: restarted.adminToken })).body.data.ok).toBe(true);
      const outbox = (await api(restarted.url, '/admin/v1/outbox', { admin: restarted.adminToken })).body.data;
      expect(outbox.items).toEqual([expect.objectContaining({ kind: 'release', activationId: sold.id, outcome: 'ok' })]);
    } finally {
      await restarted.stop();
    }
  }, 60_000);
});
