/**
 * Test helpers: a manual-clock simulator over real HTTP, with small clients for the public API
 * and the control API.
 */
import { expect } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/index.js';

export interface Res {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export async function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export interface TestSim {
  sim: Simulator;
  api(method: string, path: string, key: string, body?: unknown): Promise<Res>;
  control(method: string, path: string, body?: unknown): Promise<Res>;
  balance(userId: string): number;
  close(): Promise<void>;
}

export async function testSim(options: SimulatorOptions = {}): Promise<TestSim> {
  const sim = await startSimulator({ seed: 1, clock: 'manual', ...options });
  return {
    sim,
    api: (method, path, key, body) => request(sim.url + path, { method, headers: { authorization: `Bearer ${key}` }, body }),
    control: (method, path, body) => request(sim.url + path, { method, headers: { 'x-admin-token': sim.adminToken }, body }),
    balance: (userId) => sim.world.engine.accounts.requireUser(userId).balanceCents,
    async close() {
      expect(sim.world.engine.checkInvariants()).toEqual([]);
      await sim.close();
    },
  };
}

/** Behaviour with no automatic SMS: tests deliver every SMS themselves. */
export const QUIET = { default: { noSmsProbability: 1, banProbability: 0, lateSmsProbability: 0, duplicateSmsProbability: 0 } };
