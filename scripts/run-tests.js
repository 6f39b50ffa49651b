/**
 * `npm test` after the build: runs the compiled test files, dist/test/**\/*.test.js, and nothing else
 * (Node 20's `node --test dist/test/` would also run every .js under a directory named `test`: the
 * helpers, the client plumbing, the oracles), two files at a time.
 *
 * Each file is bounded by FILE_TIMEOUT_MS, so a hang fails that file instead of blocking CI. In Node 20
 * `--test-timeout` bounds each test file as a whole (the per-test `timeout` options inside a file still
 * apply), so it is set above the slowest file: big-push-slicing.test.js took 42 s and bad-input.test.js
 * 15 s in a quiet run, bad-input 140 s on a loaded 2-core machine; its own describe allows 600 s.
 *
 * Arguments keep only the files whose path contains one of them: `npm test -- push-logging json-api`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE_TIMEOUT_MS = 600_000;
const CONCURRENCY = 2;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'dist/test');

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(file);
    return entry.isFile() && entry.name.endsWith('.test.js') ? [file] : [];
  });
}

const filters = process.argv.slice(2);
const files = testFiles(testDir)
  .sort()
  .filter((f) => filters.length === 0 || filters.some((s) => path.relative(root, f).includes(s)));
if (files.length === 0) {
  console.error(`no test files${filters.length > 0 ? ` matching ${filters.join(', ')}` : ''} under ${testDir}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${CONCURRENCY}`, `--test-timeout=${FILE_TIMEOUT_MS}`, ...files],
  { stdio: 'inherit' },
);
if (r.error !== undefined) throw r.error;
process.exit(r.status ?? 1);
