/**
 * `jiema serve` and its console (docs/decisions.md D110, D112): the URL in the ready banner and the
 * --json ready line, the one-time link on a terminal and with the simulator, the console with a
 * real upstream too, and --no-console.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, REPO, serve } from './helpers.js';

const readyLine = (s: { output(): { stdout: string } }) =>
  JSON.parse(s.output().stdout.split('\n')[0]!) as { url: string; consoleUrl?: string };

/** Runs `jiema serve` until its banner is out, then stops it: the banner's text. */
async function banner(args: string[], command?: (args: string[]) => [string, string[]]): Promise<string> {
  const full = [BIN, 'serve', '--port', '0', '--ephemeral', ...args];
  const [cmd, argv] = command ? command(full) : [process.execPath, full];
  const proc = spawn(cmd, argv, { cwd: REPO, env: cleanEnv() });
  let out = '';
  await new Promise<void>((resolve) => proc.stdout.on('data', (d) => ((out += d), out.includes('Ctrl-C') && resolve())));
  proc.kill('SIGINT');
  await new Promise((r) => proc.on('close', r));
  return out;
}

describe('jiema serve and the console', () => {
  it('puts a one-time console link in the simulator\u2019s --json ready line, and serves the console there', async () => {
    const s = await serve(['--ephemeral']);
    try {
      const ready = readyLine(s);
      expect(ready.consoleUrl).toMatch(new RegExp(`^${ready.url}/#token=jlt_[\\w-]{32}$`));
      const page = await fetch(`${ready.url}/`);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const token = ready.consoleUrl!.split('#token=')[1];
      const exchange = () =>
        fetch(`${ready.url}/console/v1/session/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        });
      const first = await exchange();
      expect(first.status).toBe(200);
      expect(first.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await exchange()).status).toBe(401);
    } finally {
      await s.stop();
    }
  });

  it('prints the console URL without a token when the output is not a terminal', async () => {
    const out = await banner([]);
    expect(out).toMatch(/console: +http:\/\/127\.0\.0\.1:\d+\/ +\(sign in with the admin token or an API key\)/);
    expect(out).not.toContain('jlt_');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('prints a one-time link on a terminal, as Jupyter does', async () => {
    const out = await banner([], (argv) => [
      '/usr/bin/script',
      ['-qfec', [process.execPath, ...argv].map((a) => `'${a}'`).join(' '), '/dev/null'],
    ]);
    expect(out).toMatch(/console: +http:\/\/127\.0\.0\.1:\d+\/#token=jlt_[\w-]{32} +\(open it to sign in; the link works once\)/);
  });

  it('serves the console with a real upstream too, without printing a token', async () => {
    const s = await serve([
      '--ephemeral',
      '--upstream',
      'sms-activate',
      '--upstream-url',
      'http://127.0.0.1:9',
      '--upstream-key',
      'k',
      '--admin-token',
      'jma_console_test_admin_token_0123',
    ]);
    try {
      const ready = readyLine(s);
      expect(ready.consoleUrl).toBe(`${ready.url}/`);
      expect((await fetch(`${ready.url}/`)).headers.get('content-type')).toMatch(/^text\/html/);
      const session = (await (await fetch(`${ready.url}/console/v1/session`)).json()) as { data: { mode: string } };
      expect(session.data.mode).toBe('upstream');
    } finally {
      await s.stop();
    }
  });

  it('serves no console with --no-console', async () => {
    const s = await serve(['--ephemeral', '--no-console']);
    try {
      const ready = readyLine(s);
      expect(ready.consoleUrl).toBeUndefined();
      const res = await fetch(`${ready.url}/`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    } finally {
      await s.stop();
    }
  });
});
