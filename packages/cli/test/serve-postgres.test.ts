/**
 * `jiema serve --db postgres://…` through the real binary, on a fresh schema of the real
 * PostgreSQL server: the simulator (the default upstream) comes up, a `jiema buy --wait` gets its
 * code, a clean stop and a SIGKILL both keep orders, balances and the demo key, a second simulator
 * on the schema is refused, and the admin token is generated once, kept by its digest in the
 * database and required from servers that do not know it. A PostgreSQL that cannot be used gives
 * one line and a non-zero exit, for `jiema serve` and `jiema migrate`, never the password.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSchema, TEST_POSTGRES_URL, withSearchPath, type TestSchema } from '../../core/test/postgres.js';
import { api, jiema, serve, tempDir, type Served } from './helpers.js';

/** The server trusts local connections, so any password works: it is there to be kept out of every output. */
const PASSWORD = 'pw-never-printed-7f3a';

let t: TestSchema;
let url: string;
beforeEach(async () => {
  t = await createTestSchema();
  const u = new URL(t.url);
  u.password = PASSWORD;
  url = u.toString();
});
afterEach(async () => {
  await t.drop();
});

const REAL_UPSTREAM = ['--upstream', 'sms-activate', '--upstream-url', 'http://127.0.0.1:9', '--upstream-key', 'k'];

const oneLine = (stderr: string): string => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
};

const noPassword = (...texts: string[]) => {
  for (const text of texts) expect(text).not.toContain(PASSWORD);
};

describe('jiema serve --db postgres://… with the simulated upstream', () => {
  it('serves, gets a code for `jiema buy --wait`, and keeps orders, balance and keys over a clean stop and a SIGKILL', async () => {
    const cwd = tempDir();
    const args = ['--db', url, '--clock', '60x'];
    const first = await serve(args, { cwd });
    let current: Served | undefined = first;
    try {
      expect(first.adminToken).toMatch(/^jma_/);
      expect(first.credentialsFile).toBe(join(cwd, '.jiema', first.credentialsFile!.split('/').pop()!));
      const creds = readFileSync(first.credentialsFile!, 'utf8');
      noPassword(creds, first.output().stdout, first.output().stderr);
      expect(JSON.parse(creds)).toMatchObject({ adminToken: first.adminToken, apiKey: first.apiKey, baseUrl: first.url });

      // The CLI finds the server and the demo key through the same --db.
      const bought = await jiema(['buy', 'tg', '7', '--wait', '--interval', '1s', '--db', url], { cwd });
      expect(bought.code, bought.stderr).toBe(0);
      expect(bought.stdout).toMatch(/Code: \d+/);
      const account = async (s: Served) => (await api(s.url, '/api/v1/account', { key: s.apiKey! })).body.data;
      const before = await account(first);
      expect(before.balanceCents).toBe('968');
      // One more order, still waiting for its SMS when the server goes.
      const waiting = (await api(first.url, '/api/v1/orders', { key: first.apiKey!, method: 'POST', body: { service: 'tg', country: 7 } }))
        .body.data;
      expect(waiting.status).toBe('WAITING');
      const orders = async (s: Served) =>
        ((await api(s.url, '/api/v1/orders', { key: s.apiKey! })).body.data.items as Array<{ id: string; status: string }>).map(
          (o) => o.id,
        );
      const known = await orders(first);
      expect(known).toHaveLength(2);

      // A clean stop, then a SIGKILL: each restart has the same user, key, orders and balance.
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        expect(await current.stop(signal)).toBe(signal === 'SIGTERM' ? 0 : null);
        current = undefined;
        current = await serve(args, { cwd });
        expect(current.apiKey).toBe(first.apiKey);
        expect(current.userId).toBe(first.userId);
        // Generated once: not shown again, kept in the credentials file.
        expect((current as { adminToken?: string }).adminToken).toBeUndefined();
        expect(await orders(current)).toEqual(expect.arrayContaining(known));
        const admin = first.adminToken;
        expect((await api(current.url, '/admin/v1/invariants', { admin })).body.data.ok).toBe(true);
      }
      // The order that was waiting was handed to the new simulator's upstream: its SMS arrives.
      const s = current;
      const received = await (async () => {
        for (let i = 0; i < 150; i++) {
          const o = (await api(s.url, `/api/v1/orders/${waiting.id}`, { key: s.apiKey! })).body.data;
          if (o.status === 'RECEIVED') return o;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('the adopted order never got its SMS');
      })();
      expect(received.smsCode).toMatch(/^\d+$/);
      expect((await account(s)).balanceCents).toBe('936');
    } finally {
      await current?.stop();
    }
  }, 90_000);

  it('refuses a second simulator on the same schema with one line naming the first; the schema is free once it stops', async () => {
    const cwd = tempDir();
    const first = await serve(['--db', url, '--clock', 'manual'], { cwd });
    try {
      const second = await jiema(['serve', '--db', url, '--port', '0'], { cwd });
      expect(second.code).toBe(3);
      const line = oneLine(second.stderr);
      expect(line).toContain(`is already in use by a jiema simulator (pid ${first.proc.pid}`);
      expect(line).toContain(first.url);
      expect(line).toContain(t.schema);
      noPassword(second.stdout, second.stderr);
      expect((await api(first.url, '/api/v1/account', { key: first.apiKey! })).status).toBe(200);
    } finally {
      await first.stop();
    }
    // Its connection is gone, and the lock with it, even after a SIGKILL.
    const third = await serve(['--db', url, '--clock', 'manual'], { cwd });
    expect(await third.stop('SIGKILL')).toBeNull();
    const fourth = await serve(['--db', url, '--clock', 'manual'], { cwd });
    await fourth.stop();
  }, 60_000);

  it('keeps a simulator and servers on a real upstream apart: neither starts on a schema the other holds', async () => {
    const cwd = tempDir();
    const token = ['--admin-token', 'jma_shared_operator_token_1'];
    const sim = await serve(['--db', url, '--clock', 'manual', ...token], { cwd });
    try {
      const real = await jiema(['serve', '--db', url, '--port', '0', ...REAL_UPSTREAM, ...token], { cwd });
      expect(real.code).toBe(3);
      expect(oneLine(real.stderr)).toContain(`is in use by a jiema simulator (pid ${sim.proc.pid}`);
      noPassword(real.stderr);
    } finally {
      await sim.stop();
    }
    const real = await serve(['--db', url, ...REAL_UPSTREAM, ...token], { cwd });
    try {
      const second = await serve(['--db', url, ...REAL_UPSTREAM, ...token], { cwd });
      await second.stop();
      const refused = await jiema(['serve', '--db', url, '--port', '0', ...token], { cwd });
      expect(refused.code).toBe(3);
      expect(oneLine(refused.stderr)).toContain('is in use by jiema servers on a real upstream; a simulator needs a schema of its own');
    } finally {
      await real.stop();
    }
  }, 60_000);

  it('resets to an empty world on the schema, keeping the admin token and the demo key', async () => {
    const cwd = tempDir();
    const s = await serve(['--db', url, '--clock', 'manual'], { cwd });
    try {
      const admin = s.adminToken;
      expect((await api(s.url, '/api/v1/orders', { key: s.apiKey!, method: 'POST', body: { service: 'tg', country: 7 } })).status).toBe(
        200,
      );
      const reset = await jiema(['sim', 'reset', '--db', url], { cwd });
      expect(reset.code, reset.stderr).toBe(0);
      expect((await api(s.url, '/api/v1/orders', { key: s.apiKey! })).body.data.items).toHaveLength(0);
      expect((await api(s.url, '/api/v1/account', { key: s.apiKey! })).body.data.balanceCents).toBe('1000');
      expect((await api(s.url, '/admin/v1/invariants', { admin })).body.data.ok).toBe(true);
    } finally {
      await s.stop();
    }
  }, 60_000);
});

describe('the admin token of a PostgreSQL database', () => {
  it('is generated by the first server, and required from one that does not know it', async () => {
    const here = tempDir();
    const first = await serve(['--db', url, ...REAL_UPSTREAM], { cwd: here });
    try {
      // Not a terminal: not printed, kept in the credentials file of this machine.
      expect((first as { adminToken?: string }).adminToken).toBeUndefined();
      const saved = JSON.parse(readFileSync(first.credentialsFile!, 'utf8')) as { adminToken: string };
      expect((await api(first.url, '/admin/v1/invariants', { admin: saved.adminToken })).status).toBe(200);

      // Another machine (another folder) without the token is refused, with what to do.
      const elsewhere = tempDir();
      const refused = await jiema(['serve', '--db', url, '--port', '0', ...REAL_UPSTREAM], { cwd: elsewhere });
      expect(refused.code).toBe(2);
      expect(oneLine(refused.stderr)).toMatch(/already has an admin token .* pass it with --admin-token/);
      noPassword(refused.stderr);
      // With it, it serves, answering to the same token as the first.
      const second = await serve(['--db', url, ...REAL_UPSTREAM, '--admin-token', saved.adminToken], { cwd: elsewhere });
      try {
        expect((await api(second.url, '/admin/v1/invariants', { admin: saved.adminToken })).status).toBe(200);
        expect((await api(second.url, '/admin/v1/invariants', { admin: 'jma_wrong' })).status).toBe(401);
      } finally {
        await second.stop();
      }
      // The simulator on the same schema is one more server that must be told the token.
      const sim = await jiema(['serve', '--db', url, '--port', '0'], { cwd: elsewhere });
      expect(sim.code).toBe(2);
    } finally {
      await first.stop();
    }
  }, 60_000);
});

describe('a PostgreSQL database that cannot be used', () => {
  // What it is, the URL, the exit codes of serve and migrate (1: migrate's refusal), the message.
  const cases: Array<[string, () => string, [number, number], RegExp]> = [
    [
      'a port nothing listens on',
      () => withSearchPath(TEST_POSTGRES_URL.replace(':5432', ':5499'), 'x'),
      [3, 3],
      /Cannot connect to .*ECONNREFUSED/,
    ],
    ['a database that does not exist', () => TEST_POSTGRES_URL.replace(/\/[^/?]+$/, '/no_such_database_jiema'), [3, 3], /does not exist/],
    ['a schema that does not exist', () => withSearchPath(TEST_POSTGRES_URL, 'no_such_schema_jiema'), [3, 1], /no schema to write to/],
    ['a URL that does not parse', () => 'postgres://[bad', [2, 2], /not a valid URL/],
  ];
  for (const [what, make, [code, migrateCode], message] of cases) {
    it(`gives one line and a non-zero exit for ${what}, from serve and migrate`, async () => {
      const target = withPassword(make());
      const cwd = tempDir();
      const served = await jiema(['serve', '--db', target, '--port', '0'], { cwd });
      expect(served.code, served.stderr).toBe(code);
      expect(oneLine(served.stderr)).toMatch(message);
      noPassword(served.stdout, served.stderr);
      const source = join(cwd, 'src.db');
      const s = await serve(['--db', source, '--clock', 'manual'], { cwd });
      await s.stop();
      const migrated = await jiema(['migrate', '--from', source, '--to', target], { cwd });
      expect(migrated.code, migrated.stderr).toBe(migrateCode);
      expect(oneLine(migrated.stderr)).toMatch(message);
      noPassword(migrated.stdout, migrated.stderr);
    }, 30_000);
  }
});

/** The URL with the password that must never be printed (a URL that does not parse gets it by hand). */
function withPassword(target: string): string {
  try {
    const u = new URL(target);
    u.password = PASSWORD;
    return u.toString();
  } catch {
    return target.replace('postgres://', `postgres://postgres:${PASSWORD}@`);
  }
}
