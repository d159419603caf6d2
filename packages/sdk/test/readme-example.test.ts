/**
 * The README's buy → wait → next-sms → wait → done example, run verbatim in a child node
 * against core's real server. The server runs on a fast clock (20×: the 20-minute window lasts
 * a real minute), and its memory upstream sends an SMS 10 s of that clock after each purchase
 * or next-SMS request. Only the import is pointed at the built ESM entry. It takes a few real
 * seconds, because the example polls every 3 s as the API asks.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { MemoryUpstream } from '@jiema/core';
import { TEST_CATALOGUE } from '@jiema/core/testing';
import { fastClock } from './clocks.js';
import { serverPerTest } from './server.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const start = serverPerTest();
let tmp: string | undefined;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

/** The first ```js block under the "## Example" heading. */
function readmeExample(): string {
  const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README.md has no ```js block under "## Example"');
  return match[1]!;
}

it('runs the README example end to end: two codes on one number, charged once', async () => {
  const clock = fastClock(20);
  const upstream = new MemoryUpstream({ clock, catalogue: TEST_CATALOGUE, autoSmsAfterMs: 10_000 });
  const t = await start({ clock, upstream, eagerOutbox: true });
  const u = t.createUser({ balanceCents: 1_000 });
  tmp = mkdtempSync(join(tmpdir(), 'jiema-sdk-readme-'));
  const file = join(tmp, 'verify.mjs');
  const esmEntry = join(pkgDir, 'dist', 'esm', 'index.js');
  writeFileSync(file, readmeExample().replace("from '@jiema/sdk'", `from ${JSON.stringify(esmEntry)}`));
  const { stdout } = await promisify(execFile)(process.execPath, [file], {
    env: { ...process.env, JIEMA_API_KEY: u.key, JIEMA_BASE_URL: t.url },
  });
  const codes = [...stdout.matchAll(/(first|second) code: (\d+)/g)].map((m) => m[2]);
  expect(stdout).toContain('balance: 1000 cents');
  expect(codes).toHaveLength(2);
  expect(codes[0]).not.toBe(codes[1]);
  expect(stdout).toMatch(/status: RECEIVED, 2 SMS/);
  expect(t.buys()).toBe(1);
  expect(t.engine.accounts.requireUser(u.id).balanceCents).toBe(1_000 - 32);
  expect(stdout).not.toContain(u.key);
});
