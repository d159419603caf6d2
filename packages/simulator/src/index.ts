/**
 * @jiema/simulator: a jiema server on a fake upstream and a virtual clock, with a control API
 * (/_sim/v1) and the upstream's own wire protocols (SMS-Activate handler_api.php, 5sim).
 *
 * The public API (docs/decisions.md D155): listed in the README's "Public API" and pinned by
 * test/public-api.test.ts. Everything else is internal.
 */
export { startSimulator, type Simulator, type SimulatorOptions, type ResetOptions } from './simulator.js';
export {
  BEHAVIOUR_PRESETS,
  BehaviourSpecSchema,
  type BehaviourConfigInput,
  type BehaviourPreset,
  type BehaviourSpec,
} from './behaviour.js';
export { FaultSpecSchema, type Fault, type FaultSpec, type UpstreamMethod } from './faults.js';
export type { World } from './world.js';
export type { ClockMode, ClockSpec, VirtualClock } from './virtual-clock.js';
export type { EventLog, SimEvent, SimEventType } from './event-log.js';
export type { FakeUpstream } from './fake-upstream.js';
export type { FaultPlan } from './faults.js';
export type { Scheduler } from './scheduler.js';
export type { FacadeMode } from './facades/mount.js';
export type { WebhookSenderOptions, WebhookStats } from './facades/sms-activate/webhook-sender.js';
