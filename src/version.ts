/**
 * Version and build information, stamped at build time into build-info.json next to this module
 * (scripts/build-info.js, the last step of `npm run build`). Nothing runs git here: installed inside
 * another repository, the gateway still reports its own build. Without the stamp (a bare `tsc`), the
 * version comes from package.json and everything else is `unknown`. The single executable has the stamp
 * embedded (binary/embedded.ts).
 */
import { readFileSync } from 'node:fs';
import { EMBEDDED } from './binary/embedded.js';

interface Stamp {
  version?: unknown;
  revision?: unknown;
  branch?: unknown;
  buildDate?: unknown;
}

function readJson(url: URL): Stamp {
  try {
    const parsed: unknown = JSON.parse(readFileSync(url, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Stamp) : {};
  } catch {
    return {};
  }
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

// The single executable carries its stamp inside (no files beside it); a dist/ build reads the file.
const stamp: Stamp = EMBEDDED?.buildInfo ?? readJson(new URL('./build-info.json', import.meta.url));

export const VERSION =
  text(stamp.version) ??
  (EMBEDDED === undefined ? text(readJson(new URL('../../package.json', import.meta.url)).version) : undefined) ??
  'unknown';
export const REVISION = text(stamp.revision) ?? 'unknown';
export const BRANCH = text(stamp.branch) ?? 'unknown';
export const BUILD_DATE = text(stamp.buildDate) ?? 'unknown';
