/**
 * Version and build information, stamped at build time into build-info.json next to this module
 * (scripts/build-info.js, the last step of `npm run build`). Nothing runs git here: installed inside
 * another repository, the gateway still reports its own build. Without the stamp (a bare `tsc`), the
 * version comes from package.json and everything else is `unknown`.
 */
import { readFileSync } from 'node:fs';

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

const stamp = readJson(new URL('./build-info.json', import.meta.url));

export const VERSION =
  text(stamp.version) ?? text(readJson(new URL('../../package.json', import.meta.url)).version) ?? 'unknown';
export const REVISION = text(stamp.revision) ?? 'unknown';
export const BRANCH = text(stamp.branch) ?? 'unknown';
export const BUILD_DATE = text(stamp.buildDate) ?? 'unknown';
