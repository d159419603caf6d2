/**
 * RatePacer on a virtual clock: a sliding window per class, slots held while in flight, FIFO
 * queues, and what the server's headers and 429s teach it.
 */
import { describe, expect, it } from 'vitest';
import { RatePacer, type Permit, type RateClass } from '../src/index.js';
import { VirtualClock, flush } from './clocks.js';

const policy = (cls: string, q: number, w = 60, r?: number, t?: number): Headers => {
  const h = new Headers({ 'ratelimit-policy': `"${cls}";q=${q};w=${w}` });
  if (r !== undefined) h.set('ratelimit', `"${cls}";r=${r};t=${t ?? 0}`);
  return h;
};

function setup(limits: Partial<Record<RateClass, { limit: number }>> = {}) {
  const clock = new VirtualClock();
  const pacer = new RatePacer(clock, { limits });
  const granted: string[] = [];
  const take = (cls: RateClass, name: string, signal?: AbortSignal): Promise<Permit> =>
    pacer.acquire(cls, signal).then((p) => {
      granted.push(name);
      return p;
    });
  return { clock, pacer, granted, take };
}

describe('RatePacer', () => {
  it('grants up to the limit per window, then queues in order until the oldest request leaves the window', async () => {
    const { clock, granted, take } = setup({ write: { limit: 2 } });
    const a = await take('write', 'a');
    const b = await take('write', 'b');
    void take('write', 'c');
    void take('write', 'd');
    a.release({ counted: true });
    await clock.advance(1_000);
    b.release({ counted: true });
    await flush();
    expect(granted).toEqual(['a', 'b']);
    await clock.advance(58_999);
    expect(granted).toEqual(['a', 'b']);
    await clock.advance(1);
    expect(granted).toEqual(['a', 'b', 'c']);
    await clock.advance(1_000);
    expect(granted).toEqual(['a', 'b', 'c', 'd']);
  });

  it('counts a request in flight against the limit until it completes', async () => {
    const { clock, granted, take } = setup({ poll: { limit: 1 } });
    const a = await take('poll', 'a');
    void take('poll', 'b');
    await clock.advance(120_000);
    expect(granted).toEqual(['a']);
    a.release({ counted: true });
    await clock.advance(59_999);
    expect(granted).toEqual(['a']);
    await clock.advance(1);
    expect(granted).toEqual(['a', 'b']);
  });

  it('frees the slot at once for a request that never reached the server', async () => {
    const { granted, take } = setup({ write: { limit: 1 } });
    const a = await take('write', 'a');
    const b = take('write', 'b');
    a.release({ counted: false });
    await b;
    expect(granted).toEqual(['a', 'b']);
  });

  it('keeps classes apart: a full write window does not hold reads or polls', async () => {
    const { granted, take } = setup({ write: { limit: 1 } });
    await take('write', 'w1');
    void take('write', 'w2');
    await take('read', 'r1');
    await take('poll', 'p1');
    expect(granted).toEqual(['w1', 'r1', 'p1']);
  });

  it("adopts a server's lower quota from RateLimit-Policy, never a higher one", async () => {
    const { pacer, take } = setup();
    (await take('read', 'a')).release({ counted: true, headers: policy('read', 5) });
    expect(pacer.snapshot('read')).toMatchObject({ limit: 5, used: 1 });
    (await take('read', 'b')).release({ counted: true, headers: policy('read', 1_000) });
    expect(pacer.snapshot('read').limit).toBe(60);
  });

  it('holds the class for Retry-After after a 429, without counting the refused request', async () => {
    const { clock, pacer, granted, take } = setup();
    (await take('write', 'a')).release({ counted: false, retryAfterMs: 5_000 });
    expect(pacer.snapshot('write')).toMatchObject({ used: 0, blockedForMs: 5_000 });
    void take('write', 'b');
    await clock.advance(4_999);
    expect(granted).toEqual(['a']);
    await clock.advance(1);
    expect(granted).toEqual(['a', 'b']);
  });

  it('holds the class when the server says no request remains (RateLimit r=0)', async () => {
    const { clock, granted, take } = setup();
    (await take('read', 'a')).release({ counted: true, headers: policy('read', 60, 60, 0, 7) });
    void take('read', 'b');
    await clock.advance(6_999);
    expect(granted).toEqual(['a']);
    await clock.advance(1);
    expect(granted).toEqual(['a', 'b']);
  });

  it('drops an aborted waiter from the queue without holding up the next', async () => {
    const { clock, granted, take } = setup({ write: { limit: 1 } });
    (await take('write', 'a')).release({ counted: true });
    const controller = new AbortController();
    const b = take('write', 'b', controller.signal).catch((e: unknown) => e);
    void take('write', 'c');
    controller.abort(new Error('gone'));
    expect(((await b) as Error).message).toBe('gone');
    await clock.advance(60_000);
    expect(granted).toEqual(['a', 'c']);
  });
});
