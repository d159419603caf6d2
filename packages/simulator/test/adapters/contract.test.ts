/**
 * Core's upstream conformance suite, run for the production adapters against the simulator's
 * protocol facades over real HTTP: SMS-Activate in the always-200 and status-coded modes, and 5sim.
 */
import { upstreamContract } from '@jiema/core/testing';
import { contractHarness } from './harness.js';

upstreamContract('SmsActivateUpstream over HTTP (facade always 200)', () => contractHarness('sms-activate', 'always200'));
upstreamContract('SmsActivateUpstream over HTTP (facade status-coded)', () => contractHarness('sms-activate', 'status'));
upstreamContract('FiveSimUpstream over HTTP', () => contractHarness('5sim'));
