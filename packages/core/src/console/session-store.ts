/**
 * SQL for the console's sign-ins (docs/decisions.md D111): one-time login tokens and sessions,
 * each stored under the SHA-256 of its secret. Expired rows are swept whenever a new one is made.
 */
import type { Db } from '../storage/database.js';
import { writeTx } from '../storage/database.js';

type SessionKind = 'login' | 'operator' | 'user';

export interface SessionRow {
  id: string;
  kind: SessionKind;
  user_id: string | null;
  key_id: string | null;
  grant_mac: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export class SessionStore {
  private readonly byId;
  private readonly touchStmt;

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[string], SessionRow>('SELECT * FROM console_sessions WHERE id = ?');
    this.touchStmt = db.prepare('UPDATE console_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?');
  }

  insert(row: SessionRow): void {
    writeTx(this.db, () => {
      this.db.prepare('DELETE FROM console_sessions WHERE expires_at <= ?').run(row.created_at);
      this.db
        .prepare(
          'INSERT INTO console_sessions (id, kind, user_id, key_id, grant_mac, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(row.id, row.kind, row.user_id, row.key_id, row.grant_mac, row.created_at, row.last_seen_at, row.expires_at);
    });
  }

  get(id: string): SessionRow | undefined {
    return this.byId.get(id);
  }

  touch(id: string, now: number, expiresAt: number): void {
    this.touchStmt.run(now, expiresAt, id);
  }

  /** Takes a one-time login token: true once, for a token that exists and has not expired. */
  takeLogin(id: string, now: number): boolean {
    return this.db.prepare("DELETE FROM console_sessions WHERE id = ? AND kind = 'login' AND expires_at > ?").run(id, now).changes === 1;
  }

  /** Only the newest login link works: printing a new one drops the others. */
  dropLogins(): void {
    this.db.prepare("DELETE FROM console_sessions WHERE kind = 'login'").run();
  }

  setUser(id: string, userId: string | null): void {
    this.db.prepare('UPDATE console_sessions SET user_id = ? WHERE id = ?').run(userId, id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM console_sessions WHERE id = ?').run(id);
  }
}
