/**
 * Time that goes backwards: a server restarted on a machine whose clock is behind the database
 * keeps ids and newest-first order continuing from what the file holds (docs/decisions.md D41).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine, createSeededRng, ManualClock, MemoryUpstream } from '../src/index.js';
import { TEST_CATALOGUE } from '../src/testing.js';

describe('a restart on a clock that is behind the database', () => {
  it('continues ids and time after what the file holds, so newest-first lists stay right', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'jiema-clock-')), 'jiema.db');
    const ahead = new ManualClock(Date.UTC(2030, 0, 1));
    // The upstream outlives the server, as a real one does.
    const upstream = new MemoryUpstream({ clock: ahead, catalogue: TEST_CATALOGUE });
    const first = createEngine({ upstream, db, clock: ahead, rng: createSeededRng(1) });
    const user = first.accounts.createUser({ balanceCents: 1_000 });
    const old = [
      await first.orders.create(user.id, { service: 'tg', country: 7 }),
      await first.orders.create(user.id, { service: 'tg', country: 7 }),
    ];
    first.close();

    // The same seed and a clock five years behind: nothing may sort before what exists.
    const behind = new ManualClock(Date.UTC(2025, 0, 1));
    const second = createEngine({ upstream, db, clock: behind, rng: createSeededRng(1) });
    try {
      expect(behind.now()).toBeGreaterThan(old[1]!.updatedAt);
      const fresh = await second.orders.create(user.id, { service: 'tg', country: 7 });
      expect(fresh.id > old[1]!.id).toBe(true);
      expect(fresh.createdAt).toBeGreaterThan(old[1]!.createdAt);
      const other = second.accounts.createUser({ balanceCents: 0 });
      expect(other.id > user.id).toBe(true);
      expect(second.orders.list(user.id, { limit: 10 }).items.map((o) => o.id)).toEqual([fresh.id, old[1]!.id, old[0]!.id]);
      expect(second.checkInvariants()).toEqual([]);
    } finally {
      second.close();
    }
  });
});
