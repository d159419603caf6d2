/**
 * Idempotency keys' storage (docs/decisions.md D17, D125): the `idempotency_keys` table. Every
 * method joins the caller's transaction; the idempotency service decides the boundaries.
 */
import type { Db } from '../storage/database.js';

/** A key as stored. `status` and `body` (JSON text) are set once it is done. */
export interface IdempotencyKeyRecord {
  requestHash: string;
  state: 'in_progress' | 'done';
  status: number | null;
  body: string | null;
  createdAt: number;
}

export interface IdempotencyKeyStore {
  find(userId: string, key: string): IdempotencyKeyRecord | undefined;
  /** Takes the key for a new attempt (in progress), replacing whatever it held. */
  take(userId: string, key: string, requestHash: string, attempt: string, at: number): void;
  /** Records the response if `attempt` still holds the key in progress. Says whether it did. */
  complete(userId: string, key: string, attempt: string, response: { status: number; body: string }): boolean;
  /** Forgets the key if `attempt` still holds it in progress. Says whether it did. */
  release(userId: string, key: string, attempt: string): boolean;
  /** Forgets every key in progress; returns how many. */
  releaseAllInProgress(): number;
  /** Forgets keys created before `before`; returns how many. */
  deleteCreatedBefore(before: number): number;
}

interface Row {
  request_hash: string;
  state: 'in_progress' | 'done';
  status: number | null;
  body: string | null;
  created_at: number;
}

export class SqliteIdempotencyKeyStore implements IdempotencyKeyStore {
  private readonly findStmt;
  private readonly takeStmt;
  private readonly completeStmt;
  private readonly releaseStmt;
  private readonly releaseAllStmt;
  private readonly pruneStmt;

  constructor(db: Db) {
    this.findStmt = db.prepare<[string, string], Row>(
      'SELECT request_hash, state, status, body, created_at FROM idempotency_keys WHERE user_id = ? AND key = ?',
    );
    this.takeStmt = db.prepare<[string, string, string, number, string]>(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, state, created_at, attempt) VALUES (?, ?, ?, 'in_progress', ?, ?)
       ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, state = 'in_progress', status = NULL, body = NULL,
         created_at = excluded.created_at, attempt = excluded.attempt`,
    );
    this.completeStmt = db.prepare<[number, string, string, string, string]>(
      "UPDATE idempotency_keys SET state = 'done', status = ?, body = ? WHERE user_id = ? AND key = ? AND attempt = ? AND state = 'in_progress'",
    );
    this.releaseStmt = db.prepare<[string, string, string]>(
      "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND attempt = ? AND state = 'in_progress'",
    );
    this.releaseAllStmt = db.prepare("DELETE FROM idempotency_keys WHERE state = 'in_progress'");
    this.pruneStmt = db.prepare<[number]>('DELETE FROM idempotency_keys WHERE created_at < ?');
  }

  find(userId: string, key: string): IdempotencyKeyRecord | undefined {
    const row = this.findStmt.get(userId, key);
    return row
      ? { requestHash: row.request_hash, state: row.state, status: row.status, body: row.body, createdAt: row.created_at }
      : undefined;
  }

  take(userId: string, key: string, requestHash: string, attempt: string, at: number): void {
    this.takeStmt.run(userId, key, requestHash, at, attempt);
  }

  complete(userId: string, key: string, attempt: string, response: { status: number; body: string }): boolean {
    return this.completeStmt.run(response.status, response.body, userId, key, attempt).changes > 0;
  }

  release(userId: string, key: string, attempt: string): boolean {
    return this.releaseStmt.run(userId, key, attempt).changes > 0;
  }

  releaseAllInProgress(): number {
    return this.releaseAllStmt.run().changes;
  }

  deleteCreatedBefore(before: number): number {
    return this.pruneStmt.run(before).changes;
  }
}
