/**
 * The one money path (docs/decisions.md D131): every balance change — a buy's debit, an order's
 * refund, a new user's opening balance, an operator's credit or debit, the simulator's top-up —
 * is one of these methods, and each posts through the ledger (D4). Nothing else calls
 * `Ledger.post`; a test keeps it that way.
 *
 * The order methods run inside the caller's transaction (the one that saves the order); the
 * others open their own.
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../ports/clock.js';
import type { Transactions } from '../storage/transactions.js';
import type { LedgerEffect } from '../order/order-machine.js';
import type { Ledger, LedgerEntry } from './ledger.js';

export interface Adjustment {
  userId: string;
  /** Signed whole cents: credits positive, debits negative; never zero. */
  amountCents: number;
  /** `topup` (credits only) or `adjustment` (either sign). Defaults by the sign. */
  kind?: 'topup' | 'adjustment' | undefined;
  /** Why, for the customer's statement and the audit trail. Required. */
  reason: string;
}

export class MoneyService {
  private readonly debitListeners: Array<(userId: string) => void> = [];

  constructor(
    private readonly tx: Transactions,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
  ) {}

  /**
   * The debit of a new order's price, inside the buy's transaction or savepoint. Its outcome is
   * read later (on PostgreSQL it goes with the buy's next round trip, docs/decisions.md D127): the
   * function gives the ledger entry, or throws INSUFFICIENT when the balance was short, and the
   * savepoint must then roll back.
   */
  chargeOrder(input: { userId: string; orderId: string; priceCents: number; reason: string; at: number }): () => LedgerEntry {
    return this.ledger.postDebitLater({
      userId: input.userId,
      kind: 'order_debit',
      amountCents: -input.priceCents,
      orderId: input.orderId,
      reason: input.reason,
      at: input.at,
    });
  }

  /** The money effects the order machine gives one transition (D4: only whole refunds); inside the order's transaction. */
  applyOrderEffects(input: {
    userId: string;
    orderId: string;
    effects: readonly LedgerEffect[];
    reason: string;
    at: number;
  }): LedgerEntry[] {
    return input.effects.map((e) =>
      this.ledger.post({
        userId: input.userId,
        kind: e.kind,
        amountCents: e.amountCents,
        orderId: input.orderId,
        reason: input.reason,
        at: input.at,
      }),
    );
  }

  /** A new user's opening balance, as a top-up; inside the transaction that creates the user. */
  openingBalance(userId: string, amountCents: number, at: number): LedgerEntry | undefined {
    if (amountCents <= 0) return undefined;
    return this.ledger.post({ userId, kind: 'topup', amountCents, reason: 'opening balance', at });
  }

  /**
   * An operator's refund of an ended order the upstream failed to honour (docs/decisions.md D101):
   * the whole charge, once; inside the caller's transaction, which has checked the order.
   */
  refundOrderByOperator(input: { userId: string; orderId: string; chargedCents: number; reason: string; at: number }): LedgerEntry {
    return this.ledger.post({
      userId: input.userId,
      kind: 'refund',
      amountCents: input.chargedCents,
      orderId: input.orderId,
      reason: input.reason,
      at: input.at,
    });
  }

  /** Called with the user before an operator's debit (what remembers a balance forgets it). */
  onDebit(listener: (userId: string) => void): void {
    this.debitListeners.push(listener);
  }

  /** An operator's credit or debit (or a simulated top-up): validated, in its own transaction. */
  adjust(input: Adjustment): LedgerEntry {
    if (!Number.isSafeInteger(input.amountCents)) throw new AppError('BAD_REQUEST', 'amountCents: must be a whole number of cents.');
    if (input.amountCents === 0) throw new AppError('BAD_REQUEST', 'amountCents: must not be zero.');
    const kind = input.kind ?? (input.amountCents > 0 ? 'topup' : 'adjustment');
    if (kind === 'topup' && input.amountCents < 0)
      throw new AppError('BAD_REQUEST', 'kind: a top-up must be positive; use "adjustment" to debit.');
    if (!input.reason.trim()) throw new AppError('BAD_REQUEST', 'reason: say why the balance changes.');
    if (input.amountCents < 0) for (const l of this.debitListeners) l(input.userId);
    return this.tx.write(() =>
      this.ledger.post({ userId: input.userId, kind, amountCents: input.amountCents, reason: input.reason, at: this.clock.now() }),
    );
  }
}
