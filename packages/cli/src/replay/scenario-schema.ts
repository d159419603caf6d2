/**
 * The scenario file format, written once as zod (STYLE rule 10). `jiema replay --print-schema`
 * and packages/cli/schemas/scenario.schema.json (shipped in the package) are generated from it.
 *
 * A scenario has a setup (users, stock, faults, pricing, simulator behaviour) and steps: API
 * requests with expectations and captured variables, SMS deliveries, clock advances, faults armed
 * at a moment, and checks of balances, orders and the event log. Strings may use `{{name}}` to
 * insert a captured variable; expected values may be matchers (see matchers.ts).
 */
import { BehaviourSpecSchema, FaultSpecSchema } from '@jiema/simulator';
import { schemas } from '@jiema/core/http';
import { z } from 'zod';
import { matcherProblems } from './matchers.js';

const Duration = z
  .union([z.number().int().min(0), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/)])
  .describe('Milliseconds, or "500ms", "30s", "20m", "1h"');
const Name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a name is letters, digits and "_"');

const ExpectSchema = z.strictObject({
  status: z.number().int().optional().describe('The HTTP status'),
  body: z.unknown().optional().describe('A pattern the response body must match (objects: the listed keys; "$…" matchers)'),
  headers: z.record(z.string(), z.unknown()).optional().describe('Header patterns, by lower-case name'),
});

const StepBase = { name: z.string().optional().describe('Shown in reports') };

const RequestStepSchema = z.strictObject({
  ...StepBase,
  as: Name.describe('Which user (from setup.users) sends it; omit for no key'),
  request: z.string().regex(/^(GET|POST|PUT|DELETE|PATCH) \/\S*$/, 'a request is "METHOD /path"'),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  expect: ExpectSchema.optional(),
  capture: z.record(Name, z.string()).optional().describe('Variables to keep: name → dot path in the response body, e.g. data.id'),
  repeat: z.number().int().min(1).max(1000).optional().describe('Send it this many times'),
  parallel: z.boolean().optional().describe('With repeat: send them all at once'),
  expectCounts: z
    .record(z.string(), z.number().int().min(0))
    .optional()
    .describe('With repeat: how many answers had each status or error code, e.g. {"200": 1, "ALREADY_CHANGED": 19}'),
});

const SmsStepSchema = z.strictObject({ ...StepBase, sms: z.strictObject({ order: z.string(), body: z.string().optional() }) });
const AdvanceStepSchema = z.strictObject({ ...StepBase, advance: Duration });
const FaultStepSchema = z.strictObject({ ...StepBase, fault: FaultSpecSchema });
const ClearFaultsStepSchema = z.strictObject({ ...StepBase, clearFaults: z.literal(true) });
const StockStepSchema = z.strictObject({
  ...StepBase,
  stock: z.strictObject({ service: z.string(), country: z.union([z.number().int(), z.string()]), count: z.number().int().min(0) }),
});
const PricingStepSchema = z.strictObject({ ...StepBase, pricing: z.strictObject({ rules: z.array(schemas.PricingRuleSchema) }) });
const ExpectBalanceStepSchema = z.strictObject({
  ...StepBase,
  expectBalance: z.record(Name, z.union([z.number().int(), z.string()])).describe('user → cents (or a matcher)'),
});
const ExpectOrderStepSchema = z.strictObject({
  ...StepBase,
  expectOrder: z.strictObject({
    order: z.string(),
    as: Name,
    match: z.unknown().describe('A pattern for the order (GET /api/v1/orders/:id data)'),
  }),
});
const ExpectEventsStepSchema = z.strictObject({
  ...StepBase,
  expectEvents: z.strictObject({
    type: z.string().describe('An event type or its prefix: upstream.call, sms, fault, api'),
    where: z.record(z.string(), z.unknown()).optional().describe('A pattern the event data must match, e.g. {method: cancel, outcome: ok}'),
    count: z.number().int().min(0).optional(),
    min: z.number().int().min(0).optional(),
    max: z.number().int().min(0).optional(),
  }),
});

const StepSchema = z.union([
  RequestStepSchema,
  SmsStepSchema,
  AdvanceStepSchema,
  FaultStepSchema,
  ClearFaultsStepSchema,
  StockStepSchema,
  PricingStepSchema,
  ExpectBalanceStepSchema,
  ExpectOrderStepSchema,
  ExpectEventsStepSchema,
]);

export const ScenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z.number().int().optional().describe('Seeds the simulator (overridden by --seed)'),
  setup: z
    .strictObject({
      users: z
        .array(z.strictObject({ as: Name, balanceCents: z.number().int().min(0).default(1_000), displayName: z.string().optional() }))
        .default([]),
      stock: z.array(StockStepSchema.shape.stock).default([]),
      faults: z.array(FaultSpecSchema).default([]),
      pricing: PricingStepSchema.shape.pricing.optional(),
      behaviour: BehaviourSpecSchema.optional().describe(
        'Simulator behaviour: ideal, realistic (default), scripted, or {preset, default, overrides}. With --target, applied through the control API',
      ),
      rateLimits: z
        .strictObject({
          readPerMin: z.number().int().min(1),
          writePerMin: z.number().int().min(1),
          pollPerMin: z.number().int().min(1),
          authFailuresPerMin: z.number().int().min(1),
        })
        .partial()
        .optional(),
      upstreamBalance: z
        .string()
        .regex(/^\d+(\.\d{1,6})?$/)
        .optional(),
    })
    .default({ users: [], stock: [], faults: [] }),
  steps: z.array(StepSchema).min(1),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type Step = z.output<typeof StepSchema>;
export type RequestStep = z.output<typeof RequestStepSchema>;

export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(ScenarioSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
    $id: 'https://jiema.local/schemas/scenario.schema.json',
    title: 'jiema replay scenario',
  };
}

export function durationMs(d: number | string): number {
  if (typeof d === 'number') return d;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d)!;
  return Math.round(Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}

/** Problems the schema cannot see: strings that look like matchers but are not known ones. */
export function scenarioProblems(scenario: Scenario): Array<{ path: Array<string | number>; message: string }> {
  return scenario.steps.flatMap((step, i) => {
    const at = (...rest: Array<string | number>) => ['steps', i, ...rest];
    if ('request' in step) {
      return [
        ...matcherProblems(step.expect?.body, at('expect', 'body')),
        ...matcherProblems(step.expect?.headers, at('expect', 'headers')),
      ];
    }
    if ('expectOrder' in step) return matcherProblems(step.expectOrder.match, at('expectOrder', 'match'));
    if ('expectBalance' in step) return matcherProblems(step.expectBalance, at('expectBalance'));
    if ('expectEvents' in step) return matcherProblems(step.expectEvents.where, at('expectEvents', 'where'));
    return [];
  });
}
