// The load driver, in its own process: autocannon against one URL. Prints one JSON line with
// requests per second, latency percentiles (ms) and status counts.
// Usage: node drive.mjs '<json options>'
import autocannon from 'autocannon';

const o = JSON.parse(process.argv[2]);
const result = await autocannon({
  url: o.url,
  method: o.method ?? 'GET',
  headers: o.headers ?? {},
  body: o.body,
  connections: o.connections ?? 50,
  pipelining: o.pipelining ?? 1,
  // Requests per second over all connections (a paced load); absent: as fast as answers come.
  ...(o.overallRate && { overallRate: o.overallRate }),
  duration: o.duration ?? 5,
  ...(o.amount && { amount: o.amount, duration: undefined }),
});
console.log(
  JSON.stringify({
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodeStats: result.statusCodeStats,
  }),
);
