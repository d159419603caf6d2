/**
 * Test helpers: the simulator per test from `../src/testing.js` (docs/decisions.md D153; seed 1
 * here, as these tests were written for it), with small clients for the public API and the
 * control API over core's test JSON client.
 */
import { requestJson, type TestResponse } from '@jiema/core/testing';
import type { Simulator, SimulatorOptions } from '../src/index.js';
import { useSimulator, useSimulators } from '../src/testing.js';

export type Res = TestResponse;

export function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Res> {
  return requestJson(url, init.method ?? 'GET', '', { headers: init.headers, body: init.body });
}

export interface TestSim {
  sim: Simulator;
  api(method: string, path: string, key: string, body?: unknown): Promise<Res>;
  control(method: string, path: string, body?: unknown): Promise<Res>;
  balance(userId: string): number;
}

/** The clients for a simulator (or for useSimulator's stand-in: they read it when called). */
function withClients(sim: Simulator): TestSim {
  return {
    sim,
    api: (method, path, key, body) => request(sim.url + path, { method, headers: { authorization: `Bearer ${key}` }, body }),
    control: (method, path, body) => request(sim.url + path, { method, headers: { 'x-admin-token': sim.adminToken }, body }),
    balance: (userId) => sim.world.engine.accounts.requireUser(userId).balanceCents,
  };
}

/** A simulator per test, started before it; invariants checked and closed after it. */
export function useSim(options: SimulatorOptions = {}): TestSim {
  return withClients(useSimulator({ seed: 1, ...options }));
}

/** A starter for tests that start their own simulators; each is checked and closed after its test. */
export function useSims(): (options?: SimulatorOptions) => Promise<TestSim> {
  const start = useSimulators();
  return async (options = {}) => withClients(await start({ seed: 1, ...options }));
}

/** Behaviour with no automatic SMS: tests deliver every SMS themselves. */
export const QUIET = { default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0 } };
