/**
 * The outbox's storage (docs/decisions.md D8, D125): owed upstream commands, which of them are
 * due, and their outcomes. Stores join the caller's transaction: a command is enqueued in the
 * transaction of the change that owes it.
 */
import type { Db } from '../storage/database.js';

export type OutboxKind = 'cancel' | 'finish' | 'next_sms' | 'release';

export interface OutboxCommand {
  id: string;
  kind: OutboxKind;
  activationId: string;
  orderId: string | null;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  doneAt: number | null;
  outcome: string | null;
  createdAt: number;
}

export interface OutboxStore {
  /** Records a new pending command, due at once (`at`). */
  insert(command: { id: string; kind: OutboxKind; activationId: string; orderId: string | null; at: number }): void;
  /**
   * Up to `limit` pending commands due at `now`, soonest first; only the oldest pending command
   * of each activation, so commands run in the order owed. With one process on the database
   * (SQLite) claiming is reading: the caller is the only sender, and markDone/markRetry apply
   * only to commands still pending.
   */
  claimDue(now: number, limit: number): OutboxCommand[];
  /** Ends a pending command with its outcome (one more attempt); false when it was no longer pending. */
  markDone(id: string, outcome: string, error: string | null, at: number): boolean;
  /** Counts an attempt of a pending command and puts off the next; false when it was no longer pending. */
  markRetry(id: string, nextAttemptAt: number, error: string): boolean;
  /** Every pending command, oldest first. */
  listPending(): OutboxCommand[];
  /** The newest commands, pending or done. */
  listRecent(limit: number): OutboxCommand[];
  /** How many commands are pending, and when the oldest was created (for metrics). */
  pendingStats(): { pending: number; oldestCreatedAt: number | null };
  /** The earliest retry of a pending command after `t`; undefined when none. */
  nextDueAfter(t: number): number | undefined;
  /** Whether a pending command is due at `now`. */
  hasDue(now: number): boolean;
  /** The status of the order a command belongs to (read across aggregates: a next_sms for an order no longer waiting is superseded). */
  orderStatus(orderId: string): string | undefined;
}

interface Row {
  id: string;
  kind: OutboxKind;
  activation_id: string;
  order_id: string | null;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  done_at: number | null;
  outcome: string | null;
  created_at: number;
}

const toCommand = (r: Row): OutboxCommand => ({
  id: r.id,
  kind: r.kind,
  activationId: r.activation_id,
  orderId: r.order_id,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  doneAt: r.done_at,
  outcome: r.outcome,
  createdAt: r.created_at,
});

export class SqliteOutboxStore implements OutboxStore {
  private readonly insertStmt;
  private readonly dueStmt;
  private readonly doneStmt;
  private readonly retryStmt;
  private readonly pendingStmt;
  private readonly recentStmt;
  private readonly statsStmt;
  private readonly nextDueStmt;
  private readonly hasDueStmt;
  private readonly orderStatusStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[string, OutboxKind, string, string | null, number, number]>(
      'INSERT INTO outbox (id, kind, activation_id, order_id, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)',
    );
    this.dueStmt = db.prepare<[number, number], Row>(
      `SELECT o.* FROM outbox o
        WHERE o.done_at IS NULL AND o.next_attempt_at <= ?
          AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.activation_id = o.activation_id AND p.done_at IS NULL AND p.id < o.id)
        ORDER BY o.next_attempt_at, o.id LIMIT ?`,
    );
    this.doneStmt = db.prepare<[number, string, string | null, string]>(
      'UPDATE outbox SET done_at = ?, outcome = ?, attempts = attempts + 1, last_error = ? WHERE id = ? AND done_at IS NULL',
    );
    this.retryStmt = db.prepare<[number, string, string]>(
      'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND done_at IS NULL',
    );
    this.pendingStmt = db.prepare<[], Row>('SELECT * FROM outbox WHERE done_at IS NULL ORDER BY id');
    this.recentStmt = db.prepare<[number], Row>('SELECT * FROM outbox ORDER BY id DESC LIMIT ?');
    this.statsStmt = db.prepare<[], { n: number; oldest: number | null }>(
      'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE done_at IS NULL',
    );
    this.nextDueStmt = db
      .prepare<[number], number | null>('SELECT MIN(next_attempt_at) FROM outbox WHERE done_at IS NULL AND next_attempt_at > ?')
      .pluck();
    this.hasDueStmt = db
      .prepare<[number], number>('SELECT EXISTS (SELECT 1 FROM outbox WHERE done_at IS NULL AND next_attempt_at <= ?)')
      .pluck();
    this.orderStatusStmt = db.prepare<[string], string>('SELECT status FROM orders WHERE id = ?').pluck();
  }

  insert(command: { id: string; kind: OutboxKind; activationId: string; orderId: string | null; at: number }): void {
    this.insertStmt.run(command.id, command.kind, command.activationId, command.orderId, command.at, command.at);
  }

  claimDue(now: number, limit: number): OutboxCommand[] {
    return this.dueStmt.all(now, limit).map(toCommand);
  }

  markDone(id: string, outcome: string, error: string | null, at: number): boolean {
    return this.doneStmt.run(at, outcome, error, id).changes === 1;
  }

  markRetry(id: string, nextAttemptAt: number, error: string): boolean {
    return this.retryStmt.run(nextAttemptAt, error, id).changes === 1;
  }

  listPending(): OutboxCommand[] {
    return this.pendingStmt.all().map(toCommand);
  }

  listRecent(limit: number): OutboxCommand[] {
    return this.recentStmt.all(limit).map(toCommand);
  }

  pendingStats(): { pending: number; oldestCreatedAt: number | null } {
    const r = this.statsStmt.get()!;
    return { pending: r.n, oldestCreatedAt: r.oldest };
  }

  nextDueAfter(t: number): number | undefined {
    return this.nextDueStmt.get(t) ?? undefined;
  }

  hasDue(now: number): boolean {
    return this.hasDueStmt.get(now) === 1;
  }

  orderStatus(orderId: string): string | undefined {
    return this.orderStatusStmt.get(orderId);
  }
}
