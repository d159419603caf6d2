/**
 * The durable outbox of upstream commands (docs/decisions.md D8). Commands are written in the same
 * transaction as the order change that owes them and sent later, in order per activation,
 * with jittered exponential backoff until the upstream accepts. A crash loses nothing: the
 * rows are still there when the process comes back.
 */
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/ids.js';
import type { Rng } from '../ports/rng.js';
import type { Transactions } from '../storage/transactions.js';
import type { Upstream } from '../upstream/upstream.js';
import { isUpstreamError } from '../upstream/upstream-error.js';
import type { Logger } from '../logger.js';
import type { OutboxCommand, OutboxKind, OutboxStore } from './outbox-store.js';
import { runExclusive, type JobLockStore } from '../storage/job-lock-store.js';

export type { OutboxCommand, OutboxKind } from './outbox-store.js';

export interface OutboxOptions {
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long after a denied early cancel to try again, when the upstream does not say. */
  earlyCancelHoldMs?: number;
  concurrency?: number;
}

export class Outbox {
  private readonly opts: Required<OutboxOptions>;
  private draining: Promise<number> | undefined;

  constructor(
    private readonly store: OutboxStore,
    private readonly tx: Transactions,
    private readonly locks: JobLockStore,
    private readonly upstream: Upstream,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly rng: Rng,
    private readonly log: Logger,
    options: OutboxOptions = {},
  ) {
    this.opts = { baseBackoffMs: 1_000, maxBackoffMs: 5 * 60_000, earlyCancelHoldMs: 120_000, concurrency: 8, ...options };
  }

  /** Records an owed command. Call inside the transaction of the change that owes it. */
  enqueue(kind: OutboxKind, activationId: string, orderId: string | null): string {
    const id = this.ids.next('ob');
    this.store.insert({ id, kind, activationId, orderId, at: this.clock.now() });
    return id;
  }

  pending(): OutboxCommand[] {
    return this.store.listPending();
  }

  list(limit: number): OutboxCommand[] {
    return this.store.listRecent(limit);
  }

  /**
   * Sends every due command once; returns how many were attempted. Concurrent calls share one run,
   * and of several instances on one database only the one holding the outbox's job lock sends
   * (docs/decisions.md D128): the others return 0 and try again at their next tick.
   */
  drain(limit = 200): Promise<number> {
    // Nothing due, the usual answer between changes: no job lock taken and no claim made (an index
    // probe; the claim under the lock decides).
    if (!this.draining) {
      let due: boolean;
      try {
        due = this.store.hasDue(this.clock.now());
      } catch (err) {
        return Promise.reject(err);
      }
      if (!due) return Promise.resolve(0);
    }
    this.draining ??= runExclusive(this.locks, 'outbox', 0, () => this.run(limit)).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async run(limit: number): Promise<number> {
    const due = this.store.claimDue(this.clock.now(), limit);
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
      const status = this.store.orderStatus(cmd.orderId);
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
        this.store.markRetry(cmd.id, now + (err.retryAfterMs ?? this.opts.earlyCancelHoldMs) + 1_000, message);
      } else if (isUpstreamError(err, 'NO_ACTIVATION')) {
        this.finishCommand(cmd, 'already_closed', message);
      } else if (isUpstreamError(err, 'CODE_RECEIVED') && cmd.kind !== 'finish') {
        // The number got an SMS we never showed; it cannot be cancelled, so it is closed with finish.
        // Only the writer that ends the cancel owes the finish: never two finishes for one number.
        this.tx.write(() => {
          if (this.finishCommand(cmd, 'converted_to_finish', message)) this.enqueue('finish', cmd.activationId, cmd.orderId);
        });
      } else if (isUpstreamError(err, 'BAD_STATUS')) {
        this.finishCommand(cmd, 'refused', message);
      } else {
        const delay = this.backoff(cmd.attempts);
        this.store.markRetry(cmd.id, now + delay, message);
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

  /** Ends a pending command; false when it was no longer pending (another writer ended it). */
  private finishCommand(cmd: OutboxCommand, outcome: string, error: string | null): boolean {
    return this.store.markDone(cmd.id, outcome, error, this.clock.now());
  }
}
