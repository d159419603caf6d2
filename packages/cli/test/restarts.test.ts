/**
 * A file-backed `jiema serve` used over time, as a developer does: restarts (clean and SIGKILL)
 * with ended orders and new users in between, a crash mid-buy retried with its Idempotency-Key,
 * a second server on the same file, a file deleted underneath, a reset, file modes, a server
 * exposed beyond loopback, and a facade guessed at. Every case runs the real binary.
 */
import { existsSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCredentials } from '../src/credentials.js';
import { api, eventually, jiema, serve, tempDir, type Served } from './helpers.js';

/** A server on a file, with the secrets it saved for the CLI. */
async function start(db: string, args: string[] = []): Promise<Served & { admin: string; key: string }> {
  const s = await serve(['--db', db, ...args]);
  const creds = readCredentials(db)!;
  return Object.assign(s, { admin: creds.adminToken!, key: creds.apiKey! });
}

describe('a file-backed jiema serve over restarts and crashes', () => {
  it('never answers 5xx across clean restarts and SIGKILLs with ended orders and new users in between, and keeps ids in order', async () => {
    const db = join(tempDir(), 'jiema.db');
    const statuses: number[] = [];
    const seen: string[] = [];
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL', 'SIGKILL', 'SIGTERM'] as const) {
      const s = await start(db, ['--clock', 'manual']);
      const call = async (path: string, init: Parameters<typeof api>[2] = {}) => {
        const r = await api(s.url, path, init);
        statuses.push(r.status);
        return r;
      };
      for (let i = 0; i < 2; i++) {
        const o = await call('/api/v1/orders', { key: s.key, method: 'POST', body: { service: 'tg', country: 7 } });
        expect(o.status, JSON.stringify(o.body)).toBe(200);
        seen.push(o.body.data.id);
      }
      expect(
        (await call('/admin/v1/users', { admin: s.admin, method: 'POST', body: { displayName: 'Someone', balanceCents: '500' } })).status,
      ).toBe(201);
      expect((await call('/_sim/v1/users', { admin: s.admin, method: 'POST', body: {} })).status).toBe(200);
      // Let every order end: past its window and the upstream's lifetime.
      expect((await call('/_sim/v1/clock/advance', { admin: s.admin, method: 'POST', body: { ms: 21 * 60_000 } })).status).toBe(200);
      for (const id of seen.slice(-2))
        expect(['COMPLETED', 'FAILED']).toContain((await call(`/api/v1/orders/${id}`, { key: s.key })).body.data.status);
      // Newest first, across every start so far.
      const list = await call('/api/v1/orders?limit=100', { key: s.key });
      expect(list.body.data.items.map((o: { id: string }) => o.id)).toEqual([...seen].reverse());
      expect((await call('/admin/v1/invariants', { admin: s.admin })).body.data.ok).toBe(true);
      await s.stop(signal);
    }
    expect(statuses.filter((st) => st >= 500)).toEqual([]);
  }, 90_000);

  it('releases an Idempotency-Key whose request died in a SIGKILL, so the retry buys once', async () => {
    const db = join(tempDir(), 'jiema.db');
    const s = await start(db, ['--clock', 'manual']);
    await api(s.url, '/_sim/v1/faults', {
      admin: s.admin,
      method: 'POST',
      body: { kind: 'latency', latencyMs: 10_000, method: 'buy', count: 1 },
    });
    const headers = { 'idempotency-key': 'k1', authorization: `Bearer ${s.key}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ service: 'tg', country: 7 });
    const dying = fetch(`${s.url}/api/v1/orders`, { method: 'POST', headers, body }).catch((e: Error) => e);
    await eventually(async () =>
      (await api(s.url, '/_sim/v1/events?type=fault.fired', { admin: s.admin })).body.data.items.length > 0 ? true : undefined,
    );
    await s.stop('SIGKILL');
    expect(await dying).toBeInstanceOf(Error);

    const again = await start(db, ['--clock', 'manual']);
    try {
      const retry = await fetch(`${again.url}/api/v1/orders`, { method: 'POST', headers, body });
      const order = ((await retry.json()) as { data: { id: string; status: string } }).data;
      expect(retry.status).toBe(200);
      expect(order.status).toBe('WAITING');
      const replay = await fetch(`${again.url}/api/v1/orders`, { method: 'POST', headers, body });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(((await replay.json()) as { data: { id: string } }).data.id).toBe(order.id);
      expect((await api(again.url, '/api/v1/account', { key: again.key })).body.data.balanceCents).toBe('968');
      expect((await api(again.url, '/admin/v1/invariants', { admin: again.admin })).body.data.ok).toBe(true);
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('refuses a second server on the same file with one line naming the first, simulator or real upstream', async () => {
    const db = join(tempDir(), 'jiema.db');
    const first = await start(db);
    try {
      const second = await jiema(['serve', '--db', db, '--port', '0']);
      expect(second.code).toBe(3);
      const lines = second.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`is already in use by a jiema server (pid ${first.proc.pid}`);
      expect(lines[0]).toContain(first.url);
      const real = await jiema([
        'serve',
        '--db',
        db,
        '--port',
        '0',
        '--upstream',
        'sms-activate',
        '--upstream-url',
        'http://127.0.0.1:9',
        '--upstream-key',
        'k',
        '--admin-token',
        'jma_other_operator_token',
      ]);
      expect(real.code).toBe(3);
      expect(real.stderr).toContain('already in use');
      // The first server is untouched: its demo key and admin token still work.
      expect((await api(first.url, '/api/v1/account', { key: first.key })).status).toBe(200);
      expect(readCredentials(db)!.adminToken).toBe(first.admin);
    } finally {
      await first.stop();
    }
    // Once it has stopped, the file is free again.
    const third = await start(db);
    await third.stop();
  }, 60_000);

  it('notices a database file deleted or replaced under it: /healthz unhealthy, 503 STORAGE_UNAVAILABLE, a log line', async () => {
    const dir = tempDir();
    const db = join(dir, 'jiema.db');
    const s = await start(db);
    try {
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      const health = await eventually(async () => {
        const h = (await api(s.url, '/healthz')).body.data;
        return h.db === 'error' ? h : undefined;
      }, 5_000);
      expect(health).toMatchObject({ status: 'degraded', db: 'error', dbDetail: expect.stringContaining('was deleted') });
      const buy = await api(s.url, '/api/v1/orders', { key: s.key, method: 'POST', body: { service: 'tg', country: 7 } });
      expect(buy.status).toBe(503);
      expect(buy.body).toMatchObject({ ok: false, code: 'STORAGE_UNAVAILABLE' });
      await eventually(async () => (s.output().stderr.includes('"event":"db.file_lost"') ? true : undefined), 3_000);
    } finally {
      await s.stop();
    }
    // The next start says the file was missing rather than starting over silently.
    const again = await start(db);
    await again.stop();
    expect(again.output().stderr).toContain('was missing');

    // A file swapped for another one is noticed the same way.
    const other = join(dir, 'other.db');
    const o = await start(other);
    await o.stop();
    const s2 = await start(db);
    try {
      copyFileSync(other, `${db}.new`);
      rmSync(db);
      copyFileSync(`${db}.new`, db);
      const h = await eventually(async () => {
        const x = (await api(s2.url, '/healthz')).body.data;
        return x.db === 'error' ? x : undefined;
      }, 5_000);
      expect(h.dbDetail).toContain('replaced');
    } finally {
      await s2.stop();
    }
  }, 60_000);

  it('resets to an empty world on the same file, keeping the admin token, the facade key and the demo key', async () => {
    const db = join(tempDir(), 'jiema.db');
    const s = await start(db);
    try {
      const inode = statSync(db).ino;
      expect((await api(s.url, '/api/v1/orders', { key: s.key, method: 'POST', body: { service: 'tg', country: 7 } })).status).toBe(200);
      expect((await api(s.url, '/_sim/v1/reset', { admin: s.admin, method: 'POST' })).body.data).toEqual({ reset: true });
      expect(statSync(db).ino).toBe(inode);
      expect((await api(s.url, '/api/v1/orders', { key: s.key })).body.data.items).toEqual([]);
      expect((await api(s.url, '/api/v1/account', { key: s.key })).body.data.balanceCents).toBe('1000');
      const users = (await api(s.url, '/admin/v1/users', { admin: s.admin })).body.data.items;
      expect(users).toHaveLength(1);
      const facade = await fetch(`${s.facadeUrl}?api_key=${s.facadeKey}&action=getBalance`);
      expect(await facade.text()).toMatch(/^ACCESS_BALANCE:/);
    } finally {
      await s.stop();
    }
    const again = await start(db);
    try {
      expect(again.admin).toBe(s.admin);
      expect(again.facadeKey).toBe(s.facadeKey);
      expect((await api(again.url, '/admin/v1/users', { admin: s.admin })).status).toBe(200);
      expect((await api(again.url, '/api/v1/account', { key: s.key })).status).toBe(200);
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('keeps its files private (0700 folder, 0600 files) and no secret in clear in the database', async () => {
    const dir = tempDir();
    const db = join(dir, 'state', 'jiema.db');
    const s = await start(db);
    try {
      await api(s.url, '/api/v1/orders', { key: s.key, method: 'POST', body: { service: 'tg', country: 7 } });
      expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
      for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}.lock`, join(dir, 'state', 'jiema.credentials.json')]) {
        if (existsSync(f)) expect(statSync(f).mode & 0o777, f).toBe(0o600);
      }
      const bytes = Buffer.concat([db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f))).toString('latin1');
      expect(bytes).not.toContain(s.admin);
      expect(bytes).not.toContain(s.facadeKey!);
      expect(bytes).not.toContain(s.key);
    } finally {
      await s.stop();
    }
  });
});

describe('jiema serve beyond loopback, and its facades', () => {
  it('warns, naming what is exposed, when listening on a non-loopback address', async () => {
    const open = await serve(['--ephemeral', '--host', '0.0.0.0']);
    await open.stop();
    const warning = open.output().stderr;
    expect(warning).toContain('warning: listening on 0.0.0.0 exposes');
    for (const part of ['/api/v1', '/admin/v1', '/_sim/v1', '/stubs/handler_api.php']) expect(warning).toContain(part);
    const local = await serve(['--ephemeral']);
    await local.stop();
    expect(local.output().stderr).not.toContain('warning');
  });

  it('throttles failed facade keys per address like API keys, and the right key keeps working', async () => {
    const s = await serve(['--ephemeral']);
    try {
      const get = (key: string) => fetch(`${s.facadeUrl}?api_key=${encodeURIComponent(key)}&action=getBalance`);
      for (let i = 0; i < 30; i++) expect(await (await get(`wrong-${i}`)).text()).toBe('BAD_KEY');
      const throttled = await get('wrong-again');
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await (await get(s.facadeKey!)).text()).toMatch(/^ACCESS_BALANCE:/);
      const fiveSim = await fetch(`${s.url}/v1/user/profile`, { headers: { authorization: 'Bearer nope' } });
      expect(fiveSim.status).toBe(429);
    } finally {
      await s.stop();
    }
  });

  it('with --trust-proxy, counts failed authentication per forwarded client, never refusing valid keys', async () => {
    const s = await serve(['--ephemeral', '--trust-proxy', '1']);
    try {
      const as = (ip: string, key?: string, path = '/api/v1/account') =>
        fetch(s.url + path, { headers: { 'x-forwarded-for': ip, ...(key && { authorization: `Bearer ${key}` }) } });
      for (let i = 0; i < 30; i++) expect((await as('203.0.113.7', 'jm_wrong')).status).toBe(401);
      expect((await as('203.0.113.7', 'jm_wrong')).status).toBe(429);
      // The polling route (served by the lean dispatcher) sees the same forwarded address.
      expect((await as('203.0.113.7', undefined, `/api/v1/orders/ck${'0'.repeat(25)}`)).status).toBe(429);
      expect((await as('198.51.100.4', 'jm_wrong')).status).toBe(401);
      expect((await as('203.0.113.7', s.apiKey!)).status).toBe(200);
      const bad = await jiema(['serve', '--ephemeral', '--trust-proxy', '10.0.0.0/99']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--trust-proxy');
    } finally {
      await s.stop();
    }
  });
});
