/**
 * The console's server side over real HTTP: its static files and their Content-Security-Policy,
 * signing in (API key, admin token, one-time link) to an HttpOnly SameSite=Strict cookie, CSRF on
 * every state-changing call, the API's own access rules for a session, and the live feed.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp, listen } from '../src/index.js';
import { TEST_ADMIN_TOKEN, useTestServers, type TestResponse } from '../src/testing.js';

function assetsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jiema-console-assets-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html lang="en"><title>t</title><script type="module" src="/assets/app-1.js"></script></html>',
  );
  writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
  return dir;
}

const start = useTestServers();

const consoleServer = async (defaultUser?: () => string | undefined) =>
  start({ app: { console: { assetsDir: assetsDir(), ...(defaultUser && { defaultUser }) } } });

/** The session cookie a sign-in set, as a browser would send it back. */
function cookieOf(res: TestResponse): string {
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0]!;
}

describe('the console server', () => {
  it('serves its page and hashed assets under a CSP with no inline script, and leaves other paths to the API', async () => {
    const s = await consoleServer();
    const page = await s.call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const js = await s.call('GET', '/assets/app-1.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const missing = await s.call('GET', '/assets/nope-2.js');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect((await s.call('POST', '/')).body).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('answers JSON at / when the app serves no console', async () => {
    const t = await start();
    expect((await t.call('GET', '/')).body).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('signs in with an API key to an HttpOnly, SameSite=Strict cookie that never carries the key', async () => {
    const s = await consoleServer();
    const u = s.createUser();
    const res = await s.call('POST', '/console/v1/session', { key: u.key, body: {} });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^jiema_session=jcs_[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain(u.key);
    expect(res.text).not.toContain(u.key);
    expect(res.body.data).toMatchObject({ signedIn: true, kind: 'user', user: { id: u.id } });
    const cookie = cookieOf(res);
    const who = await s.call('GET', '/console/v1/session', { headers: { cookie } });
    expect(who.body.data).toMatchObject({ signedIn: true, kind: 'user', csrfToken: res.body.data.csrfToken });
    expect((await s.call('GET', '/api/v1/account', { headers: { cookie } })).body.data.id).toBe(u.id);
    // The database keeps only a digest of the session's secret.
    const secret = cookie.split('=')[1]!;
    expect(JSON.stringify(s.engine.stores.consoleSessions.list())).not.toContain(secret);
  });

  it('refuses a state-changing call made with the cookie but without its CSRF token', async () => {
    const s = await consoleServer();
    const u = s.createUser();
    const login = await s.call('POST', '/console/v1/session', { key: u.key, body: {} });
    const cookie = cookieOf(login);
    const noToken = await s.call('POST', '/api/v1/orders', { headers: { cookie }, body: { service: 'tg', country: 7 } });
    expect(noToken.status).toBe(403);
    expect(noToken.body).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    const wrong = await s.call('POST', '/api/v1/orders', { headers: { cookie, 'x-csrf-token': 'x' }, body: { service: 'tg', country: 7 } });
    expect(wrong.status).toBe(403);
    expect(s.engine.stores.consoleQueries.searchOrders({ limit: 1 })).toEqual([]);
    const ok = await s.call('POST', '/api/v1/orders', {
      headers: { cookie, 'x-csrf-token': login.body.data.csrfToken },
      body: { service: 'tg', country: 7 },
    });
    expect(ok.status).toBe(200);
  });

  it('gives a session the API rules: only its own orders, never admin routes, and it ends with its key', async () => {
    const s = await consoleServer();
    const me = s.createUser();
    const other = s.createUser();
    const theirs = await s.call('POST', '/api/v1/orders', { key: other.key, body: { service: 'tg', country: 7 } });
    const login = await s.call('POST', '/console/v1/session', { key: me.key, body: {} });
    const cookie = cookieOf(login);
    expect((await s.call('GET', `/api/v1/orders/${theirs.body.data.id}`, { headers: { cookie } })).status).toBe(404);
    expect((await s.call('GET', '/api/v1/orders', { headers: { cookie } })).body.data.items).toEqual([]);
    expect((await s.call('GET', '/admin/v1/users', { headers: { cookie } })).status).toBe(401);
    expect((await s.call('GET', '/console/v1/orders', { headers: { cookie } })).status).toBe(401);
    const keys = await s.call('GET', '/console/v1/me/keys', { headers: { cookie } });
    expect(keys.body.data.items).toHaveLength(1);
    await s.call('POST', `/console/v1/me/keys/${keys.body.data.items[0].id}/revoke`, {
      headers: { cookie, 'x-csrf-token': login.body.data.csrfToken },
    });
    expect((await s.call('GET', '/api/v1/account', { key: me.key })).status).toBe(401);
    expect((await s.call('GET', '/api/v1/account', { headers: { cookie } })).body).toMatchObject({ code: 'AUTH_INVALID' });
    expect((await s.call('GET', '/console/v1/session', { headers: { cookie } })).body.data.signedIn).toBe(false);
  });

  it('lets a user create keys (shown once, at most 10) and read their ledger', async () => {
    const s = await consoleServer();
    const u = s.createUser({ balanceCents: 500 });
    const login = await s.call('POST', '/console/v1/session', { key: u.key, body: {} });
    const headers = { cookie: cookieOf(login), 'x-csrf-token': login.body.data.csrfToken };
    const made = await s.call('POST', '/console/v1/me/keys', { headers, body: { name: 'ci' } });
    expect(made.status).toBe(201);
    expect(made.body.data.apiKey).toMatch(/^jm_/);
    expect((await s.call('GET', '/api/v1/account', { key: made.body.data.apiKey })).status).toBe(200);
    for (let i = 0; i < 8; i++) s.engine.accounts.createKey(u.id);
    expect((await s.call('POST', '/console/v1/me/keys', { headers, body: {} })).body).toMatchObject({ code: 'KEY_LIMIT' });
    const ledger = await s.call('GET', '/console/v1/me/ledger', { headers });
    expect(ledger.body.data.items).toMatchObject([{ kind: 'topup', amountCents: '500' }]);
    expect(JSON.stringify((await s.call('GET', '/console/v1/me/keys', { headers })).body)).not.toContain(made.body.data.apiKey);
  });

  it('exchanges a one-time login link once for an operator session, and slows down guessing', async () => {
    const s = await consoleServer();
    const app = createApp({ engine: s.engine, adminToken: TEST_ADMIN_TOKEN, console: { assetsDir: assetsDir() } });
    const link = app.console!.issueLoginToken();
    const first = await s.call('POST', '/console/v1/session/token', { body: { token: link } });
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ signedIn: true, kind: 'operator' });
    expect((await s.call('POST', '/console/v1/session/token', { body: { token: link } })).status).toBe(401);
    const cookie = cookieOf(first);
    expect((await s.call('GET', '/admin/v1/users', { headers: { cookie } })).status).toBe(200);
    // Only the newest link works.
    const a = app.console!.issueLoginToken();
    app.console!.issueLoginToken();
    expect((await s.call('POST', '/console/v1/session/token', { body: { token: a } })).status).toBe(401);
    let last = 0;
    for (let i = 0; i < 35; i++)
      last = (await s.call('POST', '/console/v1/session/token', { body: { token: `jlt_${'x'.repeat(32)}` } })).status;
    expect(last).toBe(429);
  });

  it('ends operator sessions when the admin token changes, and shows operators the default user', async () => {
    const s = await consoleServer();
    const demo = s.createUser();
    await s.call('POST', '/api/v1/orders', { key: demo.key, body: { service: 'tg', country: 7 } });
    const other = s.createUser();
    const login = await s.call('POST', '/console/v1/session/operator', { headers: { 'x-admin-token': TEST_ADMIN_TOKEN }, body: {} });
    const cookie = cookieOf(login);
    const csrf = login.body.data.csrfToken as string;
    expect((await s.call('GET', '/api/v1/account', { headers: { cookie } })).body).toMatchObject({ code: 'AUTH_MISSING' });
    expect(
      (await s.call('PUT', '/console/v1/session/user', { headers: { cookie, 'x-csrf-token': csrf }, body: { userId: other.id } })).status,
    ).toBe(200);
    expect((await s.call('GET', '/api/v1/account', { headers: { cookie } })).body.data.id).toBe(other.id);
    const all = await s.call('GET', '/console/v1/orders', { headers: { cookie } });
    expect(all.body.data.items).toHaveLength(1);
    expect(all.body.data.items[0]).toMatchObject({ userId: demo.id });
    // Another server on the same database with another admin token: the session is over.
    const rotated = createApp({ engine: s.engine, adminToken: 'jma_another_token_0123456789', console: { assetsDir: assetsDir() } });
    const server = await listen(rotated, s.engine, { port: 0, tickMs: 0 });
    try {
      const res = await fetch(`${server.url}/admin/v1/users`, { headers: { cookie } });
      expect(res.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('streams a user their own order changes and balance, within the same turn as the change', async () => {
    const s = await consoleServer();
    const me = s.createUser();
    const other = s.createUser();
    const login = await s.call('POST', '/console/v1/session', { key: me.key, body: {} });
    const ac = new AbortController();
    const res = await fetch(`${s.url}/console/v1/me/stream`, { headers: { cookie: cookieOf(login) }, signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil('event: hello');
    await s.call('POST', '/api/v1/orders', { key: other.key, body: { service: 'tg', country: 7 } });
    const mine = await s.call('POST', '/api/v1/orders', { key: me.key, body: { service: 'tg', country: 7 } });
    await readUntil('event: balances');
    ac.abort();
    const frames = text.split('\n\n').filter((f) => f.startsWith('event: orders'));
    const ids = frames.flatMap((f) => (JSON.parse(f.split('data: ')[1]!) as Array<{ id: string }>).map((o) => o.id));
    expect(ids).toEqual([mine.body.data.id]);
    expect(text).not.toContain(other.id);
  });
});
