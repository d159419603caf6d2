/**
 * Rate limits across instances (issue #15 item 3, docs/decisions.md D16, D129): two servers on two
 * engines on one PostgreSQL schema count one key's requests in the same windows, so the key gets
 * its limit once, not once per instance. The same scenarios run on one SQLite server, so the
 * public behaviour (RateLimit headers, the 429 envelope, Retry-After, failed authentications per
 * client address) is the same on both databases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/ports/clock.js';
import { MemoryUpstream } from '../src/upstream/memory/memory-upstream.js';
import { startTestServer, TEST_CATALOGUE, type TestServer } from '../src/testing/server.js';
import { expectError } from './helpers.js';
import { createTestSchema, type TestSchema } from './postgres.js';

interface Setup {
  name: string;
  /** The servers requests are spread over, in turn. */
  start(): Promise<TestServer[]>;
}

let servers: TestServer[] = [];
let schema: TestSchema | undefined;
afterEach(async () => {
  await Promise.all([...new Set(servers)].map((s) => s.close()));
  servers = [];
  await schema?.drop();
  schema = undefined;
});

async function startOn(db: string, count: number): Promise<TestServer[]> {
  const clock = new ManualClock();
  const upstream = new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE });
  for (let i = 0; i < count; i++) servers.push(await startTestServer({ db, clock, upstream, seed: 100 + i }));
  return servers;
}

const SETUPS: Setup[] = [
  {
    name: 'one SQLite server',
    async start() {
      const [s] = await startOn(':memory:', 1);
      return [s!, s!];
    },
  },
  {
    name: 'two servers on one PostgreSQL schema',
    async start() {
      schema = await createTestSchema();
      return startOn(schema.url, 2);
    },
  },
];

const order = { service: 'tg', country: 6 };

for (const setup of SETUPS) {
  describe(`rate limits, ${setup.name}`, () => {
    it('gives a key 10 writes a minute in all, with the same headers on every instance; the window slides', async () => {
      const [a, b] = await setup.start();
      const at = (i: number) => (i % 2 === 0 ? a! : b!);
      const u = a!.createUser({ balanceCents: 100_000 });
      for (let i = 0; i < 10; i++) {
        const r = await at(i).call('POST', '/api/v1/orders', { key: u.key, body: order });
        expect(r.status).toBe(200);
        expect(r.headers.get('ratelimit-policy')).toBe('"write";q=10;w=60');
        expect(r.headers.get('ratelimit')).toBe(`"write";r=${9 - i};t=${60 - i}`);
        a!.advance(1_000);
      }
      for (const s of [a!, b!]) {
        const limited = await s.call('POST', '/api/v1/orders', { key: u.key, body: order });
        expectError(limited, 429, 'RATE_LIMITED');
        expect(limited.body.message).toBe('Rate limit of 10 write requests per minute reached for this key; retry in 50 s.');
        expect(limited.headers.get('retry-after')).toBe('50');
        expect(limited.headers.get('ratelimit-policy')).toBe('"write";q=10;w=60');
        expect(limited.headers.get('ratelimit')).toBe('"write";r=0;t=50');
      }
      // Reads are counted apart from writes.
      expect((await b!.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
      // At 60 s the first write leaves the window: one slot, taken on one instance, refused on the other.
      a!.advance(50_000);
      expect((await b!.call('POST', '/api/v1/orders', { key: u.key, body: order })).status).toBe(200);
      const again = await a!.call('POST', '/api/v1/orders', { key: u.key, body: order });
      expectError(again, 429, 'RATE_LIMITED');
      expect(again.headers.get('retry-after')).toBe('1');
      expect(a!.checkInvariants()).toEqual([]);
    });

    it('accepts exactly the limit of concurrent writes spread over the instances, and 429s the rest', async () => {
      const [a, b] = await setup.start();
      const u = a!.createUser({ balanceCents: 100_000 });
      const other = a!.createUser({ balanceCents: 100_000 });
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a! : b!).call('POST', '/api/v1/orders', { key: u.key, body: order })),
      );
      const accepted = answers.filter((r) => r.status === 200);
      expect(accepted).toHaveLength(10);
      expect(accepted.map((r) => r.headers.get('ratelimit')).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `"write";r=${i};t=60`).sort(),
      );
      for (const r of answers.filter((x) => x.status !== 200)) {
        expectError(r, 429, 'RATE_LIMITED');
        expect(r.headers.get('retry-after')).toBe('60');
        expect(r.headers.get('ratelimit')).toBe('"write";r=0;t=60');
      }
      const ids = new Set(accepted.map((r) => (r.body.data as { id: string }).id));
      expect(ids.size).toBe(10);
      for (const id of ids) expect((await b!.engine.orders.get(u.id, id)).id).toBe(id);
      // Another key has a window of its own.
      expect((await b!.call('POST', '/api/v1/orders', { key: other.key, body: order })).headers.get('ratelimit')).toBe('"write";r=9;t=60');
    });

    it('throttles failed authentications per client address across instances, never valid credentials', async () => {
      const [a, b] = await setup.start();
      for (let i = 0; i < 30; i++)
        expect((await (i % 2 === 0 ? a! : b!).call('GET', '/api/v1/account', { key: 'jm_bad' })).status).toBe(401);
      for (const s of [a!, b!]) {
        const blocked = await s.call('GET', '/api/v1/account', { key: 'jm_bad' });
        expectError(blocked, 429, 'RATE_LIMITED');
        expect(blocked.headers.get('retry-after')).toBe('60');
      }
      expectError(await b!.admin('GET', '/admin/v1/users', undefined, 'jma_wrong'), 429, 'RATE_LIMITED');
      const u = a!.createUser();
      expect((await b!.call('GET', '/api/v1/account', { key: u.key })).status).toBe(200);
      expect((await b!.admin('GET', '/admin/v1/users')).status).toBe(200);
      a!.advance(60_000);
      expectError(await b!.call('GET', '/api/v1/account', { key: 'jm_bad' }), 401, 'AUTH_INVALID');
    });
  });
}
