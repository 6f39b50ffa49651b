/**
 * --web.config.file followed while the gateway runs (a real process, real files): users and headers
 * changed in the file apply without a restart, a bad change is logged with PGW_ERR_WEB_CONFIG while the
 * last good config keeps serving, its fix applies, a replacement renamed over the file is picked up, and
 * an emptied file turns basic auth off. The bcrypt one-liner of docs/web-config.md is run as written there
 * and its hash logs in.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { PROJECT_ROOT, type RunningGateway, startOurs } from '../helpers/servers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pgw-reload-'));
const file = path.join(dir, 'web.yml');
const auth = (user: string, password: string): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/** The `printf … | node -e …` line of docs/web-config.md, with its password replaced. */
function documentedHash(password: string): string {
  const doc = readFileSync(path.join(PROJECT_ROOT, 'docs/web-config.md'), 'utf8');
  const line = doc.split('\n').find((l) => l.startsWith("printf '%s' 'the password' | node -e "));
  assert.ok(line !== undefined, 'docs/web-config.md has no bcrypt one-liner');
  const command = line.replace("'the password'", `'${password}'`);
  return execFileSync('sh', ['-c', command], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000 }).trim();
}

let gw: RunningGateway;

before(async () => {
  writeFileSync(file, 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n');
  gw = await startOurs([`--web.config.file=${file}`]);
});

after(async () => {
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Asks `/-/healthy` until `ok` holds of the answer, for at most 15 s (a reload takes effect within ~1 s). */
async function until(headers: Record<string, string>, ok: (res: Response) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${gw.url}/-/healthy`, { headers });
    await res.arrayBuffer();
    if (ok(res)) return;
    assert.ok(Date.now() < deadline, `not seen within 15 s: ${what}\n${gw.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function status(headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${gw.url}/-/healthy`, { headers });
  await res.arrayBuffer();
  return res.status;
}

const usersFile = (users: Record<string, string>, headers: string[] = []): string =>
  'basic_auth_users:\n' +
  Object.entries(users)
    .map(([u, h]) => `  ${u}: ${h}\n`)
    .join('') +
  (headers.length > 0 ? `http_server_config:\n  headers:\n${headers.map((h) => `    ${h}\n`).join('')}` : '');

describe('--web.config.file changed while the gateway runs', () => {
  it('applies new users: the new password is accepted and the old one refused, without a restart', async () => {
    writeFileSync(file, usersFile({ alice: bcrypt.hashSync('first', 4) }));
    await until({}, (r) => r.status === 401, 'basic auth turned on');
    assert.equal(await status(auth('alice', 'first')), 200);
    // The hash made by the documented one-liner (cost 10), accepted by the gateway.
    const hash = documentedHash('second pw');
    assert.match(hash, /^\$2b\$10\$.{53}$/);
    writeFileSync(file, usersFile({ alice: hash }));
    await until(auth('alice', 'second pw'), (r) => r.status === 200, 'the new password accepted');
    assert.equal(await status(auth('alice', 'first')), 401);
    assert.equal(await status({}), 401);
    assert.match(gw.output(), /level=info .*msg="web config reloaded"/);
  });

  it('applies new headers to the responses, 401s included', async () => {
    const hash = bcrypt.hashSync('pw', 4);
    writeFileSync(
      file,
      usersFile({ alice: hash }, ['X-Frame-Options: sameorigin', "Content-Security-Policy: default-src 'self'"]),
    );
    await until(auth('alice', 'pw'), (r) => r.headers.get('x-frame-options') === 'sameorigin', 'the new header');
    const ok = await fetch(`${gw.url}/metrics`, { headers: auth('alice', 'pw') });
    await ok.arrayBuffer();
    assert.equal(ok.headers.get('content-security-policy'), "default-src 'self'");
    const denied = await fetch(`${gw.url}/metrics`);
    await denied.arrayBuffer();
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('x-frame-options'), 'sameorigin');
  });

  it('logs a bad change with PGW_ERR_WEB_CONFIG and keeps serving the last good config; the fix applies', async () => {
    const hash = bcrypt.hashSync('pw', 4);
    writeFileSync(file, usersFile({ alice: hash }));
    await until(auth('alice', 'pw'), (r) => r.headers.get('x-frame-options') === null, 'the headers removed');
    const before = gw.output().length;
    writeFileSync(file, `${usersFile({ alice: hash })}no_such_key: 1\n`);
    const deadline = Date.now() + 15_000;
    let line: string | undefined;
    while (line === undefined) {
      assert.equal(await status(auth('alice', 'pw')), 200, 'the last good config serves');
      line = gw
        .output()
        .slice(before)
        .split('\n')
        .find((l) => l.includes('level=error'));
      assert.ok(line !== undefined || Date.now() < deadline, `no error logged within 15 s\n${gw.output()}`);
      if (line === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    assert.match(line, /code=PGW_ERR_WEB_CONFIG/);
    assert.match(line, /no_such_key: unknown key/);
    assert.equal(await status({}), 401);
    writeFileSync(file, usersFile({ bob: hash }));
    await until(auth('bob', 'pw'), (r) => r.status === 200, 'the fixed file');
    assert.equal(await status(auth('alice', 'pw')), 401);
  });

  it('picks up a file written elsewhere and renamed over the config file', async () => {
    const temp = path.join(dir, 'web.yml.new');
    writeFileSync(temp, usersFile({ carol: bcrypt.hashSync('pw', 4) }, ['X-Content-Type-Options: nosniff']));
    renameSync(temp, file);
    await until(auth('carol', 'pw'), (r) => r.status === 200, 'the renamed file');
    assert.equal(await status(auth('bob', 'pw')), 401);
  });

  it('an emptied file turns basic auth off', async () => {
    writeFileSync(file, '');
    await until({}, (r) => r.status === 200, 'basic auth turned off');
  });

  it('stops on SIGTERM with exit status 0, the file no longer followed', async () => {
    assert.equal(await gw.stop(), 0);
    assert.match(gw.output(), /msg="HTTP server stopped"/);
  });
});
