/**
 * How the fake upstream behaves, per service and country: SMS delays, the chance an SMS never
 * comes, a second SMS after next-sms, duplicate and late SMS, numbers banned mid-order, the
 * early-cancel hold and the activation lifetime. Everything random draws from the seeded Rng.
 */
import { z } from 'zod';

const range = z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(0) }).refine((r) => r.max >= r.min, 'max must be at least min');

export const BehaviourSchema = z.strictObject({
  /** Delay from purchase to the first SMS. */
  smsDelayMs: range.default({ min: 5_000, max: 40_000 }),
  /** Chance the first SMS never comes (the order then fails at expiry, refunded). */
  noSmsProbability: z.number().min(0).max(1).default(0.05),
  /** Delay from a next-SMS request to the next SMS. */
  nextSmsDelayMs: range.default({ min: 10_000, max: 60_000 }),
  /** Chance a next-SMS request is never answered. */
  noNextSmsProbability: z.number().min(0).max(1).default(0.1),
  /** Chance a delivered SMS is reported twice. */
  duplicateSmsProbability: z.number().min(0).max(1).default(0.02),
  /** Chance the first SMS comes only after the order window (too late to count). */
  lateSmsProbability: z.number().min(0).max(1).default(0.02),
  /** Chance the number is banned before its first SMS. */
  banProbability: z.number().min(0).max(1).default(0.01),
  /** Cancels inside this hold are denied with EARLY_CANCEL_DENIED. */
  earlyCancelHoldMs: z.number().int().min(0).default(120_000),
  /** The upstream closes an activation this long after purchase. */
  lifetimeMs: z.number().int().min(1_000).default(20 * 60_000),
});

export type Behaviour = z.output<typeof BehaviourSchema>;
export type BehaviourInput = z.input<typeof BehaviourSchema>;

export const BehaviourOverrideSchema = z.strictObject({
  service: z.string().optional(),
  country: z.number().int().nonnegative().optional(),
  behaviour: BehaviourSchema.partial(),
});

export const BehaviourConfigSchema = z.strictObject({
  default: BehaviourSchema.default(BehaviourSchema.parse({})),
  /** Applied in order; later ones win. Each narrows by service and/or country. */
  overrides: z.array(BehaviourOverrideSchema).default([]),
});

export type BehaviourConfig = z.output<typeof BehaviourConfigSchema>;
export type BehaviourConfigInput = z.input<typeof BehaviourConfigSchema>;

/** A behaviour where every number gets its SMS quickly and nothing goes wrong: for contract tests. */
export const IDEAL_BEHAVIOUR: BehaviourInput = {
  smsDelayMs: { min: 5_000, max: 10_000 },
  noSmsProbability: 0,
  nextSmsDelayMs: { min: 5_000, max: 10_000 },
  noNextSmsProbability: 0,
  duplicateSmsProbability: 0,
  lateSmsProbability: 0,
  banProbability: 0,
};

export function behaviourFor(config: BehaviourConfig, service: string, country: number): Behaviour {
  let b: Behaviour = config.default;
  for (const o of config.overrides) {
    if (o.service !== undefined && o.service !== service) continue;
    if (o.country !== undefined && o.country !== country) continue;
    b = { ...b, ...o.behaviour };
  }
  return b;
}
