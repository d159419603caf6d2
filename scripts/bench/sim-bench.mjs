// Simulator targets: 10,000 active orders with scheduled SMS, then the clock advanced 20 minutes
// (every SMS, expiry and owed command processed); and startSimulator()'s own start time.
// Prints {orders, advanceMs, smsDelivered, completed, failed, pendingOutbox, startMs}.
import { startSimulator } from '../../packages/simulator/dist/index.js';

const ORDERS = Number(process.argv[2] ?? 10_000);
const starts = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  const s = await startSimulator({ seed: i, clock: 'manual' });
  starts.push(performance.now() - t);
  await s.close();
}
const sim = await startSimulator({
  seed: 1,
  clock: 'manual',
  upstreamBalance: '100000000',
  behaviour: { default: { noSmsProbability: 0.05, banProbability: 0.01, smsDelayMs: { min: 5_000, max: 600_000 } } },
});
sim.setStock('go', 6, ORDERS * 2);
const user = sim.createUser({ balanceCents: 1_000_000_000 });
const tc = performance.now();
for (let i = 0; i < ORDERS; i++) await sim.world.engine.orders.create(user.id, { service: 'go', country: 6 });
const createMs = performance.now() - tc;
const scheduled = sim.world.scheduler.size;
const t0 = performance.now();
await sim.advance(20 * 60_000);
const advanceMs = performance.now() - t0;
// Through the order store (the storage port, docs/decisions.md D125): the engine's database is not public.
const count = (status) => sim.world.engine.stores.orders.count([status]);
const sorted = [...starts].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    orders: ORDERS,
    scheduledEvents: scheduled,
    createMs,
    advanceMs,
    smsDelivered: sim.events({ type: 'sms.delivered' }).length,
    completed: count('COMPLETED'),
    failed: count('FAILED'),
    live: count('WAITING') + count('RECEIVED'),
    pendingOutbox: sim.world.engine.outbox.pending().length,
    invariantsOk: sim.world.engine.checkInvariants().length === 0,
    startMs: sorted[Math.floor(sorted.length / 2)],
  }),
);
await sim.close();
