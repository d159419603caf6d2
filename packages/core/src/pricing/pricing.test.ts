import { describe, expect, it } from 'vitest';
import { quote, selectRule, type PricingRule } from './pricing.js';

const USD = 1_000_000n;
const rule = (markupBps: number, floorCents = 1): PricingRule => ({ service: null, country: null, markupBps, floorCents });

describe('quote', () => {
  it('applies the markup and rounds up to a whole cent', () => {
    expect(quote(213_300n, rule(5_000), USD)).toBe(32); // 0.2133 × 1.5 = 0.31995 → 32
    expect(quote(200_000n, rule(0), USD)).toBe(20);
    expect(quote(200_001n, rule(0), USD)).toBe(21);
  });

  it('gives a discount for a negative markup', () => {
    expect(quote(1_000_000n, rule(-1_000), USD)).toBe(90);
  });

  it('never goes below the floor', () => {
    expect(quote(1_000n, rule(0, 5), USD)).toBe(5);
  });

  it('converts another unit with the configured rate (RUB at 0.011 USD)', () => {
    expect(quote(30_000_000n, rule(5_000), 11_000n)).toBe(50); // 30 RUB × 0.011 × 1.5 = 0.495 → 50
  });

  it('refuses a markup of -100 % or below', () => {
    expect(() => quote(1n, rule(-10_000), USD)).toThrow(RangeError);
  });
});

describe('selectRule', () => {
  const fallback = rule(5_000);
  const rules: PricingRule[] = [
    { service: null, country: null, markupBps: 1, floorCents: 1 },
    { service: null, country: 7, markupBps: 2, floorCents: 1 },
    { service: 'tg', country: null, markupBps: 3, floorCents: 1 },
    { service: 'tg', country: 7, markupBps: 4, floorCents: 1 },
  ];
  it('prefers service+country over service over country over default', () => {
    expect(selectRule(rules, 'tg', 7, fallback).markupBps).toBe(4);
    expect(selectRule(rules, 'tg', 6, fallback).markupBps).toBe(3);
    expect(selectRule(rules, 'wa', 7, fallback).markupBps).toBe(2);
    expect(selectRule(rules, 'wa', 6, fallback).markupBps).toBe(1);
  });
  it('uses the fallback when nothing matches', () => {
    expect(selectRule([], 'tg', 7, fallback)).toBe(fallback);
  });
});
