/**
 * A caller may share one AbortSignal across many concurrent calls (one "stop everything" switch).
 * Each call listens on it while it runs, and Node warns (MaxListenersExceededWarning) past 10
 * listeners on one EventTarget even though every call removes its listener when it ends. Node's
 * own fetch raises the limit on the signal it is given; the SDK does the same, the same way
 * (docs/decisions.md D64). Outside Node (no `process.getBuiltinModule`) there is no such warning
 * and nothing to do; the SDK keeps importing no module, so it still runs in browsers.
 */

/** The limit Node's fetch (undici) sets on a signal still at the default. */
const SHARED_SIGNAL_MAX_LISTENERS = 1500;

interface NodeEvents {
  defaultMaxListeners: number;
  getMaxListeners(target: EventTarget): number;
  setMaxListeners(n: number, ...targets: EventTarget[]): void;
}

let events: NodeEvents | null | undefined;

function nodeEvents(): NodeEvents | null {
  if (events === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    events = (proc?.getBuiltinModule?.('node:events') as NodeEvents | undefined) ?? null;
  }
  return events;
}

/** Lets many concurrent calls listen on `signal` without a warning; a limit the caller set is kept. */
export function allowSharedSignal(signal: AbortSignal): void {
  const e = nodeEvents();
  if (!e) return;
  try {
    if (e.getMaxListeners(signal) === e.defaultMaxListeners) e.setMaxListeners(SHARED_SIGNAL_MAX_LISTENERS, signal);
  } catch {
    // A signal from another realm or a polyfill: leave it as it is.
  }
}
