/**
 * Concurrency over real HTTP: money never moves twice and never goes below zero.
 */
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../src/testing.js';

const s = useTestServer({ app: { rateLimits: { writePerMin: 1_000, readPerMin: 1_000 } } });

describe('races', () => {
  it('refunds exactly once when one order is cancelled 20 times at once', async () => {
    const u = s.createUser({ balanceCents: 1_000 });
    const o = (await s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } })).body.data;
    const results = await Promise.all(Array.from({ length: 20 }, () => s.call('POST', `/api/v1/orders/${o.id}/cancel`, { key: u.key })));
    const codes = results.map((r) => (r.status === 200 ? 'OK' : r.body.code));
    expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
    expect(codes.filter((c) => c === 'ALREADY_CHANGED')).toHaveLength(19);
    expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(1_000);
    expect(s.engine.stores.ledger.countByKind('refund')).toBe(1);
  });

  it('never lets concurrent orders take the balance below zero; every refused one is INSUFFICIENT', async () => {
    const u = s.createUser({ balanceCents: 100 }); // 3 numbers at 32 cents fit, the 4th does not
    const results = await Promise.all(
      Array.from({ length: 8 }, () => s.call('POST', '/api/v1/orders', { key: u.key, body: { service: 'tg', country: 7 } })),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(ok).toHaveLength(3);
    expect(refused.map((r) => r.body.code)).toEqual(Array(5).fill('INSUFFICIENT'));
    expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(4);
    // numbers the upstream sold for refused orders are owed back to it
    const released = s.engine.outbox.pending().filter((c) => c.kind === 'release').length;
    const bought = s.upstream.calls.filter((c) => c.method === 'buy').length;
    expect(released).toBe(bought - 3);
  });

  it('keeps the balance consistent with concurrent orders, cancels and polls from several keys', async () => {
    const u = s.createUser({ balanceCents: 5_000 });
    const keys = [u.key, s.engine.accounts.createKey(u.id).apiKey, s.engine.accounts.createKey(u.id).apiKey];
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) => s.call('POST', '/api/v1/orders', { key: keys[i % 3]!, body: { service: 'tg', country: 6 } })),
    );
    const ids = created.map((r) => r.body.data.id as string);
    await Promise.all(
      ids.flatMap((id, i) => [
        s.call('POST', `/api/v1/orders/${id}/cancel`, { key: keys[(i + 1) % 3]! }),
        s.call('GET', `/api/v1/orders/${id}`, { key: keys[i % 3]! }),
      ]),
    );
    expect(s.engine.accounts.requireUser(u.id).balanceCents).toBe(5_000);
  });
});
