/**
 * The PostgreSQL rate windows under large limits (docs/decisions.md D129): bounded windows and
 * leases. Several PostgresRateWindowStore instances (one per server) on one schema never admit a
 * key more than its limit in any window, a busy key costs few round trips, the window's arrays stay
 * bounded whatever the limit, and small limits stay exact across instances.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXACT_UP_TO, PostgresRateWindowStore } from '../src/http/postgres-rate-window-store.js';
import { openPostgres } from '../src/storage/postgres/open-postgres.js';
import { PostgresDb } from '../src/storage/postgres/postgres-db.js';
import type { SyncPostgresClient } from '../src/storage/postgres/sync-client.js';
import { createTestSchema, type TestSchema } from './postgres.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000;

let schema: TestSchema | undefined;
let clients: SyncPostgresClient[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await schema?.drop();
  schema = undefined;
});

/** `n` stores on one fresh schema, each on its own connection, as `n` servers would be. */
async function instances(n: number): Promise<PostgresRateWindowStore[]> {
  schema = await createTestSchema();
  const url = schema.url;
  return Array.from({ length: n }, () => {
    const client = openPostgres(url);
    clients.push(client);
    return new PostgresRateWindowStore(new PostgresDb(client).asDb());
  });
}

/** The most accepted hits in any window (t − windowMs, t] of the sorted times. */
function mostInAnyWindow(times: number[], windowMs: number): number {
  let most = 0;
  let from = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[from]! <= times[i]! - windowMs) from += 1;
    most = Math.max(most, i - from + 1);
  }
  return most;
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

async function windowSize(key: string): Promise<{ entries: number; counted: number }> {
  const r = await schema!.client.query<{ entries: number; counted: string }>(
    'SELECT cardinality(times) AS entries, (SELECT sum(c) FROM unnest(counts) AS c) AS counted FROM rate_windows WHERE key = $1',
    [key],
  );
  return { entries: r.rows[0]!.entries, counted: Number(r.rows[0]!.counted) };
}

describe('PostgreSQL rate windows with large limits: bounded, leased', () => {
  it('two instances hammering one key never admit more than the limit in any window, and use most of it', async () => {
    const stores = await instances(2);
    const limit = 5_000;
    const rnd = random(1);
    const accepted: number[] = [];
    let now = T0;
    // About 40,000 requests a minute for 4 minutes, in bursts and lulls, from either instance.
    for (let i = 0; i < 140_000; i++) {
      now += rnd() < 0.001 ? Math.floor(rnd() * 2_000) : Math.floor(rnd() * 3);
      if (stores[rnd() < 0.5 ? 0 : 1]!.hit('poll:hammer', now, MIN, limit).allowed) accepted.push(now);
    }
    expect(mostInAnyWindow(accepted, MIN)).toBeLessThanOrEqual(limit);
    // Conservative, not wasteful: each whole minute gets nearly all its limit.
    expect(accepted.length).toBeGreaterThan(limit * Math.floor((now - T0) / MIN) * 0.9);
  });

  it('records every hit at most a lease and a slot after it was made, however steady the traffic near the limit', async () => {
    const [store] = await instances(1);
    const limit = 1_000;
    const accepted: number[] = [];
    // 20 requests a second against 1,000 a minute: the window stays near full for three minutes.
    for (let now = T0; now < T0 + 3 * MIN; now += 50) if (store!.hit('poll:steady', now, MIN, limit).allowed) accepted.push(now);
    expect(mostInAnyWindow(accepted, MIN)).toBeLessThanOrEqual(limit);
    // As many as an exact window would give (3,000), within 2 %.
    expect(accepted.length).toBeGreaterThan(limit * 2.94);
    const r = await schema!.client.query<{ t: string; c: string }>(
      'SELECT u.t, u.c FROM rate_windows, unnest(times, counts) AS u(t, c) WHERE key = $1',
      ['poll:steady'],
    );
    for (const { t, c } of r.rows) {
      // An entry holds the hits of its slot (100 ms) and of a lease (200 ms) before it, and a lease's unused hits.
      const near = accepted.filter((a) => a > Number(t) - 300 && a <= Number(t)).length;
      expect(Number(c)).toBeLessThanOrEqual(near + 16);
    }
  });

  it('a busy key costs far fewer round trips than hits', async () => {
    const [store] = await instances(1);
    let allowed = 0;
    for (let i = 0; i < 100_000; i++) if (store!.hit('poll:busy', T0 + Math.floor(i / 20), MIN, 1e9).allowed) allowed += 1;
    expect(allowed).toBe(100_000);
    expect(store!.roundTrips).toBeLessThan(100_000 / 100);
  });

  it('keeps the arrays bounded under a huge limit, counting every hit', async () => {
    const stores = await instances(2);
    let allowed = 0;
    for (let i = 0; i < 100_000; i++) if (stores[i % 2]!.hit('poll:huge', T0 + i, MIN, 1e9).allowed) allowed += 1;
    expect(allowed).toBe(100_000);
    const w = await windowSize('poll:huge');
    // One entry a slot of 100 ms at most: 600 in a minute, and the two leases ahead.
    expect(w.entries).toBeLessThanOrEqual(603);
    // Every hit of the last minute is counted (and the leases' unused hits, conservatively).
    expect(w.counted).toBeGreaterThanOrEqual(MIN);
    expect(stores[0]!.peek('poll:huge', T0 + 100_000, MIN, 1e9).used).toBeGreaterThanOrEqual(MIN - 1);
  });

  it('reports the window honestly from a lease: used grows by one a hit, oldest is the first entry, a look agrees', async () => {
    const [store] = await instances(1);
    const seen = Array.from({ length: 50 }, (_, i) => store!.hit('poll:headers', T0 + i, MIN, 10_000));
    expect(seen.every((r) => r.allowed)).toBe(true);
    expect(seen.map((r) => r.used)).toEqual(seen.map((_, i) => i + 1));
    // The oldest entry holds the first hits, its time moved later as hits within a grain joined it.
    expect(seen.every((r) => r.oldest! >= T0 && r.oldest! <= T0 + MIN / 600)).toBe(true);
    // A look counts the hits made, not this instance's unused leased ones.
    expect(store!.peek('poll:headers', T0 + 50, MIN, 10_000).used).toBe(50);
    expect(store!.hit('poll:headers', T0 + 50, MIN, 10_000).used).toBe(51);
  });

  it('refuses and does not count at the limit: near it every lease is one hit', async () => {
    const stores = await instances(2);
    const limit = 1_000;
    let allowed = 0;
    for (let i = 0; i < 3_000; i++) if (stores[i % 2]!.hit('poll:edge', T0 + Math.floor(i / 100), MIN, limit).allowed) allowed += 1;
    expect(allowed).toBeLessThanOrEqual(limit);
    expect(allowed).toBeGreaterThan(limit * 0.9);
    // Refused hits were not counted: the window holds only what was given out.
    expect((await windowSize('poll:edge')).counted).toBeLessThanOrEqual(limit);
    // Once the window has slid past, the key is served again.
    expect(stores[0]!.hit('poll:edge', T0 + 2 * MIN, MIN, limit).allowed).toBe(true);
  });

  it(`stays exact under small limits (up to ${EXACT_UP_TO}) across instances: one entry and one round trip a hit`, async () => {
    const stores = await instances(2);
    const results = Array.from({ length: 320 }, (_, i) => stores[i % 2]!.hit('poll:exact', T0 + i, MIN, 300));
    expect(results.filter((r) => r.allowed)).toHaveLength(300);
    expect(results.slice(0, 300).map((r) => r.used)).toEqual(results.slice(0, 300).map((_, i) => i + 1));
    expect(results.slice(300).every((r) => !r.allowed && r.used === 300 && r.oldest === T0)).toBe(true);
    expect(stores[0]!.roundTrips + stores[1]!.roundTrips).toBe(320);
    expect(await windowSize('poll:exact')).toEqual({ entries: 300, counted: 300 });
    // The first hit leaves exactly a window after it was made.
    expect(stores[1]!.hit('poll:exact', T0 + MIN, MIN, 300)).toEqual({ allowed: true, used: 300, oldest: T0 + 1 });
  });

  it('prunes idle keys, leased ones included', async () => {
    const [store] = await instances(1);
    for (let i = 0; i < 100; i++) store!.hit('poll:idle', T0 + i, MIN, 1e6);
    store!.hit('write:idle', T0, MIN, 10);
    expect(store!.prune(T0 + 10 * MIN)).toBe(2);
    expect(store!.peek('poll:idle', T0 + 10 * MIN, MIN, 1e6)).toEqual({ allowed: true, used: 0, oldest: undefined });
  });
});
