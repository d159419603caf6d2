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
import { writeTx, type Db } from '../storage/database.js';
import { GroupCommitter } from '../storage/group-commit.js';
import type { Activation, ActiveActivation, Upstream } from '../upstream/upstream.js';
import type { OrderStore } from './order-store.js';

export interface BuyIntent {
  id: string;
  userId: string;
  service: string;
  country: number;
  startedAt: number;
}

interface Row {
  id: string;
  user_id: string;
  service: string;
  country: number;
  started_at: number;
  attempts: number;
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
  private readonly insertStmt;
  private readonly settleStmt;
  private readonly claimedStmt;
  private readonly othersStmt;
  private readonly recheckStmt;
  private readonly commits: GroupCommitter;
  /**
   * Buys of this process between their intent and their outcome, by service/country. A number
   * such a buy was sold is listed active by the upstream before its order is written, so it would
   * look like an orphan: the worker does not reconcile that pair until they land.
   */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly upstream: Upstream,
    private readonly outbox: Outbox,
    private readonly orders: OrderStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly log: Logger,
    private readonly reconcileAfterMs = DEFAULT_RECONCILE_AFTER_MS,
  ) {
    this.commits = new GroupCommitter(db, true);
    this.insertStmt = db.prepare(
      "INSERT INTO buy_intents (id, user_id, service, country, started_at, state, next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
    );
    this.settleStmt = db.prepare("UPDATE buy_intents SET state = 'settled', activation_id = ? WHERE id = ?");
    // Claimed: an intent settled on it, or a release of it is already owed.
    this.claimedStmt = db.prepare<[string, string], { one: number }>(
      "SELECT 1 AS one FROM buy_intents WHERE activation_id = ? UNION ALL SELECT 1 FROM outbox WHERE activation_id = ? AND kind = 'release' LIMIT 1",
    );
    this.recheckStmt = db.prepare('UPDATE buy_intents SET next_attempt_at = ? WHERE id = ?');
    this.othersStmt = db.prepare<[string, number, string], { n: number }>(
      "SELECT COUNT(*) AS n FROM buy_intents WHERE state = 'pending' AND service = ? AND country = ? AND id != ?",
    );
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
        this.insertStmt.run(intent.id, userId, service, country, intent.startedAt, intent.startedAt + this.reconcileAfterMs);
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

  /** Inside the order's transaction. */
  settle(intent: BuyIntent, activationId: string): void {
    this.settleStmt.run(activationId, intent.id);
  }

  fail(intent: BuyIntent, err: unknown): void {
    writeTx(this.db, () => {
      this.db.prepare("UPDATE buy_intents SET state = 'failed', note = ? WHERE id = ?").run(String(err).slice(0, 500), intent.id);
    });
  }

  release(intent: BuyIntent, activationId: string, err: unknown): void {
    this.db
      .prepare("UPDATE buy_intents SET state = 'reconciled', activation_id = ?, note = ? WHERE id = ?")
      .run(activationId, `released: ${String(err).slice(0, 480)}`, intent.id);
  }

  private candidates(intent: BuyIntent, active: ActiveActivation[]): ActiveActivation[] {
    return active.filter(
      (a) =>
        a.service === intent.service &&
        a.country === intent.country &&
        (a.startedAt === null || a.startedAt >= intent.startedAt - CLOCK_SKEW_MS) &&
        !this.orders.getByActivation(a.activationId) &&
        !this.claimed(a.activationId),
    );
  }

  private claimed(activationId: string): boolean {
    return this.claimedStmt.get(activationId, activationId) !== undefined;
  }

  /**
   * Right after a timed-out buy: looks for the number the upstream may have sold. Returns it to
   * attach to the order, or undefined (the intent stays pending for the worker).
   */
  async reconcileNow(intent: BuyIntent): Promise<Activation | undefined> {
    // Another buy of the same pair still in flight makes a match ambiguous: leave it to the worker.
    const others = this.othersStmt.get(intent.service, intent.country, intent.id)!.n;
    if (others > 0) return undefined;
    try {
      const found = this.candidates(intent, await this.upstream.listActive());
      const newest = found.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0))[0];
      if (newest) this.log.warn({ event: 'buy.reconciled_after_timeout', intentId: intent.id, activationId: newest.activationId });
      return newest ? { activationId: newest.activationId, phone: newest.phone } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Worker pass: releases numbers sold for intents that never became orders. Returns how many it settled. */
  async reconcilePending(limit = 50): Promise<number> {
    const now = this.clock.now();
    const rows = this.db
      .prepare<[number, number], Row>(
        "SELECT * FROM buy_intents WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
      )
      .all(now, limit);
    if (rows.length === 0) return 0;
    let active: ActiveActivation[];
    try {
      active = await this.upstream.listActive();
    } catch (err) {
      writeTx(this.db, () => {
        for (const r of rows) this.postpone(r, now, `listActive failed: ${String(err)}`);
      });
      return 0;
    }
    let settled = 0;
    writeTx(this.db, () => {
      for (const r of rows) {
        if (this.inFlight.has(pairKey(r.service, r.country))) {
          this.recheckStmt.run(now + IN_FLIGHT_RECHECK_MS, r.id);
          continue;
        }
        settled += 1;
        const intent: BuyIntent = { id: r.id, userId: r.user_id, service: r.service, country: r.country, startedAt: r.started_at };
        const orphans = this.candidates(intent, active);
        for (const o of orphans) {
          this.outbox.enqueue('release', o.activationId, null);
          this.log.warn({ event: 'buy.orphan_released', intentId: r.id, activationId: o.activationId });
        }
        this.db
          .prepare("UPDATE buy_intents SET state = 'reconciled', activation_id = ?, note = ? WHERE id = ?")
          .run(orphans[0]?.activationId ?? null, orphans.length ? `released ${orphans.length}` : 'nothing was sold', r.id);
      }
    });
    return settled;
  }

  private postpone(r: Row, now: number, note: string): void {
    const attempts = r.attempts + 1;
    const state = attempts >= MAX_ATTEMPTS ? 'failed' : 'pending';
    this.db
      .prepare('UPDATE buy_intents SET attempts = ?, next_attempt_at = ?, note = ?, state = ? WHERE id = ?')
      .run(attempts, now + Math.min(this.reconcileAfterMs * 2 ** attempts, 60 * 60_000), note.slice(0, 500), state, r.id);
  }
}
