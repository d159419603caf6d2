/**
 * The server's time, which with the simulator is virtual (stopped, or running ×N): ages and time
 * left are counted on it, not on this computer's clock. The live feed sends it on connecting and
 * every few seconds; in between it runs at the speed the server gave.
 */
import { createStore } from './store.js';

const serverClock = createStore<{ nowMs: number; speed: number; seenAt: number }>({
  nowMs: Date.now(),
  speed: 1,
  seenAt: Date.now(),
});

export function setServerClock(clock: { nowMs: number; speed: number }): void {
  serverClock.set({ ...clock, seenAt: Date.now() });
}

/** The server's time now, in ms. */
export function serverNow(): number {
  const c = serverClock.get();
  return c.nowMs + (Date.now() - c.seenAt) * c.speed;
}
