/**
 * The accounts' storage (docs/decisions.md D125): users and their API keys. Balances are read here
 * with the user but only ever changed by the money service (docs/decisions.md D131). Every method
 * joins the caller's transaction; the account service decides where transactions begin and end.
 */
import type { Db } from '../storage/database.js';

export interface User {
  id: string;
  displayName: string;
  lang: string;
  referralCode: string;
  balanceCents: number;
  bannedAt: number | null;
  banReason: string | null;
  createdAt: number;
}

export interface ApiKeyInfo {
  id: string;
  userId: string;
  name: string | null;
  hint: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface NewUser {
  id: string;
  displayName: string;
  lang: string;
  referralCode: string;
  createdAt: number;
  /** A stable handle from outside (a seed file's `ref`), unique across users. */
  externalRef: string | null;
}

export interface NewApiKey {
  id: string;
  userId: string;
  /** The SHA-256 of the key (hashApiKey); the key itself is never stored. */
  hash: string;
  hint: string;
  name: string | null;
  createdAt: number;
}

export interface AccountStore {
  /** A new user with a zero balance (an opening balance is a ledger entry, made by the money service). */
  insertUser(user: NewUser): void;
  getUser(id: string): User | undefined;
  findUserByExternalRef(ref: string): User | undefined;
  isReferralCodeTaken(code: string): boolean;
  /** Newest first, ids below `before` (all when undefined). */
  listUsers(limit: number, before: string | undefined): User[];
  /** False when there is no such user. */
  updateProfile(userId: string, displayName: string, lang: string): boolean;
  /** Bans (a time) or unbans (null); false when there is no such user. */
  setBanned(userId: string, bannedAt: number | null, reason: string | null): boolean;

  insertKey(key: NewApiKey): void;
  /** The key with this hash, revoked or not: what authentication and imports look up. */
  findKeyByHash(hash: string): ApiKeyInfo | undefined;
  getKey(userId: string, keyId: string): ApiKeyInfo | undefined;
  /** A user's keys, revoked ones included, oldest first. */
  listKeys(userId: string): ApiKeyInfo[];
  countActiveKeys(userId: string): number;
  /** Revokes a key not yet revoked; false when it already was (or does not exist). */
  revokeKey(keyId: string, at: number): boolean;
  /** Records a key's last use (written at most once a minute per key by the service). */
  touchKey(keyId: string, at: number): void;
  /** Removes a user's keys outright (tests: a well-formed key no row knows); returns how many. */
  deleteKeys(userId: string): number;
}

interface UserRow {
  id: string;
  display_name: string;
  lang: string;
  referral_code: string;
  balance_cents: number;
  banned_at: number | null;
  ban_reason: string | null;
  created_at: number;
}

interface KeyRow {
  id: string;
  user_id: string;
  name: string | null;
  hint: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  displayName: r.display_name,
  lang: r.lang,
  referralCode: r.referral_code,
  balanceCents: r.balance_cents,
  bannedAt: r.banned_at,
  banReason: r.ban_reason,
  createdAt: r.created_at,
});

const toKey = (r: KeyRow): ApiKeyInfo => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  hint: r.hint,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const KEY_COLUMNS = 'id, user_id, name, hint, created_at, last_used_at, revoked_at';

export class SqliteAccountStore implements AccountStore {
  private readonly insertUserStmt;
  private readonly getUserStmt;
  private readonly byExternalRefStmt;
  private readonly referralTakenStmt;
  private readonly listUsersStmt;
  private readonly updateProfileStmt;
  private readonly setBannedStmt;
  private readonly insertKeyStmt;
  private readonly keyByHashStmt;
  private readonly getKeyStmt;
  private readonly listKeysStmt;
  private readonly countActiveStmt;
  private readonly revokeStmt;
  private readonly touchStmt;
  private readonly deleteKeysStmt;

  constructor(db: Db) {
    this.insertUserStmt = db.prepare<[string, string, string, string, number, string | null]>(
      'INSERT INTO users (id, display_name, lang, referral_code, balance_cents, created_at, external_ref) VALUES (?, ?, ?, ?, 0, ?, ?)',
    );
    this.getUserStmt = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?');
    this.byExternalRefStmt = db.prepare<[string], UserRow>('SELECT * FROM users WHERE external_ref = ?');
    this.referralTakenStmt = db.prepare<[string], number>('SELECT 1 FROM users WHERE referral_code = ?').pluck();
    this.listUsersStmt = db.prepare<[string, number], UserRow>('SELECT * FROM users WHERE id < ? ORDER BY id DESC LIMIT ?');
    this.updateProfileStmt = db.prepare<[string, string, string]>('UPDATE users SET display_name = ?, lang = ? WHERE id = ?');
    this.setBannedStmt = db.prepare<[number | null, string | null, string]>('UPDATE users SET banned_at = ?, ban_reason = ? WHERE id = ?');
    this.insertKeyStmt = db.prepare<[string, string, string, string, string | null, number]>(
      'INSERT INTO api_keys (id, user_id, hash, hint, name, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.keyByHashStmt = db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = ?`);
    this.getKeyStmt = db.prepare<[string, string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ? AND user_id = ?`);
    this.listKeysStmt = db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY id`);
    this.countActiveStmt = db.prepare<[string], number>('SELECT COUNT(*) FROM api_keys WHERE user_id = ? AND revoked_at IS NULL').pluck();
    this.revokeStmt = db.prepare<[number, string]>('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.touchStmt = db.prepare<[number, string]>('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
    this.deleteKeysStmt = db.prepare<[string]>('DELETE FROM api_keys WHERE user_id = ?');
  }

  insertUser(u: NewUser): void {
    this.insertUserStmt.run(u.id, u.displayName, u.lang, u.referralCode, u.createdAt, u.externalRef);
  }

  getUser(id: string): User | undefined {
    const row = this.getUserStmt.get(id);
    return row ? toUser(row) : undefined;
  }

  findUserByExternalRef(ref: string): User | undefined {
    const row = this.byExternalRefStmt.get(ref);
    return row ? toUser(row) : undefined;
  }

  isReferralCodeTaken(code: string): boolean {
    return this.referralTakenStmt.get(code) !== undefined;
  }

  listUsers(limit: number, before: string | undefined): User[] {
    return this.listUsersStmt.all(before ?? '\uffff', limit).map(toUser);
  }

  updateProfile(userId: string, displayName: string, lang: string): boolean {
    return this.updateProfileStmt.run(displayName, lang, userId).changes === 1;
  }

  setBanned(userId: string, bannedAt: number | null, reason: string | null): boolean {
    return this.setBannedStmt.run(bannedAt, reason, userId).changes === 1;
  }

  insertKey(k: NewApiKey): void {
    this.insertKeyStmt.run(k.id, k.userId, k.hash, k.hint, k.name, k.createdAt);
  }

  findKeyByHash(hash: string): ApiKeyInfo | undefined {
    const row = this.keyByHashStmt.get(hash);
    return row ? toKey(row) : undefined;
  }

  getKey(userId: string, keyId: string): ApiKeyInfo | undefined {
    const row = this.getKeyStmt.get(keyId, userId);
    return row ? toKey(row) : undefined;
  }

  listKeys(userId: string): ApiKeyInfo[] {
    return this.listKeysStmt.all(userId).map(toKey);
  }

  countActiveKeys(userId: string): number {
    return this.countActiveStmt.get(userId)!;
  }

  revokeKey(keyId: string, at: number): boolean {
    return this.revokeStmt.run(at, keyId).changes === 1;
  }

  touchKey(keyId: string, at: number): void {
    this.touchStmt.run(at, keyId);
  }

  deleteKeys(userId: string): number {
    return this.deleteKeysStmt.run(userId).changes;
  }
}
