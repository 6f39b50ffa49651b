/**
 * Last step of `npm run build`: stamps the build information into dist/src/build-info.json, which
 * src/version.ts reads (no git at run time, so a gateway installed inside some other repository does not
 * report that repository's revision).
 *
 * version comes from package.json; revision and branch from git, but only when this project's root is
 * itself the top of a git checkout (a tarball unpacked inside another repository is not our checkout);
 * otherwise they are `unknown`. The date is now, or SOURCE_DATE_EPOCH for reproducible builds, in the
 * reference's layout (Go's 20060102-15:04:05, UTC).
 *
 * Usage: node scripts/build-info.js [output file]   (default: dist/src/build-info.json of this tree)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** git's answer in the project root, or undefined when git is missing or fails. */
function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

function samePath(a, b) {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function version() {
  try {
    return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function buildDate() {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const d = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
  const p = (n) => String(n).padStart(2, '0');
  return (
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  );
}

const top = git(['rev-parse', '--show-toplevel']);
const ours = top !== undefined && samePath(top, root);
const info = {
  version: version(),
  revision: (ours && git(['rev-parse', 'HEAD'])) || 'unknown',
  // A detached HEAD (CI checks out a commit) has no branch: git answers `HEAD`.
  branch: (ours && git(['rev-parse', '--abbrev-ref', 'HEAD'])) || 'unknown',
  buildDate: buildDate(),
};
const out = path.resolve(process.argv[2] ?? path.join(root, 'dist/src/build-info.json'));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(info, null, 2)}\n`);
