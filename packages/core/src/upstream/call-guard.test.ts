import { describe, expect, it } from 'vitest';
import type { Logger } from '../logger.js';
import { ManualClock } from '../ports/clock.js';
import { createSeededRng } from '../ports/rng.js';
import { CallGuard } from './call-guard.js';
import { UpstreamError, type UpstreamErrorKind } from './upstream-error.js';

function setup(options: { retries?: number; failureThreshold?: number; cooldownMs?: number } = {}) {
  const clock = new ManualClock();
  const lines: Array<Record<string, unknown>> = [];
  const log: Logger = {
    debug: (o) => lines.push({ level: 'debug', ...o }),
    info: (o) => lines.push({ level: 'info', ...o }),
    warn: (o) => lines.push({ level: 'warn', ...o }),
    error: (o) => lines.push({ level: 'error', ...o }),
    child: () => log,
  };
  const sleeps: number[] = [];
  const guard = new CallGuard({
    name: 'test',
    clock,
    rng: createSeededRng(7),
    log,
    retries: options.retries ?? 2,
    backoffMs: { base: 100, max: 1_000 },
    breaker: { failureThreshold: options.failureThreshold ?? 3, cooldownMs: options.cooldownMs ?? 10_000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  let calls = 0;
  const failWith = (kind: UpstreamErrorKind) => async () => {
    calls += 1;
    throw new UpstreamError(kind, `failed with ${kind}`, { raw: kind });
  };
  const succeed = async () => {
    calls += 1;
    return 'ok';
  };
  return { clock, guard, lines, sleeps, failWith, succeed, calls: () => calls };
}

const kindOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: UpstreamError) => e.kind,
  );

describe('CallGuard', () => {
  it('retries a read on UNAVAILABLE with jittered, growing backoff, then gives up', async () => {
    const t = setup();
    expect(await kindOf(t.guard.run('getStatus', 'read', t.failWith('UNAVAILABLE')))).toBe('UNAVAILABLE');
    expect(t.calls()).toBe(3);
    expect(t.sleeps).toHaveLength(2);
    expect(t.sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(t.sleeps[0]).toBeLessThan(150);
    expect(t.sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(t.sleeps[1]).toBeLessThan(300);
  });

  it('never repeats a buy or a command', async () => {
    const t = setup();
    expect(await kindOf(t.guard.run('buy', 'buy', t.failWith('TIMEOUT')))).toBe('TIMEOUT');
    expect(await kindOf(t.guard.run('cancel', 'command', t.failWith('UNAVAILABLE')))).toBe('UNAVAILABLE');
    expect(t.calls()).toBe(2);
    expect(t.sleeps).toEqual([]);
  });

  it('does not retry refusals the upstream answered with', async () => {
    const t = setup();
    expect(await kindOf(t.guard.run('getStatus', 'read', t.failWith('NO_ACTIVATION')))).toBe('NO_ACTIVATION');
    expect(t.calls()).toBe(1);
  });

  it('opens after the threshold, fails fast without calling, half-opens after the cooldown and closes on success', async () => {
    const t = setup({ retries: 0 });
    for (let i = 0; i < 3; i++) await kindOf(t.guard.run('getBalance', 'read', t.failWith('TIMEOUT')));
    expect(t.guard.health().status).toBe('down');
    expect(t.lines.some((l) => l.event === 'upstream.circuit_open')).toBe(true);
    const fast = await t.guard.run('buy', 'buy', t.succeed).catch((e: UpstreamError) => e);
    expect(fast).toMatchObject({ kind: 'UNAVAILABLE', raw: 'CIRCUIT_OPEN' });
    expect(t.calls()).toBe(3);

    t.clock.advance(10_000);
    expect(t.guard.health().status).toBe('degraded');
    expect(await t.guard.run('getBalance', 'read', t.succeed)).toBe('ok');
    expect(t.guard.health().status).toBe('degraded'); // the failures were under a minute ago
    t.clock.advance(60_000);
    expect(t.guard.health()).toEqual({ status: 'ok' });
  });

  it('opens again when the half-open trial fails', async () => {
    const t = setup({ retries: 0, failureThreshold: 1 });
    await kindOf(t.guard.run('getBalance', 'read', t.failWith('PROTOCOL')));
    t.clock.advance(10_000);
    expect(await kindOf(t.guard.run('getBalance', 'read', t.failWith('UNAVAILABLE')))).toBe('UNAVAILABLE');
    expect(await kindOf(t.guard.run('getBalance', 'read', t.succeed))).toBe('UNAVAILABLE');
    expect(t.calls()).toBe(2);
  });

  it('does not count business refusals towards opening', async () => {
    const t = setup({ retries: 0, failureThreshold: 2 });
    for (let i = 0; i < 5; i++) await kindOf(t.guard.run('buy', 'buy', t.failWith('NO_NUMBERS')));
    expect(await t.guard.run('buy', 'buy', t.succeed)).toBe('ok');
    expect(t.guard.health()).toEqual({ status: 'ok' });
  });

  it('raises one operator alert on a refused key and is down until a later success', async () => {
    const t = setup();
    await kindOf(t.guard.run('getBalance', 'read', t.failWith('AUTH')));
    await kindOf(t.guard.run('getStatus', 'read', t.failWith('AUTH')));
    expect(t.lines.filter((l) => l.event === 'upstream.operator_alert')).toEqual([
      expect.objectContaining({ level: 'error', kind: 'AUTH', op: 'getBalance' }),
    ]);
    expect(t.guard.health()).toMatchObject({ status: 'down', detail: expect.stringContaining('AUTH') });
    await t.guard.run('getStatus', 'read', t.succeed);
    expect(t.guard.health().status).toBe('ok');
  });

  it('keeps a NO_BALANCE alert until a buy succeeds', async () => {
    const t = setup();
    await kindOf(t.guard.run('buy', 'buy', t.failWith('NO_BALANCE')));
    await t.guard.run('getStatus', 'read', t.succeed);
    expect(t.guard.health()).toMatchObject({ status: 'down', detail: expect.stringContaining('NO_BALANCE') });
    await t.guard.run('buy', 'buy', t.succeed);
    expect(t.guard.health().status).toBe('ok');
    expect(t.lines.some((l) => l.event === 'upstream.alert_cleared')).toBe(true);
  });
});
