/**
 * `jiema serve`, run as a real process: the ready line, a state that survives restarts, bad flags,
 * a port in use, and a graceful shutdown.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, jiema, serve, tempDir } from './helpers.js';

describe('jiema serve', () => {
  it('prints one JSON ready line with a working key, and stops cleanly on SIGTERM', async () => {
    const s = await serve(['--ephemeral']);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(s.apiKey).toMatch(/^jm_[0-9A-Za-z]{43}$/);
      const acct = await api(s.url, '/api/v1/account', { key: s.apiKey! });
      expect(acct.body.data).toMatchObject({ id: s.userId, balanceCents: '1000', displayName: 'Demo' });
      const order = await api(s.url, '/api/v1/orders', { key: s.apiKey!, method: 'POST', body: { service: 'tg', country: 'my' } });
      expect(order.body.data.status).toBe('WAITING');
      expect((await api(s.url, '/admin/v1/invariants', { admin: s.adminToken })).body.data.ok).toBe(true);
    } finally {
      expect(await s.stop('SIGTERM')).toBe(0);
    }
  });

  it('keeps all state in its SQLite file across a restart, and saves its secrets for the CLI in a 0600 file', async () => {
    const dir = tempDir();
    const db = join(dir, 'jiema.db');
    const first = await serve(['--db', db]);
    const order = await api(first.url, '/api/v1/orders', { key: first.apiKey!, method: 'POST', body: { service: 'tg', country: 7 } });
    expect(await first.stop('SIGINT')).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'jiema.credentials.json'), 'utf8'));
    expect(saved).toMatchObject({ adminToken: first.adminToken, apiKey: first.apiKey, userId: first.userId, baseUrl: first.url });
    expect(statSync(join(dir, 'jiema.credentials.json')).mode & 0o777).toBe(0o600);

    const second = await serve(['--db', db]);
    try {
      // The admin token was shown on the start that made it; later starts point at the saved copy.
      expect(second.adminToken).toBeUndefined();
      expect(second.credentialsFile).toBe(join(dir, 'jiema.credentials.json'));
      expect(second.userId).toBe(first.userId);
      expect(second.apiKey).toBe(first.apiKey);
      expect((await api(second.url, '/admin/v1/users', { admin: first.adminToken })).status).toBe(200);
      const again = await api(second.url, `/api/v1/orders/${order.body.data.id}`, { key: second.apiKey! });
      expect(again.body.data).toMatchObject({ id: order.body.data.id, status: 'WAITING' });
      expect((await api(second.url, '/api/v1/account', { key: second.apiKey! })).body.data.balanceCents).toBe('968');
    } finally {
      await second.stop();
    }
  });

  it('prints the human banner with the demo key and a curl line on first start', async () => {
    const dir = tempDir();
    const { spawn } = await import('node:child_process');
    const { BIN, cleanEnv, REPO } = await import('./helpers.js');
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', join(dir, 'j.db')], { cwd: REPO, env: cleanEnv() });
    let out = '';
    await new Promise<void>((resolve) => proc.stdout.on('data', (d) => ((out += d), out.includes('Ctrl-C') && resolve())));
    proc.kill('SIGINT');
    await new Promise((r) => proc.on('close', r));
    expect(out).toMatch(/jiema server ready at http:\/\/127\.0\.0\.1:\d+/);
    // Not a terminal: the generated admin token is saved, not printed.
    expect(out).toMatch(/admin token: +saved in .*j\.credentials\.json/);
    expect(out).not.toMatch(/jma_/);
    expect(out).toMatch(/demo API key: +jm_[0-9A-Za-z]{43}/);
    expect(out).toMatch(/curl -s -H 'Authorization: Bearer jm_/);
  });

  it('refuses a bad flag with one clear line and exit code 2', async () => {
    const r = await jiema(['serve', '--prot', '8080']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toBe('jiema: Unknown argument: prot');
    const bad = await jiema(['serve', '--clock', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--clock is real, manual, or a speed like 60x');
  });

  it('says so in one line, with exit code 3, when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await jiema(['serve', '--ephemeral', '--port', String(port)]);
      expect(r.code).toBe(3);
      expect(r.stderr.trim()).toBe(`jiema: Port ${port} on 127.0.0.1 is already in use; pick another with --port.`);
    } finally {
      blocker.close();
    }
  });

  it('needs an upstream URL and key for a real adapter', async () => {
    const r = await jiema(['serve', '--ephemeral', '--upstream', 'sms-activate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--upstream sms-activate needs --upstream-url and --upstream-key');
  });
});
