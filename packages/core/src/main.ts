/**
 * `pnpm start` until the CLI's `jiema serve` lands: a local jiema-compatible server on
 * 127.0.0.1:8787, on a SQLite file, with an in-memory upstream built from the catalogue fixture
 * that delivers an SMS about 10 s after each number is bought. Prints the demo key once.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { loadCatalogueFixture } from './catalogue/catalogue-fixture.js';
import { createEngine } from './engine.js';
import { createApp } from './http/app.js';
import { createLogger, type LogLevel } from './logger.js';
import { systemClock } from './ports/clock.js';
import { cryptoRng } from './ports/rng.js';
import { listen } from './server.js';
import { getSetting, setSetting } from './settings.js';
import { MemoryUpstream } from './upstream/memory/memory-upstream.js';

async function main(): Promise<void> {
  const port = Number(process.env.JIEMA_PORT ?? 8787);
  const host = process.env.JIEMA_HOST ?? '127.0.0.1';
  const dbPath = resolve(process.env.JIEMA_DB ?? '.jiema/jiema.db');
  const log = createLogger({ clock: systemClock, level: (process.env.JIEMA_LOG_LEVEL as LogLevel | undefined) ?? 'warn' });
  const fixture = loadCatalogueFixture();
  const templates = new Map(fixture.services.map((s) => [s.code, s]));
  const upstream = new MemoryUpstream({
    clock: systemClock,
    catalogue: {
      countries: fixture.countries.map((c) => ({ id: c.id, name: c.name })),
      services: fixture.services.map((s) => ({ code: s.code, name: s.name })),
      offers: fixture.offers,
    },
    autoSmsAfterMs: 10_000,
    autoSmsText: (service, n) => {
      const s = templates.get(service);
      const length = s?.codeLength ?? 6;
      const code = String(Math.floor(10 ** (length - 1) + cryptoRng.next() * 9 * 10 ** (length - 1)));
      return (s?.smsTemplates[n % s.smsTemplates.length] ?? 'Your code is {code}').replaceAll('{code}', code);
    },
  });
  const engine = createEngine({ upstream, db: dbPath, logger: log, fixture });
  const adminToken = process.env.JIEMA_ADMIN_TOKEN ?? getSetting(engine.db, 'admin_token') ?? `jma_${randomBytes(24).toString('base64url')}`;
  if (!process.env.JIEMA_ADMIN_TOKEN) setSetting(engine.db, 'admin_token', adminToken);
  const app = createApp({ engine, adminToken });
  let running;
  try {
    running = await listen(app, engine, { port, host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    console.error(code === 'EADDRINUSE' ? `Port ${port} on ${host} is already in use; set JIEMA_PORT to another port.` : `Could not start: ${(err as Error).message}`);
    engine.close();
    process.exit(1);
  }
  let demoKey: string | undefined;
  if (!getSetting(engine.db, 'demo_user_id')) {
    const user = engine.accounts.createUser({ displayName: 'Demo', balanceCents: 1_000 });
    demoKey = engine.accounts.createKey(user.id, 'demo').apiKey;
    setSetting(engine.db, 'demo_user_id', user.id);
  }
  console.log(`jiema server listening on ${running.url}  (database ${dbPath})`);
  console.log(`admin token: ${adminToken}`);
  if (demoKey) {
    console.log(`demo API key (shown only now): ${demoKey}`);
    console.log(`try: curl -s -H 'Authorization: Bearer ${demoKey}' ${running.url}/api/v1/account`);
  } else {
    console.log('The demo user exists already; its key was printed on first start. Issue another with the admin API.');
  }
  const stop = async (signal: string) => {
    console.log(`${signal}: shutting down`);
    await running.close();
    engine.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

void main();
