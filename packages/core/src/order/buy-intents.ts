/**
 * Buy intents (docs/decisions.md D9): a row written before the upstream is asked for a number and
 * settled in the order's own transaction. An intent left pending — the buy timed out, or the
 * process died between the upstream's sale and the local write — is reconciled against the
 * upstream's active list: a number sold for it and attached to no order is released.
 */
import type { Logger } from '../logger.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/ids.js';
import { GroupCommitter } from '../storage/group-commit.js';
import type { Transactions } from '../storage/transactions.js';
import type { Activation, ActiveActivation, Upstream } from '../upstream/upstream.js';
import { runExclusive, type JobLockStore } from '../storage/job-lock-store.js';
import type { BuyIntentStore, PendingBuyIntent } from './buy-intent-store.js';
import type { OrderStore } from './order-store.js';

export interface BuyIntent {
  id: string;
  userId: string;
  service: string;
  country: number;
  startedAt: number;
}

/** By default a pending intent is reconciled once it is this old (a live buy is never that slow). */
export const DEFAULT_RECONCILE_AFTER_MS = 60_000;
const MAX_ATTEMPTS = 20;
/** Upstream clocks and ours disagree a little; a number bought this long before the intent still matches. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** How soon to look again at an intent whose pair has a buy in flight in this process. */
const IN_FLIGHT_RECHECK_MS = 5_000;

const pairKey = (service: string, country: number): string => `${service}/${country}`;

export class BuyIntents {
  private readonly commits: GroupCommitter;
  /**
   * Buys of this process between their intent and their outcome, by service/country. A number
   * such a buy was sold is listed active by the upstream before its order is written, so it would
   * look like an orphan: the worker does not reconcile that pair until they land.
   */
  private readonly inFlight = new Map<string, number>();
  private reconciling: Promise<number> | undefined;

  constructor(
    private readonly store: BuyIntentStore,
    private readonly tx: Transactions,
    private readonly upstream: Upstream,
    private readonly outbox: Outbox,
    private readonly orders: OrderStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly log: Logger,
    private readonly locks: JobLockStore,
    private readonly reconcileAfterMs = DEFAULT_RECONCILE_AFTER_MS,
    /**
     * Other instances buy on the same database (PostgreSQL): their buys in flight are not in this
     * process's map, so a pending intent of the pair younger than reconcileAfterMs counts as one.
     */
    private readonly sharedDatabase = false,
  ) {
    // Unsynced, and without a savepoint each: an intent's insert fails only when the database does.
    this.commits = new GroupCommitter(tx, true, false);
  }

  /** Resolves once the intent is written, before the upstream is asked. */
  async open(userId: string, service: string, country: number): Promise<BuyIntent> {
    const intent: BuyIntent = { id: this.ids.next('ob'), userId, service, country, startedAt: this.clock.now() };
    const key = pairKey(service, country);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    // Not fsynced, and grouped with the intents of the same turn: it survives a crash of this
    // process, which is what it is for. A power loss can lose it only together with the sale's
    // answer; the upstream then refunds that number itself at the end of its lifetime, and no
    // user was charged.
    try {
      await this.commits.run(() => {
        this.store.insertPending(intent, intent.startedAt + this.reconcileAfterMs);
      });
    } catch (err) {
      this.landed(intent);
      throw err;
    }
    return intent;
  }

  /** The buy of this intent is over, whatever its outcome: the worker may reconcile its pair again. */
  landed(intent: BuyIntent): void {
    const key = pairKey(intent.service, intent.country);
    const n = (this.inFlight.get(key) ?? 1) - 1;
    if (n > 0) this.inFlight.set(key, n);
    else this.inFlight.delete(key);
  }

  /**
   * Inside the order's transaction. The function it answers says false when the intent is no
   * longer pending: another instance's reconciliation settled it first, and the number is not
   * this buy's to attach. Ask it after the order's next statement (one round trip fewer on PostgreSQL).
   */
  settle(intent: BuyIntent, activationId: string): () => boolean {
    return this.store.settle(intent.id, activationId);
  }

  /** Whether the number is spoken for: an intent settled or reconciled on it, or its release is owed. */
  isClaimed(activationId: string): boolean {
    return this.store.isClaimed(activationId);
  }

  fail(intent: BuyIntent, err: unknown): void {
    // A no-op when another instance reconciled it first: nothing was sold either way.
    this.tx.write(() => this.store.fail(intent.id, String(err).slice(0, 500)));
  }

  /** Inside the caller's transaction, with the release of the number enqueued. */
  release(intent: BuyIntent, activationId: string, err: unknown): void {
    this.store.reconcile(intent.id, activationId, `released: ${String(err).slice(0, 480)}`);
  }

  private candidates(intent: BuyIntent, active: ActiveActivation[]): ActiveActivation[] {
    return active.filter(
      (a) =>
        a.service === intent.service &&
        a.country === intent.country &&
        (a.startedAt === null || a.startedAt >= intent.startedAt - CLOCK_SKEW_MS) &&
        !this.orders.getByActivation(a.activationId) &&
        !this.store.isClaimed(a.activationId),
    );
  }

  /**
   * Right after a timed-out buy: looks for the number the upstream may have sold. Returns it to
   * attach to the order, or undefined (the intent stays pending for the worker).
   */
  async reconcileNow(intent: BuyIntent): Promise<Activation | undefined> {
    // Another buy of the same pair still in flight makes a match ambiguous: leave it to the worker.
    if (this.store.countPendingLike(intent.service, intent.country, intent.id) > 0) return undefined;
    try {
      const active = await this.upstream.listActive();
      // A buy of the pair that began while the list was read (here or in another instance) may
      // have been sold a number in it, newer than ours, and not have recorded its order yet:
      // taking that number would give it to two orders. Ambiguous again: leave it to the worker.
      if (this.store.countPendingLike(intent.service, intent.country, intent.id) > 0) return undefined;
      const found = this.candidates(intent, active);
      const newest = found.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0))[0];
      if (newest) this.log.warn({ event: 'buy.reconciled_after_timeout', intentId: intent.id, activationId: newest.activationId });
      return newest ? { activationId: newest.activationId, phone: newest.phone } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Worker pass: releases numbers sold for intents that never became orders. Returns how many it
   * settled. Of several instances on one database only the one holding the job's lock runs it
   * (docs/decisions.md D128); concurrent calls in one process share one pass.
   */
  reconcilePending(limit = 50): Promise<number> {
    this.reconciling ??= runExclusive(this.locks, 'buy-reconcile', 0, () => this.reconcileOnce(limit)).finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  /** Whether a buy of the pair may still be in flight, here or (on a shared database) in another instance. */
  private buyInFlight(p: PendingBuyIntent, now: number): boolean {
    if (this.inFlight.has(pairKey(p.service, p.country))) return true;
    return this.sharedDatabase && this.store.hasPendingSince(p.service, p.country, now - this.reconcileAfterMs, p.id);
  }

  private async reconcileOnce(limit: number): Promise<number> {
    const now = this.clock.now();
    const due = this.store.duePending(now, limit);
    if (due.length === 0) return 0;
    let active: ActiveActivation[];
    try {
      active = await this.upstream.listActive();
    } catch (err) {
      this.tx.write(() => {
        for (const p of due) this.postpone(p, now, `listActive failed: ${String(err)}`);
      });
      return 0;
    }
    let settled = 0;
    this.tx.write(() => {
      for (const p of due) {
        if (this.buyInFlight(p, now)) {
          this.store.recheckAt(p.id, now + IN_FLIGHT_RECHECK_MS);
          continue;
        }
        const orphans = this.candidates(p, active);
        // Only the writer that finds it still pending gives its orphans back.
        const mine = this.store.reconcile(
          p.id,
          orphans[0]?.activationId ?? null,
          orphans.length ? `released ${orphans.length}` : 'nothing was sold',
        );
        if (!mine) continue;
        settled += 1;
        for (const o of orphans) {
          this.outbox.enqueue('release', o.activationId, null);
          this.log.warn({ event: 'buy.orphan_released', intentId: p.id, activationId: o.activationId });
        }
      }
    });
    return settled;
  }

  private postpone(p: PendingBuyIntent, now: number, note: string): void {
    const attempts = p.attempts + 1;
    this.store.postpone(p.id, {
      attempts,
      nextAttemptAt: now + Math.min(this.reconcileAfterMs * 2 ** attempts, 60 * 60_000),
      note: note.slice(0, 500),
      giveUp: attempts >= MAX_ATTEMPTS,
    });
  }
}
