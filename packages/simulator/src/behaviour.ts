/**
 * How the fake upstream behaves, per service and country: SMS delays, the chance an SMS never
 * comes, a second SMS after next-sms, duplicate and late SMS, numbers banned mid-order, the
 * early-cancel hold and the activation lifetime. Everything random draws from the seeded Rng.
 */
import { z } from 'zod';

const range = z
  .strictObject({ min: z.number().int().min(0), max: z.number().int().min(0) })
  .refine((r) => r.max >= r.min, 'max must be at least min');

const BehaviourSchema = z.strictObject({
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
  lifetimeMs: z
    .number()
    .int()
    .min(1_000)
    .default(20 * 60_000),
});

export type Behaviour = z.output<typeof BehaviourSchema>;
type BehaviourInput = z.input<typeof BehaviourSchema>;

/**
 * Some of a behaviour's fields, nothing filled in: laid over another behaviour. (zod's .partial()
 * keeps the defaults, which would silently reset every field not given.)
 */
const BehaviourFieldsSchema = z.strictObject(
  Object.fromEntries(Object.entries(BehaviourSchema.shape).map(([k, v]) => [k, v.unwrap().optional()])) as {
    [K in keyof typeof BehaviourSchema.shape]: z.ZodOptional<ReturnType<(typeof BehaviourSchema.shape)[K]['unwrap']>>;
  },
);

const BehaviourOverrideSchema = z.strictObject({
  service: z.string().optional(),
  country: z.number().int().nonnegative().optional(),
  behaviour: BehaviourFieldsSchema,
});

const BehaviourConfigSchema = z.strictObject({
  default: BehaviourSchema.default(BehaviourSchema.parse({})),
  /** Applied in order; later ones win. Each narrows by service and/or country. */
  overrides: z.array(BehaviourOverrideSchema).default([]),
});

export type BehaviourConfig = z.output<typeof BehaviourConfigSchema>;
export type BehaviourConfigInput = z.input<typeof BehaviourConfigSchema>;

/**
 * Named behaviours (docs/decisions.md D70): `jiema serve --behaviour <name>`, startSimulator's
 * `behaviour: '<name>'`, a scenario's `setup.behaviour: <name>`, and `PUT /_sim/v1/behaviour`.
 *  - ideal: every order gets its SMS 5–40 s after purchase; nothing fails. `jiema serve`'s default,
 *    so a first-time user always gets a code.
 *  - realistic: today's failure rates (no SMS 5%, bans 1%, duplicate and late SMS…). The default
 *    of startSimulator and of scenarios, which are written against it.
 *  - scripted: no SMS comes unless asked for (`POST /_sim/v1/orders/:id/sms`); nothing random
 *    happens: for contract tests.
 */
export const BEHAVIOUR_PRESETS = ['ideal', 'realistic', 'scripted'] as const;
export type BehaviourPreset = (typeof BEHAVIOUR_PRESETS)[number];

const NOTHING_FAILS = { duplicateSmsProbability: 0, lateSmsProbability: 0, banProbability: 0 } as const;
const PRESET_DEFAULTS: Record<BehaviourPreset, BehaviourInput> = {
  ideal: {
    smsDelayMs: { min: 5_000, max: 40_000 },
    noSmsProbability: 0,
    nextSmsDelayMs: { min: 5_000, max: 40_000 },
    noNextSmsProbability: 0,
    ...NOTHING_FAILS,
  },
  realistic: {},
  scripted: { noSmsProbability: 1, noNextSmsProbability: 1, ...NOTHING_FAILS },
};

const BehaviourPresetSchema = z.enum(BEHAVIOUR_PRESETS);

/**
 * A behaviour as users write it: a preset's name, or a config whose optional `preset` is the base
 * its `default` fields are laid over (`{preset: scripted, overrides: [...]}`).
 */
export const BehaviourSpecSchema = z.union([
  BehaviourPresetSchema,
  z.strictObject({
    preset: BehaviourPresetSchema.optional().describe('The named behaviour this one starts from (default: realistic)'),
    default: BehaviourFieldsSchema.optional(),
    overrides: z.array(BehaviourOverrideSchema).optional(),
  }),
]);
export type BehaviourSpec = z.input<typeof BehaviourSpecSchema>;

/** The full config for a preset's name or a spec (throws a readable error for an unknown name). */
export function resolveBehaviour(
  spec: BehaviourSpec | BehaviourConfigInput | undefined,
  fallback: BehaviourPreset = 'realistic',
): BehaviourConfig {
  if (spec === undefined) return BehaviourConfigSchema.parse({ default: PRESET_DEFAULTS[fallback] });
  if (typeof spec === 'string') {
    if (!(BEHAVIOUR_PRESETS as readonly string[]).includes(spec)) {
      throw new Error(`Unknown behaviour "${spec}": use ${BEHAVIOUR_PRESETS.join(', ')}, or a behaviour file.`);
    }
    return BehaviourConfigSchema.parse({ default: PRESET_DEFAULTS[spec] });
  }
  const { preset, ...config } = spec as { preset?: BehaviourPreset; default?: BehaviourInput; overrides?: unknown[] };
  return BehaviourConfigSchema.parse({ ...config, default: { ...PRESET_DEFAULTS[preset ?? 'realistic'], ...config.default } });
}

export function behaviourFor(config: BehaviourConfig, service: string, country: number): Behaviour {
  let b: Behaviour = config.default;
  for (const o of config.overrides) {
    if (o.service !== undefined && o.service !== service) continue;
    if (o.country !== undefined && o.country !== country) continue;
    b = { ...b, ...o.behaviour };
  }
  return b;
}
