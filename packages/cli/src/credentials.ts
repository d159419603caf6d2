/**
 * The local credentials file a `jiema serve` on a database file leaves for the CLI on the same
 * machine: `<db folder>/<db name>.credentials.json`, mode 0600 (`.jiema/jiema.credentials.json`
 * for the default database). It holds what the database itself keeps only as hashes (the admin
 * token, the facade key) and the demo user's key, so `jiema balance` and the admin commands work
 * right after `jiema serve` with no flags (docs/decisions.md D46). For a PostgreSQL URL the file
 * is `.jiema/postgres-<digest of the URL>.credentials.json`; the other commands find it with the
 * same `--db postgres://…`.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { isPostgresUrl } from '@jiema/core';

export interface LocalCredentials {
  /** Where the server answered when it last started. */
  baseUrl?: string;
  adminToken?: string;
  /** The demo user's key (simulator, or --demo). */
  apiKey?: string;
  userId?: string;
  /** The key the simulator's upstream-protocol facades accept. */
  facadeKey?: string;
}

const FIELDS = ['baseUrl', 'adminToken', 'apiKey', 'userId', 'facadeKey'] as const;

export function credentialsPath(dbPath: string): string {
  if (isPostgresUrl(dbPath)) return postgresCredentialsPath(dbPath);
  const abs = resolve(dbPath);
  return join(dirname(abs), `${basename(abs).replace(/\.(db|sqlite3?)$/i, '')}.credentials.json`);
}

/**
 * A PostgreSQL database has no folder of its own: its credentials file is kept in ./.jiema (where
 * the default database lives), named by a digest of the URL without its password — which is
 * never written to the file, nor used in its name.
 */
function postgresCredentialsPath(url: string): string {
  let key = url;
  try {
    const u = new URL(url);
    u.password = '';
    key = u.toString();
  } catch {
    // not parseable: the server refuses it before anything is written
  }
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return resolve('.jiema', `postgres-${digest}.credentials.json`);
}

/** The credentials kept beside a database, or undefined when there are none (or they are unreadable). */
export function readCredentials(dbPath: string): LocalCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(credentialsPath(dbPath), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const out: LocalCredentials = {};
    for (const f of FIELDS) if (typeof parsed[f] === 'string' && parsed[f] !== '') out[f] = parsed[f];
    return out;
  } catch {
    return undefined;
  }
}

/** Merges `update` into the file (undefined fields are left as they are; null removes). Written 0600, atomically. */
export function writeCredentials(dbPath: string, update: { [K in keyof LocalCredentials]?: string | null }): LocalCredentials {
  const path = credentialsPath(dbPath);
  const next: Record<string, string> = { ...readCredentials(dbPath) };
  for (const f of FIELDS) {
    const v = update[f];
    if (v === null) delete next[f];
    else if (v !== undefined) next[f] = v;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return next;
}
