/**
 * @jiema/core/testing: the Upstream conformance suite (needs vitest) for other packages'
 * implementations to run.
 */
export * from './upstream/upstream-contract.js';
