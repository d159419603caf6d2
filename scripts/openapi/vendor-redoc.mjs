/**
 * Refreshes the API reference's renderer (docs/decisions.md D87): Redoc's standalone bundle, from
 * the npm package of the version below, copied into @jiema/core so that an installed package
 * serves /docs offline with no build step. Run `node scripts/openapi/vendor-redoc.mjs` after
 * changing REDOC_VERSION; a test checks the copy against the checksum recorded in VERSION.json.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REDOC_VERSION = '2.5.4';
const TARGET = fileURLToPath(new URL('../../packages/core/assets/redoc/', import.meta.url));

const work = mkdtempSync(join(tmpdir(), 'jiema-redoc-'));
try {
  const tarball = execFileSync('npm', ['pack', `redoc@${REDOC_VERSION}`, '--silent'], { cwd: work, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['xzf', tarball], { cwd: work });
  mkdirSync(TARGET, { recursive: true });
  for (const [from, to] of [
    ['package/bundles/redoc.standalone.js', 'redoc.standalone.js'],
    ['package/bundles/redoc.standalone.js.LICENSE.txt', 'redoc.standalone.js.LICENSE.txt'],
    ['package/LICENSE', 'LICENSE'],
  ])
    copyFileSync(join(work, from), join(TARGET, to));
  const sha256 = createHash('sha256')
    .update(readFileSync(join(TARGET, 'redoc.standalone.js')))
    .digest('hex');
  writeFileSync(
    join(TARGET, 'VERSION.json'),
    `${JSON.stringify({ package: 'redoc', version: REDOC_VERSION, file: 'bundles/redoc.standalone.js', sha256 }, null, 2)}\n`,
  );
  console.log(`vendored redoc ${REDOC_VERSION} (${sha256.slice(0, 12)}…) into ${TARGET}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
