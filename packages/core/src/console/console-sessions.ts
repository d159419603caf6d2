/**
 * The console's sign-ins (docs/decisions.md D111): a one-time login token (the link `jiema serve`
 * prints), an API key (a user's session) or the admin token (an operator's session), each
 * exchanged for a random secret the browser keeps in an HttpOnly, SameSite=Strict cookie. The
 * database keeps only the secret's SHA-256. A session follows its credential: a user's ends when
 * the key it signed in with is revoked (or the user is banned), an operator's when the admin token
 * changes. State-changing calls also need the session's CSRF token, derived from the secret.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '../account/account-service.js';
import type { Engine } from '../engine.js';
import { AppError } from '../errors/app-error.js';
import type { ConsoleSessionRecord, ConsoleSessionStore } from './session-store.js';

const SESSION_COOKIE = 'jiema_session';
/** A session ends after a day unused, and a week after it began. */
const IDLE_MS = 24 * 3_600_000;
const MAX_MS = 7 * 24 * 3_600_000;
/** A login link works once, within a day, and only the newest one printed. */
const LOGIN_TOKEN_MS = 24 * 3_600_000;
/** last_seen_at is written at most this often, so reads stay reads. */
const TOUCH_MS = 60_000;

export interface ConsoleSession {
  /** The SHA-256 of the secret: the row's id. */
  id: string;
  kind: 'operator' | 'user';
  /** A user session's user; for an operator, the user chosen to view as (if any). */
  userId: string | undefined;
  keyId: string | undefined;
  csrfToken: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const mac = (secret: string, text: string): string => createHmac('sha256', secret).update(text).digest('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The session cookie's value, or undefined. Other cookies are ignored. */
function readSessionCookie(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^jcs_[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export interface ConsoleSessionsOptions {
  /** The user an operator's session views as until one is chosen (the demo user). */
  defaultUser?: () => string | undefined;
}

export class ConsoleSessions {
  private readonly store: ConsoleSessionStore;

  constructor(
    private readonly engine: Engine,
    private readonly adminTokenSha256: string,
    private readonly options: ConsoleSessionsOptions = {},
  ) {
    this.store = engine.stores.consoleSessions;
  }

  /** Stores a new session or login token; expired ones are swept whenever a new one is made. */
  private insert(record: ConsoleSessionRecord): void {
    this.engine.stores.tx.write(() => {
      this.store.deleteExpired(record.createdAt);
      this.store.insert(record);
    });
  }

  /** A new one-time login token; earlier unused ones stop working. */
  issueLoginToken(): string {
    const token = `jlt_${randomBytes(24).toString('base64url')}`;
    const now = this.engine.clock.now();
    this.store.dropLogins();
    this.insert({
      id: sha256(token),
      kind: 'login',
      userId: null,
      keyId: null,
      grantMac: null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + LOGIN_TOKEN_MS,
    });
    return token;
  }

  /** Exchanges a login token for an operator session; undefined when it is unknown, used or expired. */
  exchangeLoginToken(token: string): { secret: string; session: ConsoleSession } | undefined {
    if (!/^jlt_[A-Za-z0-9_-]{32}$/.test(token)) return undefined;
    if (!this.store.takeLogin(sha256(token), this.engine.clock.now())) return undefined;
    return this.openOperator();
  }

  openOperator(): { secret: string; session: ConsoleSession } {
    return this.open('operator', (secret) => ({ grantMac: mac(secret, this.adminTokenSha256) }));
  }

  openUser(principal: Principal): { secret: string; session: ConsoleSession } {
    return this.open('user', () => ({ userId: principal.user.id, keyId: principal.keyId }));
  }

  private open(
    kind: 'operator' | 'user',
    fields: (secret: string) => Partial<ConsoleSessionRecord>,
  ): { secret: string; session: ConsoleSession } {
    const secret = `jcs_${randomBytes(32).toString('base64url')}`;
    const now = this.engine.clock.now();
    const row: ConsoleSessionRecord = {
      id: sha256(secret),
      kind,
      userId: null,
      keyId: null,
      grantMac: null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + IDLE_MS,
      ...fields(secret),
    };
    this.insert(row);
    return { secret, session: this.toSession(row, secret) };
  }

  /**
   * The session a cookie opens. Undefined with no session cookie; AUTH_INVALID when the cookie
   * names a session that ended (signed out, expired, a revoked key, a new admin token).
   */
  resolve(headers: IncomingHttpHeaders): ConsoleSession | undefined {
    const secret = readSessionCookie(headers);
    if (secret === undefined) return undefined;
    const row = this.store.get(sha256(secret));
    const now = this.engine.clock.now();
    const ended = new AppError(
      'AUTH_INVALID',
      'Your console session has ended (signed out, expired, or its key or token changed); sign in again.',
    );
    if (!row || row.kind === 'login' || row.expiresAt <= now) throw ended;
    if (row.kind === 'operator' && !sameText(row.grantMac ?? '', mac(secret, this.adminTokenSha256))) throw ended;
    if (row.kind === 'user' && !this.keyActive(row.userId!, row.keyId!)) {
      throw new AppError(
        'AUTH_INVALID',
        'The API key this console session signed in with has been revoked; sign in again with another key.',
      );
    }
    if (now - row.lastSeenAt >= TOUCH_MS) this.store.touch(row.id, now, Math.min(row.createdAt + MAX_MS, now + IDLE_MS));
    return this.toSession(row, secret);
  }

  /** The user a session acts for on user routes, with the API's own rules (a revoked key, a ban). */
  principal(session: ConsoleSession): Principal {
    const { accounts } = this.engine;
    if (session.kind === 'user') {
      const user = accounts.requireUser(session.userId!);
      if (user.bannedAt !== null) throw new AppError('FORBIDDEN', 'This account is banned.');
      return { user, keyId: session.keyId! };
    }
    const chosen = session.userId !== undefined ? accounts.getUser(session.userId) : undefined;
    const fallback = this.options.defaultUser?.();
    const user = chosen ?? (fallback !== undefined ? accounts.getUser(fallback) : undefined);
    if (!user) throw new AppError('AUTH_MISSING', 'Choose a user to view the account pages as (Operator → Users → View as).');
    if (user.bannedAt !== null) throw new AppError('FORBIDDEN', 'This account is banned.');
    // An operator's calls as a user are rate-limited apart from the user's own keys.
    return { user, keyId: `console:${session.id.slice(0, 16)}` };
  }

  private keyActive(userId: string, keyId: string): boolean {
    try {
      return this.engine.accounts.getKey(userId, keyId).revokedAt === null;
    } catch {
      return false; // the user or the key is gone (a simulator reset)
    }
  }

  /** The user an operator's session views as; undefined when none can be found. */
  viewedUser(session: ConsoleSession): string | undefined {
    try {
      return this.principal(session).user.id;
    } catch {
      return undefined;
    }
  }

  viewAs(session: ConsoleSession, userId: string): void {
    this.engine.accounts.requireUser(userId);
    this.store.setUser(session.id, userId);
    session.userId = userId;
  }

  end(session: ConsoleSession): void {
    this.store.delete(session.id);
  }

  /** State-changing calls made with a session cookie carry its CSRF token in X-CSRF-Token. */
  checkCsrf(session: ConsoleSession, headers: IncomingHttpHeaders): void {
    const given = headers['x-csrf-token'];
    if (typeof given !== 'string' || !sameText(given, session.csrfToken)) {
      throw new AppError('FORBIDDEN', 'This console request lacks its CSRF token (X-CSRF-Token); reload the console and try again.');
    }
  }

  /** The Set-Cookie value for a new session (Secure when the page came over HTTPS through a proxy). */
  cookie(secret: string, headers: IncomingHttpHeaders): string {
    const secure = headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
    return `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${MAX_MS / 1000}${secure}`;
  }

  clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  private toSession(row: ConsoleSessionRecord, secret: string): ConsoleSession {
    return {
      id: row.id,
      kind: row.kind as 'operator' | 'user',
      userId: row.userId ?? undefined,
      keyId: row.keyId ?? undefined,
      csrfToken: mac(secret, 'csrf'),
    };
  }
}
