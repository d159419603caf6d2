// What a rate-limit hit costs (docs/decisions.md D129): the in-memory windows (SQLite), the
// windows in PostgreSQL (one upsert through the engine's synchronous connection), and the same
// exact sliding window in Redis (one Lua script), measured side by side in one run. Not part of
// `pnpm bench`'s targets: run it after `tsc -b` with
//   node scripts/bench/rate-limits.mjs [--quick]
// It needs PostgreSQL (JIEMA_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test)
// and Redis at 127.0.0.1:6379 (REDIS_PORT). Each part uses a fresh schema, dropped at the end.
import { randomBytes } from 'node:crypto';
import { request, Agent } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { REPO } from './lib.mjs';

const require = createRequire(join(REPO, 'packages/core/package.json'));
const pg = require('pg');
const core = (p) => import(join(REPO, 'packages/core/dist', p));
const { MemoryRateWindowStore, PostgresRateWindowStore, RATE_HIT_SQL } = await core('http/rate-window-store.js');
const { PostgresDb, translateParameters } = await core('storage/postgres/postgres-db.js');
const { openPostgres } = await core('storage/postgres/open-postgres.js');
const { RateLimits, DEFAULT_RATE_LIMITS } = await core('http/rate-limiter.js');
const { createApp, createEngine, listen, ManualClock, MemoryUpstream } = await core('index.js');
const { TEST_CATALOGUE } = await core('testing/server.js');

const quick = process.argv.includes('--quick');
const N = quick ? 2_000 : 20_000;
const PG_URL = process.env.JIEMA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);
const WINDOW = 60_000;
const log = (s) => process.stderr.write(`${s}\n`);
const results = {};

async function withSchema(fn) {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const schema = `jiema_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  try {
    return await fn(u.toString());
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

/** µs per call of a synchronous function, over n calls. */
function perCall(n, fn) {
  for (let i = 0; i < Math.min(n, 500); i++) fn(i); // warm up
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - t) * 1000) / n;
}

/** µs per call of an async function awaited one after another. */
async function perCallAsync(n, fn) {
  for (let i = 0; i < Math.min(n, 500); i++) await fn(i);
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - t) * 1000) / n;
}

/** Operations per second with `conns` connections each keeping `depth` requests in flight. */
async function throughput(total, conns, fn) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: conns }, async (_, c) => {
      while (next < total) await fn(c, next++);
    }),
  );
  return Math.round(total / ((performance.now() - t) / 1000));
}

// A minimal RESP client: enough for EVALSHA and SCRIPT LOAD, answers in order.
function redisClient() {
  const sock = connect(REDIS_PORT, '127.0.0.1');
  sock.setNoDelay(true);
  const waiting = [];
  let buf = Buffer.alloc(0);
  const parse = (b, i) => {
    const end = b.indexOf('\r\n', i);
    if (end < 0) return undefined;
    const type = String.fromCharCode(b[i]);
    const line = b.toString('utf8', i + 1, end);
    if (type === '+' || type === '-') return [type === '-' ? new Error(line) : line, end + 2];
    if (type === ':') return [Number(line), end + 2];
    if (type === '$') {
      const len = Number(line);
      if (len < 0) return [null, end + 2];
      if (b.length < end + 2 + len + 2) return undefined;
      return [b.toString('utf8', end + 2, end + 2 + len), end + 2 + len + 2];
    }
    if (type === '*') {
      const out = [];
      let at = end + 2;
      for (let k = 0; k < Number(line); k++) {
        const r = parse(b, at);
        if (!r) return undefined;
        out.push(r[0]);
        at = r[1];
      }
      return [out, at];
    }
    throw new Error(`RESP type ${type}`);
  };
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const r = parse(buf, 0);
      if (!r) break;
      buf = buf.subarray(r[1]);
      const w = waiting.shift();
      if (r[0] instanceof Error) w.reject(r[0]);
      else w.resolve(r[0]);
    }
  });
  const ready = new Promise((res, rej) => {
    sock.once('connect', res);
    sock.once('error', rej);
  });
  return {
    ready,
    call(...args) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
      });
    },
    close: () => sock.end(),
  };
}

// The same exact sliding window in Redis: a sorted set per key, pruned, counted and appended atomically.
const REDIS_HIT = `
local now, win, lim = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
local n = redis.call('ZCARD', KEYS[1])
local allowed = 0
if n < lim then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. redis.call('INCR', KEYS[1] .. ':seq'))
  n = n + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], win)
redis.call('PEXPIRE', KEYS[1] .. ':seq', win)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
return {allowed, n, oldest}`;

const t0 = Date.now();
// 1000 keys at the poll limit (300 a minute): each key ends with ~N/1000 hits in its window.
const key = (i) => `poll:${i % 1000}`;
const now = (i) => t0 + i;

// 1. The engine thread's cost per hit: memory, PostgreSQL (the real path), and PostgreSQL's floor.
{
  const mem = new MemoryRateWindowStore();
  results.memoryHitUs = perCall(N * 10, (i) => mem.hit(key(i), now(i), WINDOW, 300));
  await withSchema(async (url) => {
    const client = openPostgres(url);
    const db = new PostgresDb(client).asDb();
    const store = new PostgresRateWindowStore(db);
    results.postgresHitUs = perCall(N, (i) => store.hit(key(i), now(i), WINDOW, 300));
    results.postgresHotKeyRefusedUs = perCall(N / 4, (i) => store.hit('poll:hot', now(i), WINDOW, 300));
    results.postgresSelect1Us = perCall(N, () => client.query('SELECT 1'));
    client.close();
  });
}

// 2. One round trip, async (no synchronous bridge): PostgreSQL's statement against Redis's script.
// 3. Throughput with 8 connections, 1000 keys.
await withSchema(async (url) => {
  openPostgres(url).close(); // migrate
  const { text, names } = translateParameters(RATE_HIT_SQL);
  const args = (i) => names.map((n) => ({ key: key(i), now: now(i), windowMs: WINDOW, limit: 300 })[n]);
  const conns = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const q = (c, i) => conns[c].query({ name: 'hit', text, values: args(i) });
  results.postgresAsyncHitUs = await perCallAsync(N, (i) => q(0, i));
  results.postgresAsyncSelect1Us = await perCallAsync(N, () => conns[0].query('SELECT 1'));
  results.postgresHitsPerSecond8Conns = await throughput(N * 2, 8, (c, i) => q(c, i));
  await Promise.all(conns.map((c) => c.end()));
});
{
  const rs = Array.from({ length: 8 }, () => redisClient());
  await Promise.all(rs.map((r) => r.ready));
  const sha = await rs[0].call('SCRIPT', 'LOAD', REDIS_HIT);
  const prefix = `jiema_bench_${randomBytes(4).toString('hex')}:`;
  const hit = (c, i) => rs[c].call('EVALSHA', sha, 1, prefix + key(i), now(i), WINDOW, 300);
  results.redisAsyncHitUs = await perCallAsync(N, (i) => hit(0, i));
  results.redisAsyncPingUs = await perCallAsync(N, () => rs[0].call('PING'));
  results.redisHitsPerSecond8Conns = await throughput(N * 2, 8, (c, i) => hit(c, i));
  for (let k = 0; k < 1000; k++) await rs[0].call('DEL', `${prefix}poll:${k}`, `${prefix}poll:${k}:seq`);
  rs.forEach((r) => r.close());
}

// 4. Whole requests: a poll of one order over HTTP on a PostgreSQL engine, with the database's
// windows and then with in-memory ones (the app's limits swapped), one request at a time. The
// clock moves 201 ms a request: a key polling just under its 300 a minute, a full window each.
await withSchema(async (url) => {
  const clock = new ManualClock();
  const engine = createEngine({ db: url, clock, upstream: new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE }), eagerOutbox: false });
  const app = createApp({ engine, adminToken: 'jma_bench_admin_token_0123456789abcdef', rateLimits: {} });
  const server = await listen(app, engine, { port: 0, tickMs: 0 });
  try {
    const user = engine.accounts.createUser({ displayName: 'Bench', balanceCents: 10_000 });
    const u = { key: engine.accounts.createKey(user.id).apiKey };
    const order = await engine.orders.create(user.id, { service: 'tg', country: 7 });
    const base = `http://127.0.0.1:${server.port}`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const poll = () =>
      new Promise((resolve, reject) => {
        clock.advance(201);
        const req = request(`${base}/api/v1/orders/${order.id}`, { agent, headers: { 'x-api-key': u.key } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`poll answered ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end();
      });
    const deps = app.deps;
    const dbLimits = deps.limits;
    const memLimits = new RateLimits(engine.clock, DEFAULT_RATE_LIMITS);
    const rounds = { db: [], memory: [] };
    for (let r = 0; r < 3; r++) {
      deps.limits = dbLimits;
      rounds.db.push(await perCallAsync(N / 4, poll));
      deps.limits = memLimits;
      rounds.memory.push(await perCallAsync(N / 4, poll));
    }
    const best = (xs) => Math.min(...xs);
    results.pollOverHttpPostgresLimiterUs = best(rounds.db);
    results.pollOverHttpMemoryLimiterUs = best(rounds.memory);
    agent.destroy();
  } finally {
    await server.close();
  }
});

for (const [k, v] of Object.entries(results)) log(`${k.padEnd(34)} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : v}`);
console.log(JSON.stringify({ quick, n: N, ...results }));
