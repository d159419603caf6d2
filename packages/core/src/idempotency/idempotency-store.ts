/**
 * Idempotency keys (docs/decisions.md D17): the first response to a POST carrying `Idempotency-Key` is
 * stored — for orders, in the order's own transaction — and replayed for 24 hours to a request
 * with the same key and body. The same key with another body is refused with 422; a request
 * that arrives while the first is still running gets 409.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../ports/clock.js';
import { writeTx, type Db } from '../storage/database.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type BeginResult = { kind: 'new' } | { kind: 'replay'; response: StoredResponse };

interface Row {
  request_hash: string;
  state: 'in_progress' | 'done';
  status: number | null;
  body: string | null;
  created_at: number;
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  static validateKey(key: string): void {
    if (!KEY_PATTERN.test(key)) {
      throw new AppError('BAD_REQUEST', 'Idempotency-Key must be 1–255 printable ASCII characters without spaces.');
    }
  }

  begin(userId: string, key: string, fingerprint: string): BeginResult {
    IdempotencyStore.validateKey(key);
    const now = this.clock.now();
    return writeTx(this.db, () => {
      const row = this.db
        .prepare<[string, string], Row>('SELECT request_hash, state, status, body, created_at FROM idempotency_keys WHERE user_id = ? AND key = ?')
        .get(userId, key);
      if (row && now - row.created_at < IDEMPOTENCY_TTL_MS) {
        if (row.request_hash !== fingerprint) {
          throw new AppError('IDEMPOTENCY_MISMATCH', 'This Idempotency-Key was already used with a different request; use a new key.');
        }
        if (row.state === 'in_progress') {
          throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry in a moment.');
        }
        return { kind: 'replay', response: { status: row.status!, body: JSON.parse(row.body!) } };
      }
      this.db
        .prepare(
          `INSERT INTO idempotency_keys (user_id, key, request_hash, state, created_at) VALUES (?, ?, ?, 'in_progress', ?)
           ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, state = 'in_progress', status = NULL, body = NULL, created_at = excluded.created_at`,
        )
        .run(userId, key, fingerprint, now);
      return { kind: 'new' };
    });
  }

  /** Stores the response to replay. Runs inside the caller's transaction when there is one. */
  complete(userId: string, key: string, response: StoredResponse): void {
    writeTx(this.db, () => {
      this.db
        .prepare("UPDATE idempotency_keys SET state = 'done', status = ?, body = ? WHERE user_id = ? AND key = ?")
        .run(response.status, JSON.stringify(response.body), userId, key);
    });
  }

  /** Forgets a key whose request had no effect and may be retried (server or upstream failure). */
  abandon(userId: string, key: string): void {
    writeTx(this.db, () => {
      this.db.prepare("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND state = 'in_progress'").run(userId, key);
    });
  }

  /** Deletes keys older than the replay window. */
  prune(): number {
    return writeTx(this.db, () => this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(this.clock.now() - IDEMPOTENCY_TTL_MS).changes);
  }
}
