/**
 * The committed contract files are what the server serves (docs/decisions.md D86): docs/openapi.json
 * and docs/openapi.simulator.json against the real `jiema serve` binary — with the simulator, and
 * on a real upstream adapter, which must serve the same jiema document — and the contract test's
 * generated types against openapi-typescript's output for those files. `pnpm openapi` refreshes all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, REPO, serve, type Served } from '../helpers.js';

// scripts/openapi/write-documents.mjs writes the same files, the same way.
const DOCUMENTS = [
  { file: 'docs/openapi.json', servedAt: '/api/v1/openapi.json', types: 'packages/cli/test/contract/jiema-api.generated.ts' },
  {
    file: 'docs/openapi.simulator.json',
    servedAt: '/_sim/v1/openapi.json',
    types: 'packages/cli/test/contract/simulator-api.generated.ts',
  },
];
const REFRESH = 'Run `pnpm openapi` to refresh it, and commit the result.';
const read = (file: string) => readFileSync(join(REPO, file), 'utf8');

let sim: Served;
let production: Served;
beforeAll(async () => {
  sim = await serve(['--ephemeral', '--clock', 'manual']);
  // The same binary on the SMS-Activate adapter, pointed at the first server's protocol facade.
  production = await serve([
    '--ephemeral',
    '--admin-token',
    'jma_contract_test_admin_token_0123',
    '--upstream',
    'sms-activate',
    '--upstream-url',
    sim.facadeUrl!,
    '--upstream-key',
    sim.facadeKey!,
  ]);
  expect(production.url).toMatch(/^http:/);
});
afterAll(async () => {
  await Promise.all([sim.stop(), production.stop()]);
});

describe('the committed OpenAPI files', () => {
  for (const d of DOCUMENTS) {
    it(`${d.file} is what jiema serve answers at ${d.servedAt}`, async () => {
      const served = `${JSON.stringify(await (await fetch(sim.url + d.servedAt)).json(), null, 2)}\n`;
      expect(served === read(d.file), `${d.file} differs from GET ${d.servedAt}. ${REFRESH}`).toBe(true);
    });

    it(`${d.types} is openapi-typescript's output for ${d.file}`, async () => {
      const generated = astToString(await openapiTS(read(d.file)));
      expect(read(d.types).endsWith(generated), `${d.types} is stale. ${REFRESH}`).toBe(true);
    });
  }

  it('is the same document whatever the upstream: the simulator adds only its own control API', async () => {
    const doc = await (await fetch(`${production.url}/api/v1/openapi.json`)).json();
    expect(
      `${JSON.stringify(doc, null, 2)}\n` === read('docs/openapi.json'),
      `a server on a real upstream serves another document. ${REFRESH}`,
    ).toBe(true);
    expect((await fetch(`${production.url}/_sim/v1/openapi.json`)).status).toBe(404);
  });

  it('reaches the binary: its child processes validate their responses too', () => {
    expect(cleanEnv().JIEMA_VALIDATE_RESPONSES).toBe('1');
    expect(cleanEnv().JIEMA_RESPONSE_VIOLATIONS_DIR).toBe(process.env.JIEMA_RESPONSE_VIOLATIONS_DIR);
  });
});
