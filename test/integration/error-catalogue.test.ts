/**
 * The error catalogue on the wire and in the log: each catalogued HTTP answer a running gateway gives has
 * the catalogue's status and message, and the log lines about failures (rejected pushes, scrapes of an
 * inconsistent store, start-up failures) carry the code; start-up failures exit with the catalogue's
 * exit status.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OUR_CLI, startOurs, type RunningGateway } from '../helpers/servers.js';
import { CATALOGUE, type ExitErrorCode, type HttpErrorCode } from '../../src/errors.js';

interface Reply {
  status: number;
  text: string;
  headers: Headers;
}

async function send(gw: RunningGateway, method: string, p: string, body?: string): Promise<Reply> {
  const res = await fetch(`${gw.url}${p}`, { method, ...(body === undefined ? {} : { body }) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Polls the gateway's output until `re` matches, for at most two seconds. */
async function logged(gw: RunningGateway, re: RegExp): Promise<string> {
  const deadline = Date.now() + 2000;
  while (!re.test(gw.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.match(gw.output(), re);
  return gw.output();
}

function expectAnswer(r: Reply, code: HttpErrorCode, text: string = `${CATALOGUE[code].message}\n`): void {
  assert.equal(r.status, CATALOGUE[code].httpStatus, `${code}: status`);
  assert.equal(r.text, text, `${code}: body`);
}

describe('catalogued HTTP answers', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs(['--push.max-body-size=64']);
  });
  after(async () => {
    await gw.stop();
  });

  it('404, 405 with Allow, the /-/quit answers', async () => {
    expectAnswer(await send(gw, 'GET', '/nowhere'), 'PGW_ERR_NOT_FOUND');
    const r = await send(gw, 'DELETE', '/-/healthy');
    expectAnswer(r, 'PGW_ERR_METHOD_NOT_ALLOWED');
    assert.match(r.headers.get('allow') ?? '', /GET/);
    expectAnswer(await send(gw, 'GET', '/-/quit'), 'PGW_ERR_QUIT_METHOD', CATALOGUE.PGW_ERR_QUIT_METHOD.message);
    expectAnswer(
      await send(gw, 'PUT', '/-/quit'),
      'PGW_ERR_LIFECYCLE_DISABLED',
      CATALOGUE.PGW_ERR_LIFECYCLE_DISABLED.message,
    );
  });

  it('a body over --push.max-body-size is 413, logged with its code', async () => {
    const r = await send(gw, 'PUT', '/metrics/job/big', 'm 1\n'.repeat(100));
    expectAnswer(r, 'PGW_ERR_BODY_TOO_LARGE', 'request body exceeds the limit of 64 bytes (--push.max-body-size)\n');
    await logged(gw, /msg="failed to parse push body" code=PGW_ERR_BODY_TOO_LARGE method=PUT url=\/metrics\/job\/big /);
  });

  it('a bad grouping key is 400, logged with its code', async () => {
    const r = await send(gw, 'DELETE', '/metrics/job/a/odd');
    assert.equal(r.status, CATALOGUE.PGW_ERR_GROUPING_KEY.httpStatus);
    await logged(gw, /msg="invalid grouping key in delete URL" code=PGW_ERR_GROUPING_KEY method=DELETE /);
  });
});

describe('a scrape of an inconsistent store', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs(['--push.disable-consistency-check']);
  });
  after(async () => {
    await gw.stop();
  });

  it("is a 500 with the catalogue's text, logged with PGW_ERR_GATHER", async () => {
    assert.equal((await send(gw, 'PUT', '/metrics/job/g1', '# TYPE clash counter\nclash 1\n')).status, 202);
    assert.equal((await send(gw, 'PUT', '/metrics/job/g2', '# TYPE clash gauge\nclash 2\n')).status, 202);
    const deadline = Date.now() + 2000;
    let r = await send(gw, 'GET', '/metrics');
    while (r.status !== 500 && Date.now() < deadline) r = await send(gw, 'GET', '/metrics');
    assert.equal(r.status, CATALOGUE.PGW_ERR_GATHER.httpStatus);
    assert.ok(r.text.startsWith('An error has occurred while serving metrics:\n\n'), r.text);
    await logged(gw, /level=error .*msg="error gathering metrics" code=PGW_ERR_GATHER err=/);
  });
});

describe("start-up failures exit with the catalogue's status and log their code", () => {
  function start(args: string[]): { status: number | null; stderr: string } {
    const r = spawnSync(process.execPath, [OUR_CLI, ...args], { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stderr: r.stderr };
  }
  const cases: Array<[string, string[], ExitErrorCode, RegExp]> = [
    [
      'a listen address without a port',
      ['--web.listen-address=127.0.0.1'],
      'PGW_ERR_LISTEN',
      new RegExp(
        /msg="error listening" address=127\.0\.0\.1 err="listen address \\"127\.0\.0\.1\\": /.source +
          /missing port" code=PGW_ERR_LISTEN/.source,
      ),
    ],
    [
      'a missing persistence directory',
      ['--web.listen-address=127.0.0.1:0', `--persistence.file=${path.join(tmpdir(), 'pgw-no-such-dir', 'x', 'p')}`],
      'PGW_ERR_PERSISTENCE',
      /msg="error starting the gateway" err="persistence directory .* code=PGW_ERR_PERSISTENCE/,
    ],
    [
      '--web.systemd-socket without sockets',
      ['--web.systemd-socket'],
      'PGW_ERR_SYSTEMD_SOCKET',
      /msg="error starting the gateway" err="--web.systemd-socket: .* code=PGW_ERR_SYSTEMD_SOCKET/,
    ],
  ];
  for (const [what, args, code, re] of cases) {
    it(what, () => {
      const r = start(args);
      assert.equal(r.status, CATALOGUE[code].exitStatus, r.stderr);
      assert.match(r.stderr, re);
    });
  }

  it("a port in use is PGW_ERR_LISTEN with Node's words", async () => {
    const gw = await startOurs();
    try {
      const r = start([`--web.listen-address=127.0.0.1:${gw.port}`]);
      assert.equal(r.status, CATALOGUE.PGW_ERR_LISTEN.exitStatus, r.stderr);
      assert.match(r.stderr, /msg="error starting the gateway" err="listen EADDRINUSE: .* code=PGW_ERR_LISTEN/);
    } finally {
      await gw.stop();
    }
  });

  it('a flag error and an unsupported feature print "pushgateway: error:" and exit with their status', () => {
    const bad = start(['--no-such-flag']);
    assert.equal(bad.status, CATALOGUE.PGW_ERR_CONFIG.exitStatus);
    assert.equal(bad.stderr, "pushgateway: error: unknown long flag '--no-such-flag', try --help\n");
    const dir = mkdtempSync(path.join(tmpdir(), 'pgw-errors-'));
    const unsupported = start(['--web.listen-address=vsock://:9091']);
    assert.equal(unsupported.status, CATALOGUE.PGW_ERR_UNSUPPORTED.exitStatus);
    assert.equal(
      unsupported.stderr,
      'pushgateway: error: --web.listen-address with a vsock:// address is not supported yet\n',
    );
    const webConfig = start([`--web.config.file=${path.join(dir, 'web.yml')}`]);
    assert.equal(webConfig.status, CATALOGUE.PGW_ERR_WEB_CONFIG.exitStatus);
    assert.match(webConfig.stderr, /^pushgateway: error: --web\.config\.file .*web\.yml: /);
  });
});
