/**
 * Runs one scenario against a target: setup, then each step with its expectations, capturing
 * variables as it goes, and checking the ledger invariants after every step when the admin API
 * is there. Steps that need what the target lacks are skipped and reported as skipped.
 */
import { interpolate, match, pick, type Mismatch } from './matchers.js';
import { durationMs, type RequestStep, type Scenario, type Step } from './scenario-schema.js';
import type { Target } from './target.js';

type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  index: number;
  name: string;
  status: StepStatus;
  ms: number;
  message?: string;
  /** Where the step is written: file:line:col. */
  at?: string;
  /** The step's line in its file. */
  line?: number;
}

export interface ScenarioResult {
  file: string;
  name: string;
  target: string;
  status: 'passed' | 'failed';
  ms: number;
  steps: StepResult[];
  error?: string;
}

/** Where a value of the scenario is written (file:line:col), from the loaded file. */
export type Where = (path: Array<string | number>) => string;

export interface RunOptions {
  /** Fixed keys per user for targets without an admin API: { alice: 'jm_…' }. */
  keys: Record<string, string>;
  /** Stop ordering once this much was charged (live servers). */
  maxSpendCents: number | undefined;
  onStep?: (r: StepResult) => void;
  /** Where each step is written, for failure messages and reports. */
  where?: Where;
  /** The seed the scenario runs with (a resettable target is reset to it). */
  seed?: number;
}

interface Res {
  status: number;
  body: any;
  headers: Headers;
}

class StepFailure extends Error {}
class StepSkipped extends Error {}

function describeStep(step: Step): string {
  if (step.name) return step.name;
  if ('request' in step) return `${step.request}${step.repeat ? ` ×${step.repeat}` : ''}`;
  if ('sms' in step) return `SMS to ${step.sms.order}`;
  if ('advance' in step) return `advance ${step.advance}`;
  if ('fault' in step) return `arm fault ${step.fault.kind}${step.fault.method ? ` on ${step.fault.method}` : ''}`;
  if ('clearFaults' in step) return 'clear faults';
  if ('stock' in step) return `stock ${step.stock.service}/${step.stock.country} = ${step.stock.count}`;
  if ('pricing' in step) return 'replace pricing rules';
  if ('expectBalance' in step) return `balance of ${Object.keys(step.expectBalance).join(', ')}`;
  if ('expectOrder' in step) return `order ${step.expectOrder.order}`;
  return `events ${step.expectEvents.type}${step.expectEvents.where ? ` ${JSON.stringify(step.expectEvents.where)}` : ''}`;
}

function mismatchText(where: string, mismatches: Mismatch[]): string {
  return mismatches
    .slice(0, 5)
    .map((m) => `${where}${m.path ? `.${m.path}` : ''}: expected ${m.expected}, got ${m.actual}`)
    .join('; ');
}

export async function runScenario(scenario: Scenario, file: string, target: Target, options: RunOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const vars: Record<string, unknown> = {};
  const keys = new Map<string, string>(Object.entries(options.keys));
  let spent = 0;
  const steps: StepResult[] = [];

  const http = async (
    method: string,
    path: string,
    init: { key?: string | undefined; admin?: boolean; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Res> => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    if (init.admin && target.adminToken) headers['x-admin-token'] = target.adminToken;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(target.baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const ok = async (method: string, path: string, init: Parameters<typeof http>[2] = {}) => {
    const r = await http(method, path, init);
    if (r.status >= 300) throw new StepFailure(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
    return r;
  };
  const needControl = () => {
    if (!target.control) throw new StepSkipped('needs the simulator control API');
  };
  const needAdmin = () => {
    if (!target.admin) throw new StepSkipped('needs the admin API (--admin-token)');
  };
  const keyOf = (as: string) => {
    const key = keys.get(as);
    if (!key) throw new StepFailure(`no key for user "${as}": add it to setup.users, or pass --key ${as}=jm_…`);
    return key;
  };

  const run = async (step: Step): Promise<void> => {
    if ('request' in step) return runRequest(step);
    if ('sms' in step) {
      needControl();
      const order = interpolate(step.sms.order, vars);
      await ok('POST', `/_sim/v1/orders/${encodeURIComponent(String(order))}/sms`, {
        admin: true,
        body: step.sms.body === undefined ? {} : { body: interpolate(step.sms.body, vars) },
      });
      return;
    }
    if ('advance' in step) {
      needControl();
      await ok('POST', '/_sim/v1/clock/advance', { admin: true, body: { ms: durationMs(step.advance) } });
      return;
    }
    if ('fault' in step) {
      needControl();
      await ok('POST', '/_sim/v1/faults', { admin: true, body: interpolate(step.fault, vars) });
      return;
    }
    if ('clearFaults' in step) {
      needControl();
      await ok('DELETE', '/_sim/v1/faults', { admin: true });
      return;
    }
    if ('stock' in step) {
      needControl();
      await ok('PUT', '/_sim/v1/stock', { admin: true, body: step.stock });
      return;
    }
    if ('pricing' in step) {
      needAdmin();
      await ok('PUT', '/admin/v1/pricing', { admin: true, body: step.pricing });
      return;
    }
    if ('expectBalance' in step) {
      const problems: string[] = [];
      for (const [as, want] of Object.entries(step.expectBalance)) {
        const r = await ok('GET', '/api/v1/account', { key: keyOf(as) });
        const got = r.body?.data?.balanceCents;
        const m = match(typeof want === 'number' ? String(want) : interpolate(want, vars), got);
        if (m.length) problems.push(`balance of ${as}: expected ${typeof want === 'number' ? want : want}, got ${got}`);
      }
      if (problems.length) throw new StepFailure(problems.join('; '));
      return;
    }
    if ('expectOrder' in step) {
      const id = String(interpolate(step.expectOrder.order, vars));
      const r = await http('GET', `/api/v1/orders/${encodeURIComponent(id)}`, { key: keyOf(step.expectOrder.as) });
      if (r.status !== 200) throw new StepFailure(`GET order ${id} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      const mm = match(interpolate(step.expectOrder.match, vars), r.body.data);
      if (mm.length) throw new StepFailure(mismatchText('order', mm));
      return;
    }
    needControl();
    const e = step.expectEvents;
    // Only this scenario's events: the target may have served others before (docs/decisions.md D72).
    const r = await ok('GET', `/_sim/v1/events?type=${encodeURIComponent(e.type)}&since=${eventsSince}`, { admin: true });
    const where = e.where ? interpolate(e.where, vars) : undefined;
    const n = (r.body.data.items as Array<{ data: unknown }>).filter((ev) => !where || match(where, ev.data).length === 0).length;
    if (e.count !== undefined && n !== e.count) throw new StepFailure(`expected ${e.count} "${e.type}" event(s), found ${n}`);
    if (e.min !== undefined && n < e.min) throw new StepFailure(`expected at least ${e.min} "${e.type}" event(s), found ${n}`);
    if (e.max !== undefined && n > e.max) throw new StepFailure(`expected at most ${e.max} "${e.type}" event(s), found ${n}`);
  };

  const runRequest = async (step: RequestStep): Promise<void> => {
    const [method, rawPath] = step.request.split(' ') as [string, string];
    const path = String(interpolate(rawPath, vars));
    const body = step.body === undefined ? undefined : interpolate(step.body, vars);
    const headers = step.headers ? interpolate(step.headers, vars) : undefined;
    const key = step.as ? keyOf(step.as) : undefined;
    const buying = method === 'POST' && path === '/api/v1/orders';
    if (buying && options.maxSpendCents !== undefined && spent >= options.maxSpendCents) {
      throw new StepFailure(`spend cap reached: ${spent} of ${options.maxSpendCents} cents already charged`);
    }
    const times = step.repeat ?? 1;
    const send = () => http(method, path, { key, body, ...(headers && { headers }) });
    const results: Res[] = [];
    if (step.parallel) results.push(...(await Promise.all(Array.from({ length: times }, send))));
    else for (let i = 0; i < times; i++) results.push(await send());
    for (const r of results) if (buying && r.status === 200) spent += Number(r.body?.data?.chargedCents ?? 0);

    const problems: string[] = [];
    if (step.expectCounts) {
      const counts: Record<string, number> = {};
      for (const r of results) {
        counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
        const code = r.body?.ok === false ? r.body.code : r.status < 300 ? 'OK' : undefined;
        if (code) counts[code] = (counts[code] ?? 0) + 1;
      }
      for (const [k, want] of Object.entries(step.expectCounts)) {
        if ((counts[k] ?? 0) !== want)
          problems.push(`expected ${want} answer(s) with ${k}, got ${counts[k] ?? 0} (all: ${JSON.stringify(counts)})`);
      }
    }
    const expect = step.expect ? interpolate(step.expect, vars) : undefined;
    for (const [i, r] of results.entries()) {
      const label = results.length > 1 ? `answer ${i + 1}` : 'answer';
      if (expect?.status !== undefined && r.status !== expect.status) {
        problems.push(`${label}: expected HTTP ${expect.status}, got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        continue;
      }
      if (expect?.body !== undefined) {
        const mm = match(expect.body, r.body);
        if (mm.length) problems.push(mismatchText(`${label} body`, mm));
      }
      for (const [h, want] of Object.entries(expect?.headers ?? {})) {
        const mm = match(want, r.headers.get(h) ?? undefined);
        if (mm.length) problems.push(`${label} header ${h}: expected ${mm[0]!.expected}, got ${mm[0]!.actual}`);
      }
    }
    if (problems.length) throw new StepFailure(problems.slice(0, 5).join('\n'));
    for (const [name, p] of Object.entries(step.capture ?? {})) {
      const value = pick(results[0]!.body, p);
      if (value === undefined)
        throw new StepFailure(`capture ${name}: nothing at ${p} in ${JSON.stringify(results[0]!.body).slice(0, 300)}`);
      vars[name] = value;
    }
  };

  const checkInvariants = async (): Promise<void> => {
    if (!target.admin) return;
    const r = await ok('GET', '/admin/v1/invariants', { admin: true });
    const v = r.body.data.violations as Array<{ invariant: string; detail: string }>;
    if (v.length) throw new StepFailure(`ledger invariant broken: ${v.map((x) => `${x.invariant} (${x.detail})`).join('; ')}`);
  };

  const record = (r: StepResult) => {
    steps.push(r);
    options.onStep?.(r);
  };

  const where = (path: Array<string | number>) => options.where?.(path) ?? file;
  let eventsSince = 0;
  try {
    await prepare(scenario, target, options.seed, ok);
    if (target.control) eventsSince = (await ok('GET', '/_sim/v1/events?limit=1', { admin: true })).body.data.count as number;
    await setup(scenario, target, keys, ok);
  } catch (err) {
    const message = err instanceof StepSkipped ? `setup: ${err.message}` : `setup failed: ${(err as Error).message}`;
    return {
      file,
      name: scenario.name,
      target: target.label,
      status: 'failed',
      ms: performance.now() - started,
      steps,
      error: `${where(['setup'])}: ${message}`,
    };
  }
  let failed = false;
  for (const [index, step] of scenario.steps.entries()) {
    const t0 = performance.now();
    const name = describeStep(step);
    const at = where(['steps', index]);
    const place = { at, ...(/:(\d+):\d+$/.test(at) && { line: Number(/:(\d+):\d+$/.exec(at)![1]) }) };
    if (failed) {
      record({ index, name, status: 'skipped', ms: 0, message: 'an earlier step failed', ...place });
      continue;
    }
    try {
      await run(step);
      await checkInvariants();
      record({ index, name, status: 'passed', ms: performance.now() - t0, ...place });
    } catch (err) {
      if (err instanceof StepSkipped)
        record({ index, name, status: 'skipped', ms: performance.now() - t0, message: err.message, ...place });
      else {
        failed = true;
        record({
          index,
          name,
          status: 'failed',
          ms: performance.now() - t0,
          message: err instanceof Error ? err.message : String(err),
          ...place,
        });
      }
    }
  }
  return { file, name: scenario.name, target: target.label, status: failed ? 'failed' : 'passed', ms: performance.now() - started, steps };
}

/**
 * Brings a running target to the scenario's start, as an in-process run has it (docs/decisions.md
 * D72): a target with the control API is reset to the scenario's seed, behaviour, rate limits and
 * upstream balance. A setup field a target cannot apply fails the scenario with the reason, never
 * silently: the same file must not mean different things on different targets.
 */
async function prepare(
  scenario: Scenario,
  target: Target,
  seed: number | undefined,
  ok: (method: string, path: string, init?: { admin?: boolean; body?: unknown; key?: string }) => Promise<Res>,
): Promise<void> {
  if (target.fresh) return;
  const s = scenario.setup;
  const cannot = (field: string, why: string) => new Error(`setup.${field} cannot be applied to ${target.label}: ${why}`);
  if (target.control && target.reset) {
    await ok('POST', '/_sim/v1/reset', {
      admin: true,
      body: {
        seed: seed ?? scenario.seed ?? 1,
        // A scenario without a behaviour runs on the simulator's library default, as in-process.
        behaviour: s.behaviour ?? 'realistic',
        ...(s.rateLimits && { rateLimits: s.rateLimits }),
        ...(s.upstreamBalance && { upstreamBalance: s.upstreamBalance }),
      },
    });
    return;
  }
  const noControl = target.control ? '' : 'it has no simulator control API (not a simulator, or no --admin-token)';
  if (s.behaviour !== undefined) {
    if (!target.control) throw cannot('behaviour', noControl);
    await ok('PUT', '/_sim/v1/behaviour', { admin: true, body: typeof s.behaviour === 'string' ? { preset: s.behaviour } : s.behaviour });
  }
  if (s.upstreamBalance !== undefined) {
    if (!target.control) throw cannot('upstreamBalance', noControl);
    await ok('PUT', '/_sim/v1/upstream/balance', { admin: true, body: { amount: s.upstreamBalance } });
  }
  if (s.rateLimits !== undefined)
    throw cannot('rateLimits', target.control ? 'rate limits are set by resetting the target, and --no-reset forbids that' : noControl);
  if (!target.control && (s.stock.length > 0 || s.faults.length > 0)) throw cannot(s.stock.length > 0 ? 'stock' : 'faults', noControl);
}

async function setup(
  scenario: Scenario,
  target: Target,
  keys: Map<string, string>,
  ok: (method: string, path: string, init?: { admin?: boolean; body?: unknown; key?: string }) => Promise<Res>,
): Promise<void> {
  for (const u of scenario.setup.users) {
    if (keys.has(u.as)) continue;
    if (target.control) {
      const r = await ok('POST', '/_sim/v1/users', {
        admin: true,
        body: { balanceCents: u.balanceCents, ...(u.displayName && { displayName: u.displayName }) },
      });
      keys.set(u.as, r.body.data.apiKey);
    } else if (target.admin) {
      const r = await ok('POST', '/admin/v1/users', {
        admin: true,
        body: { balanceCents: u.balanceCents, displayName: u.displayName ?? u.as },
      });
      const k = await ok('POST', `/admin/v1/users/${r.body.data.id}/keys`, { admin: true, body: { name: 'replay' } });
      keys.set(u.as, k.body.data.apiKey);
    } else {
      throw new StepSkipped(`user "${u.as}" needs --key ${u.as}=jm_… or an admin token`);
    }
  }
  if (target.control) {
    for (const s of scenario.setup.stock) await ok('PUT', '/_sim/v1/stock', { admin: true, body: s });
    for (const f of scenario.setup.faults) await ok('POST', '/_sim/v1/faults', { admin: true, body: f });
  }
  if (scenario.setup.pricing && target.admin) await ok('PUT', '/admin/v1/pricing', { admin: true, body: scenario.setup.pricing });
}
