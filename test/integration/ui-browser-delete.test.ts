/**
 * Deleting from the UI in a real browser (test/helpers/browser.ts), each result checked over HTTP through
 * /api/v1/metrics: "Delete group" asks first (dismissing deletes nothing, accepting deletes exactly that
 * group, a value with '/' included, through its @base64 URL), "Delete all N groups" with
 * --web.enable-admin-api likewise; the counts on the page follow. The same at the root, under
 * --web.route-prefix, under --web.external-url (whose path is the route prefix), and behind a reverse
 * proxy that strips the external URL's path: the stylesheet and script load (no console errors), the
 * links and the delete URLs resolve.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dialog, Page } from 'playwright-core';
import { freePort, startOurs, type RunningGateway } from '../helpers/servers.js';
import { browserSkipReason, openBrowser, type OpenBrowser } from '../helpers/browser.js';
import { PUSH_ORDER, apiJobs, pushRealisticData, pythonSkipReason } from '../helpers/ui-data.js';

const skip = browserSkipReason() || (await pythonSkipReason());

/** A reverse proxy on a loopback port: `/<strip>/x` is forwarded to `target` as `/x`. */
async function strippingProxy(strip: string, target: string): Promise<{ url: string; close(): Promise<void> }> {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').startsWith(`${strip}/`) ? (req.url ?? '/').slice(strip.length) : null;
    if (path === null) {
      res.writeHead(404).end('not behind the prefix\n');
      return;
    }
    const up = http.request({ host: t.hostname, port: t.port, path, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${strip}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Setup {
  name: string;
  /** Starts the gateway; `api` is where /api/v1/metrics is reached, `page` where the browser opens it. */
  start(): Promise<{ gw: RunningGateway; api: string; page: string; close?: () => Promise<void> }>;
}

const SETUPS: Setup[] = [
  {
    name: 'at the root',
    start: async () => {
      const gw = await startOurs(['--web.enable-admin-api']);
      return { gw, api: gw.url, page: `${gw.url}/` };
    },
  },
  {
    name: 'under --web.route-prefix=/pre',
    start: async () => {
      const gw = await startOurs(['--web.enable-admin-api', '--web.route-prefix=/pre'], { prefix: '/pre' });
      return { gw, api: gw.url, page: `${gw.url}/` };
    },
  },
  {
    name: 'under --web.external-url=http://127.0.0.1:PORT/ext/',
    start: async () => {
      const port = await freePort();
      const ext = `--web.external-url=http://127.0.0.1:${port}/ext/`;
      const gw = await startOurs(['--web.enable-admin-api', ext], { port, prefix: '/ext' });
      return { gw, api: gw.url, page: `${gw.url}/` };
    },
  },
  {
    name: 'behind a proxy stripping /proxied (--web.external-url with --web.route-prefix=/)',
    start: async () => {
      // The proxy's port is known only once it listens: start it towards a port reserved for the gateway.
      const port = await freePort();
      const proxy = await strippingProxy('/proxied', `http://127.0.0.1:${port}`);
      const ext = `--web.external-url=${proxy.url}/`;
      const gw = await startOurs(['--web.enable-admin-api', ext, '--web.route-prefix=/'], { port });
      return { gw, api: gw.url, page: `${proxy.url}/`, close: proxy.close };
    },
  },
];

/** Clicks `selector` and answers the confirmation it opens (the click returns once it is answered). */
async function clickAndAnswer(page: Page, selector: string, accept: boolean): Promise<string> {
  let seen: Dialog | undefined;
  page.once('dialog', (d) => {
    seen = d;
    void (accept ? d.accept() : d.dismiss());
  });
  await page.locator(selector).click();
  assert.ok(seen !== undefined, `no confirmation after clicking ${selector}`);
  assert.equal(seen.type(), 'confirm');
  return seen.message();
}

const deleteButton = (job: string): string =>
  `details.group:has(> summary .label.job:text-is('job="${job}"')) button.delete-group`;

for (const setup of SETUPS) {
  describe(`UI in the browser: deleting, ${setup.name}`, { skip }, () => {
    let s: Awaited<ReturnType<Setup['start']>>;
    let b: OpenBrowser;
    before(async () => {
      s = await setup.start();
      await pushRealisticData(s.gw);
      b = await openBrowser();
    });
    after(async () => {
      await b?.close();
      await s?.gw.stop();
      await s?.close?.();
    });

    it('the page loads its stylesheet and script from the right place and its links resolve', async () => {
      const { page } = b;
      const res = await page.goto(s.page);
      assert.equal(res?.status(), 200);
      assert.equal(await page.evaluate(() => document.documentElement.classList.contains('js')), true);
      assert.equal(await page.locator('nav').evaluate((e) => getComputedStyle(e).display), 'flex');
      const icon = await page.locator('link[rel=icon]').evaluate((e) => (e as HTMLLinkElement).href);
      const iconRes = await fetch(icon);
      assert.equal(iconRes.status, 200, icon);
      await iconRes.arrayBuffer();
      await page.locator('nav a.brand').click();
      await page.waitForLoadState('load');
      assert.equal(await page.locator('#group-count').textContent(), '5 groups');
      assert.deepEqual(b.errors, []);
    });

    it('"Delete group": dismissed deletes nothing, accepted deletes that group only', async () => {
      const { page } = b;
      await page.goto(s.page);
      await page.locator(`details.group:has(> summary .label.job:text-is('job="nightly-report"')) > summary`).click();
      const msg = await clickAndAnswer(page, deleteButton('nightly-report'), false);
      assert.match(msg, /delete all metrics of group \{job="nightly-report"\}/);
      assert.deepEqual(await apiJobs(s.api), [...PUSH_ORDER].sort());
      assert.equal(await page.locator('details.group').count(), 5);

      await clickAndAnswer(page, deleteButton('nightly-report'), true);
      await page.locator(deleteButton('nightly-report')).waitFor({ state: 'detached' });
      const left = PUSH_ORDER.filter((j) => j !== 'nightly-report').sort();
      assert.deepEqual(await apiJobs(s.api), left);
      assert.equal(await page.locator('#group-count').textContent(), '4 groups');
      assert.equal(await page.locator('#wipe').textContent(), 'Delete all 4 groups');

      // A grouping value with '/' (and markup): deleted through its @base64 URL.
      await page.locator(`details.group:has(> summary .label.job:text-is('job="xss"')) > summary`).click();
      await clickAndAnswer(page, deleteButton('xss'), true);
      await page.locator(deleteButton('xss')).waitFor({ state: 'detached' });
      assert.deepEqual(
        await apiJobs(s.api),
        left.filter((j) => j !== 'xss'),
      );
      await page.reload();
      assert.equal(await page.locator('#group-count').textContent(), '3 groups');
      assert.deepEqual(b.errors, []);
    });

    it('"Delete all N groups": dismissed deletes nothing, accepted wipes the store', async () => {
      const { page } = b;
      await page.goto(s.page);
      const n = await page.locator('details.group').count();
      assert.ok(n > 0);
      const msg = await clickAndAnswer(page, '#wipe', false);
      assert.match(msg, new RegExp(`delete all ${n} groups`));
      assert.equal((await apiJobs(s.api)).length, n);
      await clickAndAnswer(page, '#wipe', true);
      await page.locator('details.group').first().waitFor({ state: 'detached' });
      assert.deepEqual(await apiJobs(s.api), []);
      assert.equal(await page.locator('#group-count').textContent(), '0 groups');
      assert.equal(await page.locator('#wipe').isDisabled(), true);
      await page.reload();
      assert.equal(await page.locator('#group-count').textContent(), '0 groups');
      assert.equal(await page.locator('#wipe').isDisabled(), true);
      assert.deepEqual(b.errors, []);
    });
  });
}
