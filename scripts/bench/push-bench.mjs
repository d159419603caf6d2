// The push benchmarks (docs/decisions.md D90–D98), each beside its baseline in the same process
// and run, printed as one JSON line:
//  1. SMS delivered → waitForSms resolved: long-poll against 3 s polling (the baseline), p50/p99;
//  2. 10,000 concurrent long-poll waiters: RSS and CPU while idle, against the same process before;
//  3. webhook delivery to a loopback receiver: latency and throughput, against bare node:http POSTs.
// Server, client and receiver share the process (loopback); CPU is the whole process's.
// NOT YET RUN and not yet part of `pnpm bench` (run.mjs): written at the end of #18's session; run it
// (`node scripts/bench/push-bench.mjs --quick` after a build), fix what fails, then add its rows to run.mjs.
import { Agent, createServer, request } from 'node:http';
import { startSimulator } from '../../packages/simulator/dist/index.js';
import { JiemaClient } from '../../packages/sdk/dist/esm/index.js';

const quick = process.argv.includes('--quick');
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};
const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LIMITS = { pollPerMin: 10_000_000, writePerMin: 10_000_000, readPerMin: 10_000_000 };
const QUIET = { default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0 } };
const out = {};

// 1. SMS → waitForSms resolved.
{
  const sim = await startSimulator({ seed: 3, rateLimits: LIMITS, behaviour: QUIET });
  await sim.setStock('tg', 7, 100_000);
  const { apiKey } = sim.createUser({ balanceCents: 1_000_000 });
  const client = new JiemaClient({ apiKey, baseUrl: sim.url, pacing: false });
  const n = quick ? 10 : 40;
  const measure = async (longPoll) => {
    const orders = [];
    for (let i = 0; i < n; i++) orders.push(await client.orders.create({ service: 'tg', country: 'my' }));
    const waits = orders.map((o) => client.orders.waitForSms(o.id, { longPoll, intervalMs: 3_000 }));
    // Long-poll: once every request is held; polling: at moments spread over the interval, as SMS arrive.
    if (longPoll) while (sim.world.engine.push.waiters.size < n) await sleep(1);
    return Promise.all(
      orders.map(async (o, i) => {
        await sleep(longPoll ? i * 10 : (i / n) * 3_000 + 50);
        const t0 = performance.now();
        await sim.deliverSms(o.id, 'code 123456');
        await waits[i];
        return performance.now() - t0;
      }),
    );
  };
  await measure(true); // warm-up
  const lp = await measure(true);
  const poll = await measure(false);
  out.smsLatency = { samples: n, longPoll: { p50: pct(lp, 50), p99: pct(lp, 99) }, polling3s: { p50: pct(poll, 50), p99: pct(poll, 99) } };
  await sim.close();
}

// 2. 10,000 concurrent long-poll waiters.
{
  const sim = await startSimulator({ seed: 4, rateLimits: LIMITS, behaviour: QUIET });
  const { apiKey } = sim.createUser({ balanceCents: 1_000_000 });
  const client = new JiemaClient({ apiKey, baseUrl: sim.url, pacing: false });
  const orders = [];
  for (let i = 0; i < 100; i++) orders.push(await client.orders.create({ service: 'tg', country: 'my' }));
  global.gc?.();
  await sleep(500);
  const rssBefore = rss();
  const waiters = quick ? 2_000 : 10_000;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const pending = [];
  for (let i = 0; i < waiters; i++) {
    const o = orders[i % orders.length];
    pending.push(
      new Promise((resolve) => {
        const req = request(
          `${sim.url}/api/v1/orders/${o.id}?wait=30&since=0`,
          { agent, headers: { authorization: `Bearer ${apiKey}` } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        );
        req.on('error', () => resolve(0));
        req.end();
      }),
    );
    if (i % 500 === 499) await sleep(10);
  }
  while (sim.world.engine.push.waiters.size < waiters) await sleep(20);
  await sleep(500);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(3_000);
  const cpu = process.cpuUsage(cpu0);
  const idleMs = performance.now() - t0;
  const rssHeld = rss();
  // Wake them all: one SMS per order.
  const w0 = performance.now();
  for (const o of orders) await sim.deliverSms(o.id, 'code 654321');
  const statuses = await Promise.all(pending);
  out.waiters = {
    waiters,
    rssBeforeMb: rssBefore,
    rssHeldMb: rssHeld,
    idleCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / idleMs) * 1000) / 10,
    allAnsweredMs: Math.round(performance.now() - w0),
    ok: statuses.filter((s) => s === 200).length,
  };
  agent.destroy();
  await sim.close();
}

// 3. Webhook delivery to a loopback receiver, against bare node:http POSTs to the same receiver.
{
  const received = new Map();
  let receivedCount = 0;
  let onAll;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const at = performance.now();
      receivedCount += 1;
      if (req.headers['webhook-id']) received.set(JSON.parse(body).data.id, at);
      res.writeHead(204).end();
      onAll?.();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const n = quick ? 300 : 1_000;

  // Baseline: the same number of signed-size POSTs straight from node:http, 32 at a time.
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const body = JSON.stringify({ id: 'evt', type: 'order.updated', timestamp: new Date().toISOString(), data: { id: 'x'.repeat(400) } });
  const bareLat = [];
  const b0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < n) {
        next += 1;
        const t = performance.now();
        await new Promise((resolve) => {
          const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.end(body);
        });
        bareLat.push(performance.now() - t);
      }
    }),
  );
  const bareSeconds = (performance.now() - b0) / 1000;
  agent.destroy();

  const sim = await startSimulator({ seed: 5, rateLimits: LIMITS, behaviour: QUIET });
  await sim.setStock('go', 6, 100_000);
  const user = sim.createUser({ balanceCents: 10_000_000 });
  const client = new JiemaClient({ apiKey: user.apiKey, baseUrl: sim.url, pacing: false });
  await client.webhooks.create({ url, events: ['order.updated'] });
  received.clear();
  const committed = new Map();
  const done = new Promise((r) => (onAll = () => received.size >= n && r()));
  const w0 = performance.now();
  // Orders bought straight through the engine: the event is what is measured, not the HTTP buy.
  let made = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (made < n) {
        made += 1;
        const o = await sim.world.engine.orders.create(user.id, { service: 'go', country: 6 });
        committed.set(o.id, performance.now());
      }
    }),
  );
  await done;
  const seconds = (performance.now() - w0) / 1000;
  const lat = [...received].filter(([id]) => committed.has(id)).map(([id, at]) => at - committed.get(id));
  out.webhooks = {
    deliveries: n,
    latency: { p50: pct(lat, 50), p99: pct(lat, 99) },
    perSecond: Math.round(n / seconds),
    bare: { p50: pct(bareLat, 50), p99: pct(bareLat, 99), perSecond: Math.round(n / bareSeconds) },
  };
  await sim.close();
  receiver.close();
}

console.log(JSON.stringify(out));
process.exit(0);
