/**
 * Issue #12, as a developer meets it, through the real binary: the default server always sends a
 * code, `buy --wait` checks its flags before it buys, `replay` runs the same files in-process and
 * against a running server, and the terminal tools drive and watch a local server.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, BIN, cleanEnv, jiema, REPO, serve, tempDir, type Served } from './helpers.js';

const servers: Served[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});
async function started(args: string[], options: Parameters<typeof serve>[1] = {}): Promise<Served> {
  const s = await serve(args, options);
  servers.push(s);
  return s;
}

/** Runs the binary inside a pseudo-terminal (util-linux `script`), so stdout is a TTY. */
function inTerminal(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO, env: cleanEnv({ ...env, COLUMNS: '120' }) });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end();
  });
}

describe('behaviour presets (#12 item 1)', () => {
  it.each([1, 2, 3, 97])('a fresh default server with seed %i: the first buy --wait gets a code', async (seed) => {
    // The default behaviour (ideal) on an accelerated clock: 5–40 s of virtual time pass in well under a second.
    const s = await started(['--ephemeral', '--seed', String(seed), '--clock', '100x']);
    const env = { JIEMA_BASE_URL: s.url, JIEMA_API_KEY: s.apiKey! };
    for (const [service, country] of [
      ['tg', 'my'],
      ['wa', 'gb'],
    ]) {
      const r = await jiema(['buy', service!, country!, '--wait', '--interval', '1s', '--timeout', '10m', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.at(-1)).toMatchObject({ status: 'RECEIVED', smsCode: expect.stringMatching(/^\d{4,8}$/) });
    }
  });

  it('--behaviour scripted sends nothing until asked; realistic and a file are accepted; a bad name is refused', async () => {
    const s = await started(['--ephemeral', '--behaviour', 'scripted', '--clock', 'manual']);
    const order = JSON.parse(
      (await jiema(['buy', 'tg', 'my', '--json'], { env: { JIEMA_BASE_URL: s.url, JIEMA_API_KEY: s.apiKey! } })).stdout,
    );
    await api(s.url, '/_sim/v1/clock/advance', { admin: s.adminToken, method: 'POST', body: { ms: 15 * 60_000 } });
    expect((await api(s.url, `/api/v1/orders/${order.id}`, { key: s.apiKey! })).body.data.status).toBe('WAITING');
    expect((await api(s.url, '/_sim/v1/behaviour', { admin: s.adminToken })).body.data.default).toMatchObject({ noSmsProbability: 1 });

    const realistic = await started(['--ephemeral', '--behaviour', 'realistic']);
    expect((await api(realistic.url, '/_sim/v1/behaviour', { admin: realistic.adminToken })).body.data.default).toMatchObject({
      noSmsProbability: 0.05,
    });
    const dir = tempDir();
    writeFileSync(join(dir, 'slow.yaml'), 'preset: ideal\ndefault: { smsDelayMs: { min: 60000, max: 60000 } }\n');
    const fromFile = await started(['--ephemeral', '--behaviour', join(dir, 'slow.yaml')]);
    expect((await api(fromFile.url, '/_sim/v1/behaviour', { admin: fromFile.adminToken })).body.data.default).toMatchObject({
      noSmsProbability: 0,
      smsDelayMs: { min: 60_000 },
    });

    const bad = await jiema(['serve', '--ephemeral', '--port', '0', '--behaviour', 'chaotic']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--behaviour takes ideal, realistic, scripted or a behaviour file; chaotic is neither/);
  });
});

describe('buy --wait (#12 item 2)', () => {
  it('refuses bad flags before it buys anything', async () => {
    const s = await started(['--ephemeral', '--clock', 'manual']);
    const env = { JIEMA_BASE_URL: s.url, JIEMA_API_KEY: s.apiKey! };
    const before = (await api(s.url, '/api/v1/account', { key: s.apiKey! })).body.data.balanceCents;
    for (const flags of [['--timeout', 'abc'], ['--interval', 'soon'], ['--timeout', '0'], ['--timeout=-5s']]) {
      const r = await jiema(['buy', 'tg', 'my', '--wait', ...flags], { env });
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^jiema: --(timeout|interval) /);
    }
    expect((await api(s.url, '/api/v1/account', { key: s.apiKey! })).body.data.balanceCents).toBe(before);
    expect((await api(s.url, '/api/v1/orders', { key: s.apiKey! })).body.data.items).toHaveLength(0);
  });

  it('reads bare numbers as seconds, polls no faster than once a second, and cancels for a refund when it times out', async () => {
    const s = await started(['--ephemeral', '--clock', 'manual']);
    const env = { JIEMA_BASE_URL: s.url, JIEMA_API_KEY: s.apiKey! };
    const before = (await api(s.url, '/api/v1/account', { key: s.apiKey! })).body.data.balanceCents;
    // Past the early-cancel hold, so the timeout's cancel is allowed.
    const t0 = Date.now();
    const r = await jiema(['buy', 'tg', 'my', '--wait', '--timeout', '3', '--interval', '0'], { env });
    const took = Date.now() - t0;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/below the 1 s floor/);
    expect(took).toBeGreaterThanOrEqual(2_900);
    const polls = (await api(s.url, '/_sim/v1/events?type=api.request', { admin: s.adminToken })).body.data.items.filter(
      (e: any) => e.data.method === 'GET' && /^\/api\/v1\/orders\/ck/.test(e.data.path),
    );
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.length).toBeLessThanOrEqual(5);
    // Within the early-cancel hold the cancel is refused, and the message says so.
    expect(r.stderr).toMatch(/No SMS for order ck\w+ within 3 s \(last seen WAITING\)\. (Cancelled .*refunded|Not cancelled \([A-Z_]+\))/);
    expect(before).toBeTypeOf('string');
  });

  it('on a terminal shows the phone, the time waited and each change of status; piped output stays plain', async () => {
    const s = await started(['--ephemeral', '--clock', '20x']);
    const env = { JIEMA_BASE_URL: s.url, JIEMA_API_KEY: s.apiKey! };
    const tty = await inTerminal(['buy', 'tg', 'my', '--wait', '--interval', '1s'], env);
    expect(tty.code, tty.output).toBe(0);
    expect(tty.output).toMatch(/Phone: \+60\d+/);
    expect(tty.output).toMatch(/\+60\d+ +WAITING +0:0\d/);
    expect(tty.output).toMatch(/WAITING → RECEIVED/);
    expect(tty.output).toMatch(/Code: \d{4,8}/);
    const piped = await jiema(['buy', 'tg', 'my', '--wait', '--interval', '1s'], { env });
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toMatch(/\x1b|\r/);
    expect(piped.stdout).toMatch(/^Phone: .*\nWaiting for the SMS….*\nCode: \d+\nSMS: /);
  });
});

describe('replay (#12 item 3)', () => {
  it('passes every bundled scenario identically in-process and against jiema serve --clock manual, twice in a row', async () => {
    const local = await jiema(['replay', 'fixtures/scenarios', '--reporter', 'json']);
    expect(local.code, local.stdout).toBe(0);
    const inProcess = JSON.parse(local.stdout);
    expect(inProcess.passed).toBeGreaterThanOrEqual(18);
    const s = await started(['--ephemeral', '--clock', 'manual']);
    for (let round = 0; round < 2; round++) {
      const remote = await jiema(['replay', 'fixtures/scenarios', '--target', s.url, '--admin-token', s.adminToken, '--reporter', 'json']);
      const report = JSON.parse(remote.stdout);
      expect(
        report.scenarios
          .filter((x: any) => x.status !== 'passed')
          .map((x: any) => `${x.file}: ${x.error ?? JSON.stringify(x.steps.find((st: any) => st.status === 'failed'))}`),
      ).toEqual([]);
      expect(report.passed).toBe(inProcess.passed);
      expect(report.scenarios.flatMap((x: any) => x.steps).filter((st: any) => st.status === 'skipped')).toEqual([]);
      expect(remote.code).toBe(0);
    }
  });

  it('refuses a setup field the target cannot apply, with the reason', async () => {
    const s = await started(['--ephemeral', '--clock', 'manual']);
    const r = await jiema(['replay', 'fixtures/scenarios/no-sms-refund.yaml', '--target', s.url, '--key', `alice=${s.apiKey}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /fixtures\/scenarios\/no-sms-refund\.yaml:\d+:\d+: setup failed: setup\.behaviour cannot be applied to http:\/\/127\.0\.0\.1:\d+: it has no simulator control API/,
    );
  });

  it('accepts folders and globs; names file:line:col of a failing step; JUnit cases carry file and line; --output writes the report', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'more'));
    writeFileSync(
      join(dir, 'failing.yaml'),
      `name: Fails at step two
setup:
  users: [{ as: me, balanceCents: 100 }]
steps:
  - { as: me, request: GET /api/v1/account, expect: { status: 200 } }
  - as: me
    request: GET /api/v1/account
    expect: { body: { data: { balanceCents: "999" } } }
`,
    );
    writeFileSync(
      join(dir, 'more', 'ok.yml'),
      'name: Passes\nsetup: { users: [{ as: me }] }\nsteps:\n  - { as: me, request: GET /api/v1/account, expect: { status: 200 } }\n',
    );
    writeFileSync(join(dir, 'scenario.schema.json'), '{"not": "a scenario"}');
    const folder = await jiema(['replay', dir]);
    expect(folder.code).toBe(1);
    expect(folder.stdout).toMatch(/\[1\/2\] Fails at step two/);
    expect(folder.stdout).toContain(`at ${dir}/failing.yaml:6:5`);
    const glob = await jiema(['replay', `${dir}/**/*.yml`]);
    expect(glob.code).toBe(0);

    const out = join(dir, 'report.xml');
    const junit = await jiema(['replay', join(dir, 'failing.yaml'), '--reporter', 'junit', '--output', out]);
    expect(junit.code).toBe(1);
    expect(junit.stdout).toContain('✗ GET /api/v1/account');
    expect(junit.stdout).toContain(`Report written to ${out}`);
    const xml = readFileSync(out, 'utf8');
    expect(xml).toMatch(
      new RegExp(`<testcase classname="Fails at step two" name="2\\. GET /api/v1/account" file="${dir}/failing\\.yaml" line="6"`),
    );
    expect(xml).toMatch(/name="1\. GET \/api\/v1\/account" file="[^"]+" line="5"/);
  });

  it('refuses an unknown matcher when the file loads, naming where it is', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'typo.yaml'),
      'name: Typo\nsetup: { users: [{ as: me }] }\nsteps:\n  - as: me\n    request: GET /api/v1/account\n    expect: { body: { data: { id: $uuid } } }\n',
    );
    const r = await jiema(['replay', join(dir, 'typo.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'typo.yaml')}:6:`);
    expect(r.stderr).toMatch(/steps\[0\]\.expect\.body\.data\.id: unknown matcher "\$uuid"/);
  });
});

describe('conveniences (#12 item 5)', () => {
  it('suggests a service or country for a typo, in the API message and in the CLI; lists countries', async () => {
    const s = await started(['--ephemeral', '--clock', 'manual']);
    const env = { JIEMA_BASE_URL: s.url, JIEMA_API_KEY: s.apiKey! };
    const typo = await api(s.url, '/api/v1/orders', { key: s.apiKey!, method: 'POST', body: { service: 'telegarm', country: 'my' } });
    expect(typo.status).toBe(400);
    expect(typo.body).toMatchObject({
      ok: false,
      code: 'BAD_SERVICE',
      message: expect.stringContaining('Did you mean "telegram" (Telegram)?'),
    });
    const country = await api(s.url, '/api/v1/orders', { key: s.apiKey!, method: 'POST', body: { service: 'tg', country: 'malasia' } });
    expect(country.body).toMatchObject({ code: 'BAD_COUNTRY', message: expect.stringContaining('Did you mean "my" (Malaysia, id 7)?') });

    const buy = await jiema(['buy', 'telegarm', 'my'], { env });
    expect(buy.code).toBe(1);
    expect(buy.stderr).toMatch(/^jiema: BAD_SERVICE: Unknown service "telegarm"\. Did you mean "telegram" \(Telegram\)\?/);
    const prices = await jiema(['prices', 'whatsap'], { env });
    expect(prices.stderr).toContain('Did you mean "whatsapp"');
    const countries = await jiema(['countries'], { env });
    expect(countries.code).toBe(0);
    expect(countries.stdout).toMatch(/^ID +SLUG +NAME\n/);
    expect(countries.stdout).toMatch(/\n7 +my +Malaysia\n/);
    const json = JSON.parse((await jiema(['countries', '--json'], { env })).stdout);
    expect(json.items).toContainEqual({ id: 7, slug: 'my', name: 'Malaysia' });
  });

  it('after `jiema serve` on the default database, balance and admin commands need no flags; the key is never sent elsewhere', async () => {
    const dir = tempDir();
    const s = await started([], { cwd: dir });
    const creds = join(dir, '.jiema', 'jiema.credentials.json');
    const { statSync } = await import('node:fs');
    expect(statSync(creds).mode & 0o777).toBe(0o600);
    const balance = await jiema(['balance'], { cwd: dir });
    expect(balance.code, balance.stderr).toBe(0);
    expect(balance.stdout).toMatch(/^\$10\.00 \(1000 cents\)/);
    const users = await jiema(['users', 'list'], { cwd: dir });
    expect(users.code, users.stderr).toBe(0);
    expect(users.stdout).toContain(s.userId);
    // Another server: the saved key and token stay home.
    const other = await jiema(['balance', '--base-url', 'http://127.0.0.1:9'], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/No API key/);
    const otherAdmin = await jiema(['users', 'list', '--base-url', 'http://127.0.0.1:9'], { cwd: dir });
    expect(otherAdmin.code).toBe(2);
    expect(otherAdmin.stderr).toMatch(/No admin token/);
  });
});

describe('terminal tools for a running local server (#12 item 6)', () => {
  it('jiema sim delivers an SMS, moves and shows the clock, arms, lists and clears faults, sets stock, resets; jiema events shows it all', async () => {
    const s = await started(['--ephemeral', '--clock', 'manual', '--behaviour', 'scripted']);
    const env = { JIEMA_BASE_URL: s.url, JIEMA_API_KEY: s.apiKey!, JIEMA_ADMIN_TOKEN: s.adminToken };
    const order = JSON.parse((await jiema(['buy', 'tg', 'my', '--json'], { env })).stdout);
    const sms = await jiema(['sim', 'sms', order.id, '--body', 'Telegram code 48213'], { env });
    expect(sms.code, sms.stderr).toBe(0);
    expect(sms.stdout).toBe(`SMS delivered to ${order.id} (code 48213): Telegram code 48213\n`);
    expect((await api(s.url, `/api/v1/orders/${order.id}`, { key: s.apiKey! })).body.data).toMatchObject({
      status: 'RECEIVED',
      smsCode: '48213',
    });

    const clock0 = JSON.parse((await jiema(['sim', 'clock', '--json'], { env })).stdout);
    const advanced = await jiema(['sim', 'advance', '5m'], { env });
    expect(advanced.stdout).toMatch(/^Virtual time is now 2026-01-01T00:05:00\.000Z\.\n$/);
    const clock1 = JSON.parse((await jiema(['sim', 'clock', '--json'], { env })).stdout);
    expect(clock1.nowMs - clock0.nowMs).toBe(300_000);
    expect((await jiema(['sim', 'clock'], { env })).stdout).toMatch(/^2026-01-01T00:05:00\.000Z {2}\(manual/);

    const armed = await jiema(['sim', 'fault', 'arm', 'error', '--error', 'UNAVAILABLE', '--method', 'buy', '--times', '2'], { env });
    expect(armed.code, armed.stderr).toBe(0);
    expect(armed.stdout).toMatch(/^Armed \S+: error UNAVAILABLE on buy, next 2 call\(s\)\.\n$/);
    expect((await jiema(['sim', 'fault', 'list'], { env })).stdout).toMatch(/^ID +KIND +ERROR +METHOD.*\n\S+ +error +UNAVAILABLE +buy +2 /);
    // The buy meets the fault at the upstream (the event log below shows it fired).
    await jiema(['buy', 'tg', 'my'], { env });
    expect((await jiema(['sim', 'fault', 'clear'], { env })).stdout).toMatch(/^Cleared [01] fault\(s\)\.\n$/);

    expect((await jiema(['sim', 'stock', 'tg', 'my', '0'], { env })).stdout).toBe('Stock of tg in country 7 is now 0.\n');
    expect((await jiema(['buy', 'tg', 'my'], { env })).stderr).toMatch(/NO_NUMBERS/);

    const events = await jiema(['events'], { env });
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}request +POST \/api\/v1\/orders → 200 {2}\d+ ms/m);
    expect(events.stdout).toMatch(new RegExp(`order +${order.id} tg/7 {2}new, WAITING`));
    expect(events.stdout).toMatch(new RegExp(`order +${order.id} tg/7 {2}WAITING → RECEIVED`));
    expect(events.stdout).toMatch(/sms +SMS #1 to activation \d+ \(tg\/7\)/);
    expect(events.stdout).toMatch(/fault +armed \S+: error on buy/);
    expect(events.stdout).toMatch(/fault +fired \S+: error on buy/);
    expect(events.stdout).toMatch(/clock +advanced 5m/);
    const orderEvents = (await jiema(['events', '--type', 'order', '--json'], { env })).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.data.orderId === order.id);
    expect(orderEvents.map((e) => e.type)).toEqual(['order.status', 'order.status']);
    expect(orderEvents[1].data).toMatchObject({ orderId: order.id, from: 'WAITING', status: 'RECEIVED' });

    expect((await jiema(['sim', 'behaviour', 'ideal'], { env })).code).toBe(0);
    expect((await api(s.url, '/_sim/v1/behaviour', { admin: s.adminToken })).body.data.default.noSmsProbability).toBe(0);
    const reset = await jiema(['sim', 'reset', '--seed', '5'], { env });
    expect(reset.stdout).toMatch(/started over/);
    expect((await api(s.url, '/api/v1/orders', { key: s.apiKey! })).body.data.items).toHaveLength(0);
    // A plain reset goes back to the server's own behaviour.
    expect((await api(s.url, '/_sim/v1/behaviour', { admin: s.adminToken })).body.data.default.noSmsProbability).toBe(1);
  }, 90_000); // A buy during the armed fault waits for the engine's real-time retry; under a full-suite load the whole journey has taken 30 s.

  it('jiema events --follow prints new events as they happen until Ctrl-C', async () => {
    const s = await started(['--ephemeral', '--clock', 'manual']);
    const env = { JIEMA_BASE_URL: s.url, JIEMA_API_KEY: s.apiKey!, JIEMA_ADMIN_TOKEN: s.adminToken };
    const child = spawn(process.execPath, [BIN, 'events', '--follow', '--type', 'request'], { cwd: REPO, env: cleanEnv(env) });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => setTimeout(r, 800));
    await api(s.url, '/api/v1/account', { key: s.apiKey! });
    const deadline = Date.now() + 10_000;
    while (!out.includes('GET /api/v1/account → 200') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/request +GET \/api\/v1\/account → 200/);
    expect(out).not.toMatch(/order +|\/_sim\/v1\/events/);
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
  });

  it('jiema serve on a terminal prints one readable line per request; off a terminal its logs are JSON', async () => {
    const command = [process.execPath, BIN, 'serve', '--ephemeral', '--port', '0', '--no-console'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO, env: cleanEnv() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const deadline = Date.now() + 20_000;
    while (!/ready at (http:\/\/\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const url = /ready at (http:\/\/\S+)/.exec(out)![1]!;
    const key = /demo API key: +(jm_\S+)/.exec(out)![1]!;
    await api(url, '/api/v1/account', { key });
    await api(url, '/api/v1/orders/nope', { key });
    while (!out.includes('/api/v1/orders/nope') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/\d\d:\d\d:\d\d\.\d{3} {2}request +GET \/api\/v1\/account → 200 {2}\d+ ms {2}jm_…\w{4}/);
    expect(out).toMatch(/request +GET \/api\/v1\/orders\/nope → 404/);
    expect(out).not.toMatch(/\{"level"/);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));

    // Not a terminal: JSON lines, at the chosen level; --log-format pretty asks for readable lines anyway.
    const json = await started(['--ephemeral', '--log-level', 'info']);
    await api(json.url, '/api/v1/account', { key: json.apiKey! });
    await new Promise((r) => setTimeout(r, 300));
    const lines = json.output().stderr.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const pretty = await started(['--ephemeral', '--log-format', 'pretty']);
    await api(pretty.url, '/api/v1/account', { key: pretty.apiKey! });
    await new Promise((r) => setTimeout(r, 300));
    expect(pretty.output().stderr).toMatch(/request +GET \/api\/v1\/account → 200/);
  });
});

describe('production safety gaps (#12 item 4)', () => {
  it('puts no secret in an error message', async () => {
    const key = `jm_${'A'.repeat(39)}WXYZ`;
    const token = 'jma_SuperSecretAdminToken123';
    const stray = await jiema(['balance', key, token]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).not.toContain(key);
    expect(stray.stderr).not.toContain(token);
    expect(stray.stderr).toContain('jm_…WXYZ');
    const badKey = await jiema(['replay', 'fixtures/scenarios/happy-path.yaml', '--key', 'alice=sk_live_hunter2']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).not.toContain('hunter2');
    expect(badKey.stderr).toContain('--key takes name=jm_…');
  });
});
