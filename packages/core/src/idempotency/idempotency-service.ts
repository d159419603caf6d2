/**
 * Idempotency keys (docs/decisions.md D17): the first response to a POST carrying `Idempotency-Key` is
 * stored — for orders, in the order's own transaction — and replayed for 24 hours to a request
 * with the same key and body. The same key with another body is refused with 422; a request
 * that arrives while the first is still running gets 409.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../ports/clock.js';
import { randomBase36 } from '../ports/ids.js';
import { cryptoRng } from '../ports/rng.js';
import type { Transactions } from '../storage/transactions.js';
import type { IdempotencyKeyStore } from './idempotency-store.js';

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type BeginResult = { kind: 'new'; attempt: string } | { kind: 'replay'; response: StoredResponse };

/** By default a key still in progress after this long is free to be taken over (the reconciliation window). */
const DEFAULT_IDEMPOTENCY_LEASE_MS = 60_000;

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class IdempotencyService {
  constructor(
    private readonly store: IdempotencyKeyStore,
    private readonly tx: Transactions,
    private readonly clock: Clock,
    /** How long an attempt holds its key before another may take it over. */
    readonly leaseMs = DEFAULT_IDEMPOTENCY_LEASE_MS,
  ) {}

  static validateKey(key: string): void {
    if (!KEY_PATTERN.test(key)) {
      throw new AppError('BAD_REQUEST', 'Idempotency-Key must be 1–255 printable ASCII characters without spaces.');
    }
  }

  begin(userId: string, key: string, fingerprint: string): BeginResult {
    IdempotencyService.validateKey(key);
    const now = this.clock.now();
    return this.tx.write(() => {
      const row = this.store.find(userId, key);
      if (row && now - row.createdAt < IDEMPOTENCY_TTL_MS) {
        if (row.requestHash !== fingerprint) {
          throw new AppError('IDEMPOTENCY_MISMATCH', 'This Idempotency-Key was already used with a different request; use a new key.');
        }
        if (row.state === 'in_progress' && now - row.createdAt < this.leaseMs) {
          const wait = Math.max(1, Math.ceil((row.createdAt + this.leaseMs - now) / 1000));
          throw new AppError(
            'IDEMPOTENCY_IN_PROGRESS',
            `A request with this Idempotency-Key is still being processed; retry in a moment (it is released after at most ${wait} s if it never finishes).`,
            { retryAfterSeconds: wait },
          );
        }
        if (row.state === 'done') return { kind: 'replay', response: { status: row.status!, body: JSON.parse(row.body!) as unknown } };
      }
      const attempt = randomBase36(cryptoRng, 16);
      this.store.take(userId, key, fingerprint, attempt, now);
      return { kind: 'new', attempt };
    });
  }

  /**
   * Stores the response to replay. Runs inside the caller's transaction when there is one, and
   * throws IDEMPOTENCY_IN_PROGRESS when this attempt no longer holds the key (it outlived its
   * lease and a retry took over): the caller's transaction then rolls back, so one key never
   * records two outcomes.
   */
  complete(userId: string, key: string, attempt: string, response: StoredResponse): void {
    this.tx.write(() => {
      if (!this.store.complete(userId, key, attempt, { status: response.status, body: JSON.stringify(response.body) })) {
        throw new AppError(
          'IDEMPOTENCY_IN_PROGRESS',
          'This request took longer than its Idempotency-Key is held and a retry took the key over; nothing was changed by this request.',
        );
      }
    });
  }

  /** Forgets a key whose request had no effect and may be retried (server or upstream failure). */
  abandon(userId: string, key: string, attempt: string): void {
    this.tx.write(() => {
      this.store.release(userId, key, attempt);
    });
  }

  /**
   * At start-up, with this server the only one on the database: every key still in progress
   * belonged to a process that died. Its buy never committed (an order's key completes in the
   * order's own transaction), so the key is released for the retry; a number the upstream sold
   * for it is released by buy reconciliation. Returns how many keys were released.
   */
  releaseOrphaned(): number {
    return this.tx.write(() => this.store.releaseAllInProgress());
  }

  /** Deletes keys older than the replay window. */
  prune(): number {
    const before = this.clock.now() - IDEMPOTENCY_TTL_MS;
    return this.tx.write(() => this.store.deleteCreatedBefore(before));
  }
}
