/**
 * Real headless Chromium for the console's end-to-end tests: Debian's `chromium` package driven by
 * playwright-core (browsers cannot be downloaded here). The tests skip, saying why, only when no
 * chromium binary exists; CI installs it (`.ci/run`).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** JIEMA_CHROMIUM, or Debian's binary. */
export const CHROMIUM = [process.env.JIEMA_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => Boolean(p) && existsSync(p!),
);

export const SKIP_REASON =
  'no chromium binary (looked for $JIEMA_CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser): the console browser tests are skipped. Install it with `apt-get install -y chromium`.';

export const SCREENSHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** A new tab, failing the test on any page error or Content-Security-Policy violation. */
  page(): Promise<Page>;
  problems: string[];
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'jiema-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM!,
    headless: true,
    args: ARGS,
    viewport: { width: 1360, height: 900 },
  });
  const problems: string[] = [];
  return {
    context,
    problems,
    async page() {
      const page = await context.newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeResult {
  serious: Array<{ id: string; impact: string; help: string; nodes: number }>;
  all: number;
}

/** Runs axe-core in the page (through the debugger protocol, which the page's CSP does not govern). */
export async function axe(page: Page): Promise<AxeResult> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) })))',
  )) as Array<{ id: string; impact: string; help: string; nodes: number }>;
  return { serious: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), all: violations.length };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
