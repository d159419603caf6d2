/**
 * The built package as integrators load it: `require` gets the CommonJS build and `import` the
 * ESM one, through the exports map, with the same names; neither pulls in a dependency.
 * Needs the build (`tsc -b`, which `pnpm test` runs first).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const dist = join(pkgDir, 'dist');

/** Runs a script in a fresh node inside the package (so `@jiema/sdk` resolves to itself) and parses its JSON output. */
async function node(args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, args, { cwd: pkgDir });
  return JSON.parse(stdout);
}

const REPORT = `({ names: Object.keys(m).sort(), client: String(new m.JiemaClient({ apiKey: 'jm_0123456789abcdef' })), isError: new m.JiemaNotFoundError({ code: 'NOT_FOUND', message: 'x' }) instanceof m.JiemaError })`;

beforeAll(() => {
  if (!existsSync(join(dist, 'cjs', 'index.js')) || !existsSync(join(dist, 'esm', 'index.js'))) {
    throw new Error(
      'packages/sdk is not built: run `npx tsc -b packages/sdk packages/sdk/tsconfig.cjs.json && node packages/sdk/scripts/write-cjs-package.mjs`.',
    );
  }
});

describe('the built package', () => {
  it('loads the CommonJS build with require() of its absolute path', async () => {
    const out = await node([
      '-e',
      `const m = require(${JSON.stringify(join(dist, 'cjs', 'index.js'))}); console.log(JSON.stringify(${REPORT}))`,
    ]);
    expect(out.names).toContain('JiemaClient');
    expect(out.client).toBe('JiemaClient(https://jiema.my/api/v1, key jm_…cdef)');
    expect(out.isError).toBe(true);
  });

  it('resolves require and import of @jiema/sdk to the two builds, exposing the same names', async () => {
    const cjs = await node([
      '-e',
      `const m = require('@jiema/sdk'); console.log(JSON.stringify({ file: require.resolve('@jiema/sdk'), ...${REPORT} }))`,
    ]);
    const esm = await node([
      '--input-type=module',
      '-e',
      `import * as m from '@jiema/sdk'; console.log(JSON.stringify({ file: import.meta.resolve('@jiema/sdk'), ...${REPORT} }))`,
    ]);
    expect(cjs.file).toBe(join(dist, 'cjs', 'index.js'));
    expect(esm.file).toBe(`file://${join(dist, 'esm', 'index.js')}`);
    expect(cjs.names).toEqual(esm.names);
    expect(esm.names).toEqual(
      expect.arrayContaining(['JiemaClient', 'JiemaError', 'JiemaOutcomeUnknownError', 'JiemaRateLimitedError', 'RatePacer', 'OrderList']),
    );
    expect(cjs.client).toBe(esm.client);
  });

  it('ships type declarations for both builds', () => {
    expect(existsSync(join(dist, 'esm', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(dist, 'cjs', 'index.d.ts'))).toBe(true);
  });

  it('has no runtime dependencies: package.json lists none and the builds import only their own files', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
    const specifiers = new Set<string>();
    for (const build of ['esm', 'cjs']) {
      const files = readdirSync(join(dist, build), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
      for (const f of files) {
        const text = readFileSync(join(dist, build, f), 'utf8');
        for (const m of text.matchAll(/(?:from\s+|require\()\s*["']([^"']+)["']/g)) specifiers.add(m[1]!);
      }
    }
    expect([...specifiers].filter((s) => !s.startsWith('.'))).toEqual([]);
  });
});
