/**
 * Fuzzing over real HTTP: thousands of malformed requests (fuzz/fuzz-cases.ts, sampled from one
 * seed) against a simulator — the server `jiema serve` runs. No answer is a 5xx, every answer is
 * the JSON envelope with no stack trace in it, nothing is logged at error level, and no balance,
 * ledger row, order, key or upstream balance changes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@jiema/core';
import { startSimulator } from '../../src/index.js';
import { QUIET } from '../helpers.js';
import { fuzzCase, type FuzzCase, type FuzzTargets } from './fuzz/fuzz-cases.js';
import { knobs, report } from './knobs.js';
import { lineSink } from './log-sink.js';
import { send, sendBytes } from './raw-http.js';
import { storedState } from './stored-state.js';

const NO_LIMITS = { readPerMin: 10_000_000, writePerMin: 10_000_000, pollPerMin: 10_000_000, authFailuresPerMin: 10_000_000 };
/** What a response must never show: a stack frame, an error class, a file path. */
const LEAK = /\n\s+at |\bat [\w.<>$]+ \(|Error:|SqliteError|TypeError|RangeError|\/work\/|node_modules|\.ts:\d+|\.js:\d+/;
const CONCURRENCY = 16;

/** Header values as a client puts them on the wire: UTF-8 bytes read as latin1, no control characters. */
const wire = (v: string): string =>
  Buffer.from(v, 'utf8')
    .toString('latin1')
    .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');

interface Verdict {
  label: string;
  status: number | undefined;
  problem?: string;
  /** The start of the answer, to read a problem by. */
  seen?: string;
}

function judge(c: FuzzCase, status: number | undefined, contentType: string, text: string, head: boolean): Verdict {
  const v: Verdict = { label: c.label, status, seen: `${contentType} ${text.slice(0, 200)}` };
  if (status === undefined) {
    if (!(c.channel === 'bytes' && c.mayGoUnanswered)) v.problem = 'no answer';
    return v;
  }
  if (status >= 500) v.problem = `status ${status}`;
  else if (head || status === 204 || status === 304) return v;
  else if (!/^application\/json/.test(contentType)) v.problem = `content-type ${JSON.stringify(contentType)}`;
  else {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      v.problem = 'body is not JSON';
      return v;
    }
    const b = body as { ok?: unknown; code?: unknown; message?: unknown };
    if (typeof b.ok !== 'boolean') v.problem = 'no boolean ok';
    else if (!b.ok && (typeof b.code !== 'string' || typeof b.message !== 'string')) v.problem = 'error without code and message';
    else if (LEAK.test(text)) v.problem = 'a stack trace or path in the body';
  }
  return v;
}

async function run(url: string, c: FuzzCase): Promise<Verdict> {
  if (c.channel === 'bytes') {
    const wanted = c.responses ?? 1;
    const answers = await sendBytes(url, c.pieces, {
      ...(c.gapMs && { gapMs: c.gapMs }),
      ...(c.halfClose && { halfClose: true }),
      waitMs: c.mayGoUnanswered ? 400 : 5_000,
      responses: wanted,
    });
    const verdicts = answers.map((a) => judge(c, a.status, a.contentType, a.body, false));
    if (answers.length < wanted && !c.mayGoUnanswered)
      return { label: c.label, status: answers[0]?.status, problem: `${answers.length} of ${wanted} answers` };
    return verdicts.find((v) => v.problem) ?? verdicts[0] ?? judge(c, undefined, '', '', false);
  }
  const r = await send(url, {
    method: c.method,
    path: c.path,
    headers: c.headers.map(([k, v]): [string, string] => [k, wire(v)]),
    ...(c.body !== undefined && { body: c.body }),
  });
  return judge(c, r.status, String(r.headers['content-type'] ?? ''), r.text, c.method === 'HEAD');
}

describe('fuzzing the HTTP API', () => {
  it('answers every malformed request with a non-5xx JSON envelope, leaks nothing and moves no money', async () => {
    const { lines: errors, stream: sink } = lineSink();
    const sim = await startSimulator({
      seed: knobs.seed,
      clock: 'manual',
      behaviour: QUIET,
      rateLimits: NO_LIMITS,
      logger: (clock) => createLogger({ clock, level: 'error', destination: sink }),
    });
    const started = performance.now();
    try {
      const { engine } = sim.world;
      const rich = sim.createUser({ balanceCents: 5_000, displayName: 'Rich' });
      const poor = sim.createUser({ balanceCents: 0, displayName: 'Poor' });
      const other = sim.createUser({ balanceCents: 0, displayName: 'Other' });
      const buy = () =>
        send(sim.url, {
          method: 'POST',
          path: '/api/v1/orders',
          headers: { authorization: `Bearer ${rich.apiKey}`, 'content-type': 'application/json' },
          body: '{"service":"tg","country":7}',
        });
      const live = (await buy()).json.data.id as string;
      const done = (await buy()).json.data.id as string;
      expect(
        (
          await send(sim.url, {
            method: 'POST',
            path: `/api/v1/orders/${done}/cancel`,
            headers: { authorization: `Bearer ${rich.apiKey}` },
          })
        ).status,
      ).toBe(200);
      const targets: FuzzTargets = {
        liveOrder: live,
        doneOrder: done,
        richKey: rich.apiKey,
        poorKey: poor.apiKey,
        otherKey: other.apiKey,
        adminToken: sim.adminToken,
        userId: rich.id,
      };

      const snapshot = () => ({
        ...storedState(engine),
        upstreamBalance: sim.world.upstream.balance,
        activations: sim.world.upstream.allActivations().length,
        clock: sim.now(),
      });
      const before = snapshot();

      const cases = fc.sample(fuzzCase(targets), { seed: knobs.seed, numRuns: knobs.fuzzCount });
      const verdicts: Verdict[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < cases.length) {
            const i = next++;
            const c = cases[i]!;
            verdicts[i] = await run(sim.url, c).catch((err: Error) => ({
              label: c.label,
              status: undefined,
              problem: `client error: ${err.message}`,
            }));
          }
        }),
      );

      const problems = verdicts.flatMap((v, i) =>
        v.problem ? [`${v.problem} (answer: ${v.seen}) — case #${i}: ${JSON.stringify(cases[i]).slice(0, 300)}`] : [],
      );
      expect(problems.slice(0, 5), `${problems.length} requests answered badly`).toEqual([]);
      expect(errors, 'error-level log lines').toEqual([]);
      expect(snapshot()).toEqual(before);
      expect(engine.checkInvariants()).toEqual([]);
      expect(
        (await send(sim.url, { method: 'GET', path: '/api/v1/account', headers: { authorization: `Bearer ${rich.apiKey}` } })).status,
      ).toBe(200);

      const byStatus: Record<string, number> = {};
      const byLabel: Record<string, number> = {};
      for (const v of verdicts) {
        byStatus[String(v.status ?? 'none')] = (byStatus[String(v.status ?? 'none')] ?? 0) + 1;
        byLabel[v.label] = (byLabel[v.label] ?? 0) + 1;
      }
      report('fuzz', { requests: verdicts.length, ms: Math.round(performance.now() - started), byStatus, byLabel });
      expect(verdicts.length).toBe(knobs.fuzzCount);
    } finally {
      await sim.close();
    }
  }, 300_000);
});
