// The benchmarks of the first issue (the poll, creation, scale, the simulator, replay, start-up,
// upstream protection), each beside its physical limit. Called by run.mjs; adds its rows to the
// table and returns its results and target checks.
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { alternate, drive, HERE, median, REPO, rssMb, sleep, startProcess, stop } from './lib.mjs';

export async function coreBenchmarks({ quick, work, rows, row, log }) {
  const SECONDS = quick ? 2 : 8;
  const CONNECTIONS = 50;
  const results = {};
  async function jiemaServer(db, nodeArgs = []) {
    return startProcess(`${HERE}jiema-server.mjs`, [db], nodeArgs);
  }

  // 1. Poll vs a bare node:http server.
  log('1/6 poll path vs bare node:http …');
  const bare = await startProcess(`${HERE}bare-http.mjs`);
  // The production server: core + the real SMS-Activate adapter, its upstream a simulator in another process.
  const upstreamSim = await startProcess(`${HERE}upstream-sim.mjs`);
  const prod = await startProcess(`${HERE}production-server.mjs`, [
    join(work, 'prod.db'),
    upstreamSim.url,
    upstreamSim.facadeKey,
    upstreamSim.adminToken,
  ]);
  const prodPoll = {
    url: `${prod.url}/api/v1/orders/${prod.orderId}`,
    headers: { authorization: `Bearer ${prod.apiKey}` },
    connections: CONNECTIONS,
  };
  // In turns with the baseline (three rounds; one in a quick run): the median round counts.
  const turns = await alternate({ url: bare.url, connections: CONNECTIONS }, prodPoll, {
    rounds: quick ? 1 : 3,
    seconds: quick ? SECONDS : Math.ceil(SECONDS / 2),
  });
  row('bare node:http, fixed 300 B JSON', turns.baseline, { rss: rssMb(bare.proc.pid), note: 'median round' });
  await stop(bare.proc);
  const pollRun = turns.subject;
  row('GET /api/v1/orders/:id (poll), production', pollRun, {
    rss: rssMb(prod.proc.pid),
    note: `non-2xx ${pollRun.non2xx}; rounds ${turns.ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}`,
  });
  results.poll = { bare: turns.baseline, jiema: pollRun, ratio: turns.ratio, ratios: turns.ratios, target: 0.5 };
  await stop(prod.proc);
  await stop(upstreamSim.proc);

  // The local server (jiema serve's configuration: the simulator in-process) for creation and the storm.
  const srv = await jiemaServer(join(work, 'poll.db'));
  const pollOpts = {
    url: `${srv.url}/api/v1/orders/${srv.orderId}`,
    headers: { authorization: `Bearer ${srv.apiKey}` },
    connections: CONNECTIONS,
  };
  const simPoll = await drive({ ...pollOpts, duration: SECONDS });
  row('GET /api/v1/orders/:id (poll), simulator', simPoll, { rss: rssMb(srv.proc.pid), note: `non-2xx ${simPoll.non2xx}` });
  results.poll.simulator = simPoll;

  // 2. Order creation vs a bare better-sqlite3 loop of the same three writes.
  log('2/6 order creation vs bare better-sqlite3 …');
  const loop = JSON.parse(
    execFileSync(process.execPath, [`${HERE}sqlite-loop.mjs`, join(work, 'loop.db'), String(SECONDS)], { encoding: 'utf8' }),
  );
  rows.push({
    name: 'bare better-sqlite3: 3 writes/tx, FULL',
    rps: Math.round(loop.tps),
    p50: '',
    p99: '',
    rss: '',
    note: 'transactions/s',
  });
  const createOpts = {
    url: `${srv.url}/api/v1/orders`,
    method: 'POST',
    headers: { authorization: `Bearer ${srv.apiKey}`, 'content-type': 'application/json' },
    body: '{"service":"go","country":6}',
    connections: 50,
  };
  const createRun = await drive({ ...createOpts, duration: SECONDS });
  row('POST /api/v1/orders (create)', createRun, { rss: rssMb(srv.proc.pid), note: `non-2xx ${createRun.non2xx}` });
  results.create = { bareTps: loop.tps, jiema: createRun, ratio: createRun.rps / loop.tps, target: 0.3 };

  // 6. Upstream protection: 1,000 clients polling one order.
  log('3/6 upstream protection: 1,000 clients on one order …');
  const eventsBefore = await (
    await fetch(`${srv.url}/_sim/v1/events?type=upstream.call`, { headers: { 'x-admin-token': srv.adminToken } })
  ).json();
  const countStatus = (items) => items.filter((e) => e.data.method === 'getStatus').length;
  const stormSeconds = quick ? 4 : 10;
  const storm = await drive({ ...pollOpts, connections: 1000, duration: stormSeconds });
  const eventsAfter = await (
    await fetch(`${srv.url}/_sim/v1/events?type=upstream.call`, { headers: { 'x-admin-token': srv.adminToken } })
  ).json();
  const statusCalls = countStatus(eventsAfter.data.items) - countStatus(eventsBefore.data.items);
  row('1,000 clients polling one order', storm, { note: `${statusCalls} upstream status calls in ${stormSeconds} s` });
  results.upstreamProtection = { seconds: stormSeconds, requests: storm.requests, statusCalls, allowed: Math.ceil(stormSeconds / 2) + 1 };
  const idleRss = rssMb(srv.proc.pid);
  await stop(srv.proc);

  // 3. Scale: 1,000,000 orders and 10,000 users vs 10,000 orders.
  log('4/6 scale: building databases …');
  const SMALL = { users: 100, orders: 10_000 };
  const LARGE = quick ? { users: 1_000, orders: 100_000 } : { users: 10_000, orders: 1_000_000 };
  const build = (name, s) =>
    JSON.parse(
      execFileSync(process.execPath, [`${HERE}build-db.mjs`, join(work, name), String(s.users), String(s.orders), '10000'], {
        encoding: 'utf8',
        maxBuffer: 1e8,
      }),
    );
  const small = build('small.db', SMALL);
  const large = build('large.db', LARGE);
  results.scale = { small: SMALL, large: { ...LARGE, buildSeconds: large.buildSeconds } };
  for (const [label, db, info] of [
    ['10k orders', 'small.db', small],
    [`${LARGE.orders / 1000}k orders`, 'large.db', large],
  ]) {
    const s = await jiemaServer(join(work, db));
    const headers = { authorization: `Bearer ${info.apiKey}` };
    await drive({ url: `${s.url}/api/v1/orders/${info.orderId}`, headers, duration: 1, connections: CONNECTIONS });
    const poll = await drive({ url: `${s.url}/api/v1/orders/${info.orderId}`, headers, duration: SECONDS, connections: CONNECTIONS });
    row(`poll, ${label}`, poll, { rss: rssMb(s.proc.pid) });
    results.scale[db] = { poll };
    if (db === 'large.db') {
      const page1 = await drive({ url: `${s.url}/api/v1/orders?limit=20`, headers, duration: SECONDS, connections: CONNECTIONS });
      const page500 = await drive({
        url: `${s.url}/api/v1/orders?limit=20&cursor=${info.page500Cursor}`,
        headers,
        duration: SECONDS,
        connections: CONNECTIONS,
      });
      row('list page 1 (20 items), large db', page1);
      row('list page 500 (20 items), large db', page500);
      results.scale.pages = { page1, page500, ratio: page500.rps / page1.rps };
    }
    await stop(s.proc);
  }
  results.scale.pollP99Ratio = results.scale['large.db'].poll.p99 / Math.max(1, results.scale['small.db'].poll.p99);

  // 4. Simulator: 10,000 active orders, 20 minutes advanced; each fixture scenario's replay time.
  log('5/6 simulator …');
  const sim = JSON.parse(
    execFileSync(process.execPath, [`${HERE}sim-bench.mjs`, quick ? '2000' : '10000'], { encoding: 'utf8', maxBuffer: 1e8 }),
  );
  rows.push({
    name: `simulator: advance 20 min, ${sim.orders} orders`,
    rps: '',
    p50: '',
    p99: '',
    rss: '',
    note: `${Math.round(sim.advanceMs)} ms (${sim.smsDelivered} SMS, ${sim.completed} completed, ${sim.failed} failed)`,
  });
  const replay = JSON.parse(execFileSync(process.execPath, [`${HERE}replay-bench.mjs`], { cwd: REPO, encoding: 'utf8', maxBuffer: 1e8 }));
  const slowest = Math.max(...replay.scenarios.map((s) => s.warmMs));
  const coldFirst = replay.scenarios[0].coldMs;
  rows.push({
    name: `replay: ${replay.scenarios.length} fixture scenarios, each`,
    rps: '',
    p50: '',
    p99: '',
    rss: '',
    note: `slowest ${Math.round(slowest)} ms warm (first in a cold process: ${Math.round(coldFirst)} ms), all ${replay.allPassed ? 'passed' : 'NOT passed'}`,
  });
  results.simulator = { ...sim, replaySlowestWarmMs: slowest, replayColdFirstMs: coldFirst, replayScenarios: replay.scenarios };

  // 5. Start-up: jiema serve ready, startSimulator() in-process, idle RSS.
  log('6/6 start-up …');
  const readies = [];
  let serveRss = 0;
  for (let i = 0; i < 5; i++) {
    const s = await startProcess(join(REPO, 'packages/cli/dist/bin.js'), ['serve', '--ephemeral', '--port', '0', '--json']);
    readies.push(s.readyMs);
    if (i === 4) {
      await sleep(1000);
      serveRss = rssMb(s.proc.pid);
    }
    await stop(s.proc);
  }
  rows.push({
    name: 'jiema serve: process start to ready',
    rps: '',
    p50: '',
    p99: '',
    rss: serveRss,
    note: `median ${Math.round(median(readies))} ms of 5`,
  });
  rows.push({ name: 'startSimulator() in-process', rps: '', p50: '', p99: '', rss: '', note: `median ${Math.round(sim.startMs)} ms of 5` });
  results.startup = {
    serveReadyMs: median(readies),
    serveIdleRssMb: serveRss,
    startSimulatorMs: sim.startMs,
    serverRssAfterLoadMb: idleRss,
  };

  const checks = [
    ['poll ≥ 50 % of bare node:http', results.poll.ratio >= 0.5, `${(results.poll.ratio * 100).toFixed(0)} %`],
    ['create ≥ 30 % of the bare SQLite loop', results.create.ratio >= 0.3, `${(results.create.ratio * 100).toFixed(0)} %`],
    ['poll p99 at 1M orders ≤ 1.5 × at 10k', results.scale.pollP99Ratio <= 1.5, `${results.scale.pollP99Ratio.toFixed(2)} ×`],
    ['page 500 as fast as page 1 (≥ 90 %)', results.scale.pages.ratio >= 0.9, `${(results.scale.pages.ratio * 100).toFixed(0)} %`],
    ['simulator: 20 min with 10k orders < 2 s', sim.advanceMs < 2000 && sim.live === 0, `${Math.round(sim.advanceMs)} ms`],
    ['each fixture scenario < 100 ms (warm)', slowest < 100 && replay.allPassed, `${Math.round(slowest)} ms`],
    ['jiema serve ready < 1 s', results.startup.serveReadyMs < 1000, `${Math.round(results.startup.serveReadyMs)} ms`],
    ['startSimulator() < 200 ms', sim.startMs < 200, `${Math.round(sim.startMs)} ms`],
    ['idle RSS < 150 MB', serveRss < 150, `${serveRss} MB`],
    [
      '≤ 1 upstream status call per 2 s under 1,000 pollers',
      statusCalls <= results.upstreamProtection.allowed,
      `${statusCalls} in ${stormSeconds} s`,
    ],
  ];
  return { results, checks };
}
