/**
 * Accounts and their API keys: create users, issue (shown once), list and revoke keys, ban,
 * and authenticate a presented key. Balance changes go through the ledger, never here.
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../ports/clock.js';
import { randomBase36, type IdGenerator } from '../ports/ids.js';
import type { Rng } from '../ports/rng.js';
import { writeTx, type Db } from '../storage/database.js';
import { ChangeWatch } from '../storage/change-watch.js';
import type { MoneyService } from '../ledger/money-service.js';
import { generateApiKey, hashApiKey, isWellFormedApiKey, keyHint } from './api-key.js';

const MAX_ACTIVE_KEYS = 10;
/** last_used_at is written at most this often per key, so polling does not turn reads into writes. */
const LAST_USED_GRANULARITY_MS = 60_000;

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

export interface Principal {
  user: User;
  keyId: string;
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

export interface CreateUserInput {
  displayName?: string | undefined;
  lang?: string | undefined;
  /** An opening balance, recorded as a top-up ledger row. */
  balanceCents?: number | undefined;
  /** A stable handle from outside (a seed file's `ref`), unique across users. */
  externalRef?: string | undefined;
}

/** At most this many keys stay resolved in memory; past it the cache starts over. */
const AUTH_CACHE_SIZE = 10_000;

interface CachedPrincipal {
  principal: Principal;
  lastUsedAt: number | null;
}

export class AccountService {
  private readonly getUserStmt;
  private readonly authStmt;
  private readonly touchStmt;
  /**
   * Keys already resolved, by the presented key. Cleared by this process's own revocations and
   * bans at once, and within 100 ms of another process's commit (ChangeWatch).
   */
  private readonly authCache = new Map<string, CachedPrincipal>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly rng: Rng,
    private readonly money: MoneyService,
    /** Where key secrets come from: never a seeded generator outside tests. */
    private readonly secretRng: Rng = rng,
    private readonly changes: ChangeWatch = new ChangeWatch(db, clock),
  ) {
    this.getUserStmt = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?');
    this.authStmt = db.prepare<[string], KeyRow & { u_id: string }>('SELECT k.*, k.user_id AS u_id FROM api_keys k WHERE k.hash = ?');
    this.touchStmt = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
    this.changes.onForeignCommit(() => this.authCache.clear());
  }

  /** Forgets every resolved key: after a change that may refuse one. */
  private forgetResolvedKeys(): void {
    this.authCache.clear();
  }

  createUser(input: CreateUserInput = {}): User {
    const now = this.clock.now();
    const id = this.ids.next('cl');
    return writeTx(this.db, () => {
      this.db
        .prepare(
          'INSERT INTO users (id, display_name, lang, referral_code, balance_cents, created_at, external_ref) VALUES (?, ?, ?, ?, 0, ?, ?)',
        )
        .run(id, input.displayName ?? 'Developer', input.lang ?? 'en', this.newReferralCode(), now, input.externalRef ?? null);
      if (input.balanceCents) this.money.openingBalance(id, input.balanceCents, now);
      return this.requireUser(id);
    });
  }

  /**
   * Six characters, as jiema.my shows them, from the CSPRNG (a seeded generator starts over after a
   * restart), and unique: a clash with an existing code draws again (docs/decisions.md D40).
   */
  private newReferralCode(): string {
    const taken = this.db.prepare<[string], { one: number }>('SELECT 1 AS one FROM users WHERE referral_code = ?');
    for (;;) {
      const code = randomBase36(this.secretRng, 6);
      if (!taken.get(code)) return code;
    }
  }

  getUser(id: string): User | undefined {
    const row = this.getUserStmt.get(id);
    return row ? toUser(row) : undefined;
  }

  findByExternalRef(ref: string): User | undefined {
    const row = this.db.prepare<[string], UserRow>('SELECT * FROM users WHERE external_ref = ?').get(ref);
    return row ? toUser(row) : undefined;
  }

  updateProfile(userId: string, profile: { displayName?: string | undefined; lang?: string | undefined }): User {
    return writeTx(this.db, () => {
      const u = this.requireUser(userId);
      this.db
        .prepare('UPDATE users SET display_name = ?, lang = ? WHERE id = ?')
        .run(profile.displayName ?? u.displayName, profile.lang ?? u.lang, userId);
      this.forgetResolvedKeys();
      return this.requireUser(userId);
    });
  }

  /**
   * Registers a key the caller already has (a seed file's fixed key for CI). It must be a
   * well-formed jiema key. Returns false when this user already holds it; throws when another does.
   */
  importKey(userId: string, apiKey: string, name?: string): boolean {
    if (!isWellFormedApiKey(apiKey))
      throw new AppError('BAD_REQUEST', 'That is not a valid jiema API key (jm_ + 43 characters with a checksum).');
    return writeTx(this.db, () => {
      const hash = hashApiKey(apiKey);
      const existing = this.db
        .prepare<[string], { user_id: string; revoked_at: number | null }>('SELECT user_id, revoked_at FROM api_keys WHERE hash = ?')
        .get(hash);
      if (existing) {
        if (existing.user_id !== userId) throw new AppError('BAD_REQUEST', 'That API key already belongs to another user.');
        return false;
      }
      const active = this.db
        .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ? AND revoked_at IS NULL')
        .get(userId)!.n;
      if (active >= MAX_ACTIVE_KEYS)
        throw new AppError('KEY_LIMIT', `A user holds at most ${MAX_ACTIVE_KEYS} active keys; revoke one first.`);
      this.db
        .prepare('INSERT INTO api_keys (id, user_id, hash, hint, name, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(this.ids.next('key'), userId, hash, keyHint(apiKey), name ?? null, this.clock.now());
      return true;
    });
  }

  requireUser(id: string): User {
    const user = this.getUser(id);
    if (!user) throw new AppError('NOT_FOUND', `No user with id ${id}.`);
    return user;
  }

  listUsers(limit: number, before?: string): User[] {
    return this.db
      .prepare<[string, number], UserRow>('SELECT * FROM users WHERE id < ? ORDER BY id DESC LIMIT ?')
      .all(before ?? '\uffff', limit)
      .map(toUser);
  }

  setBanned(userId: string, banned: boolean, reason?: string): User {
    return writeTx(this.db, () => {
      this.requireUser(userId);
      this.db
        .prepare('UPDATE users SET banned_at = ?, ban_reason = ? WHERE id = ?')
        .run(banned ? this.clock.now() : null, banned ? (reason ?? null) : null, userId);
      this.forgetResolvedKeys();
      return this.requireUser(userId);
    });
  }

  /** Issues a key. The returned `apiKey` is the only time the full token exists outside its owner. */
  createKey(userId: string, name?: string): { key: ApiKeyInfo; apiKey: string } {
    return writeTx(this.db, () => {
      this.requireUser(userId);
      const active = this.db
        .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ? AND revoked_at IS NULL')
        .get(userId)!.n;
      if (active >= MAX_ACTIVE_KEYS) {
        throw new AppError('KEY_LIMIT', `A user holds at most ${MAX_ACTIVE_KEYS} active keys; revoke one first.`);
      }
      const apiKey = generateApiKey(this.secretRng);
      const id = this.ids.next('key');
      this.db
        .prepare('INSERT INTO api_keys (id, user_id, hash, hint, name, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, userId, hashApiKey(apiKey), keyHint(apiKey), name ?? null, this.clock.now());
      return { key: this.getKey(userId, id), apiKey };
    });
  }

  listKeys(userId: string): ApiKeyInfo[] {
    this.requireUser(userId);
    return this.db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE user_id = ? ORDER BY id').all(userId).map(toKey);
  }

  getKey(userId: string, keyId: string): ApiKeyInfo {
    const row = this.db.prepare<[string, string], KeyRow>('SELECT * FROM api_keys WHERE id = ? AND user_id = ?').get(keyId, userId);
    if (!row) throw new AppError('NOT_FOUND', `No key ${keyId} for user ${userId}.`);
    return toKey(row);
  }

  /** Revocation takes effect on the next request: authentication reads the key row every time. */
  revokeKey(userId: string, keyId: string): ApiKeyInfo {
    return writeTx(this.db, () => {
      const key = this.getKey(userId, keyId);
      if (key.revokedAt === null) this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(this.clock.now(), keyId);
      this.forgetResolvedKeys();
      return this.getKey(userId, keyId);
    });
  }

  /**
   * Resolves a presented key to its user. AUTH_INVALID for a malformed, unknown or revoked key;
   * FORBIDDEN for a banned user.
   */
  authenticate(presented: string): Principal {
    const now = this.clock.now();
    // Another process's commit (a ban by `jiema seed`) clears the cache; it is looked for at most
    // every 100 ms. This process's own revocations and bans clear it at once.
    this.changes.poll();
    const cached = this.authCache.get(presented);
    if (cached) {
      this.touch(cached, now);
      return cached.principal;
    }
    if (!isWellFormedApiKey(presented)) throw new AppError('AUTH_INVALID', 'The API key is malformed; check that it was copied whole.');
    const key = this.authStmt.get(hashApiKey(presented));
    if (!key || key.revoked_at !== null) throw new AppError('AUTH_INVALID', 'The API key is unknown or has been revoked.');
    const user = this.requireUser(key.user_id);
    if (user.bannedAt !== null) throw new AppError('FORBIDDEN', 'This account is banned.');
    const entry: CachedPrincipal = { principal: { user, keyId: key.id }, lastUsedAt: key.last_used_at };
    this.touch(entry, now);
    if (this.authCache.size >= AUTH_CACHE_SIZE) this.authCache.clear();
    this.authCache.set(presented, entry);
    return entry.principal;
  }

  /** Records last use at most once a minute per key, so polling does not turn reads into writes. */
  private touch(entry: CachedPrincipal, now: number): void {
    if (entry.lastUsedAt !== null && now - entry.lastUsedAt < LAST_USED_GRANULARITY_MS) return;
    this.touchStmt.run(now, entry.principal.keyId);
    entry.lastUsedAt = now;
  }
}
