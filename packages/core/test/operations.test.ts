/**
 * What an operator's tooling reads (docs/decisions.md D102, D103): Prometheus metrics behind the
 * admin token, and /readyz — 503 with the reason when the database cannot be written, the
 * upstream's circuit is open, or the provider balance is below the minimum.
 */
import { mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryUpstream, UpstreamError, type Logger } from '../src/index.js';
import { TEST_CATALOGUE, useTestServers } from '../src/testing.js';
import { expectError } from './helpers.js';

const start = useTestServers();

/** Samples of the exposition text: `name{labels} value` lines, by the full series name. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function recordingLogger(): Logger & { lines: Array<Record<string, unknown> & { level: string }> } {
  const lines: Array<Record<string, unknown> & { level: string }> = [];
  const at = (level: string) => (obj: Record<string, unknown>) => void lines.push({ ...obj, level });
  const log = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => log,
    isLevelEnabled: () => false,
  };
  return log;
}

describe('GET /metrics', () => {
  it('needs the admin token and answers the Prometheus text format with the documented series', async () => {
    const s = await start();
    const u = s.createUser({ balanceCents: 1_000 });
    await s.call('GET', '/api/v1/account', { key: u.key });
    const o = (await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } })).body.data;
    await s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key });
    await s.call('GET', '/no/such/path');

    expectError(await s.call('GET', '/metrics'), 401, 'AUTH_MISSING');
    expectError(await s.call('GET', '/metrics', { key: u.key }), 401, 'AUTH_INVALID');
    const r = await s.call('GET', '/metrics', { headers: { 'x-admin-token': s.adminToken } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = samples(r.text);
    expect(m.get('jiema_http_requests_total{method="GET",route="/api/v1/account",status="200"}')).toBe(1);
    expect(m.get('jiema_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(m.get('jiema_http_request_duration_seconds_count{method="POST",route="/api/v1/orders",status="200"}')).toBe(1);
    expect(m.has('jiema_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/account",status="200"}')).toBe(true);
    expect(m.get('jiema_order_transitions_total{from="NEW",to="WAITING"}')).toBe(1);
    expect(m.get('jiema_order_transitions_total{from="WAITING",to="CANCELLED"}')).toBe(1);
    expect(m.get('jiema_upstream_calls_total{method="buy",outcome="ok"}')).toBe(1);
    expect(m.get('jiema_upstream_call_duration_seconds_count{method="buy",outcome="ok"}')).toBe(1);
    expect(m.get('jiema_upstream_circuit_state{state="closed"}')).toBe(1);
    expect(m.get('jiema_upstream_circuit_state{state="open"}')).toBe(0);
    // The cancel is owed to the upstream until the worker sends it.
    expect(m.get('jiema_outbox_pending_commands')).toBe(1);
    expect(m.get('jiema_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(m.get('jiema_buy_intents_pending')).toBe(0);
    expect(m.get('jiema_upstream_balance_low')).toBe(0);
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('process_resident_memory_bytes')).toBe(true);
    // Raw paths never become labels: an order id is not a route.
    expect(r.text).not.toContain(o.id);
    for (const name of r.text
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2]!)) {
      expect(name).toMatch(/^(jiema_|process_|nodejs_)/);
      if (r.text.includes(`# TYPE ${name} counter`)) expect(name).toMatch(/_total$/);
    }

    s.advance(90_000);
    const later = samples((await s.call('GET', '/metrics', { headers: { 'x-admin-token': s.adminToken } })).text);
    expect(later.get('jiema_outbox_oldest_pending_age_seconds')).toBe(90);
  });

  it('counts upstream failures by kind, and rate-limit refusals by class', async () => {
    const s = await start({ app: { rateLimits: { writePerMin: 1 } } });
    const u = s.createUser({ balanceCents: 1_000 });
    s.upstream.failNext('buy', new UpstreamError('UNAVAILABLE', 'down for the test'));
    await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } });
    expect((await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } })).status).toBe(429);
    const m = samples((await s.call('GET', '/metrics', { headers: { 'x-admin-token': s.adminToken } })).text);
    expect(m.get('jiema_upstream_calls_total{method="buy",outcome="unavailable"}')).toBe(1);
    expect(m.get('jiema_rate_limit_refusals_total{class="write"}')).toBe(1);
  });
});

describe('GET /readyz', () => {
  it('is ready with a writable database and a closed circuit, and stays open to anyone', async () => {
    const s = await start();
    const r = await s.call('GET', '/readyz');
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ status: 'ready', checks: { database: 'ok', circuit: 'closed', upstreamBalance: 'unchecked' } });
    expect((await s.call('GET', '/healthz')).status).toBe(200);
  });

  it('answers 503 NOT_READY while the balance is unknown or below the minimum, and logs a low balance once per crossing', async () => {
    const clock = new ManualClock();
    const upstream = new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE });
    let balance = '50.00';
    upstream.getBalance = async () => ({ amount: balance });
    const logger = recordingLogger();
    const s = await start({ clock, upstream, logger, minUpstreamBalance: 20 });
    const unknown = await s.call('GET', '/readyz');
    expectError(unknown, 503, 'NOT_READY');
    expect(unknown.body.message).toContain('not been read yet');

    await s.engine.balance.refresh();
    expect((await s.call('GET', '/readyz')).body.data).toMatchObject({
      status: 'ready',
      checks: { upstreamBalance: 'ok' },
      upstreamBalance: { amount: '50.00', minimum: 20 },
    });
    balance = '12.5';
    await s.engine.balance.refresh();
    await s.engine.balance.refresh();
    const low = await s.call('GET', '/readyz');
    expectError(low, 503, 'NOT_READY');
    expect(low.body.message).toContain('provider balance 12.5 is below the minimum 20');
    const m = samples((await s.call('GET', '/metrics', { headers: { 'x-admin-token': s.adminToken } })).text);
    expect(m.get('jiema_upstream_balance')).toBe(12.5);
    expect(m.get('jiema_upstream_balance_low')).toBe(1);
    balance = '100';
    await s.engine.balance.refresh();
    balance = '1';
    await s.engine.balance.refresh();
    const events = logger.lines.filter((l) => String(l.event).startsWith('upstream.balance'));
    expect(events.filter((l) => l.event === 'upstream.balance')).toHaveLength(5);
    expect(events.filter((l) => l.event === 'upstream.balance_low').map((l) => [l.level, l.balance])).toEqual([
      ['warn', '12.5'],
      ['warn', '1'],
    ]);
    expect(events.filter((l) => l.event === 'upstream.balance_recovered')).toHaveLength(1);
    // A failed read keeps the last known balance.
    upstream.getBalance = async () => {
      throw new Error('down');
    };
    await s.engine.balance.refresh();
    expect(s.engine.balance.current()).toMatchObject({ amount: 1, low: true, error: expect.stringContaining('down') });
  });

  it('answers 503 while the upstream circuit is open', async () => {
    const clock = new ManualClock();
    const upstream = Object.assign(new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE }), {
      circuitState: () => 'open' as const,
      health: () => ({ status: 'down' as const, detail: 'circuit open after 5 failures in a row' }),
    });
    const s = await start({ clock, upstream });
    const r = await s.call('GET', '/readyz');
    expectError(r, 503, 'NOT_READY');
    expect(r.body.message).toContain("upstream's circuit breaker is open: circuit open after 5 failures");
    const m = samples((await s.call('GET', '/metrics', { headers: { 'x-admin-token': s.adminToken } })).text);
    expect(m.get('jiema_upstream_circuit_state{state="open"}')).toBe(1);
  });

  it('answers 503 when the database file was replaced under the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiema-readyz-'));
    const db = join(dir, 'jiema.db');
    const s = await start({ db });
    expect((await s.call('GET', '/readyz')).status).toBe(200);
    renameSync(db, join(dir, 'moved.db'));
    const r = await s.call('GET', '/readyz');
    expectError(r, 503, 'NOT_READY');
    expect(r.body.message).toMatch(/database/);
  });
});
