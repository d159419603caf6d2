/**
 * The storage of the console's sign-ins (docs/decisions.md D111, D125): one-time login tokens and
 * sessions, each stored under the SHA-256 of its secret. Every method joins the caller's
 * transaction; ConsoleSessions decides where transactions begin and end.
 */
import type { Db } from '../storage/database.js';

type ConsoleSessionKind = 'login' | 'operator' | 'user';

export interface ConsoleSessionRecord {
  /** The SHA-256 of the session's (or login token's) secret. */
  id: string;
  kind: ConsoleSessionKind;
  userId: string | null;
  keyId: string | null;
  /** An operator session's MAC of the admin token it was granted under. */
  grantMac: string | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface ConsoleSessionStore {
  insert(record: ConsoleSessionRecord): void;
  /** Removes every session and login token expired at `now`; returns how many. */
  deleteExpired(now: number): number;
  get(id: string): ConsoleSessionRecord | undefined;
  /** Every row, login tokens included (tests look at what is kept). */
  list(): ConsoleSessionRecord[];
  touch(id: string, now: number, expiresAt: number): void;
  /** Takes a one-time login token: true once, for a token that exists and has not expired at `now`. */
  takeLogin(id: string, now: number): boolean;
  /** Removes every login token. */
  dropLogins(): void;
  setUser(id: string, userId: string | null): void;
  delete(id: string): void;
}

interface SessionRow {
  id: string;
  kind: ConsoleSessionKind;
  user_id: string | null;
  key_id: string | null;
  grant_mac: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

const toRecord = (r: SessionRow): ConsoleSessionRecord => ({
  id: r.id,
  kind: r.kind,
  userId: r.user_id,
  keyId: r.key_id,
  grantMac: r.grant_mac,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
});

export class SqliteConsoleSessionStore implements ConsoleSessionStore {
  private readonly insertStmt;
  private readonly deleteExpiredStmt;
  private readonly byIdStmt;
  private readonly listStmt;
  private readonly touchStmt;
  private readonly takeLoginStmt;
  private readonly dropLoginsStmt;
  private readonly setUserStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[string, string, string | null, string | null, string | null, number, number, number]>(
      'INSERT INTO console_sessions (id, kind, user_id, key_id, grant_mac, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM console_sessions WHERE expires_at <= ?');
    this.byIdStmt = db.prepare<[string], SessionRow>('SELECT * FROM console_sessions WHERE id = ?');
    this.listStmt = db.prepare<[], SessionRow>('SELECT * FROM console_sessions ORDER BY created_at, id');
    this.touchStmt = db.prepare<[number, number, string]>('UPDATE console_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?');
    this.takeLoginStmt = db.prepare<[string, number]>("DELETE FROM console_sessions WHERE id = ? AND kind = 'login' AND expires_at > ?");
    this.dropLoginsStmt = db.prepare("DELETE FROM console_sessions WHERE kind = 'login'");
    this.setUserStmt = db.prepare<[string | null, string]>('UPDATE console_sessions SET user_id = ? WHERE id = ?');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM console_sessions WHERE id = ?');
  }

  insert(r: ConsoleSessionRecord): void {
    this.insertStmt.run(r.id, r.kind, r.userId, r.keyId, r.grantMac, r.createdAt, r.lastSeenAt, r.expiresAt);
  }

  deleteExpired(now: number): number {
    return this.deleteExpiredStmt.run(now).changes;
  }

  get(id: string): ConsoleSessionRecord | undefined {
    const row = this.byIdStmt.get(id);
    return row ? toRecord(row) : undefined;
  }

  list(): ConsoleSessionRecord[] {
    return this.listStmt.all().map(toRecord);
  }

  touch(id: string, now: number, expiresAt: number): void {
    this.touchStmt.run(now, expiresAt, id);
  }

  takeLogin(id: string, now: number): boolean {
    return this.takeLoginStmt.run(id, now).changes === 1;
  }

  dropLogins(): void {
    this.dropLoginsStmt.run();
  }

  setUser(id: string, userId: string | null): void {
    this.setUserStmt.run(userId, id);
  }

  delete(id: string): void {
    this.deleteStmt.run(id);
  }
}
