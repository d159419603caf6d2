// The server on PostgreSQL for the creation benchmark: core's engine on the given database, the
// in-memory upstream in-process (as the SQLite creation benchmark has the simulator in-process:
// the figure is the engine's and the database's, not an upstream's), the HTTP API, logs at warn,
// rate limits lifted. Seeds a user with a large balance and one order with an SMS; prints
// {url, apiKey, orderId, userId, pid}.
// Usage: node postgres-server.mjs <postgres-url>
import { createApp, createEngine, createLogger, listen, MemoryUpstream, systemClock } from '../../packages/core/dist/index.js';

const [db] = process.argv.slice(2);
if (!db) throw new Error('usage: postgres-server.mjs <postgres-url>');
const log = createLogger({ clock: systemClock, level: 'warn', destination: process.stderr });
const upstream = new MemoryUpstream({
  clock: systemClock,
  balance: '100000000',
  catalogue: {
    countries: [
      { id: 6, name: 'Indonesia' },
      { id: 7, name: 'Malaysia' },
    ],
    services: [
      { code: 'go', name: 'Google' },
      { code: 'tg', name: 'Telegram' },
    ],
    offers: [
      { service: 'go', country: 6, cost: '0.105', count: 100_000_000 },
      { service: 'tg', country: 7, cost: '0.2133', count: 100_000_000 },
    ],
  },
});
const engine = createEngine({ upstream, db, logger: log });
const unlimited = { readPerMin: 1e9, writePerMin: 1e9, pollPerMin: 1e9, authFailuresPerMin: 1e9 };
const server = await listen(createApp({ engine, adminToken: 'bench-admin', rateLimits: unlimited }), engine, { port: 0 });
const user = engine.accounts.createUser({ balanceCents: 1_000_000_000_000 });
const { apiKey } = engine.accounts.createKey(user.id);
const order = await engine.orders.create(user.id, { service: 'tg', country: 7 });
upstream.deliverSms(order.activationId, 'Telegram code: 48213. Do not give this code to anyone.');
await engine.orders.get(user.id, order.id);
console.log(JSON.stringify({ url: server.url, apiKey, orderId: order.id, userId: user.id, pid: process.pid }));
process.on('SIGTERM', () => void server.close().then(() => (engine.close(), process.exit(0))));
