/**
 * The console end to end, in real headless Chromium against the real `jiema serve` binary, as
 * issue #13 item 7 says: open the console from the printed URL, buy a number from the account
 * view, deliver an SMS from the developer view and see the code appear without a reload, revoke a
 * key and see the API refuse it, arm an upstream fault and see the 503 in the journal. Every view
 * is checked with axe-core (no serious or critical violation) and photographed
 * (test-results/screenshots/, described in the package README). A last test fills the simulator
 * with 1,000 orders and checks the developer view stays responsive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serve, type Served } from '../../cli/test/helpers.js';
import { axe, CHROMIUM, launch, screenshot, SKIP_REASON, type Browser } from './browser.js';

if (!CHROMIUM) console.warn(`[console e2e] ${SKIP_REASON}`);

interface Ready {
  consoleUrl: string;
  url: string;
  adminToken: string;
  apiKey: string;
}

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: { ok: boolean; data?: any; code?: string } }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as { ok: boolean; data?: any; code?: string } };
}

async function expectAccessible(page: Page, view: string): Promise<void> {
  const result = await axe(page);
  expect(result.serious, `serious axe-core violations in the ${view} view`).toEqual([]);
}

describe.skipIf(!CHROMIUM)('the console in headless Chromium', () => {
  let server: Served;
  let ready: Ready;
  let browser: Browser;

  beforeAll(async () => {
    // A manual clock: nothing arrives by itself, so every SMS seen is the one the test delivered.
    server = await serve(['--ephemeral', '--clock', 'manual']);
    ready = JSON.parse(server.output().stdout.split('\n')[0]!) as Ready;
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('follows the whole journey of issue #13 item 7', { timeout: 120_000 }, async () => {
    expect(ready.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=jlt_/);

    // 1. Open the console from the printed URL: the link signs this browser in as an operator.
    const dev = await browser.page();
    await dev.goto(ready.consoleUrl);
    await dev.getByRole('heading', { level: 1, name: 'Developer' }).waitFor();
    expect(dev.url()).not.toContain('token=');
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === 'jiema_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await dev.evaluate('document.cookie')).toBe('');
    // The link works once.
    const again = await call(ready.url, 'POST', '/console/v1/session/token', {}, { token: ready.consoleUrl.split('#token=')[1] });
    expect(again.status).toBe(401);
    await expectAccessible(dev, 'developer');

    // 2. Buy a number from the account view (a second tab, left open from here on).
    const account = await browser.page();
    await account.goto(`${ready.url}/#/account`);
    await account.getByRole('heading', { level: 1, name: /Account/ }).waitFor();
    await account.getByLabel('Service').selectOption('tg');
    const buy = account.getByRole('button', { name: /^Buy for \$/ });
    await buy.waitFor();
    await expect.poll(() => buy.isEnabled()).toBe(true);
    await buy.click();
    const card = account.locator('li.card').first();
    await card.waitFor();
    const phone = (await card.getAttribute('aria-label'))!.match(/\+\d+/)![0];
    await card.getByText('Waiting for an SMS…').waitFor();
    await account.evaluate('window.__notReloaded = true');
    await expectAccessible(account, 'account');
    await screenshot(account, 'account-numbers');

    // 3. Deliver an SMS from the developer view.
    const row = dev.getByRole('button', { name: new RegExp(`^Deliver SMS to \\${phone} `) });
    await row.waitFor();
    await row.click();
    await dev.getByLabel(/SMS text/).fill('Your Telegram code is 482913. Do not share it.');
    await dev
      .getByRole('form', { name: `Deliver an SMS to ${phone}` })
      .getByRole('button', { name: 'Deliver SMS' })
      .click();

    // 4. The code appears in the account tab, which never reloaded, and in the developer inbox.
    await card.locator('mark.code', { hasText: '482913' }).waitFor({ timeout: 5_000 });
    expect(await account.evaluate('window.__notReloaded')).toBe(true);
    await card.getByRole('button', { name: 'Copy code 482913' }).waitFor();
    await dev.locator('.inbox mark.code', { hasText: '482913' }).waitFor({ timeout: 5_000 });
    await screenshot(dev, 'developer-orders-and-inbox');
    await screenshot(account, 'account-sms-arrived');

    // 5. Create a key, see it work, revoke it, and see the API refuse it.
    await account.getByRole('link', { name: 'API keys' }).click();
    await account.getByLabel('Name (optional)').fill('e2e');
    await account.getByRole('button', { name: 'Create a key' }).click();
    const key = (await account.locator('.created-key code.secret').textContent())!;
    expect(key).toMatch(/^jm_[0-9A-Za-z]{43}$/);
    expect((await call(ready.url, 'GET', '/api/v1/account', { authorization: `Bearer ${key}` })).status).toBe(200);
    await expectAccessible(account, 'API keys');
    await screenshot(account, 'account-keys');
    const keyRow = account.getByRole('row').filter({ hasText: `jm_…${key.slice(-4)}` });
    await keyRow.getByRole('button', { name: 'Revoke' }).click();
    await keyRow.getByRole('button', { name: 'Yes, revoke' }).click();
    await keyRow.getByText(/^revoked/).waitFor();
    const refused = await call(ready.url, 'GET', '/api/v1/account', { authorization: `Bearer ${key}` });
    expect(refused).toMatchObject({ status: 401, json: { ok: false, code: 'AUTH_INVALID' } });

    // 6. Arm an upstream fault, buy again, and see the 503 in the request journal.
    await dev.getByRole('link', { name: 'Faults, stock, reset' }).click();
    await dev.getByLabel('Kind').selectOption('error');
    await dev.getByLabel('Error').selectOption('UNAVAILABLE');
    await dev.getByLabel('Upstream call').selectOption('buy');
    await dev.getByLabel('How many calls').fill('1');
    await dev.getByRole('button', { name: 'Arm the fault' }).click();
    await dev.getByText(/error UNAVAILABLE on buy/).waitFor();
    await expectAccessible(dev, 'developer controls');
    await screenshot(dev, 'developer-controls');
    await account.getByRole('link', { name: 'Numbers' }).click();
    await account.getByRole('button', { name: /^Buy for \$/ }).click();
    await account
      .getByRole('alert')
      .getByText(/503 UPSTREAM_UNAVAILABLE/)
      .waitFor();
    await dev.getByRole('link', { name: 'Request journal' }).click();
    const failed = dev.getByRole('row').filter({ hasText: 'POST' }).filter({ hasText: '/api/v1/orders' }).filter({ hasText: '503' });
    await failed.first().waitFor({ timeout: 5_000 });
    expect(await failed.first().textContent()).toMatch(/ms/);
    await expectAccessible(dev, 'request journal');
    await screenshot(dev, 'developer-journal');
    await dev.getByRole('link', { name: 'Event log' }).click();
    await dev.getByRole('row').filter({ hasText: 'fault.fired' }).first().waitFor();
    await expectAccessible(dev, 'event log');
    await screenshot(dev, 'developer-events');

    // The operator's pages.
    await dev.getByRole('link', { name: 'Operator' }).click();
    await dev.getByRole('heading', { level: 1, name: 'Operator' }).waitFor();
    await dev.getByRole('button', { name: /^Open Demo/ }).click();
    await dev.getByRole('heading', { name: 'User: Demo' }).waitFor();
    await expectAccessible(dev, 'operator users');
    await screenshot(dev, 'operator-users');
    for (const [link, name] of [
      ['Orders', 'orders'],
      ['Pricing', 'pricing'],
      ['Outbox', 'outbox'],
      ['Upstream', 'upstream'],
    ] as const) {
      await dev.getByRole('navigation', { name: 'Operator pages' }).getByRole('link', { name: link }).click();
      await dev.getByRole('heading', { level: 2 }).first().waitFor();
      await expectAccessible(dev, `operator ${name}`);
    }
    await dev.getByRole('heading', { name: 'Upstream' }).waitFor();
    await dev.getByText('Balance at the provider').waitFor();
    await screenshot(dev, 'operator-upstream');

    // The sign-in page, in a browser without a session.
    const fresh = await browser.context.browser()?.newContext();
    if (fresh) await fresh.close();
    await browser.context.clearCookies();
    const signin = await browser.page();
    await signin.goto(`${ready.url}/`);
    await signin.getByRole('heading', { name: 'Sign in to the jiema console' }).waitFor();
    await expectAccessible(signin, 'sign-in');
    await screenshot(signin, 'sign-in');
    // With the demo key: the user's own account pages, no operator view.
    await signin.getByLabel('API key or admin token').fill(ready.apiKey);
    await signin.getByRole('button', { name: 'Sign in' }).click();
    await signin.getByRole('heading', { level: 1, name: /Account/ }).waitFor();
    expect(await signin.getByRole('link', { name: 'Operator' }).count()).toBe(0);

    expect(browser.problems).toEqual([]);
  });

  it('keeps a list of 1,000 orders responsive in the developer view', { timeout: 180_000 }, async () => {
    const admin = { 'x-admin-token': ready.adminToken };
    expect((await call(ready.url, 'PUT', '/_sim/v1/stock', admin, { service: 'tg', country: 7, count: 5_000 })).status).toBe(200);
    await browser.context.clearCookies();
    const page = await browser.page();
    await page.goto(`${ready.url}/`);
    await page.getByLabel('API key or admin token').fill(ready.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Developer' }).waitFor();
    const before = Number((await call(ready.url, 'GET', '/console/v1/orders?limit=500', admin)).json.data.items.length);

    // 100 users buy 10 numbers each (the write limit is 10 a minute per key), while the page watches.
    const started = performance.now();
    const users = await Promise.all(
      Array.from({ length: 100 }, () => call(ready.url, 'POST', '/_sim/v1/users', admin, { balanceCents: 10_000 })),
    );
    await Promise.all(
      users.map(async (u) => {
        for (let i = 0; i < 10; i++) {
          const r = await call(
            ready.url,
            'POST',
            '/api/v1/orders',
            { authorization: `Bearer ${u.json.data.apiKey}` },
            { service: 'tg', country: 7 },
          );
          expect(r.status).toBe(200);
        }
      }),
    );
    const created = performance.now();
    const total = before + 1_000;
    await expect.poll(() => page.locator('#h-orders').textContent(), { timeout: 10_000 }).toBe(`Orders (${total.toLocaleString('en-US')})`);
    const shown = performance.now();

    // Only the rows in view are in the document, whatever the length.
    const table = page.getByRole('table', { name: 'Orders, newest first' });
    expect(await table.getAttribute('aria-rowcount')).toBe(String(total + 1));
    const rendered = await table.getByRole('row').count();
    expect(rendered).toBeLessThan(60);

    // Scrolling to the end shows the oldest order; a click there still answers.
    const scrollStart = performance.now();
    await page.evaluate(`document.querySelector('[aria-label="Orders, newest first"] .vbody').scrollTop = 1e9`);
    await table.locator(`[aria-rowindex="${total + 1}"]`).waitFor({ timeout: 2_000 });
    const scrolled = performance.now();
    await table
      .locator(`[aria-rowindex="${total + 1}"]`)
      .getByRole('button', { name: /^Deliver SMS to/ })
      .click();
    await page.getByLabel(/SMS text/).waitFor();
    await expectAccessible(page, 'developer with 1,000 orders');
    await screenshot(page, 'developer-1000-orders');
    console.info(
      `[console e2e] 1,000 orders: bought in ${Math.round(created - started)} ms; all listed ${Math.round(shown - created)} ms after the last buy; ${rendered} rows in the DOM; scrolled to the oldest in ${Math.round(scrolled - scrollStart)} ms`,
    );
    expect(browser.problems).toEqual([]);
  });
});
