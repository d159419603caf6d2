/**
 * The PricingRuleStore contract (docs/decisions.md D125): the pricing rules, replaced as a whole
 * and read back in the order they were stored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PricingRule } from '../../src/pricing/pricing.js';
import type { Stores } from '../../src/storage/stores.js';
import type { OpenedStores, StoreHarness } from './harness.js';

const rule = (service: string | null, country: number | null, markupBps: number, floorCents: number): PricingRule => ({
  service,
  country,
  markupBps,
  floorCents,
});

export function pricingRuleStoreContract(h: StoreHarness): void {
  describe(`${h.name}: PricingRuleStore`, () => {
    let opened: OpenedStores;
    let s: Stores;
    const replace = (rules: readonly PricingRule[]) => s.tx.write(() => s.pricingRules.replaceAll(rules));

    beforeEach(async () => {
      opened = await h.open();
      s = opened.stores;
    });
    afterEach(async () => {
      await opened.close();
    });

    it('has no rules on an empty store', () => {
      expect(s.pricingRules.list()).toEqual([]);
    });

    it('lists the rules in the order they were stored, nulls and every number exact', () => {
      const rules = [
        rule('wa', 6, 2500, 150),
        rule(null, null, 0, 0),
        rule('tg', null, -9999, 2 ** 31 + 5),
        rule(null, 187, 10_000_000, Number.MAX_SAFE_INTEGER),
        rule('微信', 0, -1, 1),
      ];
      replace(rules);
      expect(s.pricingRules.list()).toEqual(rules);
    });

    it('replaces every rule: none of the old ones is left, and the new order holds', () => {
      replace([rule('wa', 6, 2500, 150), rule(null, null, 1000, 10), rule('tg', null, 500, 20)]);
      const next = [rule('tg', null, 700, 30), rule('vk', 0, 100, 5)];
      replace(next);
      expect(s.pricingRules.list()).toEqual(next);
      replace([]);
      expect(s.pricingRules.list()).toEqual([]);
    });

    it('takes a rule of the same scope again after replacing it', () => {
      replace([rule('wa', 6, 2500, 150)]);
      replace([rule('wa', 6, 3000, 200)]);
      expect(s.pricingRules.list()).toEqual([rule('wa', 6, 3000, 200)]);
    });

    it('refuses two rules of one scope (nulls included), and the refused replacement changes nothing', () => {
      const kept = [rule('wa', 6, 2500, 150)];
      replace(kept);
      expect(() => replace([rule(null, null, 0, 0), rule(null, null, 100, 0)])).toThrow();
      expect(() => replace([rule('tg', null, 0, 0), rule('tg', null, 100, 0)])).toThrow();
      expect(() => replace([rule(null, 7, 0, 0), rule(null, 7, 100, 0)])).toThrow();
      expect(() => replace([rule('tg', 7, 0, 0), rule('tg', 7, 100, 0)])).toThrow();
      expect(s.pricingRules.list()).toEqual(kept);
    });

    it('tells "any country" (null) apart from country 0, and reads null back as null', () => {
      const rules = [rule(null, null, 0, 0), rule(null, 0, 1, 1), rule('wa', null, 2, 2), rule('wa', 0, 3, 3)];
      replace(rules);
      expect(s.pricingRules.list()).toEqual(rules);
    });

    it('refuses a markup of -100 % or less and a floor below zero', () => {
      expect(() => replace([rule(null, null, -10_000, 0)])).toThrow();
      expect(() => replace([rule(null, null, 0, -1)])).toThrow();
      expect(s.pricingRules.list()).toEqual([]);
    });

    it('gives a change version that is a number and stays put while nothing happens', () => {
      const v = s.pricingRules.changeVersion();
      expect(Number.isFinite(v)).toBe(true);
      expect(s.pricingRules.changeVersion()).toBe(v);
    });
  });
}
