/**
 * What a local `jiema serve` leaves behind in ./.jiema: the SQLite file, and beside it the 0600
 * credentials file (credentials.ts) from which the other commands on the same machine take the
 * admin token and the demo key without flags.
 */
import { resolve } from 'node:path';
import { peekSettings } from '@jiema/core';
import { readCredentials } from './credentials.js';

export const DEFAULT_DB = '.jiema/jiema.db';
export const DEFAULT_URL = 'http://127.0.0.1:8787';

/** The admin token a local server saved for the CLI (or, from the first release, kept in its database). */
export function localAdminToken(dbPath = DEFAULT_DB): string | undefined {
  return readCredentials(dbPath)?.adminToken ?? peekSettings(resolve(dbPath)).get('admin_token');
}
