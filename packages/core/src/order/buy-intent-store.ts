/**
 * Buy intents in storage (docs/decisions.md D9, D125): written before the upstream is asked for a
 * number, settled with the order, reconciled by the worker otherwise. The worker's changes to a
 * pending intent are conditional updates that say whether the intent was still pending.
 */
import type { Db } from '../storage/database.js';

export type BuyIntentState = 'pending' | 'settled' | 'failed' | 'reconciled';

/** A pending intent as the worker reconciles it. */
export interface PendingBuyIntent {
  id: string;
  userId: string;
  service: string;
  country: number;
  startedAt: number;
  attempts: number;
}

export interface BuyIntentStore {
  insertPending(intent: { id: string; userId: string; service: string; country: number; startedAt: number }, nextAttemptAt: number): void;
  /**
   * The buy recorded its order (inside the order's transaction). Answers a function that says
   * whether it applied: false if the intent was no longer pending (another instance reconciled it
   * first), and then the order must not be recorded. Asked later, the answer may come with the
   * next statement's round trip on PostgreSQL (a deferred write, docs/decisions.md D127).
   */
  settle(id: string, activationId: string): () => boolean;
  /** The upstream refused the buy: nothing was sold. False if the intent was no longer pending. */
  fail(id: string, note: string): boolean;
  /** Reconciled (the number it was sold given back, or nothing sold); false if the intent was no longer pending. */
  reconcile(id: string, activationId: string | null, note: string): boolean;
  /**
   * Whether this activation is spoken for: an intent settled or reconciled on it, or a release of
   * it is already owed in the outbox.
   */
  isClaimed(activationId: string): boolean;
  /** Pending intents of this service and country other than `exceptId`. */
  countPendingLike(service: string, country: number, exceptId: string): number;
  /** Whether a pending intent of this service and country other than `exceptId` started after `since` (a buy maybe still in flight). */
  hasPendingSince(service: string, country: number, since: number, exceptId: string): boolean;
  /** Pending intents whose next look is due by `now`, the earliest first. */
  duePending(now: number, limit: number): PendingBuyIntent[];
  /** Looks again at a pending intent at `at`; false if it was no longer pending. */
  recheckAt(id: string, at: number): boolean;
  /** A failed look at a pending intent: counts the attempt and sets its next look, or gives up (failed). */
  postpone(id: string, update: { attempts: number; nextAttemptAt: number; note: string; giveUp: boolean }): boolean;
  /** The earliest next look at a pending intent after `t`, or undefined. */
  nextDueAfter(t: number): number | undefined;
  /** Whether a pending intent's next look is due by `now`. */
  hasDue(now: number): boolean;
  pendingCount(): number;
  /** How many intents are in each state (states with none left out). */
  countByState(): Partial<Record<BuyIntentState, number>>;
}

interface Row {
  id: string;
  user_id: string;
  service: string;
  country: number;
  started_at: number;
  attempts: number;
}

export class SqliteBuyIntentStore implements BuyIntentStore {
  private readonly insertStmt;
  private readonly settleStmt;
  private readonly failStmt;
  private readonly reconcileStmt;
  private readonly claimedStmt;
  private readonly othersStmt;
  private readonly recentStmt;
  private readonly dueStmt;
  private readonly recheckStmt;
  private readonly postponeStmt;
  private readonly nextDueStmt;
  private readonly hasDueStmt;
  private readonly pendingStmt;
  private readonly byStateStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      "INSERT INTO buy_intents (id, user_id, service, country, started_at, state, next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
    );
    this.settleStmt = db.prepare("UPDATE buy_intents SET state = 'settled', activation_id = ? WHERE id = ? AND state = 'pending'");
    this.failStmt = db.prepare("UPDATE buy_intents SET state = 'failed', note = ? WHERE id = ? AND state = 'pending'");
    this.reconcileStmt = db.prepare(
      "UPDATE buy_intents SET state = 'reconciled', activation_id = ?, note = ? WHERE id = ? AND state = 'pending'",
    );
    this.claimedStmt = db
      .prepare<[string, string], number>(
        "SELECT 1 FROM buy_intents WHERE activation_id = ? UNION ALL SELECT 1 FROM outbox WHERE activation_id = ? AND kind = 'release' LIMIT 1",
      )
      .pluck();
    this.othersStmt = db
      .prepare<[string, number, string], number>(
        "SELECT COUNT(*) FROM buy_intents WHERE state = 'pending' AND service = ? AND country = ? AND id != ?",
      )
      .pluck();
    this.recentStmt = db
      .prepare<[string, number, number, string], number>(
        "SELECT EXISTS (SELECT 1 FROM buy_intents WHERE state = 'pending' AND service = ? AND country = ? AND started_at > ? AND id != ?)",
      )
      .pluck();
    this.dueStmt = db.prepare<[number, number], Row>(
      "SELECT * FROM buy_intents WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
    );
    this.recheckStmt = db.prepare("UPDATE buy_intents SET next_attempt_at = ? WHERE id = ? AND state = 'pending'");
    this.postponeStmt = db.prepare(
      "UPDATE buy_intents SET attempts = ?, next_attempt_at = ?, note = ?, state = ? WHERE id = ? AND state = 'pending'",
    );
    this.nextDueStmt = db
      .prepare<[number], number | null>("SELECT MIN(next_attempt_at) FROM buy_intents WHERE state = 'pending' AND next_attempt_at > ?")
      .pluck();
    this.hasDueStmt = db
      .prepare<[number], number>("SELECT EXISTS (SELECT 1 FROM buy_intents WHERE state = 'pending' AND next_attempt_at <= ?)")
      .pluck();
    this.pendingStmt = db.prepare<[], number>("SELECT COUNT(*) FROM buy_intents WHERE state = 'pending'").pluck();
    this.byStateStmt = db.prepare<[], { state: BuyIntentState; n: number }>('SELECT state, COUNT(*) AS n FROM buy_intents GROUP BY state');
  }

  insertPending(intent: { id: string; userId: string; service: string; country: number; startedAt: number }, nextAttemptAt: number): void {
    this.insertStmt.run(intent.id, intent.userId, intent.service, intent.country, intent.startedAt, nextAttemptAt);
  }

  settle(id: string, activationId: string): () => boolean {
    const r = this.settleStmt.run(activationId, id);
    return () => r.changes === 1;
  }

  fail(id: string, note: string): boolean {
    return this.failStmt.run(note, id).changes === 1;
  }

  reconcile(id: string, activationId: string | null, note: string): boolean {
    return this.reconcileStmt.run(activationId, note, id).changes === 1;
  }

  isClaimed(activationId: string): boolean {
    return this.claimedStmt.get(activationId, activationId) !== undefined;
  }

  countPendingLike(service: string, country: number, exceptId: string): number {
    return this.othersStmt.get(service, country, exceptId)!;
  }

  hasPendingSince(service: string, country: number, since: number, exceptId: string): boolean {
    return this.recentStmt.get(service, country, since, exceptId) === 1;
  }

  duePending(now: number, limit: number): PendingBuyIntent[] {
    return this.dueStmt.all(now, limit).map((r) => ({
      id: r.id,
      userId: r.user_id,
      service: r.service,
      country: r.country,
      startedAt: r.started_at,
      attempts: r.attempts,
    }));
  }

  recheckAt(id: string, at: number): boolean {
    return this.recheckStmt.run(at, id).changes === 1;
  }

  postpone(id: string, u: { attempts: number; nextAttemptAt: number; note: string; giveUp: boolean }): boolean {
    return this.postponeStmt.run(u.attempts, u.nextAttemptAt, u.note, u.giveUp ? 'failed' : 'pending', id).changes === 1;
  }

  nextDueAfter(t: number): number | undefined {
    return this.nextDueStmt.get(t) ?? undefined;
  }

  hasDue(now: number): boolean {
    return this.hasDueStmt.get(now) === 1;
  }

  pendingCount(): number {
    return this.pendingStmt.get()!;
  }

  countByState(): Partial<Record<BuyIntentState, number>> {
    return Object.fromEntries(this.byStateStmt.all().map((r) => [r.state, r.n]));
  }
}
