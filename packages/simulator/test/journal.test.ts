/**
 * The request journal the console shows: each API call in the event log with its method, path and
 * status, and — outside the digest, since they differ between identical runs — its latency and
 * which key it came with, never more of a key than its public hint.
 */
import { describe, expect, it } from 'vitest';
import { useSims } from './helpers.js';

const start = useSims();

describe('the request journal', () => {
  it('records latency and the key hint of every API call, and never a whole key or the admin token', async () => {
    const t = await start();
    const u = t.sim.createUser();
    await t.api('GET', '/api/v1/account', u.apiKey);
    await fetch(`${t.sim.url}/_sim/v1/clock`, { headers: { 'x-admin-token': t.sim.adminToken } });
    await fetch(`${t.sim.url}/api/v1/account`);
    const requests = t.sim.events({ type: 'api' });
    expect(requests.map((e) => [e.data.path, e.data.status, e.meta?.key])).toEqual([
      ['/api/v1/account', 200, `jm_…${u.apiKey.slice(-4)}`],
      ['/_sim/v1/clock', 200, 'admin token'],
      ['/api/v1/account', 401, null],
    ]);
    for (const e of requests) expect(typeof e.meta?.ms).toBe('number');
    const all = JSON.stringify(t.sim.events());
    expect(all).not.toContain(u.apiKey);
    expect(all).not.toContain(t.sim.adminToken);
  });
});
