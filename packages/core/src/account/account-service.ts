/**
 * Accounts and their API keys: create users, issue (shown once), list and revoke keys, ban,
 * and authenticate a presented key. Balance changes go through the ledger, never here.
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../ports/clock.js';
import { randomBase36, type IdGenerator } from '../ports/ids.js';
import type { Rng } from '../ports/rng.js';
import type { Transactions } from '../storage/transactions.js';
import type { ChangeWatch } from '../storage/change-watch.js';
import type { MoneyService } from '../ledger/money-service.js';
import type { AccountStore, ApiKeyInfo, User } from './account-store.js';
import { generateApiKey, hashApiKey, isWellFormedApiKey, keyHint } from './api-key.js';

export type { ApiKeyInfo, User } from './account-store.js';

const MAX_ACTIVE_KEYS = 10;
/** last_used_at is written at most this often per key, so polling does not turn reads into writes. */
const LAST_USED_GRANULARITY_MS = 60_000;

export interface Principal {
  user: User;
  keyId: string;
}

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
  /**
   * Keys already resolved, by the presented key. Cleared by this process's own revocations and
   * bans at once, and within 100 ms of another process's commit (ChangeWatch).
   */
  private readonly authCache = new Map<string, CachedPrincipal>();

  constructor(
    private readonly store: AccountStore,
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly money: MoneyService,
    /** Where key secrets come from: never a seeded generator outside tests. */
    private readonly secretRng: Rng,
    /** Commits by other processes on the same database, which may revoke a cached key. */
    private readonly changes: Pick<ChangeWatch, 'onForeignCommit' | 'poll'>,
  ) {
    this.changes.onForeignCommit(() => this.authCache.clear());
  }

  /** Forgets every resolved key: after a change that may refuse one. */
  private forgetResolvedKeys(): void {
    this.authCache.clear();
  }

  createUser(input: CreateUserInput = {}): User {
    const now = this.clock.now();
    const id = this.ids.next('cl');
    return this.tx.write(() => {
      this.store.insertUser({
        id,
        displayName: input.displayName ?? 'Developer',
        lang: input.lang ?? 'en',
        referralCode: this.newReferralCode(),
        createdAt: now,
        externalRef: input.externalRef ?? null,
      });
      if (input.balanceCents) this.money.openingBalance(id, input.balanceCents, now);
      return this.requireUser(id);
    });
  }

  /**
   * Six characters, as jiema.my shows them, from the CSPRNG (a seeded generator starts over after a
   * restart), and unique: a clash with an existing code draws again (docs/decisions.md D40).
   */
  private newReferralCode(): string {
    for (;;) {
      const code = randomBase36(this.secretRng, 6);
      if (!this.store.isReferralCodeTaken(code)) return code;
    }
  }

  getUser(id: string): User | undefined {
    return this.store.getUser(id);
  }

  findByExternalRef(ref: string): User | undefined {
    return this.store.findUserByExternalRef(ref);
  }

  updateProfile(userId: string, profile: { displayName?: string | undefined; lang?: string | undefined }): User {
    return this.tx.write(() => {
      const u = this.requireUser(userId);
      this.store.updateProfile(userId, profile.displayName ?? u.displayName, profile.lang ?? u.lang);
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
    return this.tx.write(() => {
      const hash = hashApiKey(apiKey);
      const existing = this.store.findKeyByHash(hash);
      if (existing) {
        if (existing.userId !== userId) throw new AppError('BAD_REQUEST', 'That API key already belongs to another user.');
        return false;
      }
      if (this.store.countActiveKeys(userId) >= MAX_ACTIVE_KEYS)
        throw new AppError('KEY_LIMIT', `A user holds at most ${MAX_ACTIVE_KEYS} active keys; revoke one first.`);
      this.store.insertKey({
        id: this.ids.next('key'),
        userId,
        hash,
        hint: keyHint(apiKey),
        name: name ?? null,
        createdAt: this.clock.now(),
      });
      return true;
    });
  }

  requireUser(id: string): User {
    const user = this.getUser(id);
    if (!user) throw new AppError('NOT_FOUND', `No user with id ${id}.`);
    return user;
  }

  listUsers(limit: number, before?: string): User[] {
    return this.store.listUsers(limit, before);
  }

  setBanned(userId: string, banned: boolean, reason?: string): User {
    return this.tx.write(() => {
      this.requireUser(userId);
      this.store.setBanned(userId, banned ? this.clock.now() : null, banned ? (reason ?? null) : null);
      this.forgetResolvedKeys();
      return this.requireUser(userId);
    });
  }

  /** Issues a key. The returned `apiKey` is the only time the full token exists outside its owner. */
  createKey(userId: string, name?: string): { key: ApiKeyInfo; apiKey: string } {
    return this.tx.write(() => {
      this.requireUser(userId);
      if (this.store.countActiveKeys(userId) >= MAX_ACTIVE_KEYS) {
        throw new AppError('KEY_LIMIT', `A user holds at most ${MAX_ACTIVE_KEYS} active keys; revoke one first.`);
      }
      const apiKey = generateApiKey(this.secretRng);
      const id = this.ids.next('key');
      this.store.insertKey({
        id,
        userId,
        hash: hashApiKey(apiKey),
        hint: keyHint(apiKey),
        name: name ?? null,
        createdAt: this.clock.now(),
      });
      return { key: this.getKey(userId, id), apiKey };
    });
  }

  listKeys(userId: string): ApiKeyInfo[] {
    this.requireUser(userId);
    return this.store.listKeys(userId);
  }

  getKey(userId: string, keyId: string): ApiKeyInfo {
    const key = this.store.getKey(userId, keyId);
    if (!key) throw new AppError('NOT_FOUND', `No key ${keyId} for user ${userId}.`);
    return key;
  }

  /** Revocation takes effect on the next request: authentication reads the key row every time. */
  revokeKey(userId: string, keyId: string): ApiKeyInfo {
    return this.tx.write(() => {
      this.getKey(userId, keyId);
      // Only a key not yet revoked is stamped: a second revocation keeps the first time.
      this.store.revokeKey(keyId, this.clock.now());
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
    const key = this.store.findKeyByHash(hashApiKey(presented));
    if (!key || key.revokedAt !== null) throw new AppError('AUTH_INVALID', 'The API key is unknown or has been revoked.');
    const user = this.requireUser(key.userId);
    if (user.bannedAt !== null) throw new AppError('FORBIDDEN', 'This account is banned.');
    const entry: CachedPrincipal = { principal: { user, keyId: key.id }, lastUsedAt: key.lastUsedAt };
    this.touch(entry, now);
    if (this.authCache.size >= AUTH_CACHE_SIZE) this.authCache.clear();
    this.authCache.set(presented, entry);
    return entry.principal;
  }

  /** Records last use at most once a minute per key, so polling does not turn reads into writes. */
  private touch(entry: CachedPrincipal, now: number): void {
    if (entry.lastUsedAt !== null && now - entry.lastUsedAt < LAST_USED_GRANULARITY_MS) return;
    this.store.touchKey(entry.principal.keyId, now);
    entry.lastUsedAt = now;
  }
}
