/**
 * Running jiema in production, through the real binary (docs/decisions.md D102–D106): backups
 * taken while buys run, a restore that refuses while a server holds the database, the restore
 * drill of docs/operations.md, the metrics on their own listener, /readyz with a dead upstream,
 * the configuration file's precedence and errors, and the systemd unit of docs/operations.md.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLedgerInvariants, openDatabase } from '@jiema/core';
import { readCredentials } from '../src/credentials.js';
import { api, BIN, jiema, REPO, serve, tempDir } from './helpers.js';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('jiema backup and jiema restore', () => {
  it('backs up consistently while buys run, refuses to restore under a running server, and restores after it stops (the drill)', async () => {
    const dir = tempDir();
    const db = join(dir, 'jiema.db');
    const s = await serve(['--db', db]);
    const creds = readCredentials(db)!;
    const admin = creds.adminToken!;
    const users = await Promise.all(
      [0, 1, 2].map(async () => {
        const u = (await api(s.url, '/admin/v1/users', { admin, method: 'POST', body: { balanceCents: '100000' } })).body.data;
        return {
          id: u.id as string,
          key: (await api(s.url, `/admin/v1/users/${u.id}/keys`, { admin, method: 'POST', body: {} })).body.data.apiKey as string,
        };
      }),
    );
    // Buys, cancels and top-ups keep writing while the backups are taken.
    let running = true;
    let writes = 0;
    const load = users.map(async (u) => {
      while (running) {
        const o = await api(s.url, '/api/v1/orders', { key: u.key, method: 'POST', body: { service: 'tg', country: 7 } });
        if (o.status === 200) await api(s.url, `/api/v1/orders/${o.body.data.id}/cancel`, { key: u.key, method: 'POST' });
        await api(s.url, `/admin/v1/users/${u.id}/balance`, { admin, method: 'POST', body: { amountCents: 1, reason: 'load' } });
        writes += 1;
      }
    });
    for (let i = 0; writes < 10 && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
    const backups = [join(dir, 'b1.db'), join(dir, 'b2.db')];
    for (const b of backups) {
      const r = await jiema(['backup', b, '--db', db]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Backed up .* \(\d+ user\(s\), \d+ order\(s\), \d+ ledger row\(s\).*checked intact\./);
      expect(statSync(b).mode & 0o777).toBe(0o600);
    }
    const refused = await jiema(['restore', backups[0]!, '--db', db]);
    running = false;
    await Promise.all(load);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already in use by a jiema server \(pid \d+/);
    expect(refused.stderr).toContain('a restore never replaces a database in use');
    expect((await jiema(['backup', backups[0]!, '--db', db])).stderr).toContain('already exists');

    // Every backup taken under load is one consistent moment: the ledger invariants hold in it.
    for (const b of backups) {
      const copy = join(dir, `check-${b.split('/').pop()}`);
      copyFileSync(b, copy);
      const cdb = openDatabase({ path: copy });
      expect(checkLedgerInvariants(cdb)).toEqual([]);
      cdb.close();
    }

    // The drill: a final backup, the server stopped, the restore, the server started again.
    const final = join(dir, 'final.db');
    expect((await jiema(['backup', final, '--db', db, '--json'])).code).toBe(0);
    const before = (await api(s.url, `/admin/v1/orders?limit=500`, { admin })).body.data.items.map(
      (o: { id: string; status: string }) => `${o.id}:${o.status}`,
    );
    const balances = await Promise.all(
      users.map(async (u) => (await api(s.url, `/admin/v1/users/${u.id}`, { admin })).body.data.balanceCents),
    );
    await s.stop();
    const restored = await jiema(['restore', final, '--db', db]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^Restored .* into .*jiema\.db/);
    const kept = /kept as (\S+)\.\n/.exec(restored.stdout)![1]!;
    expect(existsSync(kept)).toBe(true);
    expect(statSync(db).mode & 0o777).toBe(0o600);
    const again = await serve(['--db', db]);
    try {
      const after = (await api(again.url, `/admin/v1/orders?limit=500`, { admin })).body.data.items.map(
        (o: { id: string; status: string }) => `${o.id}:${o.status}`,
      );
      expect(after).toEqual(before);
      expect(
        await Promise.all(users.map(async (u) => (await api(again.url, `/admin/v1/users/${u.id}`, { admin })).body.data.balanceCents)),
      ).toEqual(balances);
      expect((await api(again.url, '/admin/v1/invariants', { admin })).body.data).toEqual({ ok: true, violations: [] });
    } finally {
      await again.stop();
    }
  }, 120_000);

  it('refuses a file that is not a jiema database, and a missing one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'junk.db'), 'not sqlite at all');
    const junk = await jiema(['restore', join(dir, 'junk.db'), '--db', join(dir, 'jiema.db')]);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/^jiema: .*junk\.db is not a readable SQLite database/);
    expect(existsSync(join(dir, 'jiema.db'))).toBe(false);
    const missing = await jiema(['backup', join(dir, 'out.db'), '--db', join(dir, 'none.db')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('There is no database at');
  });
});

describe('metrics and readiness on the real binary', () => {
  it('serves /metrics on --metrics-port without the token, and on the main port only with it', async () => {
    const s = await serve(['--ephemeral', '--metrics-port', '0']);
    try {
      const ready = JSON.parse(s.output().stdout.split('\n')[0]!) as { metricsUrl: string };
      expect(ready.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      await api(s.url, '/api/v1/account', { key: s.apiKey! });
      const open = await fetch(ready.metricsUrl);
      expect(open.status).toBe(200);
      const text = await open.text();
      expect(text).toContain('jiema_http_requests_total{method="GET",route="/api/v1/account",status="200"} 1');
      expect(text).toContain('process_cpu_user_seconds_total');
      expect((await fetch(ready.metricsUrl.replace('/metrics', '/admin/v1/users'))).status).toBe(404);
      expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${s.url}/metrics`, { headers: { 'x-admin-token': s.adminToken } })).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it('answers /readyz 503 once a dead upstream opens the circuit, while /healthz stays 200', async () => {
    const port = await closedPort();
    const token = 'jma_operations_test_token_0123456789';
    const s = await serve([
      '--ephemeral',
      '--upstream',
      'sms-activate',
      '--upstream-url',
      `http://127.0.0.1:${port}`,
      '--upstream-key',
      'k',
      '--admin-token',
      token,
      '--log-level',
      'info',
    ]);
    try {
      const u = (await api(s.url, '/admin/v1/users', { admin: token, method: 'POST', body: {} })).body.data;
      const key = (await api(s.url, `/admin/v1/users/${u.id}/keys`, { admin: token, method: 'POST', body: {} })).body.data.apiKey;
      let ready: Awaited<ReturnType<typeof api>> | undefined;
      for (let i = 0; i < 10; i++) {
        ready = await api(s.url, '/readyz');
        if (ready.status === 503 && ready.body.message.includes('circuit')) break;
        await api(s.url, '/api/v1/services', { key });
      }
      expect(ready!.status).toBe(503);
      expect(ready!.body).toMatchObject({ ok: false, code: 'NOT_READY' });
      expect(ready!.body.message).toContain("the upstream's circuit breaker is open");
      expect((await api(s.url, '/healthz')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

describe('--config', () => {
  it('reads settings from a file; JIEMA_ variables override it and flags override both', async () => {
    const dir = tempDir();
    const file = join(dir, 'jiema.yaml');
    // The simulator's provider balance is 1000.
    writeFileSync(file, '# jiema settings\nephemeral: true\nclock: manual\nmin-upstream-balance: 5000\n');
    const readyz = async (args: string[], env: Record<string, string> = {}) => {
      const s = await serve(['--config', file, ...args], { env });
      try {
        for (let i = 0; i < 50; i++) {
          const r = await api(s.url, '/readyz');
          if (r.status === 200 || !r.body.message.includes('not been read yet')) return r.status;
          await new Promise((res) => setTimeout(res, 50));
        }
        return 0;
      } finally {
        await s.stop();
      }
    };
    expect(await readyz([])).toBe(503);
    expect(await readyz([], { JIEMA_MIN_UPSTREAM_BALANCE: '10' })).toBe(200);
    expect(await readyz(['--min-upstream-balance', '99999'], { JIEMA_MIN_UPSTREAM_BALANCE: '10' })).toBe(503);
    expect(await readyz([], { JIEMA_CONFIG: '/nonexistent.yaml' })).toBe(503);
  }, 60_000);

  it('points at the line of a bad setting: unknown names, wrong types, values not offered', async () => {
    const dir = tempDir();
    const cases: Array<[string, RegExp]> = [
      ['ephemeral: true\nprot: 8787\n', /jiema\.yaml:2:1: unknown setting "prot"; did you mean "port"\?/],
      ['port: eighty\n', /jiema\.yaml:1:7: port must be a number, got "eighty"\./],
      ['upstream: carrier-pigeon\n', /jiema\.yaml:1:11: upstream must be one of "sim", "sms-activate", "5sim", got "carrier-pigeon"\./],
      ['ephemeral: yes please\n', /jiema\.yaml:1:12: ephemeral must be true or false/],
      ['port: 1\nport: 2\n', /jiema\.yaml:2:1: /],
      ['- port\n', /jiema\.yaml:1:1: the configuration must be a mapping/],
    ];
    for (const [text, expected] of cases) {
      const file = join(dir, 'jiema.yaml');
      writeFileSync(file, text);
      const r = await jiema(['serve', '--config', file]);
      expect(r.code, text).toBe(2);
      expect(r.stderr, text).toMatch(expected);
    }
    const missing = await jiema(['serve', '--config', join(dir, 'absent.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the configuration file');
  });

  it('gives the admin commands their settings too, and warns when a file with secrets is readable by others', async () => {
    const s = await serve(['--ephemeral']);
    try {
      const dir = tempDir();
      const file = join(dir, 'ops.yaml');
      writeFileSync(file, `base-url: ${s.url}\nadmin-token: ${s.adminToken}\n`);
      chmodSync(file, 0o644);
      const r = await jiema(['users', 'list', '--config', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Demo');
      expect(r.stderr).toContain('others may read it; chmod 600');
    } finally {
      await s.stop();
    }
  });
});

describe('docs/operations.md', () => {
  const doc = readFileSync(join(REPO, 'docs/operations.md'), 'utf8');
  const unit = readFileSync(join(REPO, 'docs/systemd/jiema.service'), 'utf8');

  it('shows the systemd unit kept in docs/systemd/jiema.service, and systemd-analyze verifies it', () => {
    expect(doc).toContain(unit.trim());
    let analyze: string | undefined;
    try {
      analyze = execFileSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).trim();
    } catch {
      analyze = undefined;
    }
    if (!analyze) return; // not a systemd machine: the unit's text is still checked above
    const dir = tempDir();
    // The unit names the installed paths; here they point at this checkout's node and binary.
    const local = unit.replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/jiema/packages/cli/dist/bin.js', BIN);
    const path = join(dir, 'jiema.service');
    writeFileSync(path, local);
    const out = execFileSync(analyze, ['verify', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });

  it('documents every metric the server exports', async () => {
    const s = await serve(['--ephemeral']);
    try {
      const text = await (await fetch(`${s.url}/metrics`, { headers: { 'x-admin-token': s.adminToken } })).text();
      const names = [
        ...new Set(
          text
            .split('\n')
            .filter((l) => l.startsWith('# TYPE jiema_'))
            .map((l) => l.split(' ')[2]!),
        ),
      ];
      expect(names.length).toBeGreaterThan(10);
      for (const name of names) expect(doc, name).toContain(name);
    } finally {
      await s.stop();
    }
  });
});
