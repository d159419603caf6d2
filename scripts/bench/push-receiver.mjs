// The loopback webhook receiver, in its own process: answers every POST 204 at once. For each
// Standard Webhooks delivery (a `webhook-id` header) it notes the latency from the event's
// `timestamp` (when the server wrote the change) to the moment the whole request arrived; other
// POSTs (the bare baseline) are only counted. The parent reads and resets the figures over IPC.
// {cmd: 'hold'} keeps every answer back until {cmd: 'release'}, so that a backlog builds up at the
// sender; the report then says how long after the release the last delivery arrived.
// Usage: node push-receiver.mjs  (started with an IPC channel; prints {url, pid})
import { createServer } from 'node:http';
import { percentile } from './lib.mjs';

let latencies = [];
let ids = new Set();
let firstAt;
let lastAt;
let bare = 0;
let holding = false;
let held = [];
let releasedAt;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    const id = req.headers['webhook-id'];
    if (id) {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      latencies.push(at - Date.parse(event.timestamp));
      ids.add(id);
      firstAt ??= at;
      lastAt = at;
    } else {
      bare += 1;
    }
    if (holding) held.push(res);
    else res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (m) => {
  if (m.cmd === 'report') {
    process.send({
      deliveries: latencies.length,
      unique: ids.size,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
      seconds: latencies.length > 1 ? (lastAt - firstAt) / 1000 : 0,
      afterRelease: releasedAt === undefined || lastAt === undefined ? 0 : (lastAt - releasedAt) / 1000,
      bare,
    });
  } else if (m.cmd === 'reset') {
    latencies = [];
    ids = new Set();
    firstAt = lastAt = undefined;
    bare = 0;
    releasedAt = undefined;
    process.send({ reset: true });
  } else if (m.cmd === 'hold') {
    holding = true;
    process.send({ holding: true });
  } else if (m.cmd === 'release') {
    holding = false;
    releasedAt = performance.timeOrigin + performance.now();
    for (const res of held) res.writeHead(204).end();
    held = [];
    process.send({ released: true });
  }
});
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/hook`, pid: process.pid }));
});
