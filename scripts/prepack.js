/**
 * `npm pack` / `npm publish` step: the package ships dist/src/ (package.json `files`), which is built, not
 * committed, so this runs `npm run build` when dist/src/ is missing or stale and leaves a fresh build alone
 * (a build empties dist/ and takes about 20 s on a 2-core machine).
 *
 * Stale means: no dist/src/cli.js or dist/src/build-info.json; a file under src/ newer than the stamp; the
 * stamp's version is not package.json's; or, in a git checkout of this project, the stamp's revision is not
 * HEAD (so `--version` of the installed package names the commit it was packed from).
 *
 * Usage: node scripts/prepack.js [--check]   (--check prints the decision and builds nothing)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = path.join(root, 'dist/src/build-info.json');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(file) : statSync(file).mtimeMs);
  }
  return newest;
}

/** HEAD of this project's own checkout, or undefined (no git, or the project sits inside another repo). */
function head() {
  try {
    const git = (args) =>
      execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
        .toString()
        .trim();
    return realpathSync(git(['rev-parse', '--show-toplevel'])) === realpathSync(root)
      ? git(['rev-parse', 'HEAD'])
      : undefined;
  } catch {
    return undefined;
  }
}

/** Why dist/src/ must be built again, or undefined when it is fresh. */
function staleReason() {
  if (!existsSync(path.join(root, 'dist/src/cli.js')) || !existsSync(stampFile)) return 'dist/src/ is not built';
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  if (stamp.version !== version) return `built as ${stamp.version}, package.json says ${version}`;
  if (newestMtime(path.join(root, 'src')) > statSync(stampFile).mtimeMs) return 'src/ changed since the build';
  const revision = head();
  if (revision !== undefined && stamp.revision !== revision) return `built from ${stamp.revision}, HEAD is ${revision}`;
  return undefined;
}

const reason = staleReason();
if (process.argv.includes('--check')) {
  console.log(reason === undefined ? 'dist/src/ is up to date' : `would build: ${reason}`);
} else if (reason === undefined) {
  console.error('prepack: dist/src/ is up to date, not rebuilding');
} else {
  console.error(`prepack: ${reason}; running npm run build`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
