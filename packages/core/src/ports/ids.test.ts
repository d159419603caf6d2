import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { createIdGenerator } from './ids.js';
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
