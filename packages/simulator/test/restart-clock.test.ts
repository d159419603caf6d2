/**
 * A file-backed simulator on virtual time resumes that time after a restart instead of starting
 * the clock over: time never runs backwards for one database, so ids stay ordered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../src/index.js';
import { QUIET, request } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('restarting a file-backed simulator on a manual clock', () => {
  it('resumes virtual time from the database, so new orders list before older ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiema-sim-'));
    dirs.push(dir);
    const db = join(dir, 'sim.db');
    const first = await startSimulator({ seed: 3, clock: 'manual', db, behaviour: QUIET });
    const user = first.createUser({ balanceCents: 1_000 });
    const buy = async (url: string) =>
      (
        await request(`${url}/api/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${user.apiKey}` },
          body: { service: 'tg', country: 7 },
        })
      ).body.data.id as string;
    await first.advance(3 * 60 * 60_000);
    const older = await buy(first.url);
    const before = first.now();
    await first.close();

    const second = await startSimulator({ seed: 3, clock: 'manual', db, behaviour: QUIET });
    try {
      expect(second.now()).toBeGreaterThanOrEqual(before);
      const newer = await buy(second.url);
      expect(newer > older).toBe(true);
      const list = await request(`${second.url}/api/v1/orders`, { headers: { authorization: `Bearer ${user.apiKey}` } });
      expect(list.body.data.items.map((o: { id: string }) => o.id)).toEqual([newer, older]);
    } finally {
      await second.close();
    }
  });
});
