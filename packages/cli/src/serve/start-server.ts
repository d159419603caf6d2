/**
 * Assembles what `jiema serve` runs: the simulator (fake upstream, virtual clock) by default, or
 * the engine on a real upstream adapter. Either way: a SQLite file (or memory), the admin token
 * kept in it, and a demo user created on first start.
 */
import { resolve } from 'node:path';
import {
  createLogger,
  getSetting,
  loadCatalogueFixture,
  setSetting,
  type Engine,
  type LogLevel,
} from '@jiema/core';
import { BehaviourConfigSchema, startSimulator, type Simulator } from '@jiema/simulator';
import { loadStructuredFile } from '../load-file.js';
import { ensureAdminToken } from '../local-state.js';
import { CliError, EXIT } from '../output.js';
import { startWithAdapter, type AdapterKind } from './adapter-server.js';

export interface ServeOptions {
  port: number;
  host: string;
  /** A file path, or null for memory (--ephemeral). */
  db: string | null;
  seed: number;
  clock: string;
  fixtures?: string | undefined;
  upstream: 'sim' | AdapterKind;
  upstreamUrl?: string | undefined;
  upstreamKey?: string | undefined;
  costRate?: string | undefined;
  adminToken?: string | undefined;
  logLevel: LogLevel;
  /** Demo user's opening balance on first start. */
  demoBalanceCents: number;
  /** The key the simulator's protocol facades accept (default: random). */
  facadeKey?: string | undefined;
  /** A YAML/JSON file with the simulator's behaviour. */
  behaviour?: string | undefined;
  reconcileAfterMs?: number | undefined;
}

export interface RunningServe {
  url: string;
  adminToken: string;
  engine: () => Engine;
  /** The demo key, when this start created it (or --json asked for a fresh one). */
  demoKey: string | undefined;
  demoUserId: string;
  upstream: string;
  /** With the simulator: where its upstream-protocol facades answer, and their key. */
  facade: { url: string; apiKey: string } | undefined;
  close(): Promise<void>;
}

export async function startServe(o: ServeOptions, options: { freshKey: boolean }): Promise<RunningServe> {
  const dbPath = o.db === null ? null : resolve(o.db);
  const adminToken = ensureAdminToken(dbPath, o.adminToken);
  const logger = (clock: { now(): number }) => createLogger({ clock, level: o.logLevel, destination: process.stderr });

  let engine: () => Engine;
  let close: () => Promise<void>;
  let url: string;
  let facade: RunningServe['facade'];
  try {
    if (o.upstream === 'sim') {
      const sim: Simulator = await startSimulator({
        seed: o.seed,
        clock: o.clock,
        port: o.port,
        host: o.host,
        db: dbPath ?? ':memory:',
        adminToken,
        ...(o.fixtures && { fixtures: resolve(o.fixtures) }),
        ...(o.facadeKey && { upstreamApiKey: o.facadeKey }),
        ...(o.behaviour && { behaviour: loadStructuredFile(o.behaviour, BehaviourConfigSchema) }),
        ...(o.reconcileAfterMs !== undefined && { reconcileAfterMs: o.reconcileAfterMs }),
        logger,
      });
      engine = () => sim.world.engine;
      close = () => sim.close();
      url = sim.url;
      facade = { url: `${sim.url}/stubs/handler_api.php`, apiKey: sim.upstreamApiKey };
    } else {
      const running = await startWithAdapter(o, { dbPath, adminToken, logger });
      engine = () => running.engine;
      close = running.close;
      url = running.url;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`Port ${o.port} on ${o.host} is already in use; pick another with --port.`, EXIT.UNREACHABLE);
    if (code === 'EACCES') throw new CliError(`Not allowed to listen on ${o.host}:${o.port}; pick a port above 1024 with --port.`, EXIT.UNREACHABLE);
    if (code === 'EADDRNOTAVAIL') throw new CliError(`${o.host} is not an address of this machine; use --host 127.0.0.1.`, EXIT.UNREACHABLE);
    throw err;
  }

  const e = engine();
  let demoKey: string | undefined;
  let demoUserId = getSetting(e.db, 'demo_user_id');
  if (!demoUserId || !e.accounts.getUser(demoUserId)) {
    const user = e.accounts.createUser({ displayName: 'Demo', balanceCents: o.demoBalanceCents });
    demoUserId = user.id;
    setSetting(e.db, 'demo_user_id', user.id);
    demoKey = e.accounts.createKey(user.id, 'demo').apiKey;
  } else if (options.freshKey) {
    // Scripts using --json get a working key on every start; the previous one is revoked.
    for (const k of e.accounts.listKeys(demoUserId)) if (k.name === 'serve --json' && k.revokedAt === null) e.accounts.revokeKey(demoUserId, k.id);
    demoKey = e.accounts.createKey(demoUserId, 'serve --json').apiKey;
  }
  return { url, adminToken, engine, demoKey, demoUserId, upstream: o.upstream, facade, close };
}

export { loadCatalogueFixture };
