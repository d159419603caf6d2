/**
 * The pricing rules' storage (docs/decisions.md D125). The pricing service caches the rules and
 * asks `changeVersion()` on every read whether another process may have replaced them.
 */
import type { Db } from '../storage/database.js';
import type { PricingRule } from './pricing.js';

export interface PricingRuleStore {
  /** Every stored rule, in the order they were stored. */
  list(): PricingRule[];
  /** Replaces every rule with these, in the caller's transaction. */
  replaceAll(rules: readonly PricingRule[]): void;
  /**
   * A number that changes when another process commits to the storage (SQLite's data_version):
   * a cache of the rules read under another number may be stale. This process's own writes need
   * not change it; the service forgets its cache after them itself.
   */
  changeVersion(): number;
}

interface RuleRow {
  service: string | null;
  country: number | null;
  markup_bps: number;
  floor_cents: number;
}

export class SqlitePricingRuleStore implements PricingRuleStore {
  private readonly listStmt;
  private readonly deleteAllStmt;
  private readonly insertStmt;
  private readonly versionStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare<[], RuleRow>('SELECT service, country, markup_bps, floor_cents FROM pricing_rules ORDER BY id');
    this.deleteAllStmt = db.prepare('DELETE FROM pricing_rules');
    this.insertStmt = db.prepare<[string | null, number | null, number, number]>(
      'INSERT INTO pricing_rules (service, country, markup_bps, floor_cents) VALUES (?, ?, ?, ?)',
    );
    this.versionStmt = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  list(): PricingRule[] {
    return this.listStmt.all().map((r) => ({ service: r.service, country: r.country, markupBps: r.markup_bps, floorCents: r.floor_cents }));
  }

  replaceAll(rules: readonly PricingRule[]): void {
    this.deleteAllStmt.run();
    for (const r of rules) this.insertStmt.run(r.service, r.country, r.markupBps, r.floorCents);
  }

  changeVersion(): number {
    return this.versionStmt.get()!;
  }
}
