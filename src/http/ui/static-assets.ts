/**
 * The UI's assets, held in memory and served under `<prefix>/static/`: no files on disk, no CDN. Links
 * carry `?v=<revision>` (as the reference's), so a long cache lifetime is safe across upgrades.
 */
import { createHash } from 'node:crypto';
import { UI_CSS } from './ui-style.js';
import { UI_JS } from './ui-script.js';

export interface StaticAsset {
  contentType: string;
  body: Buffer;
  etag: string;
}

function asset(contentType: string, text: string): StaticAsset {
  const body = Buffer.from(text, 'utf8');
  return { contentType, body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/** A simple favicon: an SVG circle in Prometheus orange. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#e6522c"/></svg>';

const ASSETS: ReadonlyMap<string, StaticAsset> = new Map([
  ['ui.css', asset('text/css; charset=utf-8', UI_CSS)],
  ['ui.js', asset('text/javascript; charset=utf-8', UI_JS)],
  ['favicon.svg', asset('image/svg+xml', FAVICON)],
]);

/** Cache lifetime of an asset in seconds (a day). */
export const STATIC_MAX_AGE = 86400;

/** The asset at a path below `/static/` (without the leading `/`), or undefined. */
export function staticAsset(file: string): StaticAsset | undefined {
  return ASSETS.get(file);
}
