/**
 * @jiema/simulator: a jiema server on a fake upstream and a virtual clock, with a control API
 * (/_sim/v1) and the upstream's own wire protocols (SMS-Activate handler_api.php, 5sim).
 */
export * from './behaviour.js';
export * from './event-log.js';
export * from './fake-upstream.js';
export * from './faults.js';
export * from './scheduler.js';
export * from './simulator.js';
export * from './sms-text.js';
export * from './virtual-clock.js';
export * from './world.js';
export type { FacadeMode } from './facades/mount.js';
export type { WebhookSenderOptions, WebhookStats } from './facades/sms-activate/webhook-sender.js';
export { FIVESIM_ERRORS, fiveSimCountryName } from './facades/five-sim/protocol.js';
export { TOKENS as SMS_ACTIVATE_TOKENS, ERROR_TOKENS as SMS_ACTIVATE_ERROR_TOKENS } from './facades/sms-activate/protocol.js';
