/**
 * `npm run build:deb`: the Debian package pushgateway-ts_<version>_amd64.deb, built with dpkg-deb from the
 * single executable (dist/binary/, `npm run build:binary` first). It installs /usr/bin/pushgateway, the
 * unit /lib/systemd/system/pushgateway.service (deploy/debian/), its flags in /etc/default/pushgateway (a
 * conffile: an upgrade keeps local edits), the man page from `pushgateway --help-man`, and the copyright
 * (NOTICE); the maintainer scripts create the `pushgateway` system user and /var/lib/pushgateway, and
 * purge removes them (docs/packaging.md).
 *
 * Usage: node scripts/build-deb.js [out dir]   (default dist/deb/; DEB_VERSION overrides the version,
 * which the upgrade test uses to build a newer package)
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = process.env.DEB_VERSION ?? pkg.version;
const out = path.resolve(process.argv[2] ?? path.join(root, 'dist/deb'));
const stage = path.join(out, `pushgateway-ts_${version}_amd64`);
const binary = path.join(root, 'dist/binary/pushgateway');
const date = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000)) * 1000);
const MAINTAINER = 'pushgateway-ts maintainers <pushgateway-ts@users.noreply.github.com>';

function put(rel, content, mode = 0o644) {
  const file = path.join(stage, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  if (Buffer.isBuffer(content) || typeof content === 'string') writeFileSync(file, content);
  else copyFileSync(content.from, file);
  chmodSync(file, mode);
}

/** Installed-Size: KiB of everything outside DEBIAN/. */
function installedKiB(dir) {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.name === 'DEBIAN') continue;
    bytes += e.isDirectory() ? installedKiB(p) * 1024 : statSync(p).size;
  }
  return Math.ceil(bytes / 1024);
}

rmSync(stage, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
put('usr/bin/pushgateway', { from: binary }, 0o755);
put('lib/systemd/system/pushgateway.service', { from: path.join(root, 'deploy/debian/pushgateway.service') });
put('etc/default/pushgateway', { from: path.join(root, 'deploy/debian/default') });
// kingpin's man page (what the reference prints) has a bare name under NAME; whatis and lintian want
// `name \- summary` there.
const man = execFileSync(binary, ['--help-man'], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' }).replace(
  /^\.SH "NAME"\npushgateway\n/m,
  '.SH "NAME"\npushgateway \\- Prometheus Pushgateway (pushgateway-ts)\n',
);
put('usr/share/man/man1/pushgateway.1.gz', gzipSync(man, { level: 9 }));
const doc = 'usr/share/doc/pushgateway-ts';
put(
  `${doc}/copyright`,
  'pushgateway-ts: a drop-in Prometheus Pushgateway in TypeScript.\n\n' +
    'License: Apache-2.0; on Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n\n' +
    readFileSync(path.join(root, 'dist/binary/NOTICE'), 'utf8'),
);
const rfc2822 = date.toUTCString().replace('GMT', '+0000');
put(
  `${doc}/changelog.gz`,
  gzipSync(
    `pushgateway-ts (${version}) unstable; urgency=medium\n\n` +
      `  * Built from pushgateway-ts ${pkg.version} by scripts/build-deb.js.\n\n -- ${MAINTAINER}  ${rfc2822}\n`,
    { level: 9 },
  ),
);
put('usr/share/lintian/overrides/pushgateway-ts', { from: path.join(root, 'deploy/debian/lintian-overrides') });
for (const script of ['postinst', 'prerm', 'postrm']) {
  put(`DEBIAN/${script}`, { from: path.join(root, 'deploy/debian', script) }, 0o755);
}
put('DEBIAN/conffiles', '/etc/default/pushgateway\n');
put(
  'DEBIAN/control',
  [
    'Package: pushgateway-ts',
    `Version: ${version}`,
    'Architecture: amd64',
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${installedKiB(stage)}`,
    // What the Node.js inside links against (ldd /usr/bin/pushgateway); useradd and getent are essential.
    'Depends: libc6 (>= 2.28), libstdc++6 (>= 8), libgcc-s1',
    'Section: net',
    'Priority: optional',
    'Homepage: https://github.com/prometheus/pushgateway',
    'Description: Prometheus Pushgateway, rebuilt in TypeScript (single executable)',
    ' A drop-in replacement for the Prometheus Pushgateway: batch jobs push their',
    ' metrics to it and Prometheus scrapes them. Same flags, push API, status codes',
    ' and exposition as the Go reference. The executable carries its own Node.js.',
    '',
  ].join('\n'),
);
const deb = path.join(out, `pushgateway-ts_${version}_amd64.deb`);
execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', stage, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
rmSync(stage, { recursive: true });
process.stdout.write(`${path.relative(root, deb)}\n`);
