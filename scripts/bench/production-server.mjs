// The server in production configuration, as `jiema serve --upstream sms-activate` builds it:
// core's engine on a SQLite file with synchronous=FULL, the real SMS-Activate adapter against an
// upstream (here a simulator's facade), the HTTP API with the lean dispatcher, logs at warn.
// Rate limits are lifted for the load. Seeds a user and one order with an SMS; prints
// {url, apiKey, orderId, userId, adminToken}.
// Usage: node production-server.mjs <db-file> <upstream-url> <upstream-key> <upstream-admin-token>
import { createApp, createEngine, createLogger, listen, SmsActivateUpstream, systemClock } from '../../packages/core/dist/index.js';

const [db, upstreamUrl, upstreamKey, upstreamAdmin] = process.argv.slice(2);
const log = createLogger({ clock: systemClock, level: 'warn', destination: process.stderr });
const upstream = new SmsActivateUpstream({ baseUrl: upstreamUrl, apiKey: upstreamKey, clock: systemClock, logger: log });
const engine = createEngine({ upstream, db, synchronous: 'FULL', logger: log });
const unlimited = { readPerMin: 1e9, writePerMin: 1e9, pollPerMin: 1e9, authFailuresPerMin: 1e9 };
const server = await listen(createApp({ engine, adminToken: 'bench-admin', rateLimits: unlimited }), engine, { port: 0 });
const user = engine.accounts.createUser({ balanceCents: 1_000_000_000 });
const { apiKey } = engine.accounts.createKey(user.id);
const order = await engine.orders.create(user.id, { service: 'tg', country: 7 });
const sms = await fetch(`${upstreamUrl}/_sim/v1/activations/${order.activationId}/sms`, {
  method: 'POST',
  headers: { 'x-admin-token': upstreamAdmin, 'content-type': 'application/json' },
  body: JSON.stringify({ body: 'Telegram code: 48213. Do not give this code to anyone.' }),
});
if (!sms.ok) throw new Error(`could not deliver the SMS: ${await sms.text()}`);
await engine.orders.get(user.id, order.id);
console.log(JSON.stringify({ url: server.url, apiKey, orderId: order.id, userId: user.id, adminToken: 'bench-admin', pid: process.pid }));
process.on('SIGTERM', () => void server.close().then(() => (engine.close(), process.exit(0))));
