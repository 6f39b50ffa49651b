/**
 * The UI's pages over real HTTP, without a browser (so without JavaScript): a store bigger than one page
 * (PAGE_SIZE groups, page-query.ts) is served a page at a time with links that keep the filter, sort and
 * "failed only"; those three are query parameters the server applies over all pages; a page number past
 * the end is the last page, a malformed one the first; the filter text is escaped back into the form.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { bulkPush } from '../helpers/bulk-push.js';
import { PAGE_SIZE } from '../../src/http/ui/page-query.js';

const GROUPS = 250;

async function page(gw: RunningGateway, query = ''): Promise<string> {
  const res = await fetch(`${gw.url}/${query}`);
  assert.equal(res.status, 200);
  return res.text();
}

const jobsOf = (html: string): string[] =>
  [...html.matchAll(/<details class="group[^"]*" data-key="[^"]*" data-labels="([^"]*)"/g)].map(
    (m) => (JSON.parse(m[1]!.replace(/&#34;/g, '"')) as { job: string }).job,
  );

const hrefs = (html: string): string[] =>
  [...html.matchAll(/<a class="page" href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

describe('UI pages: a store bigger than one page', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
    await bulkPush(gw.url, GROUPS, 2, 8);
    const bad = await fetch(`${gw.url}/metrics/job/bulk-00007/instance/i-7`, { method: 'PUT', body: 'x 1 1000\n' });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
  });
  after(() => gw.stop());

  it('the first page holds PAGE_SIZE groups, in job order, with links to the others', async () => {
    const html = await page(gw);
    const jobs = jobsOf(html);
    assert.equal(jobs.length, PAGE_SIZE);
    assert.deepEqual(jobs, [...jobs].sort());
    assert.equal(jobs[0], 'bulk-00000');
    assert.match(html, /<p id="group-count">250 groups<\/p>/);
    assert.match(html, /<p id="page-info">Groups 1&ndash;100 of 250, page 1 of 3<\/p>/);
    assert.match(html, /data-total="250" data-live="0"/);
    // The same links above and below the groups.
    assert.deepEqual(hrefs(html), [
      '?page=2',
      '?page=3',
      '?page=2',
      '?page=3',
      '?page=2',
      '?page=3',
      '?page=2',
      '?page=3',
    ]);
    assert.equal(html.match(/<nav class="pages"/g)?.length, 2);
  });

  it('the last page holds the rest; past the end is the last page, a malformed number the first', async () => {
    const last = jobsOf(await page(gw, '?page=3'));
    assert.equal(last.length, GROUPS - 2 * PAGE_SIZE);
    assert.equal(last[0], 'bulk-00200');
    assert.deepEqual(jobsOf(await page(gw, '?page=99')), last);
    assert.deepEqual(jobsOf(await page(gw, '?page=abc')), jobsOf(await page(gw, '?page=0')));
    assert.equal(jobsOf(await page(gw, '?page=-1'))[0], 'bulk-00000');
  });

  it('the filter, "failed only" and sort are applied by the server over every page, kept by the links', async () => {
    const html = await page(gw, '?q=BULK-0012');
    assert.deepEqual(
      jobsOf(html),
      Array.from({ length: 10 }, (_x, i) => `bulk-0012${i}`),
    );
    assert.match(html, /value="BULK-0012"/);
    assert.match(html, /Groups 1&ndash;10 of 10 matching \(of 250\), page 1 of 1/);
    assert.match(html, /data-live="0"/);
    // A metric name and a label name match too.
    assert.equal(jobsOf(await page(gw, '?q=bulk_metric_1')).length, PAGE_SIZE);
    assert.equal(jobsOf(await page(gw, '?q=no_such')).length, 0);

    const failed = await page(gw, '?failed=1');
    assert.deepEqual(jobsOf(failed), ['bulk-00007']);
    assert.match(failed, /id="failed-only" name="failed" value="1" checked>/);

    const newest = await page(gw, '?sort=newest&q=bulk&page=2');
    assert.match(newest, /<option value="newest" selected>/);
    assert.ok(hrefs(newest).includes('?q=bulk&sort=newest&page=3'), hrefs(newest).join(' '));
    assert.ok(hrefs(newest).includes('?q=bulk&sort=newest'), 'page 1 without page=');
    const oldest = jobsOf(await page(gw, '?sort=oldest'));
    const newestFirst = jobsOf(await page(gw, '?sort=newest&page=3'));
    assert.equal(oldest.length, PAGE_SIZE);
    assert.equal(newestFirst.length, GROUPS - 2 * PAGE_SIZE);
  });

  it('the filter text is escaped back into the form', async () => {
    const html = await page(gw, `?q=${encodeURIComponent('"><script>x</script>')}`);
    assert.ok(html.includes('value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"'));
    assert.equal(html.match(/<script/g)?.length, 1);
  });
});

describe('UI pages: a store that fits on one page', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
    await bulkPush(gw.url, 3, 1, 1);
  });
  after(() => gw.stop());

  it('no pagination; the script filters in the page (data-live), unless the server filtered', async () => {
    const html = await page(gw);
    assert.equal(jobsOf(html).length, 3);
    assert.doesNotMatch(html, /<nav class="pages"|id="page-info"/);
    assert.match(html, /data-total="3" data-live="1"/);
    const filtered = await page(gw, '?q=bulk-00001');
    assert.deepEqual(jobsOf(filtered), ['bulk-00001']);
    assert.match(filtered, /data-total="3" data-live="0"/);
    assert.match(filtered, /Groups 1&ndash;1 of 1 matching \(of 3\), page 1 of 1/);
  });
});
