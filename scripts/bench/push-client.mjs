// Push benchmark clients, each in its own process so the server's core is its own.
// Usage: node push-client.mjs '<json options>'
//  - mode "wait-sms": buys `samples` orders, waits on each with the SDK's `orders.waitForSms`
//    (long-poll, or polling every 3 s when `longPoll` is false), and injects each order's SMS
//    through the simulator's control API (`POST /_sim/v1/orders/:id/sms`). The latency is from
//    just before that injection is sent to the moment `waitForSms` resolves. Long-poll: every
//    wait is held first, then one SMS every `gapMs`. Polling: each SMS at a random moment over
//    `spreadMs`, so it lands anywhere in the 3 s cycle. Prints one JSON line and exits.
//  - mode "waiters" (started with an IPC channel): buys `count` orders and says {created}; on
//    {cmd: 'hold'} opens one long-poll (`wait=30&since=0`) per order on its own connection and
//    says {sent} once every request is written; on {cmd: 'report'} says how many are still held.
import { Agent, request } from 'node:http';
import { JiemaClient } from '../../packages/sdk/dist/esm/index.js';
import { percentile, sleep } from './lib.mjs';

const o = JSON.parse(process.argv[2]);
const auth = { authorization: `Bearer ${o.apiKey}` };

/** `n` orders bought `concurrency` at a time over one keep-alive agent; resolves with their ids. */
async function buyOrders(n, concurrency = 16) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ids = [];
  const buyOne = () =>
    new Promise((resolve, reject) => {
      const req = request(
        `${o.url}/api/v1/orders`,
        { method: 'POST', agent, headers: { ...auth, 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () =>
            res.statusCode === 200 ? resolve(JSON.parse(body).data.id) : reject(new Error(`buy: ${res.statusCode} ${body}`)),
          );
        },
      );
      req.on('error', reject);
      req.end('{"service":"go","country":6}');
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (ids.length < n) {
        const i = ids.push(null) - 1;
        ids[i] = await buyOne();
      }
    }),
  );
  agent.destroy();
  return ids;
}

async function waitSms() {
  const client = new JiemaClient({ apiKey: o.apiKey, baseUrl: o.url, pacing: false });
  const ids = await buyOrders(o.samples);
  const injectedAt = new Map();
  const resolvedAt = new Map();
  const injectRoundTrips = [];
  let injectErrors = 0;
  const inject = (id) => {
    const t0 = performance.now();
    injectedAt.set(id, t0);
    fetch(`${o.url}/_sim/v1/orders/${id}/sms`, {
      method: 'POST',
      headers: { 'x-admin-token': o.adminToken, 'content-type': 'application/json' },
      body: '{"body":"Your code is 482913. Do not share it."}',
    })
      .then(async (r) => {
        await r.arrayBuffer();
        if (r.ok) injectRoundTrips.push(performance.now() - t0);
        else injectErrors += 1;
      })
      .catch(() => (injectErrors += 1));
  };
  const waits = ids.map((id) =>
    client.orders
      .waitForSms(id, { longPoll: o.longPoll, intervalMs: 3_000, timeoutMs: 120_000 })
      .then(() => resolvedAt.set(id, performance.now())),
  );
  if (o.longPoll) {
    await sleep(1_000); // every wait is held by now
    for (const id of ids) {
      inject(id);
      await sleep(o.gapMs);
    }
  } else {
    // A fixed pseudo-random sequence, so runs compare: each SMS somewhere in `spreadMs`.
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    await Promise.all(ids.map((id) => sleep(200 + random() * o.spreadMs).then(() => inject(id))));
  }
  await Promise.all(waits);
  const latencies = ids.map((id) => resolvedAt.get(id) - injectedAt.get(id));
  console.log(
    JSON.stringify({
      samples: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
      mean: Math.round((latencies.reduce((a, b) => a + b, 0) / latencies.length) * 10) / 10,
      injectErrors,
      // The control API's own round trip (the SMS committed and answered), for comparison.
      injectP50: percentile(injectRoundTrips, 50),
      injectP99: percentile(injectRoundTrips, 99),
    }),
  );
  process.exit(0);
}

async function waiters() {
  console.log(JSON.stringify({ pid: process.pid }));
  const ids = await buyOrders(o.count);
  const held = new Agent({ keepAlive: false, maxSockets: Infinity });
  let pending = 0;
  let answered = 0;
  let errors = 0;
  process.on('message', async (m) => {
    if (m.cmd === 'hold') {
      const written = [];
      for (let i = 0; i < ids.length; i++) {
        pending += 1;
        const req = request(`${o.url}/api/v1/orders/${ids[i]}?wait=30&since=0`, { agent: held, headers: auth }, (res) => {
          res.resume();
          res.on('end', () => {
            pending -= 1;
            answered += 1;
          });
        });
        req.on('error', () => {
          pending -= 1;
          errors += 1;
        });
        written.push(new Promise((r) => req.on('finish', r).on('error', r)));
        req.end();
        // Connections in small bursts, so the server's accept backlog never overflows.
        if (i % 200 === 199) await sleep(15);
      }
      await Promise.all(written);
      process.send({ sent: ids.length });
    } else if (m.cmd === 'report') {
      process.send({ pending, answered, errors });
      held.destroy();
      setTimeout(() => process.exit(0), 50);
    }
  });
  process.send({ created: ids.length });
}

if (o.mode === 'wait-sms') await waitSms();
else if (o.mode === 'waiters') await waiters();
else throw new Error(`push-client.mjs: unknown mode ${o.mode}`);
