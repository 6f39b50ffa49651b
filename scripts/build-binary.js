/**
 * `npm run build:binary`: the gateway as one executable file, dist/binary/pushgateway, that runs without
 * Node.js, node_modules or network (docs/packaging.md). Runs after `npm run build` (it bundles dist/):
 *
 * 1. esbuild bundles dist/src/http/bcrypt-worker.js with bcryptjs into one CommonJS script (the worker's
 *    source, run with `new Worker(source, { eval: true })` since no file of it exists inside the binary);
 * 2. esbuild bundles the gateway thread (dist/src/binary/gateway-thread.js) and the entry point
 *    (dist/src/binary/main.js) with yaml, bcryptjs and snappyjs, writing the build information and the
 *    worker's source in as literals (src/binary/embedded.ts). CommonJS, because a Node 20 single executable
 *    runs its main script as CommonJS and can require only built-in modules;
 * 3. `node --experimental-sea-config` turns the entry point and the thread (an asset) into a blob, and
 *    postject injects it into a copy of the Node.js running this script (process.execPath);
 * 4. NOTICE lists the licences of what is inside: Node.js (with V8, OpenSSL, ICU…) and each bundled package.
 *
 * Usage: node scripts/build-binary.js   (writes dist/binary/{pushgateway,NOTICE,*.cjs,sea-config.json})
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'binary');
// The fuse postject flips so Node looks for the blob; a fixed string of Node's SEA implementation.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const NODE_LICENSE_FILES = ['/usr/share/doc/nodejs/LICENSE', path.join(path.dirname(process.execPath), '../LICENSE')];

/** Bundles one dist/ module for Node 20 as CommonJS; returns its text and the packages it took in. */
async function bundle(entry, define) {
  const result = await build({
    entryPoints: [path.join(dist, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    metafile: true,
    legalComments: 'eof',
    define,
    // Each import.meta.url left is in a branch the embedded values make unreachable (version.ts,
    // serial-bcrypt.ts) or compares it with argv[1] (cli.ts's entry check, false here as it should be):
    // a URL that names no file keeps those expressions well-defined instead of `undefined`.
    logOverride: { 'empty-import-meta': 'silent' },
    logLevel: 'warning',
  });
  const packages = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
  // Named in stack traces (and the log's caller key) instead of `[worker eval]` when run from a string.
  const text = `${result.outputFiles[0].text}//# sourceURL=${path.basename(entry, '.js')}.cjs\n`;
  return { text, packages };
}

const MIT = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following
conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED
TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL
THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
`;

function notice(packages) {
  const parts = [
    'pushgateway-ts single executable: third-party software inside it.\n',
    'Licence of pushgateway-ts itself: LICENSE (Apache-2.0).\n',
  ];
  const nodeLicense = NODE_LICENSE_FILES.find((f) => existsSync(f));
  if (nodeLicense === undefined) throw new Error('build-binary: no Node.js LICENSE file found to put in NOTICE');
  parts.push(`\n==== Node.js ${process.version} (the runtime the executable is made of) ====\n\n`);
  parts.push(readFileSync(nodeLicense, 'utf8'));
  for (const name of [...packages].sort()) {
    const dir = path.join(root, 'node_modules', name);
    const meta = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license'].find((f) => existsSync(path.join(dir, f)));
    parts.push(`\n==== ${name} ${meta.version} (${meta.license}) ====\n\n`);
    if (file !== undefined) {
      parts.push(readFileSync(path.join(dir, file), 'utf8'));
    } else if (meta.license === 'MIT') {
      // node-redis's packages (@redis/*, redis) name MIT in package.json but ship no licence file.
      const repo = typeof meta.repository === 'string' ? meta.repository : (meta.repository?.url ?? 'its repository');
      parts.push(`The npm package ships no licence file; its package.json names MIT. Source: ${repo}.\n\n${MIT}`);
    } else {
      throw new Error(`build-binary: ${name} has no licence file to put in NOTICE (license: ${meta.license})`);
    }
  }
  return parts.join('');
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const worker = await bundle('src/http/bcrypt-worker.js', {});
const embedded = {
  buildInfo: JSON.parse(readFileSync(path.join(dist, 'src/build-info.json'), 'utf8')),
  bcryptWorkerSource: worker.text,
};
const define = {
  __PUSHGATEWAY_EMBEDDED__: JSON.stringify(embedded),
  'import.meta.url': JSON.stringify('file:///pushgateway-single-executable/src/module.js'),
};
const thread = await bundle('src/binary/gateway-thread.js', define);
const entry = await bundle('src/binary/main.js', define);
writeFileSync(path.join(out, 'gateway-thread.cjs'), thread.text);
writeFileSync(path.join(out, 'main.cjs'), entry.text);
writeFileSync(path.join(out, 'NOTICE'), notice(new Set([...worker.packages, ...thread.packages, ...entry.packages])));

const seaConfig = {
  main: path.join(out, 'main.cjs'),
  output: path.join(out, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  // Compiled once at build: the entry point starts a little faster (measured in docs/packaging.md).
  useCodeCache: true,
  assets: { 'gateway-thread.cjs': path.join(out, 'gateway-thread.cjs') },
};
writeFileSync(path.join(out, 'sea-config.json'), `${JSON.stringify(seaConfig, null, 2)}\n`);
execFileSync(process.execPath, ['--experimental-sea-config', path.join(out, 'sea-config.json')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const binary = path.join(out, 'pushgateway');
copyFileSync(process.execPath, binary);
// postject's LIEF warns about Node's unnamed .note sections on every run; its output is dropped, failures
// still fail the build (exit status).
execFileSync(
  process.execPath,
  [
    path.join(root, 'node_modules/postject/dist/cli.js'),
    binary,
    'NODE_SEA_BLOB',
    seaConfig.output,
    '--sentinel-fuse',
    SEA_FUSE,
  ],
  { stdio: ['ignore', 'ignore', 'ignore'] },
);
rmSync(seaConfig.output);
process.stdout.write(`${path.relative(root, binary)}: ${(readFileSync(binary).length / 2 ** 20).toFixed(1)} MiB\n`);
