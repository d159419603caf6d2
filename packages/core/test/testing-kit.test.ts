/**
 * The test kit itself (docs/decisions.md D150–D152): what `startTestServer` promises beyond what
 * every server test already exercises, and that `@jiema/core/testing/server` loads without vitest.
 * The last check needs the build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/index.js';
import { startTestServer, useTestServer, useTestServers } from '../src/testing.js';

const start = useTestServers();
const s = useTestServer();

describe('startTestServer', () => {
  it('keeps a temporary database file while it runs and removes it on close, which may be called twice', async () => {
    const t = await startTestServer({ tempDb: true });
    expect(t.dbPath).toMatch(/jiema\.db$/);
    expect(existsSync(t.dbPath!)).toBe(true);
    expect((await t.call('GET', '/healthz')).status).toBe(200);
    await t.close();
    await t.close();
    expect(existsSync(t.dbPath!)).toBe(false);
  });

  it('delivers an SMS the engine reads at once, and refuses one to a closed number', async () => {
    const u = s.createUser({ balanceCents: 500 });
    const order = (await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } })).body.data;
    await s.deliverSms(order.id, 'code 135790');
    expect(s.engine.stores.orders.get(order.id)?.status).toBe('RECEIVED');
    s.advance(21 * 60_000); // past the number's life at the upstream
    await expect(s.deliverSms(order.id, 'late 246802')).rejects.toThrow(/closed/);
  });

  it('moves only a manual clock', async () => {
    expect(s.advance(1_000)).toBe(s.clock.now());
    const real = await start({ clock: systemClock });
    expect(() => real.advance(1)).toThrow(/ManualClock/);
  });

  it('answers the admin API with its token and refuses a wrong one', async () => {
    expect((await s.admin('GET', '/admin/v1/users')).status).toBe(200);
    expect((await s.admin('GET', '/admin/v1/users', undefined, 'jma_wrong_token_0123456789abcdef')).status).toBe(401);
  });
});

describe('@jiema/core/testing/server', () => {
  it('loads without vitest', () => {
    const entry = fileURLToPath(new URL('../dist/testing/server.js', import.meta.url));
    const hooks = `export async function resolve(spec, context, next) { if (spec === 'vitest' || spec.startsWith('vitest/')) throw new Error('imported ' + spec); return next(spec, context); }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(pathToFileURL(entry).href)}); console.log(typeof m.startTestServer, typeof m.useTestServer);`,
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('function undefined');
  });
});
