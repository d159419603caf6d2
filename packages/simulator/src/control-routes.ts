/**
 * The simulator's control API, /_sim/v1 — the contract other tools (the CLI's replay, the SDK's
 * tests, integrators' CI) rely on. Admin token required; errors use the same envelope.
 */
import { AppError } from '@jiema/core';
import { buildOpenApi, defineRoute, ok, parseInput, type Route } from '@jiema/core/http';
import { CONTROL_EXAMPLES } from './control-examples.js';
import { z } from 'zod';
import { FaultSpecSchema } from './faults.js';
import { BehaviourSpecSchema, resolveBehaviour } from './behaviour.js';
import type { SimulatorControl } from './simulator.js';
import { setStock, type World } from './world.js';

const clockView = (w: World) => ({
  now: new Date(w.clock.now()).toISOString(),
  nowMs: w.clock.now(),
  mode: w.clock.mode,
  speed: w.clock.speed,
});

const CreateUserBody = z.strictObject({
  balanceCents: z.union([z.number().int().min(0), z.string().regex(/^\d{1,15}$/)]).optional(),
  displayName: z.string().min(1).max(64).optional(),
  lang: z
    .string()
    .regex(/^[a-z]{2}(-[A-Za-z]{2,4})?$/)
    .optional(),
});
const SmsBody = z.strictObject({ body: z.string().min(1).max(2_000).optional() });
const AdvanceBody = z.strictObject({
  ms: z
    .number()
    .int()
    .min(0)
    .max(366 * 24 * 60 * 60_000),
});
const StockBody = z.strictObject({
  service: z.string().min(1).max(64),
  country: z.union([z.number().int().nonnegative(), z.string().min(1).max(64)]),
  count: z.number().int().min(0).max(100_000_000),
});
const BalanceBody = z.strictObject({ amount: z.string().regex(/^\d{1,12}(\.\d{1,6})?$/) });
const FacadeBody = z.strictObject({
  mode: z.enum(['always200', 'status']).optional(),
  smsActivateWebhookUrl: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .optional()
    .describe("Where the SMS-Activate facade POSTs each delivered SMS, as the provider's incoming-SMS webhook (null: nowhere)"),
});
const EventsQuery = z.object({
  since: z.coerce.number().int().min(0).optional(),
  type: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});

/** A preset's name as `{preset}`, optionally with `default` fields and `overrides` laid over it. */
const BehaviourBody = BehaviourSpecSchema.options[1];
const RateLimitsBody = z.strictObject({
  readPerMin: z.number().int().min(1).max(1_000_000).optional(),
  writePerMin: z.number().int().min(1).max(1_000_000).optional(),
  pollPerMin: z.number().int().min(1).max(1_000_000).optional(),
  authFailuresPerMin: z.number().int().min(1).max(1_000_000).optional(),
});
const ResetBody = z.strictObject({
  seed: z.number().int().optional().describe("The new world's seed (default: the server's)"),
  behaviour: BehaviourSpecSchema.optional().describe("The new world's behaviour: a preset's name or a config (default: the server's)"),
  rateLimits: RateLimitsBody.optional().describe("The new world's API rate limits (default: the server's)"),
  upstreamBalance: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,6})?$/)
    .optional()
    .describe("The reseller's balance at the new fake upstream"),
});
const BehaviourView = z.object({ default: z.record(z.string(), z.unknown()), overrides: z.array(z.record(z.string(), z.unknown())) });

const anything = z.record(z.string(), z.unknown());
const errors = ['AUTH_MISSING', 'AUTH_INVALID', 'BAD_REQUEST'] as const;

export function controlRoutes(control: SimulatorControl, w: World): Route[] {
  const sim = (route: Omit<Parameters<typeof defineRoute>[0], 'auth' | 'tag'>): Route =>
    defineRoute({ ...route, auth: 'admin', tag: 'simulator' });
  let document: Record<string, unknown> | undefined;
  const routes: Route[] = [
    defineRoute({
      method: 'GET',
      path: '/_sim/v1/openapi.json',
      operationId: 'simGetOpenApiDocument',
      auth: 'none',
      tag: 'simulator',
      summary: 'This document: the OpenAPI 3.1 description of the control API',
      description: 'The jiema API has its own document at `/api/v1/openapi.json`.',
      enveloped: false,
      response: z.looseObject({
        openapi: z.literal('3.1.0'),
        info: z.looseObject({ title: z.string(), version: z.string() }),
        paths: z.record(z.string(), z.unknown()),
      }),
      errors: [],
      handler: () => ({
        status: 200,
        body: (document ??= buildOpenApi(routes, { version: '0.1.0', kind: 'simulator', examples: CONTROL_EXAMPLES })),
      }),
    }),
    sim({
      method: 'POST',
      path: '/_sim/v1/users',
      operationId: 'simCreateUser',
      summary: 'Create a user with a balance and one API key',
      request: { body: CreateUserBody },
      response: z.object({ id: z.string(), apiKey: z.string() }),
      errors: [...errors],
      handler: (ctx) => {
        const b = parseInput(CreateUserBody, ctx.body ?? {}, 'the request body');
        const user = w.engine.accounts.createUser({
          balanceCents: b.balanceCents === undefined ? 1_000 : Number(b.balanceCents),
          displayName: b.displayName,
          lang: b.lang,
        });
        const { apiKey } = w.engine.accounts.createKey(user.id, 'simulator');
        w.log.record('user.created', { userId: user.id });
        return ok({ id: user.id, apiKey });
      },
    }),
    sim({
      method: 'POST',
      path: '/_sim/v1/orders/:id/sms',
      operationId: 'simDeliverSms',
      summary: "Deliver an SMS to an order's number now (a realistic one with a code when body is absent)",
      request: { body: SmsBody },
      response: z.object({ orderId: z.string(), activationId: z.string(), body: z.string(), code: z.string().nullable() }),
      errors: [...errors, 'NOT_FOUND', 'BAD_STATUS'],
      handler: async (ctx) => {
        const b = parseInput(SmsBody, ctx.body ?? {}, 'the request body');
        const r = await control.deliverSms(ctx.params.id ?? '', b.body);
        if (r === undefined) throw new AppError('NOT_FOUND', 'No such order.');
        if (r === null) throw new AppError('BAD_STATUS', "The order's number is closed at the upstream; the SMS was dropped.");
        return ok(r);
      },
    }),
    sim({
      method: 'POST',
      path: '/_sim/v1/activations/:id/sms',
      operationId: 'simDeliverActivationSms',
      summary: 'Deliver an SMS to a fake-upstream activation now (for clients of the protocol facades, which have no jiema order)',
      request: { body: SmsBody },
      response: z.object({ activationId: z.string(), body: z.string(), code: z.string().nullable() }),
      errors: [...errors, 'NOT_FOUND', 'BAD_STATUS'],
      handler: async (ctx) => {
        const b = parseInput(SmsBody, ctx.body ?? {}, 'the request body');
        const id = ctx.params.id ?? '';
        if (!w.upstream.activation(id)) throw new AppError('NOT_FOUND', `No activation ${id} at the fake upstream.`);
        const sms = w.upstream.deliverSms(id, b.body);
        if (!sms) throw new AppError('BAD_STATUS', 'That activation is closed; the SMS was dropped.');
        await w.engine.orders.syncActivation(id);
        return ok({ activationId: id, body: sms.text, code: sms.code });
      },
    }),
    sim({
      method: 'POST',
      path: '/_sim/v1/clock/advance',
      operationId: 'simAdvanceClock',
      summary: 'Move virtual time forward, processing every due event in order',
      request: { body: AdvanceBody },
      response: z.object({ now: z.string(), nowMs: z.number(), mode: z.string(), speed: z.number() }),
      errors: [...errors],
      handler: async (ctx) => {
        const b = parseInput(AdvanceBody, ctx.body ?? {}, 'the request body');
        await control.advance(b.ms);
        return ok(clockView(control.world));
      },
    }),
    sim({
      method: 'GET',
      path: '/_sim/v1/clock',
      operationId: 'simGetClock',
      summary: 'The virtual time and the clock mode',
      response: z.object({ now: z.string(), nowMs: z.number(), mode: z.string(), speed: z.number() }),
      errors: [...errors],
      handler: () => ok(clockView(w)),
    }),
    sim({
      method: 'PUT',
      path: '/_sim/v1/stock',
      operationId: 'simSetStock',
      summary: 'Set the stock of one service in one country (code or slug, id or slug)',
      request: { body: StockBody },
      response: z.object({ service: z.string(), country: z.number(), count: z.number() }),
      errors: [...errors, 'BAD_SERVICE', 'BAD_COUNTRY', 'NO_NUMBERS'],
      handler: async (ctx) => {
        const b = parseInput(StockBody, ctx.body ?? {}, 'the request body');
        const view = await w.engine.catalogue.get();
        const service = w.engine.catalogue.resolveService(view, b.service);
        const country = w.engine.catalogue.resolveCountry(view, b.country);
        if (w.upstream.offerCost(service.code, country.id) === undefined) {
          throw new AppError(
            'NO_NUMBERS',
            `The catalogue has no ${service.code} offer in country ${country.id}; stock can only be set for listed offers.`,
          );
        }
        setStock(w, service.code, country.id, b.count);
        return ok({ service: service.code, country: country.id, count: b.count });
      },
    }),
    sim({
      method: 'PUT',
      path: '/_sim/v1/upstream/balance',
      operationId: 'simSetUpstreamBalance',
      summary: "Set the reseller's balance at the fake upstream (NO_BALANCE when it runs out)",
      request: { body: BalanceBody },
      response: z.object({ amount: z.string() }),
      errors: [...errors],
      handler: async (ctx) => {
        const b = parseInput(BalanceBody, ctx.body ?? {}, 'the request body');
        w.upstream.setBalance(b.amount);
        // The server reads it again at once when it watches the balance (docs/decisions.md D103).
        const watched = w.engine.balance.current();
        if (watched.minimum !== null || watched.amount !== null) await w.engine.balance.refresh();
        return ok({ amount: w.upstream.balance });
      },
    }),
    sim({
      method: 'GET',
      path: '/_sim/v1/upstream',
      operationId: 'simGetUpstream',
      summary: "The fake upstream's balance and activations",
      response: anything,
      errors: [...errors],
      handler: () =>
        ok({
          balance: w.upstream.balance,
          activations: w.upstream.allActivations().map((a) => ({
            id: a.id,
            phone: a.phone,
            service: a.service,
            country: a.country,
            state: a.state,
            closedReason: a.closedReason,
            startedAt: new Date(a.startedAt).toISOString(),
            messages: a.messages.length,
          })),
        }),
    }),
    sim({
      method: 'POST',
      path: '/_sim/v1/faults',
      operationId: 'simArmFault',
      successStatus: 201,
      summary: 'Arm a fault: next N calls, with probability p, or during a time window',
      request: { body: FaultSpecSchema },
      response: anything,
      errors: [...errors],
      handler: (ctx) => {
        const spec = parseInput(FaultSpecSchema, ctx.body ?? {}, 'the request body');
        const f = w.faults.arm(spec);
        w.log.record('fault.armed', { faultId: f.id, kind: f.kind, method: f.method });
        return ok(f, 201);
      },
    }),
    sim({
      method: 'GET',
      path: '/_sim/v1/faults',
      operationId: 'simListFaults',
      summary: 'The armed faults and how often each fired',
      response: z.object({ items: z.array(anything) }),
      errors: [...errors],
      handler: () => ok({ items: w.faults.list() }),
    }),
    sim({
      method: 'DELETE',
      path: '/_sim/v1/faults',
      operationId: 'simClearFaults',
      summary: 'Clear every fault',
      response: z.object({ cleared: z.number() }),
      errors: [...errors],
      handler: () => {
        const cleared = w.faults.clear();
        w.log.record('fault.cleared', { cleared });
        return ok({ cleared });
      },
    }),
    sim({
      method: 'DELETE',
      path: '/_sim/v1/faults/:id',
      operationId: 'simClearFault',
      summary: 'Clear one fault',
      response: z.object({ cleared: z.number() }),
      errors: [...errors, 'NOT_FOUND'],
      handler: (ctx) => {
        const cleared = w.faults.clear(ctx.params.id);
        if (cleared === 0) throw new AppError('NOT_FOUND', `No fault ${ctx.params.id}.`);
        w.log.record('fault.cleared', { faultId: ctx.params.id, cleared });
        return ok({ cleared });
      },
    }),
    sim({
      method: 'GET',
      path: '/_sim/v1/events',
      operationId: 'simListEvents',
      summary: 'The ordered event log (API calls, upstream calls, SMS, clock, faults) and its digest',
      request: { query: EventsQuery },
      response: z.object({ items: z.array(anything), count: z.number(), digest: z.string() }),
      errors: [...errors],
      handler: (ctx) => {
        const q = parseInput(EventsQuery, ctx.query, 'the query');
        return ok({ items: w.log.list(q), count: w.log.count, digest: w.log.digest() });
      },
    }),
    sim({
      method: 'POST',
      path: '/_sim/v1/reset',
      operationId: 'simReset',
      summary:
        'Start over: empty database, fresh upstream, clock back to its start; optionally with another seed, behaviour, rate limits or upstream balance',
      description:
        "Without a body the new world has the server's start options. Fields in the body apply to this new world only: the next plain reset goes back to the start options. `jiema replay --target` resets this way before each scenario file.",
      request: { body: ResetBody },
      response: z.object({ reset: z.boolean(), seed: z.number().optional() }),
      errors: [...errors],
      handler: async (ctx) => {
        const b = parseInput(ResetBody, ctx.body ?? {}, 'the request body');
        await control.reset({
          ...(b.seed !== undefined && { seed: b.seed }),
          ...(b.behaviour !== undefined && { behaviour: b.behaviour }),
          ...(b.rateLimits !== undefined && { rateLimits: b.rateLimits }),
          ...(b.upstreamBalance !== undefined && { upstreamBalance: b.upstreamBalance }),
        });
        return ok({ reset: true, ...(b.seed !== undefined && { seed: b.seed }) });
      },
    }),
    sim({
      method: 'GET',
      path: '/_sim/v1/behaviour',
      operationId: 'simGetBehaviour',
      summary: 'How the fake upstream behaves for numbers bought from now on',
      response: BehaviourView,
      errors: [...errors],
      handler: () => ok(w.upstream.behaviour),
    }),
    sim({
      method: 'PUT',
      path: '/_sim/v1/behaviour',
      operationId: 'simSetBehaviour',
      summary: 'Change how the fake upstream behaves: a preset (ideal, realistic, scripted) with optional fields laid over it',
      description: "Numbers bought from now on follow it; numbers already sold keep theirs. A reset goes back to the server's behaviour.",
      request: { body: BehaviourBody },
      response: BehaviourView,
      errors: [...errors],
      handler: (ctx) => {
        const b = parseInput(BehaviourBody, ctx.body ?? {}, 'the request body');
        let config: ReturnType<typeof resolveBehaviour>;
        try {
          config = resolveBehaviour(b);
        } catch (err) {
          throw new AppError('BAD_REQUEST', (err as Error).message);
        }
        w.upstream.setBehaviour(config);
        w.log.record('behaviour.set', { ...(b.preset && { preset: b.preset }) });
        return ok(config);
      },
    }),
    sim({
      method: 'PUT',
      path: '/_sim/v1/facade',
      operationId: 'simSetFacadeMode',
      summary:
        'Choose how the upstream-protocol facades answer errors (always HTTP 200, or status-coded), and where the SMS-Activate facade sends its incoming-SMS webhook',
      description:
        'Each field is optional; what is left out stays. With `smsActivateWebhookUrl` set, every SMS the fake upstream delivers is POSTed there as JSON `{activationId, service, text, code, country, receivedAt}` and retried while the receiver fails; each attempt is a `facade.webhook` event.',
      request: { body: FacadeBody },
      response: z.object({
        mode: z.string(),
        smsActivateWebhook: z.object({
          url: z.string().nullable(),
          delivered: z.number().int(),
          failed: z.number().int(),
          pending: z.number().int(),
        }),
      }),
      errors: [...errors],
      handler: (ctx) => {
        const b = parseInput(FacadeBody, ctx.body ?? {}, 'the request body');
        if (b.mode) control.facade.mode = b.mode;
        if (b.smsActivateWebhookUrl !== undefined) control.facade.webhook.setUrl(b.smsActivateWebhookUrl);
        return ok({ mode: control.facade.mode, smsActivateWebhook: control.facade.webhook.stats() });
      },
    }),
  ];
  return routes;
}
