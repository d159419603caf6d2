import { ManualClock } from '../../ports/clock.js';
import { upstreamContract } from '../upstream-contract.js';
import { MemoryUpstream } from './memory-upstream.js';
import { TEST_CATALOGUE } from '../../../test/helpers.js';

upstreamContract('memory', async () => {
  const clock = new ManualClock();
  const upstream = new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE });
  return {
    upstream,
    inStock: { service: 'tg', country: 7 },
    outOfStock: { service: 'tg', country: 187 },
    deliverSms: async (id, text) => {
      upstream.deliverSms(id, text);
    },
    advance: async (ms) => {
      clock.advance(ms);
    },
    earlyCancelHoldMs: upstream.earlyCancelHoldMs,
  };
});
