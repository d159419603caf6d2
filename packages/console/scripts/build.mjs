// Builds the console's browser app into dist/app with Vite (docs/decisions.md D110): one hashed
// script and one stylesheet, no inline script, nothing loaded from elsewhere. Type checking is
// `tsc -b` (tsconfig.app.json); this only bundles. Prints the sizes, gzipped, and fails past the
// budget of 200 KB of JavaScript.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'app');
const BUDGET = 200 * 1024;

await build({
  root: join(root, 'app'),
  base: '/',
  logLevel: 'warn',
  configFile: false,
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    sourcemap: false,
  },
});

let js = 0;
const lines = [];
for (const name of readdirSync(join(outDir, 'assets'))) {
  const file = join(outDir, 'assets', name);
  const gz = gzipSync(readFileSync(file)).length;
  if (name.endsWith('.js')) js += gz;
  lines.push(`  ${name}  ${(statSync(file).size / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`);
}
const html = readFileSync(join(outDir, 'index.html'), 'utf8');
if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html))
  throw new Error('index.html has an inline script; the Content-Security-Policy would refuse it.');
console.log(
  `console built in ${outDir}:\n${lines.join('\n')}\n  JavaScript in all: ${(js / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB)`,
);
if (js > BUDGET) {
  console.error(`The console's JavaScript is over its budget: ${js} bytes gzipped > ${BUDGET}.`);
  process.exit(1);
}
