/**
 * Where a scenario runs. By default: a fresh in-process simulator on manual virtual time. With
 * --target: any running server — its control API (/_sim/v1) and admin API are used when the
 * admin token opens them; steps that need them are skipped otherwise.
 */
import { startSimulator, type Simulator } from '@jiema/simulator';
import type { Scenario } from './scenario-schema.js';

export interface Target {
  label: string;
  baseUrl: string;
  adminToken: string | undefined;
  /** The simulator's control API answers. */
  control: boolean;
  /** The admin API answers. */
  admin: boolean;
  /** Started for this scenario with its setup already applied (in-process). */
  fresh: boolean;
  /** May be reset before each scenario (a running simulator, unless --no-reset). */
  reset: boolean;
  close(): Promise<void>;
}

export async function simulatorTarget(scenario: Scenario, seed: number): Promise<Target> {
  const sim: Simulator = await startSimulator({
    seed,
    clock: 'manual',
    ...(scenario.setup.behaviour && { behaviour: scenario.setup.behaviour }),
    ...(scenario.setup.rateLimits && { rateLimits: scenario.setup.rateLimits }),
    ...(scenario.setup.upstreamBalance && { upstreamBalance: scenario.setup.upstreamBalance }),
  });
  return {
    label: 'in-process simulator',
    baseUrl: sim.url,
    adminToken: sim.adminToken,
    control: true,
    admin: true,
    fresh: true,
    reset: false,
    close: () => sim.close(),
  };
}

export async function remoteTarget(baseUrl: string, adminToken: string | undefined, options: { reset?: boolean } = {}): Promise<Target> {
  const url = baseUrl.replace(/\/+$/, '');
  const probe = async (path: string) => {
    if (!adminToken) return false;
    try {
      const r = await fetch(url + path, { headers: { 'x-admin-token': adminToken }, signal: AbortSignal.timeout(10_000) });
      return r.status === 200;
    } catch {
      return false;
    }
  };
  try {
    await fetch(`${url}/api/v1/account`, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${(err as Error).message}`);
  }
  const [control, admin] = await Promise.all([probe('/_sim/v1/clock'), probe('/admin/v1/invariants')]);
  return { label: url, baseUrl: url, adminToken, control, admin, fresh: false, reset: options.reset ?? true, close: async () => {} };
}
