/**
 * Logs are structured and carry a request id; keys, the admin token and SMS texts and codes
 * never appear in them.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, ManualClock } from '../src/index.js';
import { startTestServer, TEST_ADMIN_TOKEN } from '../src/testing.js';

function capture(): { lines: string[]; sink: Writable } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, sink };
}

describe('logs', () => {
  it('never contain keys, tokens or SMS codes, and carry a request id and virtual time', async () => {
    const { lines, sink } = capture();
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const s = await startTestServer({ clock, logger: createLogger({ clock, level: 'debug', destination: sink }) });
    try {
      const u = s.createUser({ balanceCents: 1_000 });
      const o = (await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } })).body.data;
      const act = s.activationOf(o.id);
      s.upstream.deliverSms(act, 'Telegram code: 917364');
      await s.call('GET', `/api/v1/orders/${o.id}`, { key: u.key, headers: { 'x-api-key': u.key } });
      await s.call('GET', '/api/v1/account', { key: 'jm_wrong' });
      await s.admin('GET', '/admin/v1/users');
      await s.call('GET', '/admin/v1/users', { headers: { 'x-admin-token': 'guess-token' } });
      await s.engine.tick();
    } finally {
      await s.close();
    }
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(5);
    expect(all).not.toMatch(/jm_[0-9A-Za-z]{20,}/);
    expect(all).not.toContain(TEST_ADMIN_TOKEN);
    expect(all).not.toContain('guess-token');
    expect(all).not.toContain('917364');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = parsed.filter((l) => l.event === 'http.request');
    expect(requests.length).toBeGreaterThanOrEqual(5);
    for (const r of requests) expect(r.reqId).toMatch(/^req_/);
    expect(parsed.every((l) => String(l.time).startsWith('2030-01-01'))).toBe(true);
    expect(parsed.some((l) => l.event === 'order.transition')).toBe(true);
    // Lines the engine writes while serving a request carry that request's id too.
    const created = parsed.find((l) => l.event === 'order.created')!;
    expect(created.reqId).toMatch(/^req_/);
    expect(requests.some((r) => r.reqId === created.reqId && r.path === '/api/v1/orders')).toBe(true);
  });

  it('give each line its own fields and the request id only, and mask a key pasted into a URL path', async () => {
    const { lines, sink } = capture();
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const s = await startTestServer({ clock, logger: createLogger({ clock, level: 'debug', destination: sink }) });
    const u = s.createUser({ balanceCents: 1_000 });
    try {
      await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } });
      await s.call('GET', `/api/v1/orders/${u.key}`, { key: u.key });
    } finally {
      await s.close();
    }
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const byEvent = (e: string) => parsed.filter((l) => l.event === e);
    // order.created was written first in that request; the access line after it must not inherit its fields.
    const created = byEvent('order.created')[0]!;
    const access = byEvent('http.request').find((l) => l.reqId === created.reqId)!;
    expect(access).toBeDefined();
    expect(access).not.toHaveProperty('orderId');
    expect(access).not.toHaveProperty('chargedCents');
    expect(Object.keys(access).sort()).toEqual(['event', 'level', 'method', 'ms', 'path', 'reqId', 'status', 'time']);
    const pasted = byEvent('http.request').find((l) => String(l.path).startsWith('/api/v1/orders/jm_'))!;
    expect(pasted.path).toBe(`/api/v1/orders/jm_…${u.key.slice(-4)}`);
    expect(lines.join('\n')).not.toContain(u.key);
  });
});
