/**
 * Pricing rules in the database, read through a small cache, and the quote every price shown
 * and every order charged goes through — so /prices and POST /orders can never disagree.
 */
import type { Transactions } from '../storage/transactions.js';
import { quote, selectRule, type PricingConfig, type PricingRule } from './pricing.js';
import type { PricingRuleStore } from './pricing-store.js';

export class PricingService {
  private rules: PricingRule[] | undefined;
  /** The store's change version when the rules were read: it changes when another process commits. */
  private version = -1;

  constructor(
    private readonly store: PricingRuleStore,
    private readonly tx: Transactions,
    private readonly config: PricingConfig,
  ) {}

  getRules(): PricingRule[] {
    const version = this.store.changeVersion();
    if (version !== this.version) {
      this.rules = undefined;
      this.version = version;
    }
    this.rules ??= this.store.list();
    return this.rules;
  }

  /** The rule used when no stored rule matches. */
  get fallback(): PricingRule {
    return this.config.fallback;
  }

  replaceRules(rules: PricingRule[]): PricingRule[] {
    this.tx.write(() => this.store.replaceAll(rules));
    this.rules = undefined;
    return this.getRules();
  }

  priceCents(service: string, country: number, costMicros: bigint): number {
    return quote(costMicros, selectRule(this.getRules(), service, country, this.config.fallback), this.config.rateMicros);
  }
}
