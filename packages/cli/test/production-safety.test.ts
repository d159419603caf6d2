/**
 * `jiema serve` with a real upstream, as an operator starts it: a supplied admin token is never
 * printed, a generated one is printed once and only to a terminal, no demo user spends real money
 * unless asked for, and no secret shows in --help (docs/decisions.md D46).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCredentials } from '../src/credentials.js';
import { api, BIN, cleanEnv, jiema, REPO, serve, tempDir } from './helpers.js';

const UPSTREAM = ['--upstream', 'sms-activate', '--upstream-url', 'http://127.0.0.1:9', '--upstream-key', 'upstream-secret-key-123'];
const SUPPLIED = 'jma_operator_supplied_token_0123456789abc';

/** Runs `jiema serve` under a pseudo-terminal (util-linux `script`) until its banner, then stops it. */
function onTerminal(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, 'serve', '--port', '0', ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const proc = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO, env: cleanEnv() });
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`no banner: ${out}`));
    }, 20_000);
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ctrl-C')) proc.kill('SIGINT');
    });
    proc.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('jiema serve in production', () => {
  it('never prints a supplied admin token, and creates no demo user unless --demo', async () => {
    const db = join(tempDir(), 'prod.db');
    const s = await serve([...UPSTREAM, '--db', db], { env: { JIEMA_ADMIN_TOKEN: SUPPLIED } });
    try {
      const { stdout, stderr } = s.output();
      expect(stdout + stderr).not.toContain(SUPPLIED);
      expect(stdout + stderr).not.toContain('upstream-secret-key-123');
      expect(s.apiKey).toBeNull();
      expect((await api(s.url, '/admin/v1/users', { admin: SUPPLIED })).body.data.items).toEqual([]);
      expect(readCredentials(db)?.adminToken).toBeUndefined();
    } finally {
      await s.stop();
    }
    const human = await onTerminal([...UPSTREAM, '--db', db, '--admin-token', SUPPLIED]);
    expect(human).toContain('admin token:   the one you supplied (not shown)');
    expect(human).not.toContain(SUPPLIED);

    const withDemo = await serve([...UPSTREAM, '--ephemeral', '--demo'], { env: { JIEMA_ADMIN_TOKEN: SUPPLIED } });
    try {
      expect((await api(withDemo.url, '/admin/v1/users', { admin: SUPPLIED })).body.data.items).toHaveLength(1);
    } finally {
      await withDemo.stop();
    }
  });

  it('prints a generated admin token once, on first start, to a terminal only; otherwise it is only in the 0600 file', async () => {
    const db = join(tempDir(), 'prod.db');
    const first = await onTerminal([...UPSTREAM, '--db', db]);
    const token = readCredentials(db)!.adminToken!;
    expect(token).toMatch(/^jma_/);
    expect(first).toContain(token);
    const second = await onTerminal([...UPSTREAM, '--db', db]);
    expect(second).not.toContain(token);
    expect(second).toContain('admin token:   saved in');

    // Not a terminal (a service manager, a pipe): never printed, not even on first start.
    const other = join(tempDir(), 'prod.db');
    const piped = await serve([...UPSTREAM, '--db', other]);
    await piped.stop();
    const saved = readCredentials(other)!.adminToken!;
    expect(piped.output().stdout + piped.output().stderr).not.toContain(saved);
    expect(piped.adminToken).toBeUndefined();
  }, 60_000);

  it('shows no secret in --help, whichever JIEMA_ variable holds it', async () => {
    const key = 'jm_0123456789ABCDEFGHIJabcdefghij0123456789abc';
    const env = { JIEMA_API_KEY: key, JIEMA_ADMIN_TOKEN: SUPPLIED, JIEMA_UPSTREAM_KEY: 'upstream-secret-key-123' };
    for (const command of [['buy', '--help'], ['balance', '--help'], ['serve', '--help'], ['users', '--help'], ['--help']]) {
      const r = await jiema(command, { env });
      const all = r.stdout + r.stderr;
      expect(all).not.toContain(key);
      expect(all).not.toContain(SUPPLIED);
      expect(all).not.toContain('upstream-secret-key-123');
    }
    expect((await jiema(['buy', '--help'], { env })).stdout).toContain('from $JIEMA_API_KEY');
  });

  it('refuses an in-memory production server whose generated token could be neither shown nor saved', async () => {
    const r = await jiema(['serve', ...UPSTREAM, '--ephemeral', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ephemeral with a real upstream needs --admin-token');
  });
});
