/**
 * Pricing rules in the database, read through a small cache, and the quote every price shown
 * and every order charged goes through — so /prices and POST /orders can never disagree.
 */
import { writeTx, type Db } from '../storage/database.js';
import { quote, selectRule, type PricingConfig, type PricingRule } from './pricing.js';

interface RuleRow {
  service: string | null;
  country: number | null;
  markup_bps: number;
  floor_cents: number;
}

export class PricingService {
  private rules: PricingRule[] | undefined;
  /** SQLite's data_version when the rules were read: it changes when another process commits. */
  private version = -1;
  private readonly versionStmt;

  constructor(
    private readonly db: Db,
    private readonly config: PricingConfig,
  ) {
    this.versionStmt = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  getRules(): PricingRule[] {
    const version = this.versionStmt.get()!;
    if (version !== this.version) {
      this.rules = undefined;
      this.version = version;
    }
    this.rules ??= this.db
      .prepare<[], RuleRow>('SELECT service, country, markup_bps, floor_cents FROM pricing_rules ORDER BY id')
      .all()
      .map((r) => ({ service: r.service, country: r.country, markupBps: r.markup_bps, floorCents: r.floor_cents }));
    return this.rules;
  }

  /** The rule used when no stored rule matches. */
  get fallback(): PricingRule {
    return this.config.fallback;
  }

  replaceRules(rules: PricingRule[]): PricingRule[] {
    writeTx(this.db, () => {
      this.db.prepare('DELETE FROM pricing_rules').run();
      const insert = this.db.prepare('INSERT INTO pricing_rules (service, country, markup_bps, floor_cents) VALUES (?, ?, ?, ?)');
      for (const r of rules) insert.run(r.service, r.country, r.markupBps, r.floorCents);
    });
    this.rules = undefined;
    return this.getRules();
  }

  priceCents(service: string, country: number, costMicros: bigint): number {
    return quote(costMicros, selectRule(this.getRules(), service, country, this.config.fallback), this.config.rateMicros);
  }
}
