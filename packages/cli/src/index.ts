/**
 * @jiema/cli as a library: run the CLI in-process, or replay scenario files from code.
 */
export { runCli } from './cli.js';
export { runScenario, type ScenarioResult, type StepResult } from './replay/runner.js';
export { ScenarioSchema, scenarioJsonSchema, type Scenario } from './replay/scenario-schema.js';
export { simulatorTarget, remoteTarget, type Target } from './replay/target.js';
export { loadStructuredFile } from './load-file.js';
export { SeedFileSchema } from './seed/seed-schema.js';
export { applySeed } from './seed/apply-seed.js';
