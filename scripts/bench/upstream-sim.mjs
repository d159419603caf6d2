// A simulator in its own process, standing in for the wholesale upstream: the production
// server under test talks to its SMS-Activate facade over HTTP. Prints {url, facadeKey, adminToken}.
import { startSimulator } from '../../packages/simulator/dist/index.js';

const sim = await startSimulator({
  clock: 'real',
  seed: 3,
  upstreamApiKey: 'bench-upstream-key',
  upstreamBalance: '100000000',
  behaviour: { default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0 } },
});
console.log(JSON.stringify({ url: sim.url, facadeKey: sim.upstreamApiKey, adminToken: sim.adminToken }));
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
