// The real server, in production configuration: SQLite on a file with synchronous=FULL, the
// simulator as the upstream on real time, rate limits lifted for the load. Seeds a user with
// a large balance and one order with an SMS, and prints a ready line {url, apiKey, orderId, ...}.
// Usage: node jiema-server.mjs <db-file>
import { startSimulator } from '../../packages/simulator/dist/index.js';
import { createLogger } from '../../packages/core/dist/index.js';

const db = process.argv[2];
if (!db) throw new Error('usage: jiema-server.mjs <db-file>');
const unlimited = { readPerMin: 1e9, writePerMin: 1e9, pollPerMin: 1e9, authFailuresPerMin: 1e9 };
const sim = await startSimulator({
  db,
  clock: 'real',
  seed: 7,
  rateLimits: unlimited,
  upstreamBalance: '100000000',
  behaviour: { default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0 } },
  logger: (clock) => createLogger({ clock, level: 'warn', destination: process.stderr }),
});
const engine = sim.world.engine;
sim.setStock('go', 6, 100_000_000);
const { id: userId, apiKey } = sim.createUser({ balanceCents: 1_000_000_000_000 });
const order = await engine.orders.create(userId, { service: 'tg', country: 7 });
await sim.deliverSms(order.id, 'Telegram code: 48213. Do not give this code to anyone.');
console.log(JSON.stringify({ url: sim.url, apiKey, orderId: order.id, userId, adminToken: sim.adminToken, pid: process.pid }));
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
