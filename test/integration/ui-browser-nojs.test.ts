/**
 * The UI in chromium with JavaScript turned off (test/helpers/browser.ts): reading still works. Groups and
 * families expand (they are <details>), the Status tab opens (an anchor and CSS), the filter, sort and
 * "failed only" go to the server as a GET form, the page links lead on; the delete buttons and the stale
 * threshold, which need the script, are not shown.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { browserSkipReason, openBrowser, type OpenBrowser } from '../helpers/browser.js';
import { bulkPush } from '../helpers/bulk-push.js';
import { PAGE_SIZE } from '../../src/http/ui/page-query.js';

const skip = browserSkipReason();
const GROUPS = 150;

const jobs = (page: Page): Promise<string[]> =>
  page.$$eval('details.group', (els) =>
    els.map((e) => (JSON.parse((e as HTMLElement).dataset.labels ?? '{}') as { job: string }).job),
  );

describe('UI in the browser without JavaScript', { skip }, () => {
  let gw: RunningGateway;
  let b: OpenBrowser;
  before(async () => {
    gw = await startOurs(['--web.enable-admin-api']);
    await bulkPush(gw.url, GROUPS, 2, 8);
    b = await openBrowser({ javaScript: false });
  });
  after(async () => {
    await b?.close();
    await gw?.stop();
  });

  it('groups and families expand; the Status tab opens; delete buttons and stale threshold hidden', async () => {
    const { page } = b;
    await page.goto(`${gw.url}/`);
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('js')), false);
    assert.equal(await page.locator('details.group').count(), PAGE_SIZE);
    const g = page.locator('details.group').first();
    await g.locator(':scope > summary').click();
    assert.equal(await g.evaluate((e) => (e as HTMLDetailsElement).open), true);
    const f = g.locator('details.family').first();
    await f.locator(':scope > summary').click();
    assert.equal(await f.locator('table.series').isVisible(), true);
    assert.equal(await g.locator('button.delete-group').isVisible(), false);
    assert.equal(await page.locator('#wipe').isVisible(), false);
    assert.equal(await page.locator('#stale-minutes').isVisible(), false);
    assert.equal(await page.locator('#apply').isVisible(), true);
    await page.locator('nav a', { hasText: 'Status' }).click();
    assert.equal(await page.locator('#status').isVisible(), true);
    assert.equal(await page.locator('#metrics').isVisible(), false);
    assert.deepEqual(b.errors, []);
  });

  it('filter, sort and "failed only" are a form the server applies; the page links lead on', async () => {
    const { page } = b;
    await page.goto(`${gw.url}/`);
    await page.fill('#filter', 'bulk-0014');
    await page.press('#filter', 'Enter');
    await page.waitForURL(/[?&]q=bulk-0014/);
    assert.deepEqual(
      await jobs(page),
      Array.from({ length: 10 }, (_x, i) => `bulk-0014${i}`),
    );
    await page.fill('#filter', '');
    await page.selectOption('#sort', 'newest');
    await page.click('#apply');
    await page.waitForURL(/[?&]sort=newest/);
    assert.equal((await jobs(page)).length, PAGE_SIZE);
    await page.locator('nav.pages a[rel=next]').first().click();
    await page.waitForURL(/[?&]page=2/);
    assert.equal((await jobs(page)).length, GROUPS - PAGE_SIZE);
    assert.equal(await page.inputValue('#sort'), 'newest');
    await page.check('#failed-only');
    await page.click('#apply');
    await page.waitForURL(/[?&]failed=1/);
    assert.deepEqual(await jobs(page), []);
    assert.deepEqual(b.errors, []);
  });
});
