/**
 * `jiema serve --upstream sms-activate` end to end: one `jiema serve` process plays the upstream
 * (its SMS-Activate facade), a second runs the real adapter against it. A full order lifecycle,
 * then a crash (SIGKILL) between the upstream's sale and the local write: after a restart on the
 * same database (a SQLite file, and a PostgreSQL schema) the sold number is released and no money
 * moved. Then upstream push: the facade's incoming-SMS webhook to `--upstream-webhook-secret`'s
 * route, with status polls stopped while it flows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPostgresUrl } from '@jiema/core';
import { readCredentials } from '../src/credentials.js';
import { DATABASES, useTestDatabase } from '../../core/test/databases.js';
import { adapterServeArgs, api, eventually, jiema, serve, tempDir, type Served } from './helpers.js';

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

/**
 * A production-style server: the operator supplies the admin token; --demo makes a user whose key
 * is saved, never printed. On PostgreSQL there is no file to save it in: the key is made for the
 * demo user through the admin API, once (`key`, from an earlier start, is kept).
 */
async function reseller(db: string, more: string[] = [], key?: string): Promise<Served> {
  const s = await serve([...more, ...adapterServeArgs(upstream.url, 'e2e-upstream-key', db, ADMIN), '--demo']);
  expect(s.apiKey).toBeNull();
  expect(s.adminToken).toBeUndefined();
  expect(s.output().stdout + s.output().stderr).not.toContain(ADMIN);
  const apiKey = isPostgresUrl(db)
    ? (key ?? (await api(s.url, `/admin/v1/users/${s.userId}/keys`, { admin: ADMIN, method: 'POST', body: {} })).body.data.apiKey)
    : readCredentials(db)!.apiKey!;
  return Object.assign(s, { apiKey, adminToken: ADMIN });
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

  describe.each(DATABASES)('on $name', (kind) => {
    const database = useTestDatabase(kind, { persistent: true });
    it('releases the number a crashed server bought but never recorded, and charges nothing', async () => {
      const db = database.db;
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

      const restarted = await reseller(db, [], b.apiKey!);
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

  it("takes the provider's incoming-SMS webhook: recorded once, no status polls while webhooks flow, 404 and 400 for bad requests", async () => {
    const secret = 'e2e-webhook-secret-0123456789';
    const b = await reseller(join(dir, 'push.db'), ['--upstream-webhook-secret', secret, '--log-level', 'info']);
    const hook = `${b.url}/upstream/v1/sms-activate/${secret}`;
    const statusPolls = async () =>
      ((await control('/_sim/v1/events?type=upstream.call&limit=100000')).body.data.items as Array<{ data: { method: string } }>).filter(
        (e) => e.data.method === 'getStatus',
      ).length;
    const webhookAttempts = async () =>
      (await control('/_sim/v1/events?type=facade.webhook&limit=100000')).body.data.items as Array<{
        data: { activationId: string; outcome: string };
      }>;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      const key = b.apiKey!;
      // The operator of the simulated upstream points its facade at this server (`jiema sim webhook`).
      const env = { JIEMA_BASE_URL: upstream.url, JIEMA_ADMIN_TOKEN: upstream.adminToken };
      const set = await jiema(['sim', 'webhook', hook, '--json'], { env });
      expect(set.code, set.stderr).toBe(0);
      expect(JSON.parse(set.stdout).smsActivateWebhook).toMatchObject({ url: hook, delivered: 0 });
      const order = (await api(b.url, '/api/v1/orders', { key, method: 'POST', body: { service: 'tg', country: 'my' } })).body.data;
      const act = (await activations()).find((a) => `+${a.phone}` === order.phone)!;
      // No webhook yet: the server polls the order's status (every 2 s).
      const before = await statusPolls();
      await eventually(async () => ((await statusPolls()) >= before + 2 ? true : undefined));

      await control(`/_sim/v1/activations/${act.id}/sms`, 'POST', { body: 'Telegram code: 70431' });
      await eventually(async () =>
        (await webhookAttempts()).some((a) => a.data.activationId === act.id && a.data.outcome === 'delivered') ? true : undefined,
      );
      const got = (await api(b.url, `/api/v1/orders/${order.id}`, { key })).body.data;
      expect(got).toMatchObject({ status: 'RECEIVED', smsCode: '70431', smsBody: 'Telegram code: 70431' });
      expect(got.smsHistory).toHaveLength(1);

      // While webhooks flow, the order's status is not polled (the safety poll is once a minute),
      // even though the worker ticks every second and the user keeps reading the order.
      await sleep(500);
      const flowing = await statusPolls();
      for (let i = 0; i < 10; i++) {
        await sleep(500);
        await api(b.url, `/api/v1/orders/${order.id}`, { key });
      }
      expect(await statusPolls()).toBe(flowing);

      // The provider delivers the same webhook again: acknowledged, recorded once.
      const again = {
        activationId: Number(act.id),
        service: 'tg',
        text: 'Telegram code: 70431',
        code: '70431',
        country: 7,
        receivedAt: String(got.smsHistory[0].receivedAt).slice(0, 19).replace('T', ' '),
      };
      for (let i = 0; i < 2; i++) {
        const r = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(again) });
        expect(r.status).toBe(200);
        expect(await r.json()).toEqual({ ok: true, data: { received: true, outcome: 'duplicate' } });
      }
      const after = (await api(b.url, `/api/v1/orders/${order.id}`, { key })).body.data;
      expect(after.smsHistory).toHaveLength(1);

      // A wrong secret is an unknown path; a malformed body is 400; neither is ever a 500.
      const wrong = await fetch(`${b.url}/upstream/v1/sms-activate/not-the-secret-0123456789`, {
        method: 'POST',
        body: JSON.stringify(again),
      });
      expect(wrong.status).toBe(404);
      expect(await wrong.json()).toMatchObject({ ok: false, code: 'NOT_FOUND' });
      const malformed = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"activationId":' });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ ok: false, code: 'BAD_REQUEST' });

      expect((await api(b.url, '/admin/v1/invariants', { admin: b.adminToken })).body.data.ok).toBe(true);
      // The secret is never printed nor logged (the access log shows the path masked).
      expect(b.output().stdout + b.output().stderr).not.toContain(secret);
      expect(b.output().stderr).toContain('/upstream/v1/sms-activate/…');
      expect(b.output().stderr).toContain('"event":"upstream.push_received"');
    } finally {
      await control('/_sim/v1/facade', 'PUT', { smsActivateWebhookUrl: null });
      await b.stop();
    }
  }, 60_000);

  it('refuses --upstream-webhook-secret that is short, or without the SMS-Activate adapter', async () => {
    const short = await jiema(['serve', '--ephemeral', '--port', '0', '--upstream', 'sms-activate', '--upstream-webhook-secret', 'short']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--upstream-webhook-secret must be 16 to 128 letters/);
    expect(short.stderr).not.toContain('short.');
    const sim = await jiema(['serve', '--ephemeral', '--port', '0', '--upstream-webhook-secret', 'long-enough-secret-0123']);
    expect(sim.code).toBe(2);
    expect(sim.stderr).toMatch(/--upstream-webhook-secret is for --upstream sms-activate/);
  });
});
