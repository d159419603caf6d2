/**
 * The proof that the suite-wide response check bites (docs/decisions.md D85): a nested vitest run,
 * with this repository's own config, of a test whose only fault is that its server answers
 * something the OpenAPI document does not describe. That test must fail, saying why.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRoute } from '../../src/http/route.js';
import { startTestServer } from '../../src/testing.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const nested = process.env.JIEMA_PROVE_UNDOCUMENTED === '1';

describe.runIf(nested)('a test whose server answers an undocumented response (run only nested)', () => {
  it('passes its own assertions', async () => {
    const teapot = defineRoute({
      method: 'GET',
      path: '/api/v1/teapot',
      operationId: 'getTeapot',
      auth: 'none',
      tag: 'system',
      summary: 'x',
      response: z.object({}),
      errors: [],
      handler: () => ({ status: 418, body: { ok: true, data: {} } }),
    });
    const s = await startTestServer({ app: { extraRoutes: [teapot] } });
    try {
      expect((await s.call('GET', '/api/v1/teapot')).status).toBe(418);
    } finally {
      await s.close();
    }
  });
});

describe.skipIf(nested)('the suite-wide response check', () => {
  it('fails a test that observed a response the document does not describe', async () => {
    const file = fileURLToPath(import.meta.url);
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [`${REPO}node_modules/vitest/vitest.mjs`, 'run', file],
        { cwd: REPO, env: { ...process.env, JIEMA_PROVE_UNDOCUMENTED: '1', CI: '' } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/1 failed/);
    expect(run.out).toContain('the OpenAPI document does not describe');
    expect(run.out).toContain('GET /api/v1/teapot → 418: status 418 is not documented for getTeapot');
  });
});
