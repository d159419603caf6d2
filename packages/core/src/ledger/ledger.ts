/**
 * The ledger (docs/decisions.md D4): the only way money moves. `post` changes a balance and appends
 * the row that records it; callers run it inside the transaction of the change that causes it.
 */
import type { IdGenerator } from '../ports/ids.js';
import type { Transactions } from '../storage/transactions.js';
import { AppError } from '../errors/app-error.js';
import type { ChangeFeed } from '../console/change-feed.js';
import type { LedgerEntry, LedgerKind, LedgerStore, NewLedgerEntry } from './ledger-store.js';

export { toLedgerEntry, type LedgerEntry } from './ledger-store.js';

export interface PostInput {
  userId: string;
  kind: LedgerKind;
  /** Signed: credits are positive, debits negative. Never zero. */
  amountCents: number;
  orderId?: string | null;
  reason?: string | null;
  at: number;
}

export class Ledger {
  constructor(
    private readonly store: LedgerStore,
    private readonly tx: Transactions,
    private readonly ids: IdGenerator,
    /** Told of every balance change, for live views (docs/decisions.md D113). */
    private readonly feed?: ChangeFeed,
  ) {}

  /** Must be called inside a write transaction. Throws INSUFFICIENT rather than go below zero. */
  post(input: PostInput): LedgerEntry {
    if (!this.tx.active) throw new Error('Ledger.post must run inside a write transaction');
    if (!Number.isSafeInteger(input.amountCents) || input.amountCents === 0) {
      throw new AppError('BAD_REQUEST', 'A ledger amount must be a non-zero whole number of cents.');
    }
    // The append is a conditional update that refuses to leave the balance out of range, so the
    // balance is read only to explain a refusal: one statement fewer per posting (a round trip on
    // PostgreSQL).
    const entry = this.store.append(this.newEntry(input));
    if (!entry) {
      refuseOutOfRange(this.store.balanceOf(input.userId), input.amountCents);
      // In range now: another writer moved the balance in between (only with several servers on one database).
      throw new Error('Ledger.post: the balance changed while posting; try again');
    }
    this.feed?.balance(entry.userId);
    return entry;
  }

  /**
   * A debit (`amountCents` below zero) whose outcome is read later: on PostgreSQL its statements
   * go with the caller's next round trip (docs/decisions.md D127). Must be called inside a write
   * transaction or savepoint, which must roll back when the function throws: INSUFFICIENT when the
   * balance was too low (or there is no such user; the balance cannot be read inside a transaction
   * the refusal failed, so the caller explains it after the rollback).
   */
  postDebitLater(input: PostInput): () => LedgerEntry {
    if (!this.tx.active) throw new Error('Ledger.postDebitLater must run inside a write transaction');
    if (!Number.isSafeInteger(input.amountCents) || input.amountCents >= 0) {
      throw new AppError('BAD_REQUEST', 'A debit must be a negative whole number of cents.');
    }
    const later = this.store.appendDebitLater(this.newEntry(input));
    let read: LedgerEntry | undefined;
    return () => {
      if (read) return read;
      const entry = later();
      if (!entry)
        throw new AppError('INSUFFICIENT', 'The balance is too low for this; top up first.', { neededCents: String(-input.amountCents) });
      this.feed?.balance(entry.userId);
      read = entry;
      return entry;
    };
  }

  private newEntry(input: PostInput): NewLedgerEntry {
    return {
      id: this.ids.next('led'),
      userId: input.userId,
      kind: input.kind,
      amountCents: input.amountCents,
      orderId: input.orderId ?? null,
      reason: input.reason ?? null,
      createdAt: input.at,
    };
  }

  /** Newest first, `before` an entry id (exclusive) for paging. */
  list(userId: string, limit: number, before?: string): LedgerEntry[] {
    return this.store.listByUser(userId, limit, before);
  }
}

/** Throws NOT_FOUND for no user, INSUFFICIENT below zero, BAD_REQUEST past the largest safe integer. */
function refuseOutOfRange(balanceCents: number | undefined, amountCents: number): void {
  if (balanceCents === undefined) throw new AppError('NOT_FOUND', 'No such user.');
  const after = balanceCents + amountCents;
  if (after < 0) {
    throw new AppError('INSUFFICIENT', 'The balance is too low for this; top up first.', {
      balanceCents: String(balanceCents),
      neededCents: String(-amountCents),
    });
  }
  if (!Number.isSafeInteger(after)) throw new AppError('BAD_REQUEST', 'That amount would overflow the balance.');
}
