/**
 * Retail pricing (docs/decisions.md D13), pure: upstream cost × rate × (1 + markup), rounded up to a
 * whole cent, at least a floor. Rules are matched service+country > service > country > default.
 */
import { ceilDiv, MICROS } from '../money/money.js';

export interface PricingRule {
  /** Canonical service code, or null for any service. */
  service: string | null;
  /** Upstream country id, or null for any country. */
  country: number | null;
  /** Markup in basis points: 2500 = +25 %, -1000 = a 10 % discount. At least -9999. */
  markupBps: number;
  /** The lowest retail price in cents this rule may produce. */
  floorCents: number;
}

export interface PricingConfig {
  /** US dollars per one upstream cost unit, in micro-units (1 USD upstream → 1_000_000n). */
  rateMicros: bigint;
  /** Used when no stored rule has service and country both null. */
  fallback: PricingRule;
}

function specificity(rule: PricingRule): number {
  return (rule.service !== null ? 2 : 0) + (rule.country !== null ? 1 : 0);
}

export function selectRule(rules: readonly PricingRule[], service: string, country: number, fallback: PricingRule): PricingRule {
  let best: PricingRule | undefined;
  for (const rule of rules) {
    if (rule.service !== null && rule.service !== service) continue;
    if (rule.country !== null && rule.country !== country) continue;
    if (!best || specificity(rule) > specificity(best)) best = rule;
  }
  return best ?? fallback;
}

/** The retail price in cents for an upstream cost given in micro-units of the upstream's currency. */
export function quote(costMicros: bigint, rule: PricingRule, rateMicros: bigint): number {
  if (costMicros < 0n) throw new RangeError('cost must not be negative');
  const factorBps = BigInt(10_000 + rule.markupBps);
  if (factorBps <= 0n) throw new RangeError('markup must be above -100 %');
  const numerator = costMicros * rateMicros * factorBps * 100n;
  const denominator = MICROS * MICROS * 10_000n;
  const cents = Number(ceilDiv(numerator, denominator));
  return Math.max(cents, rule.floorCents);
}
