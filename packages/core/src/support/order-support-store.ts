/**
 * What the operators' order view reads besides the order itself (docs/decisions.md D100, D125):
 * the order's ledger rows and the upstream commands owed for its activation. Read-only queries
 * across aggregates, for support tickets; no service depends on them.
 */
import { toLedgerEntry, type LedgerEntry } from '../ledger/ledger.js';
import type { Db } from '../storage/database.js';

/** An upstream command owed for an activation, as support sees it. */
export interface OrderCommand {
  id: string;
  kind: string;
  attempts: number;
  createdAt: number;
  doneAt: number | null;
  outcome: string | null;
  lastError: string | null;
}

export interface OrderSupportStore {
  /** The ledger rows of one order, in id order. */
  ledgerOfOrder(orderId: string): LedgerEntry[];
  /** The id of the order's refund row, if it was refunded. */
  refundOf(orderId: string): string | undefined;
  /** Upstream commands owed (or sent) for one activation, in id order. */
  commandsOfActivation(activationId: string): OrderCommand[];
}

interface CommandRow {
  id: string;
  kind: string;
  attempts: number;
  created_at: number;
  done_at: number | null;
  outcome: string | null;
  last_error: string | null;
}

export class SqliteOrderSupportStore implements OrderSupportStore {
  private readonly ledgerStmt;
  private readonly refundStmt;
  private readonly commandsStmt;

  constructor(db: Db) {
    this.ledgerStmt = db.prepare<[string], Parameters<typeof toLedgerEntry>[0]>('SELECT * FROM ledger WHERE order_id = ? ORDER BY id');
    this.refundStmt = db.prepare<[string], string>("SELECT id FROM ledger WHERE order_id = ? AND kind = 'refund'").pluck();
    this.commandsStmt = db.prepare<[string], CommandRow>(
      'SELECT id, kind, attempts, created_at, done_at, outcome, last_error FROM outbox WHERE activation_id = ? ORDER BY id',
    );
  }

  ledgerOfOrder(orderId: string): LedgerEntry[] {
    return this.ledgerStmt.all(orderId).map(toLedgerEntry);
  }

  refundOf(orderId: string): string | undefined {
    return this.refundStmt.get(orderId);
  }

  commandsOfActivation(activationId: string): OrderCommand[] {
    return this.commandsStmt.all(activationId).map((c) => ({
      id: c.id,
      kind: c.kind,
      attempts: c.attempts,
      createdAt: c.created_at,
      doneAt: c.done_at,
      outcome: c.outcome,
      lastError: c.last_error,
    }));
  }
}
