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

/**
 * Where the CLI connects, and with what, when flags leave it open: the server named by
 * --base-url/JIEMA_BASE_URL, else the one the local credentials file names, else the default
 * address. The saved demo key and admin token are used only for the server they were saved for
 * (docs/decisions.md D76): a local key is never sent to another server.
 */
export function localConnection(
  baseUrl: string | undefined,
  dbPath = DEFAULT_DB,
): { baseUrl: string; local: boolean; apiKey?: string; adminToken?: string } {
  const creds = readCredentials(dbPath);
  const saved = creds?.baseUrl?.replace(/\/+$/, '');
  const url = (baseUrl ?? saved ?? DEFAULT_URL).replace(/\/+$/, '');
  const local = saved === undefined ? url === DEFAULT_URL : url === saved;
  return {
    baseUrl: url,
    local,
    ...(local && creds && creds.apiKey && { apiKey: creds.apiKey }),
    ...(local && creds?.adminToken && { adminToken: creds.adminToken }),
  };
}
