/**
 * The durable outbox of upstream commands (docs/decisions.md D8). Commands are written in the same
 * transaction as the order change that owes them and sent later, in order per activation,
 * with jittered exponential backoff until the upstream accepts. A crash loses nothing: the
 * rows are still there when the process comes back.
 */
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/ids.js';
import type { Rng } from '../ports/rng.js';
import { writeTx, type Db } from '../storage/database.js';
import type { Upstream } from '../upstream/upstream.js';
import { isUpstreamError } from '../upstream/upstream-error.js';
import type { Logger } from '../logger.js';

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

export interface OutboxOptions {
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long after a denied early cancel to try again, when the upstream does not say. */
  earlyCancelHoldMs?: number;
  concurrency?: number;
}

export class Outbox {
  private readonly insertStmt;
  private readonly dueStmt;
  private readonly doneStmt;
  private readonly retryStmt;
  private readonly orderStatusStmt;
  private readonly opts: Required<OutboxOptions>;
  private draining: Promise<number> | undefined;

  constructor(
    private readonly db: Db,
    private readonly upstream: Upstream,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly rng: Rng,
    private readonly log: Logger,
    options: OutboxOptions = {},
  ) {
    this.opts = { baseBackoffMs: 1_000, maxBackoffMs: 5 * 60_000, earlyCancelHoldMs: 120_000, concurrency: 8, ...options };
    this.insertStmt = db.prepare(
      'INSERT INTO outbox (id, kind, activation_id, order_id, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)',
    );
    // Only the oldest pending command of each activation is due: commands run in the order owed.
    this.dueStmt = db.prepare<[number, number], Row>(
      `SELECT o.* FROM outbox o
        WHERE o.done_at IS NULL AND o.next_attempt_at <= ?
          AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.activation_id = o.activation_id AND p.done_at IS NULL AND p.id < o.id)
        ORDER BY o.next_attempt_at, o.id LIMIT ?`,
    );
    this.doneStmt = db.prepare(
      'UPDATE outbox SET done_at = ?, outcome = ?, attempts = attempts + 1, last_error = ? WHERE id = ? AND done_at IS NULL',
    );
    this.retryStmt = db.prepare(
      'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND done_at IS NULL',
    );
    this.orderStatusStmt = db.prepare<[string], { status: string }>('SELECT status FROM orders WHERE id = ?');
  }

  /** Records an owed command. Call inside the transaction of the change that owes it. */
  enqueue(kind: OutboxKind, activationId: string, orderId: string | null): string {
    const id = this.ids.next('ob');
    const now = this.clock.now();
    this.insertStmt.run(id, kind, activationId, orderId, now, now);
    return id;
  }

  pending(): OutboxCommand[] {
    return this.db.prepare<[], Row>('SELECT * FROM outbox WHERE done_at IS NULL ORDER BY id').all().map(toCommand);
  }

  list(limit: number): OutboxCommand[] {
    return this.db.prepare<[number], Row>('SELECT * FROM outbox ORDER BY id DESC LIMIT ?').all(limit).map(toCommand);
  }

  /** Sends every due command once; returns how many were attempted. Concurrent calls share one run. */
  drain(limit = 200): Promise<number> {
    this.draining ??= this.run(limit).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async run(limit: number): Promise<number> {
    const due = this.dueStmt.all(this.clock.now(), limit).map(toCommand);
    let next = 0;
    const worker = async () => {
      while (next < due.length) await this.attempt(due[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, due.length) }, worker));
    return due.length;
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** Math.min(attempts, 20));
    return Math.round(base * (0.5 + this.rng.next()));
  }

  private async attempt(cmd: OutboxCommand): Promise<void> {
    if (cmd.kind === 'next_sms' && cmd.orderId) {
      const status = this.orderStatusStmt.get(cmd.orderId)?.status;
      if (status !== 'WAITING') {
        this.finishCommand(cmd, 'superseded', null);
        return;
      }
    }
    try {
      if (cmd.kind === 'cancel' || cmd.kind === 'release') await this.upstream.cancel(cmd.activationId);
      else if (cmd.kind === 'finish') await this.upstream.finish(cmd.activationId);
      else await this.upstream.requestNextSms(cmd.activationId);
      this.finishCommand(cmd, 'ok', null);
    } catch (err) {
      const now = this.clock.now();
      const message = err instanceof Error ? err.message : String(err);
      if (isUpstreamError(err, 'EARLY_CANCEL_DENIED')) {
        this.retryStmt.run(now + (err.retryAfterMs ?? this.opts.earlyCancelHoldMs) + 1_000, message, cmd.id);
      } else if (isUpstreamError(err, 'NO_ACTIVATION')) {
        this.finishCommand(cmd, 'already_closed', message);
      } else if (isUpstreamError(err, 'CODE_RECEIVED') && cmd.kind !== 'finish') {
        // The number got an SMS we never showed; it cannot be cancelled, so it is closed with finish.
        writeTx(this.db, () => {
          this.finishCommand(cmd, 'converted_to_finish', message);
          this.enqueue('finish', cmd.activationId, cmd.orderId);
        });
      } else if (isUpstreamError(err, 'BAD_STATUS')) {
        this.finishCommand(cmd, 'refused', message);
      } else {
        const delay = this.backoff(cmd.attempts);
        this.retryStmt.run(now + delay, message, cmd.id);
        this.log.warn({
          event: 'outbox.retry',
          commandId: cmd.id,
          kind: cmd.kind,
          activationId: cmd.activationId,
          attempts: cmd.attempts + 1,
          delayMs: delay,
          error: message,
        });
        return;
      }
    }
    this.log.info({ event: 'outbox.sent', commandId: cmd.id, kind: cmd.kind, activationId: cmd.activationId });
  }

  private finishCommand(cmd: OutboxCommand, outcome: string, error: string | null): void {
    this.doneStmt.run(this.clock.now(), outcome, error, cmd.id);
  }
}
