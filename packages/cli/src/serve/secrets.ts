/**
 * The secrets `jiema serve` starts with (docs/decisions.md D45, D46): the admin token and the
 * simulator's facade key. The database keeps only their SHA-256 digests; the plain text lives in
 * the 0600 credentials file beside it, for the CLI on the same machine. A supplied token (flag or
 * JIEMA_ADMIN_TOKEN) is used as given and never stored or printed.
 */
import { randomBytes } from 'node:crypto';
import { secretMatches } from '@jiema/core/http';
import type { LocalCredentials } from '../credentials.js';

export const SETTING = {
  adminTokenSha256: 'admin_token_sha256',
  facadeKeySha256: 'facade_key_sha256',
  demoUserId: 'demo_user_id',
  /** The first release kept the admin token itself here; it is moved out on the next start. */
  legacyAdminToken: 'admin_token',
} as const;

export type SecretSource = 'supplied' | 'saved' | 'generated';

export interface ChosenSecret {
  value: string;
  source: SecretSource;
  /** A digest was stored but the saved plain text is gone, so a new secret replaced it. */
  replacedLost: boolean;
}

export const newAdminToken = (): string => `jma_${randomBytes(24).toString('base64url')}`;
export const newFacadeKey = (): string => `sim_${randomBytes(16).toString('hex')}`;

/** Picks a secret: the supplied one, the saved one when it still matches the stored digest, or a new one. */
export function chooseSecret(
  supplied: string | undefined,
  saved: string | undefined,
  storedSha256: string | undefined,
  make: () => string,
): ChosenSecret {
  if (supplied) return { value: supplied, source: 'supplied', replacedLost: false };
  if (saved && (storedSha256 === undefined || secretMatches(saved, storedSha256)))
    return { value: saved, source: 'saved', replacedLost: false };
  return { value: make(), source: 'generated', replacedLost: storedSha256 !== undefined };
}

/** The admin token a database's previous runs used: the saved file, or the first release's clear-text setting. */
export function savedAdminToken(creds: LocalCredentials | undefined, settings: Map<string, string>): string | undefined {
  return creds?.adminToken ?? settings.get(SETTING.legacyAdminToken);
}
