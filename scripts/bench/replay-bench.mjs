// Each fixture scenario replayed on its own in-process simulator, timed warm (after one untimed
// pass over every file, which pays module loading and JIT once) and cold (that first pass).
// Prints {scenarios: [{name, coldMs, warmMs}], allPassed}.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadStructuredFile, runScenario, ScenarioSchema, simulatorTarget } from '../../packages/cli/dist/index.js';
import { REPO } from './lib.mjs';

const dir = join(REPO, 'fixtures/scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const run = async (file) => {
  const scenario = loadStructuredFile(join(dir, file), ScenarioSchema);
  const t = performance.now();
  const target = await simulatorTarget(scenario, scenario.seed ?? 1);
  try {
    const r = await runScenario(scenario, file, target, { keys: {}, maxSpendCents: undefined });
    return { name: scenario.name, ms: performance.now() - t, passed: r.status === 'passed' };
  } finally {
    await target.close();
  }
};
const cold = [];
for (const f of files) cold.push(await run(f));
const warm = [];
for (const f of files) warm.push(await run(f));
console.log(
  JSON.stringify({
    scenarios: warm.map((w, i) => ({ name: w.name, coldMs: cold[i].ms, warmMs: w.ms })),
    allPassed: warm.every((w) => w.passed) && cold.every((c) => c.passed),
  }),
);
