/**
 * What a local `jiema serve` leaves behind in ./.jiema: the SQLite file, and in it the admin
 * token, so other commands on the same machine find the server's admin token without flags.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { getSetting, openDatabase, setSetting } from '@jiema/core';
import { randomBytes } from 'node:crypto';

export const DEFAULT_DB = '.jiema/jiema.db';
export const DEFAULT_URL = 'http://127.0.0.1:8787';

/** The admin token stored in a local database, if there is one. */
export function localAdminToken(dbPath = DEFAULT_DB): string | undefined {
  const path = resolve(dbPath);
  if (!existsSync(path)) return undefined;
  const db = openDatabase({ path });
  try {
    return getSetting(db, 'admin_token');
  } finally {
    db.close();
  }
}

/** The admin token for a database: the given one, the stored one, or a new one (then stored). */
export function ensureAdminToken(dbPath: string | null, given?: string): string {
  if (given) return given;
  if (dbPath === null) return `jma_${randomBytes(24).toString('base64url')}`;
  const db = openDatabase({ path: resolve(dbPath) });
  try {
    let token = getSetting(db, 'admin_token');
    if (!token) {
      token = `jma_${randomBytes(24).toString('base64url')}`;
      setSetting(db, 'admin_token', token);
    }
    return token;
  } finally {
    db.close();
  }
}
