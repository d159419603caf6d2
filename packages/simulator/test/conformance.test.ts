import { upstreamContract } from '@jiema/core/testing';
import { startSimulator } from '../src/index.js';
import { QUIET } from './helpers.js';

upstreamContract('simulator fake upstream (in-process)', async () => {
  const sim = await startSimulator({ seed: 3, clock: 'manual', behaviour: QUIET });
  sim.setStock('tg', 187, 0);
  return {
    upstream: sim.world.upstream,
    inStock: { service: 'tg', country: 7 },
    outOfStock: { service: 'tg', country: 187 },
    deliverSms: async (id, text) => {
      sim.world.upstream.deliverSms(id, text);
    },
    advance: async (ms) => {
      await sim.advance(ms);
    },
    earlyCancelHoldMs: 120_000,
    close: () => sim.close(),
  };
});
