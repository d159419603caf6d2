// The PostgreSQL targets of issue #15, each beside its baseline in the same run: order creation
// on PostgreSQL against a bare `pg` loop of the same three writes in one transaction (≥ 30 %),
// and the poll on PostgreSQL against bare node:http (≥ 40 %). Each server and the loop get a
// fresh schema, dropped afterwards. The server is JIEMA_BENCH_POSTGRES_URL, by default
// postgres://postgres@127.0.0.1:5432/test; when it cannot be reached the group reports that and
// the other groups' figures stand. Called by run.mjs.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { alternate, drive, HERE, rssMb, startProcess, stop } from './lib.mjs';

const require = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const pg = require('pg');

export const BENCH_POSTGRES_URL = process.env.JIEMA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const TARGETS = {
  create: ['create on PostgreSQL ≥ 30 % of the bare pg loop', 0.3],
  poll: ['poll on PostgreSQL ≥ 40 % of bare node:http', 0.4],
};

/** A URL whose connections use only `schema` (created first). */
function withSearchPath(url, schema) {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

const redact = (url) => {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
};

/** Drops the schemas already measured and flushes their writes, so the next measurement has the machine to itself. */
async function quiesce(admin, schemas) {
  while (schemas.length > 0) {
    await admin.query(`DROP SCHEMA IF EXISTS ${schemas[0]} CASCADE`);
    schemas.shift(); // dropped: no longer the cleanup's
  }
  await admin.query('CHECKPOINT').catch(() => undefined); // needs a superuser or pg_checkpoint; harmless without
  await new Promise((r) => setTimeout(r, 1000));
}

export async function postgresBenchmarks({ quick, rows, row, log }) {
  const SECONDS = quick ? 2 : 8;
  const CONNECTIONS = 50;
  const results = { postgres: { url: redact(BENCH_POSTGRES_URL) } };
  const admin = new pg.Client({ connectionString: BENCH_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (err) {
    const reason = `PostgreSQL unreachable at ${redact(BENCH_POSTGRES_URL)} (set JIEMA_BENCH_POSTGRES_URL): ${err.message || String(err)}`;
    log(`postgres: ${reason}`);
    rows.push({ name: 'PostgreSQL benchmarks', rps: '', p50: '', p99: '', rss: '', note: `not run: ${reason}` });
    results.postgres.unreachable = reason;
    return { results, checks: Object.values(TARGETS).map(([name]) => [name, false, 'not measured: PostgreSQL unreachable']) };
  }
  const server = (await admin.query('SHOW server_version')).rows[0].server_version;
  const settings = (await admin.query("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')")).rows;
  results.postgres.server = server;
  results.postgres.settings = Object.fromEntries(settings.map((s) => [s.name, s.setting]));
  const schemas = [];
  async function freshSchema(label) {
    const schema = `jiema_bench_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    return withSearchPath(BENCH_POSTGRES_URL, schema);
  }
  const started = [];
  try {
    // 1. Order creation vs a bare pg loop of the same three writes, one transaction each.
    log('postgres 1/2: order creation vs a bare pg loop …');
    const loop = JSON.parse(
      execFileSync(process.execPath, [`${HERE}pg-loop.mjs`, await freshSchema('loop'), String(SECONDS)], { encoding: 'utf8' }),
    );
    rows.push({ name: 'bare pg: 3 writes/tx, 1 connection', rps: Math.round(loop.tps), p50: '', p99: '', rss: '', note: 'transactions/s' });
    const srv = await startProcess(`${HERE}postgres-server.mjs`, [await freshSchema('create')]);
    started.push(srv.proc);
    const createOpts = {
      url: `${srv.url}/api/v1/orders`,
      method: 'POST',
      headers: { authorization: `Bearer ${srv.apiKey}`, 'content-type': 'application/json' },
      body: '{"service":"go","country":6}',
      connections: CONNECTIONS,
    };
    await drive({ ...createOpts, duration: 1 }); // warm-up
    const createRun = await drive({ ...createOpts, duration: SECONDS });
    row('POST /api/v1/orders (create), PostgreSQL', createRun, { rss: rssMb(srv.proc.pid), note: `non-2xx ${createRun.non2xx}` });
    await stop(srv.proc);
    results.postgres.create = { bareTps: loop.tps, jiema: createRun, ratio: createRun.rps / loop.tps, target: TARGETS.create[1] };
    // The next group starts on a quiet database: thousands of new rows would have autovacuum and
    // the checkpointer working beside it, on the same two cores.
    await quiesce(admin, schemas);

    // 2. The poll on PostgreSQL (the production configuration: the SMS-Activate adapter against a
    // simulator in another process) vs a bare node:http server.
    log('postgres 2/2: poll on PostgreSQL vs bare node:http …');
    const bare = await startProcess(`${HERE}bare-http.mjs`);
    started.push(bare.proc);
    const upstreamSim = await startProcess(`${HERE}upstream-sim.mjs`);
    started.push(upstreamSim.proc);
    const prod = await startProcess(`${HERE}production-server.mjs`, [
      await freshSchema('poll'),
      upstreamSim.url,
      upstreamSim.facadeKey,
      upstreamSim.adminToken,
    ]);
    started.push(prod.proc);
    const poll = {
      url: `${prod.url}/api/v1/orders/${prod.orderId}`,
      headers: { authorization: `Bearer ${prod.apiKey}` },
      connections: CONNECTIONS,
    };
    // In turns with the baseline (three rounds; one in a quick run): the median round counts.
    const turns = await alternate({ url: bare.url, connections: CONNECTIONS }, poll, {
      rounds: quick ? 1 : 3,
      seconds: quick ? SECONDS : Math.ceil(SECONDS / 2),
    });
    const ratios = turns.ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ');
    row('bare node:http, fixed 300 B JSON (beside PostgreSQL)', turns.baseline, { rss: rssMb(bare.proc.pid), note: 'median round' });
    row('GET /api/v1/orders/:id (poll), production, PostgreSQL', turns.subject, {
      rss: rssMb(prod.proc.pid),
      note: `non-2xx ${turns.subject.non2xx}; rounds ${ratios}`,
    });
    results.postgres.poll = {
      bare: turns.baseline,
      jiema: turns.subject,
      ratio: turns.ratio,
      ratios: turns.ratios,
      target: TARGETS.poll[1],
    };
  } catch (err) {
    log(`postgres: a benchmark failed: ${err.stack || err}`);
    rows.push({ name: 'PostgreSQL benchmarks', rps: '', p50: '', p99: '', rss: '', note: `failed: ${err.message || err}` });
    results.postgres.error = String(err.message || err);
  } finally {
    for (const proc of started) await stop(proc);
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
  }
  const check = (key) => {
    const r = results.postgres[key];
    const [name, target] = TARGETS[key];
    return r ? [name, r.ratio >= target, `${(r.ratio * 100).toFixed(0)} %`] : [name, false, 'not measured: see the table'];
  };
  return { results, checks: [check('create'), check('poll')] };
}
