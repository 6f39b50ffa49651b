/**
 * Makes the UI's screenshots, docs/ui.png (light) and docs/ui-dark.png (dark, the browser preferring a dark
 * scheme), with realistic data: a gateway of ours on a loopback port, groups pushed by the real Python
 * client and a native histogram as protobuf (test/helpers/ui-data.ts, minus its markup group) plus a few
 * more jobs, one group and two families expanded. Drives Debian's chromium through playwright-core
 * (test/helpers/browser.ts); downloads nothing.
 *
 * Usage: npm run build && node scripts/ui-screenshots.js [output dir]   (default: docs/)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'dist/test/helpers', p);
const { startOurs } = await import(dist('servers.js'));
const { openBrowser, browserSkipReason } = await import(dist('browser.js'));
const { pushRealisticData, pythonPush, pythonSkipReason } = await import(dist('ui-data.js'));

const missing = browserSkipReason() || (await pythonSkipReason());
if (missing) {
  console.error(`ui-screenshots: ${missing}`);
  process.exit(1);
}
const out = path.resolve(process.argv[2] ?? path.join(root, 'docs'));

const gw = await startOurs(['--web.enable-admin-api']);
try {
  await pushRealisticData(gw);
  // The markup group proves escaping in the tests; in a picture it is noise.
  const del = await fetch(
    `${gw.url}/metrics/job/xss/script@base64/${Buffer.from('<script>window.__pwned=2</script>').toString('base64url')}`,
    {
      method: 'DELETE',
    },
  );
  if (del.status !== 202) throw new Error(`deleting the markup group: ${del.status}`);
  await pythonPush(gw, [
    {
      op: 'push',
      job: 'db-migrate',
      grouping_key: { instance: 'pg-primary', env: 'prod' },
      metrics: [
        { type: 'gauge', name: 'migration_version', set: 214 },
        { type: 'counter', name: 'migration_statements', inc: 37 },
      ],
    },
    {
      op: 'push',
      job: 'cache-warmer',
      grouping_key: { region: 'eu-west-1' },
      metrics: [{ type: 'gauge', name: 'cache_keys_loaded', set: 182340 }],
    },
  ]);
  for (const scheme of ['light', 'dark']) {
    const b = await openBrowser({ colorScheme: scheme, viewport: { width: 1200, height: 900 } });
    try {
      const { page } = b;
      await page.goto(`${gw.url}/`);
      await page.fill('#stale-minutes', '60');
      const group = (job) =>
        page.locator('details.group').filter({ has: page.locator('.label.job', { hasText: job }) });
      const family = (g, name) =>
        g
          .locator('details.family')
          .filter({ has: page.locator(':scope > summary code', { hasText: new RegExp(`^${name}$`) }) });
      const backup = group('batch-backup');
      await backup.locator(':scope > summary').click();
      await family(backup, 'backup_size_bytes').locator(':scope > summary').click();
      await page.mouse.move(0, 0);
      const file = path.join(out, scheme === 'light' ? 'ui.png' : 'ui-dark.png');
      await page.screenshot({ path: file });
      if (b.errors.length > 0) throw new Error(`page errors: ${b.errors.join('; ')}`);
      console.log(`ui-screenshots: wrote ${file}`);
    } finally {
      await b.close();
    }
  }
} finally {
  await gw.stop();
}
