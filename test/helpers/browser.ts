/**
 * Debian's chromium (/usr/bin/chromium, installed by .ci/run) driven through playwright-core for the UI's
 * browser tests: headless, no sandbox (CI runs as root), nothing fetched from the network by the browser
 * itself (no component updates, sync or QUIC), a fresh user data dir per browser, removed on close.
 * Never downloads a browser: playwright-core has none, and the path is given. Every console error and
 * uncaught page error is collected, so a test can assert the page ran cleanly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { skipUnlessProgram } from './skip.js';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** False when chromium is there, else the loud `*** SKIPPED: … ***` reason. */
export function browserSkipReason(): string | false {
  return skipUnlessProgram(CHROMIUM, 'apt-get install -y chromium; .ci/run installs it');
}

export interface OpenBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of every page of the context, as text. */
  errors: string[];
  close(): Promise<void>;
}

/** Collects the console errors and page errors of `page` into `errors`. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
}

/**
 * A headless chromium with a fresh profile and one page; `colorScheme` sets prefers-color-scheme,
 * `javaScript: false` turns the page's scripts off.
 */
export async function openBrowser(
  opts: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number }; javaScript?: boolean } = {},
): Promise<OpenBrowser> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    colorScheme: opts.colorScheme ?? 'light',
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    javaScriptEnabled: opts.javaScript ?? true,
    timeout: 30_000,
  });
  const errors: string[] = [];
  const watched = new WeakSet<Page>();
  const watch = (p: Page): void => {
    if (watched.has(p)) return;
    watched.add(p);
    watchErrors(p, errors);
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  page.setDefaultTimeout(10_000);
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
