/**
 * `npm run build:release`: the release tarball the seed tutorial downloads, in the reference's layout
 * (pushgateway-<version>.linux-amd64.tar.gz holding a folder of the same name with the binary
 * `pushgateway`), named pushgateway-ts-<version>.linux-amd64.tar.gz: the single executable
 * (dist/binary/, `npm run build:binary` first), LICENSE, NOTICE (the licences of Node.js and every bundled
 * package), README.md and the systemd unit; beside it sha256sums.txt in `sha256sum -c` format.
 * Entries are sorted, owned by root and dated SOURCE_DATE_EPOCH (else the build time), so the same inputs
 * give the same archive.
 *
 * Usage: node scripts/build-release.js   (writes dist/release/)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const folder = `pushgateway-ts-${version}.linux-amd64`;
const tarball = `${folder}.tar.gz`;
const out = path.join(root, 'dist/release');
const stage = path.join(out, folder);

rmSync(out, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const files = [
  ['dist/binary/pushgateway', 'pushgateway', 0o755],
  ['LICENSE', 'LICENSE', 0o644],
  ['dist/binary/NOTICE', 'NOTICE', 0o644],
  ['README.md', 'README.md', 0o644],
  ['deploy/pushgateway.service', 'pushgateway.service', 0o644],
];
for (const [from, to, mode] of files) {
  copyFileSync(path.join(root, from), path.join(stage, to));
  chmodSync(path.join(stage, to), mode);
}
const epoch = process.env.SOURCE_DATE_EPOCH ?? String(Math.floor(Date.now() / 1000));
execFileSync(
  'tar',
  [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    `--mtime=@${epoch}`,
    '--use-compress-program=gzip -9 -n', // -n: no name or time in the gzip header
    '-cf',
    tarball,
    folder,
  ],
  { cwd: out },
);
rmSync(stage, { recursive: true });
const sum = createHash('sha256')
  .update(readFileSync(path.join(out, tarball)))
  .digest('hex');
writeFileSync(path.join(out, 'sha256sums.txt'), `${sum}  ${tarball}\n`);
process.stdout.write(`dist/release/${tarball}\n`);
