/**
 * The ledger (docs/decisions.md D4): the only way money moves. `post` changes a balance and appends
 * the row that records it; callers run it inside the transaction of the change that causes it.
 */
import type { Db } from '../storage/database.js';
import type { IdGenerator } from '../ports/ids.js';
import { AppError } from '../errors/app-error.js';
import type { ChangeFeed } from '../console/change-feed.js';

type LedgerKind = 'topup' | 'order_debit' | 'refund' | 'adjustment';

export interface LedgerEntry {
  id: string;
  userId: string;
  kind: LedgerKind;
  amountCents: number;
  balanceAfterCents: number;
  orderId: string | null;
  reason: string | null;
  createdAt: number;
}

export interface PostInput {
  userId: string;
  kind: LedgerKind;
  /** Signed: credits are positive, debits negative. Never zero. */
  amountCents: number;
  orderId?: string | null;
  reason?: string | null;
  at: number;
}

interface LedgerRow {
  id: string;
  user_id: string;
  kind: LedgerKind;
  amount_cents: number;
  balance_after_cents: number;
  order_id: string | null;
  reason: string | null;
  created_at: number;
}

export function toLedgerEntry(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    amountCents: row.amount_cents,
    balanceAfterCents: row.balance_after_cents,
    orderId: row.order_id,
    reason: row.reason,
    createdAt: row.created_at,
  };
}

export class Ledger {
  private readonly balanceStmt;
  private readonly updateStmt;
  private readonly insertStmt;
  private readonly listStmt;

  constructor(
    private readonly db: Db,
    private readonly ids: IdGenerator,
    /** Told of every balance change, for live views (docs/decisions.md D113). */
    private readonly feed?: ChangeFeed,
  ) {
    this.balanceStmt = db.prepare<[string], { balance_cents: number }>('SELECT balance_cents FROM users WHERE id = ?');
    this.updateStmt = db.prepare('UPDATE users SET balance_cents = ? WHERE id = ?');
    this.insertStmt = db.prepare(
      'INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.listStmt = db.prepare<[string, string, number], LedgerRow>(
      'SELECT * FROM ledger WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
    );
  }

  /** Must be called inside a write transaction. Throws INSUFFICIENT rather than go below zero. */
  post(input: PostInput): LedgerEntry {
    if (!this.db.inTransaction) throw new Error('Ledger.post must run inside a write transaction');
    if (!Number.isSafeInteger(input.amountCents) || input.amountCents === 0) {
      throw new AppError('BAD_REQUEST', 'A ledger amount must be a non-zero whole number of cents.');
    }
    const row = this.balanceStmt.get(input.userId);
    if (!row) throw new AppError('NOT_FOUND', 'No such user.');
    const after = row.balance_cents + input.amountCents;
    if (after < 0) {
      throw new AppError('INSUFFICIENT', 'The balance is too low for this; top up first.', {
        balanceCents: String(row.balance_cents),
        neededCents: String(-input.amountCents),
      });
    }
    if (!Number.isSafeInteger(after)) throw new AppError('BAD_REQUEST', 'That amount would overflow the balance.');
    const entry: LedgerEntry = {
      id: this.ids.next('led'),
      userId: input.userId,
      kind: input.kind,
      amountCents: input.amountCents,
      balanceAfterCents: after,
      orderId: input.orderId ?? null,
      reason: input.reason ?? null,
      createdAt: input.at,
    };
    this.updateStmt.run(after, input.userId);
    this.insertStmt.run(entry.id, entry.userId, entry.kind, entry.amountCents, after, entry.orderId, entry.reason, entry.createdAt);
    this.feed?.balance(entry.userId);
    return entry;
  }

  /** Newest first, `before` an entry id (exclusive) for paging. */
  list(userId: string, limit: number, before?: string): LedgerEntry[] {
    return this.listStmt.all(userId, before ?? '\uffff', limit).map(toLedgerEntry);
  }
}
