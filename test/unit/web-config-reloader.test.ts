/**
 * WebConfigReloader on real files: a change of the config file (in place, or by an atomic rename) or of a
 * certificate it names hands out a new WebConfig object; a touch with the same text keeps the object; a bad
 * change is logged with PGW_ERR_WEB_CONFIG and the last good config stays; a change that turns TLS on is held
 * back; the stat checks alone (no watcher) see a change; an open reloader does not keep the process alive.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcryptjs';
import { defaultConfig } from '../../src/cli.js';
import { startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observe/logger.js';
import { WebConfigReloader, type WebConfigReloaderOptions } from '../../src/web-config/web-config-reloader.js';
import type { WebConfig } from '../../src/web-config/web-config.js';
import { makeTestCertificates } from '../helpers/certificates.js';
import { PROJECT_ROOT } from '../helpers/servers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pgw-reloader-'));
const certs = makeTestCertificates();
const otherCerts = makeTestCertificates();
const open: WebConfigReloader[] = [];
after(() => {
  for (const r of open) r.close();
  for (const d of [dir, certs.dir, otherCerts.dir]) rmSync(d, { recursive: true, force: true });
});

const HASH = bcrypt.hashSync('pw', 4);
let fileNo = 0;

/** A fresh config file in its own folder, a reloader on it, and the lines it logs. */
function setUp(text: string, opts: WebConfigReloaderOptions = {}) {
  const folder = mkdtempSync(path.join(dir, 'case-'));
  const file = path.join(folder, `web-${++fileNo}.yml`);
  writeFileSync(file, text);
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  const reloader = WebConfigReloader.open(file, createLogger({ level: 'info', format: 'logfmt', stream }), {
    statIntervalMs: 50,
    settleMs: 20,
    ...opts,
  });
  open.push(reloader);
  return { file, folder, reloader, lines };
}

/** Calls current() (which starts the stat checks) until `ok` holds, for at most 10 s. */
async function until(reloader: WebConfigReloader, ok: (c: WebConfig) => boolean, what: string): Promise<WebConfig> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = reloader.current();
    if (ok(c)) return c;
    assert.ok(Date.now() < deadline, `not seen within 10 s: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function untilLogged(lines: string[], pattern: RegExp, reloader: WebConfigReloader): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    reloader.current();
    const line = lines.find((l) => pattern.test(l));
    if (line !== undefined) return line;
    assert.ok(Date.now() < deadline, `no log line matching ${pattern} within 10 s; got:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const users = (names: string[]) => `basic_auth_users:\n${names.map((n) => `  ${n}: ${HASH}\n`).join('')}`;

describe('WebConfigReloader', () => {
  it('hands out a new object after the file changes in place, logged as "web config reloaded"', async () => {
    const { file, reloader, lines } = setUp(users(['alice']));
    const first = reloader.current();
    writeFileSync(file, users(['bob']));
    const next = await until(reloader, (c) => c !== first, 'a new config');
    assert.deepEqual(Object.keys(next.basicAuthUsers), ['bob']);
    assert.ok(
      lines.some((l) => /level=info .*msg="web config reloaded"/.test(l)),
      lines.join('\n'),
    );
  });

  it('picks up a replacement written to a temporary file and renamed over the config file', async () => {
    const { file, folder, reloader } = setUp(users(['alice']));
    const first = reloader.current();
    const temp = path.join(folder, '.web.yml.tmp');
    writeFileSync(temp, `${users(['carol'])}http_server_config:\n  headers:\n    X-Frame-Options: deny\n`);
    renameSync(temp, file);
    const next = await until(reloader, (c) => c !== first, 'the renamed file');
    assert.deepEqual(Object.keys(next.basicAuthUsers), ['carol']);
    assert.deepEqual(next.headers, { 'X-Frame-Options': 'deny' });
  });

  it('keeps the same object after a touch or a rewrite of the same text', async () => {
    const { file, reloader, lines } = setUp(users(['alice']));
    const first = reloader.current();
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    await reloader.checkNow();
    writeFileSync(file, users(['alice']));
    await reloader.checkNow();
    assert.equal(reloader.current(), first);
    assert.ok(!lines.some((l) => /web config reloaded/.test(l)), lines.join('\n'));
  });

  it('logs a bad change with PGW_ERR_WEB_CONFIG, keeps serving the last good config, and applies the fix', async () => {
    const { file, reloader, lines } = setUp(users(['alice']));
    const first = reloader.current();
    writeFileSync(file, `${users(['alice'])}no_such_key: 1\n`);
    const line = await untilLogged(lines, /level=error /, reloader);
    assert.match(line, /code=PGW_ERR_WEB_CONFIG/);
    assert.match(line, /no_such_key: unknown key/);
    assert.match(line, /last good config keeps serving/);
    assert.equal(reloader.current(), first);
    writeFileSync(file, users(['dave']));
    const fixed = await until(reloader, (c) => c !== first, 'the fixed file');
    assert.deepEqual(Object.keys(fixed.basicAuthUsers), ['dave']);
  });

  it('logs a bad file once, however often its folder changes, until the file itself changes', async () => {
    const { file, folder, reloader, lines } = setUp(users(['alice']));
    const first = reloader.current();
    writeFileSync(file, 'basic_auth_users: [not, a, map]\n');
    await untilLogged(lines, /level=error /, reloader);
    for (let i = 0; i < 5; i++) {
      writeFileSync(path.join(folder, 'other.log'), `line ${i}\n`);
      await reloader.checkNow();
    }
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    await reloader.checkNow();
    assert.equal(lines.filter((l) => /level=error /.test(l)).length, 1, lines.join('\n'));
    assert.equal(reloader.current(), first);
    writeFileSync(file, users(['alice']));
    await untilLogged(lines, /back to the config in force/, reloader);
    assert.equal(reloader.current(), first);
  });

  it('an emptied file turns basic auth off', async () => {
    const { file, reloader } = setUp(users(['alice']));
    writeFileSync(file, '');
    const empty = await until(reloader, (c) => Object.keys(c.basicAuthUsers).length === 0, 'no users');
    assert.deepEqual(empty.headers, {});
  });

  it('hands out a new object when the certificate and key the file names change, the same text otherwise', async () => {
    const folder = mkdtempSync(path.join(dir, 'tls-'));
    const cert = path.join(folder, 'server.crt');
    const key = path.join(folder, 'server.key');
    copyFileSync(certs.serverCert, cert);
    copyFileSync(certs.serverKey, key);
    const { reloader } = setUp(`tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\n`);
    const first = reloader.current();
    assert.equal(first.tlsServerConfig?.certFile, cert);
    // Both files of the new pair are written before the check (a check between the two would see a key
    // that does not belong to the certificate: logged, and the old config kept).
    writeFileSync(key, readFileSync(otherCerts.serverKey));
    writeFileSync(cert, readFileSync(otherCerts.serverCert));
    await reloader.checkNow();
    const next = await until(reloader, (c) => c !== first, 'a new config after the certificate changed');
    assert.deepEqual(next.tlsServerConfig, first.tlsServerConfig);
    writeFileSync(cert, readFileSync(otherCerts.serverCert));
    await reloader.checkNow();
    assert.equal(reloader.current(), next);
  });

  it('holds back a change that turns TLS on, logging that it needs a restart', async () => {
    const { file, reloader, lines } = setUp(users(['alice']));
    const first = reloader.current();
    writeFileSync(
      file,
      `${users(['bob'])}tls_server_config:\n  cert_file: ${certs.serverCert}\n` + `  key_file: ${certs.serverKey}\n`,
    );
    const line = await untilLogged(lines, /needs a restart/, reloader);
    assert.match(line, /level=error .*turns TLS on/);
    assert.equal(reloader.current(), first);
  });

  it('sees a change by its stat checks alone, with no watcher', async () => {
    const { file, reloader } = setUp(users(['alice']), { watch: false });
    const first = reloader.current();
    writeFileSync(file, users(['erin', 'frank']));
    const next = await until(reloader, (c) => c !== first, 'a new config without a watcher');
    assert.deepEqual(Object.keys(next.basicAuthUsers), ['erin', 'frank']);
  });

  it('stops following the file once closed', async () => {
    const { file, reloader } = setUp(users(['alice']));
    const first = reloader.current();
    reloader.close();
    writeFileSync(file, users(['bob']));
    await reloader.checkNow();
    assert.equal(reloader.current(), first);
  });

  it("is closed by the gateway's stop()", async () => {
    const { file, reloader } = setUp(users(['alice']));
    const first = reloader.current();
    const config = { ...defaultConfig(), listenAddresses: ['127.0.0.1:0'], logLevel: 'error' as const };
    const gateway = await startGateway(config, { handleSignals: false, webConfig: reloader });
    assert.equal(await gateway.stop(), 0);
    writeFileSync(file, users(['bob']));
    await reloader.checkNow();
    assert.equal(reloader.current(), first);
  });

  it('does not keep the process alive', () => {
    const { file } = setUp(users(['alice']));
    const module = pathToFileURL(path.join(PROJECT_ROOT, 'dist/src/web-config/web-config-reloader.js')).href;
    const logger = pathToFileURL(path.join(PROJECT_ROOT, 'dist/src/observe/logger.js')).href;
    const script =
      `const { WebConfigReloader } = await import(${JSON.stringify(module)});` +
      `const { createLogger } = await import(${JSON.stringify(logger)});` +
      `const r = WebConfigReloader.open(${JSON.stringify(file)}, createLogger({ level: 'info', format: 'logfmt' }));` +
      `r.current(); console.log('opened');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'opened\n');
  });
});
