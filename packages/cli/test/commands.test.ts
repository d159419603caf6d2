/**
 * Admin and automation commands against a running `jiema serve`, through the real binary: tables
 * for people, JSON with --json, documented exit codes; buy --wait prints the phone, then the code;
 * Ctrl-C before any SMS cancels for a refund.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, BIN, cleanEnv, jiema, REPO, tempDir, useServe } from './helpers.js';

const s = useServe(['--ephemeral', '--clock', 'manual']);
let env: Record<string, string>;
beforeAll(() => {
  env = { JIEMA_BASE_URL: s.url, JIEMA_ADMIN_TOKEN: s.adminToken, JIEMA_API_KEY: s.apiKey! };
});

describe('admin commands', () => {
  it('create a user and a key, top up, list and revoke keys, ban and unban', async () => {
    const created = await jiema(['users', 'create', '--name', 'Alice', '--balance', '1200', '--json'], { env });
    expect(created.code, created.stderr).toBe(0);
    const user = JSON.parse(created.stdout);
    expect(user).toMatchObject({ displayName: 'Alice', balanceCents: '1200' });

    const key = JSON.parse((await jiema(['keys', 'create', user.id, '--name', 'ci', '--json'], { env })).stdout);
    expect(key.apiKey).toMatch(/^jm_/);
    const human = await jiema(['balance', '--api-key', key.apiKey], { env });
    expect(human.stdout).toMatch(/^\$12\.00 \(1200 cents\) — Alice/);

    const topup = await jiema(['topup', user.id, '300', '--reason', 'USDT tx 0xfeed'], { env });
    expect(topup.stdout).toMatch(/^topup \$3\.00 → balance \$15\.00/);
    const debit = await jiema(['topup', user.id, '-2000'], { env });
    expect(debit.code).toBe(1);
    expect(debit.stderr).toMatch(/^jiema: INSUFFICIENT: /);

    const list = await jiema(['keys', 'list', user.id], { env });
    expect(list.stdout.split('\n')[0]).toMatch(/^ID +NAME +HINT +ACTIVE/);
    expect(list.stdout).not.toContain(key.apiKey);
    expect((await jiema(['keys', 'revoke', user.id, key.key.id], { env })).stdout).toContain('Revoked');
    expect((await api(s.url, '/api/v1/account', { key: key.apiKey })).status).toBe(401);

    expect((await jiema(['ban', user.id, '--reason', 'test'], { env })).stdout).toContain('Banned');
    expect((await jiema(['unban', user.id], { env })).stdout).toContain('Unbanned');
    const users = await jiema(['users', 'list'], { env });
    expect(users.stdout).toContain('Alice');
  });

  it('read and replace pricing rules from a file', async () => {
    const file = join(tempDir(), 'pricing.yaml');
    writeFileSync(file, 'rules:\n  - { service: wa, country: 7, markupBps: 0, floorCents: 1 }\n');
    const set = await jiema(['pricing', 'set', file, '--json'], { env });
    expect(JSON.parse(set.stdout).rules).toEqual([{ service: 'wa', country: 7, markupBps: 0, floorCents: 1 }]);
    const get = await jiema(['pricing', 'get'], { env });
    expect(get.stdout).toMatch(/wa +7 +0 +1/);
    await jiema(['pricing', 'set', writeEmpty()], { env });
  });

  it('say what is wrong: no token (2), a wrong token (1), no server (3)', async () => {
    const noToken = await jiema(['users', 'list', '--base-url', s.url, '--db', join(tempDir(), 'none.db')]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('No admin token');
    const wrong = await jiema(['users', 'list', '--base-url', s.url, '--admin-token', 'nope']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('AUTH_INVALID');
    const down = await jiema(['users', 'list', '--base-url', 'http://127.0.0.1:9', '--admin-token', 'x']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('Cannot reach http://127.0.0.1:9');
  });
});

function writeEmpty(): string {
  const f = join(tempDir(), 'empty.json');
  writeFileSync(f, '{"rules":[]}');
  return f;
}

describe('automation commands', () => {
  it('show the balance, services and prices as tables and as JSON', async () => {
    expect((await jiema(['balance'], { env })).stdout).toMatch(/^\$\d+\.\d{2} \(\d+ cents\)/);
    const services = await jiema(['services'], { env });
    expect(services.stdout.split('\n')[0]).toMatch(/^CODE +SLUG +NAME +FROM +TOTALCOUNT +COUNTRYCOUNT/);
    expect(services.stdout).toMatch(/\ntg +telegram +Telegram +\$0\.\d\d/);
    const prices = JSON.parse((await jiema(['prices', 'telegram', '--json'], { env })).stdout);
    expect(prices.items).toContainEqual({ countryId: 7, countrySlug: 'my', priceCents: '32', count: expect.any(Number) });
    const bad = await jiema(['prices', 'nope'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^jiema: BAD_SERVICE: /);
    const noKey = await jiema(['balance'], { env: { JIEMA_BASE_URL: s.url } });
    expect(noKey.code).toBe(2);
  });

  it('buy --wait prints the phone at once and the code when it arrives', async () => {
    const child = spawn(process.execPath, [BIN, 'buy', 'telegram', 'my', '--wait', '--interval', '100ms'], {
      cwd: REPO,
      env: cleanEnv(env),
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await until(() => out.includes('Waiting for the SMS'));
    const orderId = /order (ck[0-9a-z]+)/.exec(out)![1]!;
    expect(out).toMatch(/^Phone: \+6012\d{7} +\(order ck/);
    const sms = await api(s.url, `/_sim/v1/orders/${orderId}/sms`, {
      admin: s.adminToken,
      method: 'POST',
      body: { body: 'Telegram code: 83651' },
    });
    expect(sms.status).toBe(200);
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(out).toContain('Code: 83651');
    const listed = await jiema(['orders', 'get', orderId], { env });
    expect(listed.stdout).toMatch(new RegExp(`^${orderId} +RECEIVED +tg/7 +\\+6012\\d{7} +\\$0\\.32 +code 83651`));
    expect((await jiema(['orders', 'next', orderId], { env })).stdout).toContain('is now WAITING');
    expect((await jiema(['orders', 'list', '--status', 'WAITING', '--json'], { env })).stdout).toContain(orderId);
  });

  it('Ctrl-C during buy --wait, before any SMS, cancels the order and refunds it', async () => {
    const before = Number((await api(s.url, '/api/v1/account', { key: s.apiKey! })).body.data.balanceCents);
    const child = spawn(process.execPath, [BIN, 'buy', 'tg', '7', '--wait', '--interval', '100ms'], { cwd: REPO, env: cleanEnv(env) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    await until(() => out.includes('Waiting for the SMS'));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(130);
    expect(err).toMatch(/Interrupted\. Cancelled ck[0-9a-z]+; the charge is refunded\./);
    expect(Number((await api(s.url, '/api/v1/account', { key: s.apiKey! })).body.data.balanceCents)).toBe(before);
  });

  it('cancel an order and refuse to cancel twice', async () => {
    const order = JSON.parse((await jiema(['buy', 'tg', 'my', '--json'], { env })).stdout);
    expect((await jiema(['orders', 'cancel', order.id], { env })).stdout).toBe(`${order.id} is now CANCELLED.\n`);
    const again = await jiema(['orders', 'cancel', order.id], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^jiema: ALREADY_CHANGED: /);
    expect((await jiema(['orders', 'get'], { env })).code).toBe(2);
  });
});

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
