/**
 * Faults the fake upstream can be made to show: an error of any kind, a timeout (optionally
 * after the call took effect — a buy that sold a number and lost its answer), added latency, a
 * garbage reply, or an exact reply body of your choosing (for protocol-parsing tests). Each is armed for "the next N calls", "with probability p" or "during a time
 * window", optionally narrowed to one method, service or country.
 */
import { z } from 'zod';
import { UPSTREAM_ERROR_KINDS, type Rng } from '@jiema/core';

const UPSTREAM_METHODS = ['getCatalogue', 'getBalance', 'buy', 'getStatus', 'requestNextSms', 'finish', 'cancel', 'listActive'] as const;
export type UpstreamMethod = (typeof UPSTREAM_METHODS)[number];

export const FaultSpecSchema = z
  .strictObject({
    kind: z.enum(['error', 'timeout', 'latency', 'garbage', 'reply']).describe('What the call does'),
    error: z.enum(UPSTREAM_ERROR_KINDS).optional().describe('For kind "error": which upstream error'),
    method: z.enum([...UPSTREAM_METHODS, '*']).default('*'),
    service: z.string().min(1).max(16).optional(),
    country: z.number().int().nonnegative().optional(),
    latencyMs: z.number().int().min(0).max(120_000).optional().describe('For "latency" and "timeout": real milliseconds to wait first'),
    afterSuccess: z.boolean().default(false).describe('For "timeout": the call takes effect, only its answer is lost'),
    body: z
      .string()
      .max(65_536)
      .optional()
      .describe('For "reply": the exact body the protocol facades answer (in-process: an unreadable reply)'),
    status: z.number().int().min(100).max(599).default(200).describe('For "reply": the HTTP status'),
    contentType: z.string().max(100).default('text/plain').describe('For "reply": the Content-Type'),
    count: z.number().int().min(1).max(1_000_000).optional().describe('Fires on the next N matching calls'),
    probability: z.number().min(0).max(1).optional().describe('Fires on each matching call with this probability'),
    fromMs: z.number().int().optional().describe('Window start, virtual ms since the epoch'),
    untilMs: z.number().int().optional().describe('Window end (exclusive)'),
  })
  .refine((f) => f.kind !== 'error' || f.error !== undefined, { message: 'a fault of kind "error" names the error', path: ['error'] })
  .refine((f) => f.kind !== 'latency' || f.latencyMs !== undefined, { message: 'a latency fault needs latencyMs', path: ['latencyMs'] })
  .refine((f) => f.kind !== 'reply' || f.body !== undefined, { message: 'a reply fault needs the body to answer', path: ['body'] })
  .refine((f) => f.count !== undefined || f.probability !== undefined || f.untilMs !== undefined, {
    message: 'say when the fault fires: count, probability, or a time window (fromMs/untilMs)',
    path: ['count'],
  });

export type FaultSpec = z.input<typeof FaultSpecSchema>;
export type Fault = z.output<typeof FaultSpecSchema> & { id: string; fired: number; remaining: number | null };

export interface CallContext {
  method: UpstreamMethod;
  service?: string;
  country?: number;
}

export class FaultPlan {
  private faults: Fault[] = [];
  private nextId = 1;

  constructor(
    private readonly rng: Rng,
    private readonly now: () => number,
  ) {}

  arm(spec: FaultSpec): Fault {
    const parsed = FaultSpecSchema.parse(spec);
    const fault: Fault = { ...parsed, id: `f${this.nextId++}`, fired: 0, remaining: parsed.count ?? null };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(id?: string): number {
    const before = this.faults.length;
    this.faults = id ? this.faults.filter((f) => f.id !== id) : [];
    return before - this.faults.length;
  }

  /** The first armed fault that fires for this call, if any; counts it. */
  take(call: CallContext): Fault | undefined {
    const now = this.now();
    for (const f of this.faults) {
      if (f.method !== '*' && f.method !== call.method) continue;
      if (f.service !== undefined && f.service !== call.service) continue;
      if (f.country !== undefined && f.country !== call.country) continue;
      if (f.fromMs !== undefined && now < f.fromMs) continue;
      if (f.untilMs !== undefined && now >= f.untilMs) continue;
      if (f.remaining !== null && f.remaining <= 0) continue;
      if (f.probability !== undefined && this.rng.next() >= f.probability) continue;
      f.fired += 1;
      if (f.remaining !== null) f.remaining -= 1;
      return { ...f };
    }
    return undefined;
  }
}
