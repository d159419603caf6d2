import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { createIdGenerator, idTimestamp } from './ids.js';
import { createSeededRng } from './rng.js';

describe('ids', () => {
  it('are lowercase, unique and sort in creation order, also within one millisecond', () => {
    const clock = new ManualClock();
    const ids = createIdGenerator(clock, createSeededRng(1));
    const made: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      if (i % 100 === 0) clock.advance(1);
      made.push(ids.next('ck'));
    }
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
    for (const id of made) expect(id).toMatch(/^ck[0-9a-z]{25}$/);
  });
});

describe('ids after a restart', () => {
  it('sort after what the database holds even when the clock is behind it', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const before = createIdGenerator(new ManualClock(Date.UTC(2026, 5, 1)), createSeededRng(1));
    const old = [before.next('ck'), before.next('ck')];
    const ids = createIdGenerator(clock, createSeededRng(1));
    ids.continueAfter(idTimestamp(old[1]!, 'ck')!);
    const fresh = ids.next('ck');
    expect(fresh > old[1]!).toBe(true);
    expect(ids.next('ck') > fresh).toBe(true);
  });
});
