/**
 * A big store in the browser: 10,000 groups of 10 families each. The first page holds one page of groups
 * (PAGE_SIZE, page-query.ts) with links to the others, its bytes bounded, and it is loaded in the browser
 * with its load time printed (navigation start to DOMContentLoaded and to the load event, from the
 * Navigation Timing API) — printed, not asserted: speed belongs to `npm run bench`. The paging links and
 * a server-side filter are followed in the browser.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { browserSkipReason, openBrowser, type OpenBrowser } from '../helpers/browser.js';
import { bulkPush } from '../helpers/bulk-push.js';
import { PAGE_SIZE } from '../../src/http/ui/page-query.js';

const skip = browserSkipReason();
const GROUPS = 10_000;
const FAMILIES = 10;

describe(`UI in the browser: ${GROUPS} groups × ${FAMILIES} families`, { skip, timeout: 120_000 }, () => {
  let gw: RunningGateway;
  let b: OpenBrowser;
  before(async () => {
    gw = await startOurs();
    const t0 = Date.now();
    await bulkPush(gw.url, GROUPS, FAMILIES);
    console.log(`ui-browser-big: pushed ${GROUPS} groups × ${FAMILIES} families in ${Date.now() - t0} ms`);
    b = await openBrowser();
  });
  after(async () => {
    await b?.close();
    await gw?.stop();
  });

  it('the first page: one page of groups, pagination, bounded bytes; its load time printed', async () => {
    const res = await fetch(`${gw.url}/`);
    assert.equal(res.status, 200);
    const bytes = (await res.arrayBuffer()).byteLength;
    assert.ok(bytes < 2_000_000, `first page is ${bytes} bytes`);

    const { page } = b;
    await page.goto(`${gw.url}/`, { waitUntil: 'load' });
    const t = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, ttfb: n.responseStart, size: n.transferSize };
    });
    console.log(
      `ui-browser-big: first page of ${GROUPS} groups × ${FAMILIES} families: ${bytes} bytes, first byte ` +
        `${t.ttfb.toFixed(0)} ms, DOMContentLoaded ${t.dcl.toFixed(0)} ms, load ${t.load.toFixed(0)} ms ` +
        '(from navigation start)',
    );
    assert.equal(await page.locator('details.group').count(), PAGE_SIZE);
    assert.equal(await page.locator('#group-count').textContent(), `${GROUPS} groups`);
    assert.match((await page.locator('#page-info').textContent()) ?? '', new RegExp(`of ${GROUPS}, page 1 of 100`));
    assert.equal(await page.locator('#groups').getAttribute('data-live'), '0');
    assert.equal(await page.locator('nav.pages').count(), 2);
    assert.deepEqual(b.errors, []);
  });

  it('the page links, the server-side filter and sort, in the browser', async () => {
    const { page } = b;
    await page.goto(`${gw.url}/`);
    await page.locator('nav.pages a[rel=next]').first().click();
    await page.waitForURL(/[?&]page=2/);
    const jobs = await page.$$eval('details.group', (els) =>
      els.map((e) => (JSON.parse((e as HTMLElement).dataset.labels ?? '{}') as { job: string }).job),
    );
    assert.equal(jobs.length, PAGE_SIZE);
    assert.equal(jobs[0], `bulk-${String(PAGE_SIZE).padStart(5, '0')}`);

    // The filter goes to the server on Enter: it finds groups on every page.
    await page.fill('#filter', 'bulk-0999');
    await page.press('#filter', 'Enter');
    await page.waitForURL(/[?&]q=bulk-0999/);
    assert.equal(await page.locator('details.group').count(), 10);
    assert.match((await page.locator('#page-info').textContent()) ?? '', /10 matching \(of 10000\), page 1 of 1/);

    // Sorting submits at once and is remembered.
    await page.fill('#filter', '');
    await page.press('#filter', 'Enter');
    await page.waitForURL(/[?&]q=(&|$)/);
    await Promise.all([page.waitForURL(/[?&]sort=newest/), page.selectOption('#sort', 'newest')]);
    const shown = await page.$$eval('details.group', (els) =>
      els.map((e) => ({
        ms: Number((e as HTMLElement).dataset.pushMs),
        job: (JSON.parse((e as HTMLElement).dataset.labels ?? '{}') as { job: string }).job,
      })),
    );
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i - 1]!.ms >= shown[i]!.ms, `newest first at ${i}`);
    // Pushed 16 at a time: the newest push is one of the last ones started.
    assert.ok(Number(shown[0]!.job.slice('bulk-'.length)) >= GROUPS - 50, shown[0]!.job);
    await page.goto(`${gw.url}/`);
    await page.waitForURL(/[?&]sort=newest/);
    assert.equal(await page.inputValue('#sort'), 'newest');
    assert.deepEqual(b.errors, []);
  });
});
