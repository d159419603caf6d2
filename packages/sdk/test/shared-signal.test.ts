/**
 * One AbortSignal shared by many concurrent calls (issue #19 item 5): Node must not print
 * MaxListenersExceededWarning, every call still stops when the signal fires, and no listener is
 * left behind on the signal afterwards.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JiemaAbortError } from '../src/index.js';
import { useCore } from './server.js';

const CALLS = 25;

const s = useCore();
let warnings: Error[];
const onWarning = (w: Error): void => void warnings.push(w);
beforeEach(async () => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(async () => {
  process.off('warning', onWarning);
});

/** Warnings are emitted on a later tick than the listener that causes them. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
const listenerWarnings = (): string[] => warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message);

describe('one AbortSignal shared by many concurrent calls', () => {
  it(`runs ${CALLS} calls on it without a MaxListenersExceededWarning, and releases every listener`, async () => {
    const client = s.client(s.createUser({ balanceCents: 1_000 }).key);
    const controller = new AbortController();
    const accounts = await Promise.all(Array.from({ length: CALLS }, () => client.account.get({ signal: controller.signal })));
    expect(accounts).toHaveLength(CALLS);
    await settle();
    expect(listenerWarnings()).toEqual([]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it(`stops all ${CALLS} calls when it fires, still without the warning`, async () => {
    const client = s.client(s.createUser({ balanceCents: 1_000 }).key);
    const controller = new AbortController();
    const calls = Array.from({ length: CALLS }, () => client.account.get({ signal: controller.signal }).catch((e: unknown) => e));
    controller.abort(new Error('shutting down'));
    const results = await Promise.all(calls);
    expect(results.every((r) => r instanceof JiemaAbortError)).toBe(true);
    await settle();
    expect(listenerWarnings()).toEqual([]);
  });

  it('keeps a limit the caller set on the signal', async () => {
    // getMaxListeners(EventTarget) exists since Node 19.9; @types/node 20 lacks it.
    const { getMaxListeners, setMaxListeners } = (await import('node:events')) as unknown as {
      getMaxListeners(t: EventTarget): number;
      setMaxListeners(n: number, t: EventTarget): void;
    };
    const controller = new AbortController();
    setMaxListeners(50, controller.signal);
    await s.client(s.createUser({ balanceCents: 1_000 }).key).account.get({ signal: controller.signal });
    expect(getMaxListeners(controller.signal)).toBe(50);
  });
});
