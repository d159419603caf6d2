/**
 * The browsable API reference (docs/decisions.md D87), as a person meets it: the ready banner of
 * the real `jiema serve` links it; /docs renders the server's own document with the Redoc bundle
 * that ships inside @jiema/core, under a Content-Security-Policy that lets nothing else in.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, REPO, useServe } from '../helpers.js';

const CORE = join(REPO, 'packages/core');
const s = useServe(['--ephemeral', '--clock', 'manual']);

describe('the API reference at /docs', () => {
  it('is linked from the ready line: docsUrl in --json, one line in the banner', async () => {
    expect(JSON.parse(s.output().stdout.split('\n')[0]!).docsUrl).toBe(`${s.url}/docs`);
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ephemeral'], { cwd: REPO, env: cleanEnv() });
    let out = '';
    await new Promise<void>((resolve) => proc.stdout.on('data', (d) => ((out += d), out.includes('Ctrl-C') && resolve())));
    proc.kill('SIGINT');
    await new Promise((r) => proc.on('close', r));
    const url = /jiema server ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
    expect(out.split('\n').filter((l) => l.includes('/docs'))).toEqual([`  API reference: ${url}/docs`]);
  });

  it('renders the served OpenAPI document with the bundled Redoc, asking no other host for anything', async () => {
    const res = await fetch(`${s.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<redoc spec-url="/api/v1/openapi.json"');
    expect(html).toContain('<script src="/docs/redoc.standalone.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');

    const script = await fetch(`${s.url}/docs/redoc.standalone.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const body = Buffer.from(await script.arrayBuffer());
    const vendored = JSON.parse(readFileSync(join(CORE, 'assets/redoc/VERSION.json'), 'utf8')) as { version: string; sha256: string };
    expect(createHash('sha256').update(body).digest('hex')).toBe(vendored.sha256);
    expect(readFileSync(join(CORE, 'assets/redoc/redoc.standalone.js.LICENSE.txt'), 'utf8')).toContain(`Version: "${vendored.version}"`);
  });

  it("has a page for the simulator's control API too, and answers other methods with the JSON envelope", async () => {
    expect(await (await fetch(`${s.url}/docs/simulator`)).text()).toContain('<redoc spec-url="/_sim/v1/openapi.json"');
    expect((await fetch(`${s.url}/docs`, { method: 'HEAD' })).status).toBe(200);
    const post = await fetch(`${s.url}/docs`, { method: 'POST' });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('ships the renderer inside the @jiema/core package: no build step, no CDN', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: CORE });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['assets/redoc/redoc.standalone.js', 'assets/redoc/LICENSE', 'dist/http/docs-page.js']));
  });
});
