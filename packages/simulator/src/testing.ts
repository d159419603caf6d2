/**
 * @jiema/simulator/testing (needs vitest, an optional peer dependency): a simulator per test
 * (docs/decisions.md D153), started before each test on a manual clock and a fixed seed, its
 * ledger invariants checked and closed after it. Built on `usePerTest` from `@jiema/core/testing`.
 */
import { usePerTest, usePerTestStarter } from '@jiema/core/testing';
import { startSimulator, type Simulator, type SimulatorOptions } from './simulator.js';

export interface UseSimulatorOptions {
  /** Check the ledger invariants (the books balance) after each test, before closing. Default true. */
  checkInvariants?: boolean;
}

/** What a test simulator starts with unless told otherwise: virtual time that moves only by `advance`, and seed 42. */
export const TEST_SIMULATOR_DEFAULTS = { seed: 42, clock: 'manual' } as const satisfies SimulatorOptions;

function stopper(checkInvariants: boolean): (sims: Simulator[]) => Promise<void> {
  return async (sims) => {
    try {
      for (const sim of checkInvariants ? sims : []) {
        const broken = sim.world.engine.checkInvariants();
        if (broken.length > 0) throw new Error(`The simulator at ${sim.url} broke the ledger invariants: ${JSON.stringify(broken)}`);
      }
    } finally {
      for (const sim of sims) await sim.close();
    }
  };
}

/**
 * A simulator per test of the calling file or `describe` block. The returned object stands for
 * the current test's simulator: use it inside tests and hooks, never destructure it at the top.
 * `options` may be a function, called before each test.
 */
export function useSimulator(
  options: SimulatorOptions | (() => SimulatorOptions) = {},
  { checkInvariants = true }: UseSimulatorOptions = {},
): Simulator {
  const stop = stopper(checkInvariants);
  return usePerTest(
    () => startSimulator({ ...TEST_SIMULATOR_DEFAULTS, ...(typeof options === 'function' ? options() : options) }),
    (sim) => stop([sim]),
  );
}

/** For tests that each start simulators with their own options: a starter whose simulators are checked and closed after their test. */
export function useSimulators({ checkInvariants = true }: UseSimulatorOptions = {}): (options?: SimulatorOptions) => Promise<Simulator> {
  return usePerTestStarter(
    (options: SimulatorOptions = {}) => startSimulator({ ...TEST_SIMULATOR_DEFAULTS, ...options }),
    stopper(checkInvariants),
  );
}
