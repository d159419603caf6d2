// The push benchmarks of issue #18 (docs/decisions.md D90–D98, D145–D149), each beside its
// baseline in the same run. The server is the simulator-hosted one (`jiema serve`'s default:
// SQLite on a file with synchronous=FULL, real time, rate limits lifted), each section on a fresh
// one; clients and the webhook receiver run in their own processes.
//  1. SMS injected through the control API → the SDK's `waitForSms` resolved: long-poll against
//     polling every 3 s (the baseline), p50/p99.
//  2. 10,000 concurrent long-poll waiters, one per order, over several client processes: the
//     server's RSS and its CPU time (utime + stime from /proc) over an idle window, against the
//     same process over the same window before the waiters came.
//  3. Webhook delivery to a loopback receiver: from the event's timestamp to the receiver's
//     arrival, paced at 1,000 events/s and flat out, against bare HTTP POSTs to the same receiver.
import { join } from 'node:path';
import { cpuMs, drive, HERE, nextMessage, rssMb, runOnce, sleep, startProcess, stop } from './lib.mjs';

const server = (work, name) => startProcess(`${HERE}jiema-server.mjs`, [join(work, name)]);

async function smsLatency({ quick, work, row, log }) {
  log('push 1/3 SMS → waitForSms: long-poll vs 3 s polling …');
  const srv = await server(work, 'push-wait.db');
  const base = { mode: 'wait-sms', url: srv.url, apiKey: srv.apiKey, adminToken: srv.adminToken };
  await runOnce(`${HERE}push-client.mjs`, { ...base, longPoll: true, samples: 20, gapMs: 5 }); // warm-up
  const longPoll = await runOnce(`${HERE}push-client.mjs`, { ...base, longPoll: true, samples: quick ? 50 : 1_000, gapMs: 5 });
  const polling = await runOnce(`${HERE}push-client.mjs`, { ...base, longPoll: false, samples: quick ? 30 : 300, spreadMs: 6_000 });
  await stop(srv.proc);
  row('SMS → waitForSms, polling every 3 s (baseline)', polling, { note: `${polling.samples} samples, max ${polling.max} ms` });
  row('SMS → waitForSms, long-poll', longPoll, { note: `${longPoll.samples} samples, max ${longPoll.max} ms` });
  return { longPoll, polling3s: polling, targetP99Ms: 50 };
}

async function idleWindow(pid, seconds) {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpu = cpuMs(pid) - cpu0;
  const wall = performance.now() - t0;
  return { cpuMs: cpu, wallMs: Math.round(wall), cpuPercent: Math.round((cpu / wall) * 1000) / 10, rssMb: rssMb(pid) };
}

async function waiters({ quick, work, row, log }) {
  const total = quick ? 1_000 : 10_000;
  const clientCount = quick ? 2 : 4;
  const idleSeconds = quick ? 2 : 10;
  log(`push 2/3 ${total} long-poll waiters …`);
  const srv = await server(work, 'push-waiters.db');
  const clients = [];
  for (let i = 0; i < clientCount; i++) {
    const c = await startProcess(
      `${HERE}push-client.mjs`,
      [JSON.stringify({ mode: 'waiters', url: srv.url, apiKey: srv.apiKey, count: total / clientCount })],
      [],
      { ipc: true },
    );
    clients.push({ c, created: nextMessage(c.proc, (m) => m.created !== undefined) });
  }
  await Promise.all(clients.map((x) => x.created));
  await sleep(2_000); // the buys' commits, logs and garbage settle
  const before = await idleWindow(srv.proc.pid, idleSeconds);
  const t0 = performance.now();
  await Promise.all(
    clients.map((x) => {
      const sent = nextMessage(x.c.proc, (m) => m.sent !== undefined);
      x.c.proc.send({ cmd: 'hold' });
      return sent;
    }),
  );
  const sentMs = Math.round(performance.now() - t0);
  await sleep(2_000); // every request parsed, authenticated and parked
  const held = await idleWindow(srv.proc.pid, idleSeconds);
  const reports = await Promise.all(
    clients.map((x) => {
      const report = nextMessage(x.c.proc, (m) => m.pending !== undefined);
      x.c.proc.send({ cmd: 'report' });
      return report;
    }),
  );
  const stillHeld = reports.reduce((n, r) => n + r.pending, 0);
  const answeredEarly = reports.reduce((n, r) => n + r.answered + r.errors, 0);
  await Promise.all(clients.map((x) => stop(x.c.proc)));
  await stop(srv.proc);
  const note = (w) => `CPU ${w.cpuMs} ms in ${idleSeconds} s idle (${w.cpuPercent} % of a core)`;
  row(`server idle, ${total} live orders, no waiters (baseline)`, {}, { rss: before.rssMb, note: note(before) });
  row(
    `${total} long-poll waiters held`,
    {},
    { rss: held.rssMb, note: `${note(held)}; ${stillHeld} held to the end, opened in ${sentMs} ms` },
  );
  return { waiters: total, clientProcesses: clientCount, idleSeconds, before, held, stillHeld, answeredEarly, openedMs: sentMs };
}

async function webhooks({ quick, work, row, log }) {
  const seconds = quick ? 2 : 8;
  log('push 3/3 webhooks to a loopback receiver …');
  const receiver = await startProcess(`${HERE}push-receiver.mjs`, [], [], { ipc: true });
  const ask = (cmd, key) => {
    const answer = nextMessage(receiver.proc, (m) => m[key] !== undefined);
    receiver.proc.send({ cmd });
    return answer;
  };
  // Baseline: bare HTTP POSTs of a delivery's size, as many in flight as the sender allows (32).
  const sample = JSON.stringify({
    id: 'evt_x',
    type: 'order.updated',
    timestamp: new Date().toISOString(),
    data: { pad: 'x'.repeat(600) },
  });
  const bare = await drive({
    url: receiver.url,
    method: 'POST',
    body: sample,
    headers: { 'content-type': 'application/json' },
    connections: 32,
    duration: seconds,
  });
  row('bare HTTP POST → receiver, 32 in flight (baseline)', bare, { note: `non-2xx ${bare.non2xx}` });

  const srv = await server(work, 'push-webhooks.db');
  const hook = await fetch(`${srv.url}/api/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${srv.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiver.url, events: ['order.updated'] }),
  });
  if (hook.status !== 201) throw new Error(`webhook registration: ${hook.status} ${await hook.text()}`);
  const buys = {
    url: `${srv.url}/api/v1/orders`,
    method: 'POST',
    headers: { authorization: `Bearer ${srv.apiKey}`, 'content-type': 'application/json' },
    body: '{"service":"go","country":6}',
  };
  /** Buys orders under `load`; every buy owes one delivery. Waits until every one has arrived. */
  const buyAndCollect = async (load, { hold = false } = {}) => {
    await ask('reset', 'reset');
    if (hold) await ask('hold', 'holding');
    const cpu0 = cpuMs(srv.proc.pid);
    const made = await drive({ ...buys, ...load, duration: seconds });
    const serverCpuPercent = Math.round((cpuMs(srv.proc.pid) - cpu0) / seconds / 10);
    const expected = made.statusCodeStats?.['200']?.count ?? made.requests - made.non2xx;
    if (hold) await ask('release', 'released');
    // Every owed delivery arrives (or 30 s pass): at least one per answered buy (buys still in
    // flight when the load stopped count too), then nothing more for half a second.
    let got = await ask('report', 'deliveries');
    for (let i = 0, quiet = 0; i < 300 && (got.unique < expected || quiet < 5); i++) {
      await sleep(100);
      const now = await ask('report', 'deliveries');
      quiet = now.deliveries === got.deliveries ? quiet + 1 : 0;
      got = now;
    }
    return { ...got, events: expected, buysPerSecond: made.rps, buysP99: made.p99, serverCpuPercent };
  };
  const paced = async (rate) => {
    // Enough connections that each needs only 10 buys/s: autocannon paces per connection, one request at a time.
    const r = await buyAndCollect({ connections: Math.max(10, rate / 10), overallRate: rate });
    const perSecond = r.seconds > 0 ? r.deliveries / r.seconds : 0;
    row(
      `webhooks, buys paced at ${rate}/s`,
      { rps: perSecond, p50: r.p50, p99: r.p99 },
      {
        note: `${r.unique} events for ${r.events} buys answered, max ${r.max} ms; buys ${Math.round(r.buysPerSecond)}/s, p99 ${r.buysP99} ms; server CPU ${r.serverCpuPercent} % of a core`,
      },
    );
    return { ...r, perSecond };
  };
  const light = await paced(250);
  const target = await paced(1_000);
  // Throughput: the receiver holds its answers while orders are bought flat out, so a backlog
  // builds up; after the release the server only delivers. Rate = deliveries / (last − release).
  const b = await buyAndCollect({ connections: 50 }, { hold: true });
  const backlogPerSecond = b.afterRelease > 0 ? b.deliveries / b.afterRelease : 0;
  row(
    'webhooks, a backlog drained',
    { rps: backlogPerSecond },
    {
      note: `${b.deliveries} deliveries (${b.unique} events) in ${Math.round(b.afterRelease * 1000)} ms after the receiver's release`,
    },
  );
  const backlog = { ...b, perSecond: backlogPerSecond };
  await stop(srv.proc);
  await stop(receiver.proc);
  return { bare, paced250: light, paced1000: target, backlog, targetP99Ms: 100, targetPerSecond: 1_000 };
}

export async function pushBenchmarks(ctx) {
  const timed = async (section) => {
    const t0 = performance.now();
    const r = await section(ctx);
    ctx.log(`  (${Math.round((performance.now() - t0) / 1000)} s)`);
    return r;
  };
  const sms = await timed(smsLatency);
  const w = await timed(waiters);
  const hooks = await timed(webhooks);
  // "No CPU while idle": what the waiters add over the same window is below 1 % of a core (D146).
  const addedPercent = Math.round((w.held.cpuPercent - w.before.cpuPercent) * 10) / 10;
  const checks = [
    ['SMS → waitForSms p99 < 50 ms (long-poll)', sms.longPoll.p99 < 50, `${sms.longPoll.p99} ms (polling: ${sms.polling3s.p99} ms)`],
    [
      `${w.waiters} waiters: server RSS < 300 MB`,
      w.held.rssMb < 300 && w.stillHeld === w.waiters,
      `${w.held.rssMb} MB (${w.stillHeld} held)`,
    ],
    [
      `${w.waiters} waiters: no CPU while idle (< 1 % of a core added)`,
      addedPercent < 1,
      `${addedPercent} % added (${w.held.cpuMs} ms vs ${w.before.cpuMs} ms)`,
    ],
    [
      'webhook p99 < 100 ms at 1,000 events/s',
      hooks.paced1000.p99 < 100 && hooks.paced1000.unique >= hooks.paced1000.events && hooks.paced1000.perSecond >= 950,
      `${hooks.paced1000.p99} ms at ${Math.round(hooks.paced1000.perSecond)}/s (at 250/s: ${hooks.paced250.p99} ms)`,
    ],
    [
      'webhooks ≥ 1,000 deliveries/s (a backlog drained)',
      hooks.backlog.perSecond >= 1_000 && hooks.backlog.unique >= hooks.backlog.events,
      `${Math.round(hooks.backlog.perSecond)}/s`,
    ],
  ];
  return { results: { push: { smsLatency: sms, waiters: w, webhooks: hooks } }, checks };
}
