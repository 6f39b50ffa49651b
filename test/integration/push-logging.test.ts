/**
 * What a rejected push leaves in the log: exactly one line per rejection on stderr, naming the reason
 * and the pusher's address, in logfmt or JSON; successful pushes log nothing. URL and parse rejections
 * are warnings (the reference logs them only at debug; we surface them, see docs/compatibility.md),
 * consistency rejections are errors like the reference's, so `--log.level=error` keeps only those.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';

interface Reply { status: number; body: string; source: string }

/** One request on a fresh connection; `source` is the client's address as the server sees it. */
function send(gw: RunningGateway, method: string, path: string, body = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let source = '';
    const req = request(`${gw.url}${path}`, { method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body: text, source }));
    });
    req.on('socket', (s) => s.on('connect', () => { source = `${s.localAddress}:${s.localPort}`; }));
    req.on('error', reject);
    req.end(body);
  });
}

/** The log lines a request produced: waits until at least `expect` new lines arrived, then a bit more. */
async function linesDuring(gw: RunningGateway, expect: number, act: () => Promise<void>): Promise<string[]> {
  const from = gw.output().length;
  await act();
  const fresh = (): string[] => gw.output().slice(from).split('\n').filter((l) => l !== '');
  const deadline = Date.now() + 2000;
  while (fresh().length < expect && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 150)); // anything extra would show up now
  return fresh();
}

interface Rejection { name: string; method: string; path: string; body: string; reason: string; level: 'warn' | 'error' }

const REJECTIONS: readonly Rejection[] = [
  { name: 'bad URL', method: 'PUT', path: '/metrics/job/a/odd', body: 'm 1\n', level: 'warn',
    reason: 'odd number of components in label string "/odd"' },
  { name: 'parse error', method: 'POST', path: '/metrics/job/a', body: 'x{ 1\n', level: 'warn',
    reason: 'text format parsing error in line 1: invalid label name for metric "x"' },
  { name: 'consistency error', method: 'PUT', path: '/metrics/job/a', body: 'm 1 1000\n', level: 'error',
    reason: 'pushed metrics must not have timestamps' },
];

/** slog's logfmt quoting of a value that contains spaces and quotes. */
function logfmtQuoted(s: string): string {
  return JSON.stringify(s);
}

describe('push logging, logfmt', () => {
  let gw: RunningGateway;
  before(async () => { gw = await startOurs(); });
  after(async () => { await gw.stop(); });

  for (const r of REJECTIONS) {
    it(`a ${r.name} logs exactly one ${r.level} line with the reason and the remote address`, async () => {
      let reply: Reply | undefined;
      const lines = await linesDuring(gw, 1, async () => { reply = await send(gw, r.method, r.path, r.body); });
      assert.equal(reply!.status, 400);
      assert.equal(lines.length, 1, `expected one log line, got:\n${lines.join('\n')}`);
      const line = lines[0]!;
      assert.match(line, new RegExp(`^ts=\\S+ level=${r.level} `));
      assert.ok(line.includes(`source=${reply!.source}`), `no source=${reply!.source} in: ${line}`);
      assert.ok(line.includes(r.reason.includes(' ') ? logfmtQuoted(r.reason).slice(1, -1) : r.reason), `reason missing in: ${line}`);
    });
  }

  it('a consistency rejection logs the reason itself as err, not the response text', async () => {
    const lines = await linesDuring(gw, 1, async () => { await send(gw, 'PUT', '/metrics/job/b', 'm 1 1000\n'); });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, / msg="pushed metrics are invalid or inconsistent with existing metrics" method=PUT source=127\.0\.0\.1:\d+ err="pushed metrics must not have timestamps"$/);
  });

  it('a client gone mid-body is one warn line (unexpected EOF, with its address), a counted 400 push, nothing stored', async () => {
    let source = '';
    const lines = await linesDuring(gw, 1, async () => {
      await new Promise<void>((resolve, reject) => {
        const sock = connect({ host: '127.0.0.1', port: gw.port }, () => {
          source = `${sock.localAddress}:${sock.localPort}`;
          sock.write('PUT /metrics/job/gone_mid_body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nm 1\n', () => {
            setTimeout(() => { sock.destroy(); resolve(); }, 100);
          });
        });
        sock.on('error', reject);
      });
    });
    assert.equal(lines.length, 1, `expected one log line, got:\n${lines.join('\n')}`);
    assert.match(lines[0]!, / level=warn .*source=\S+ err="unexpected EOF"$/);
    assert.ok(lines[0]!.includes(`source=${source}`), lines[0]);
    const text = await new Promise<string>((resolve, reject) => {
      request(`${gw.url}/metrics`, (res) => { let t = ''; res.on('data', (c: Buffer) => { t += c; }); res.on('end', () => resolve(t)); })
        .on('error', reject).end();
    });
    assert.doesNotMatch(text, /gone_mid_body/);
    assert.match(text, /^pushgateway_http_requests_total\{code="400",handler="push",method="put"\} \d+$/m);
  });

  it('successful pushes and deletes log nothing', async () => {
    const lines = await linesDuring(gw, 0, async () => {
      assert.equal((await send(gw, 'PUT', '/metrics/job/ok', 'm 1\n')).status, 200);
      assert.equal((await send(gw, 'POST', '/metrics/job/ok/instance/i', 'n 2\n')).status, 200);
      assert.equal((await send(gw, 'DELETE', '/metrics/job/ok')).status, 202);
    });
    assert.deepEqual(lines, []);
  });
});

describe('push logging, json', () => {
  let gw: RunningGateway;
  before(async () => { gw = await startOurs(['--log.format=json']); });
  after(async () => { await gw.stop(); });

  for (const r of REJECTIONS) {
    it(`a ${r.name} logs exactly one JSON object with level, reason and source`, async () => {
      let reply: Reply | undefined;
      const lines = await linesDuring(gw, 1, async () => { reply = await send(gw, r.method, r.path, r.body); });
      assert.equal(reply!.status, 400);
      assert.equal(lines.length, 1, `expected one log line, got:\n${lines.join('\n')}`);
      const record = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.equal(record['level'], r.level);
      assert.equal(typeof record['ts'], 'string');
      assert.equal(typeof record['msg'], 'string');
      assert.equal(record['source'], reply!.source);
      assert.ok(String(record['err']).includes(r.reason), `err ${JSON.stringify(record['err'])} lacks ${r.reason}`);
    });
  }

  it('successful pushes log nothing', async () => {
    const lines = await linesDuring(gw, 0, async () => {
      assert.equal((await send(gw, 'PUT', '/metrics/job/ok', 'm 1\n')).status, 200);
    });
    assert.deepEqual(lines, []);
  });
});

describe('push logging, --log.level=error', () => {
  let gw: RunningGateway;
  before(async () => { gw = await startOurs(['--log.level=error']); });
  after(async () => { await gw.stop(); });

  it('hides URL and parse rejections but keeps the consistency rejection', async () => {
    const lines = await linesDuring(gw, 1, async () => {
      for (const r of REJECTIONS) assert.equal((await send(gw, r.method, r.path, r.body)).status, 400);
    });
    assert.equal(lines.length, 1, `expected only the consistency line, got:\n${lines.join('\n')}`);
    assert.match(lines[0]!, /level=error .*pushed metrics must not have timestamps/);
  });
});

describe('push logging compared with the reference', () => {
  const skip = referenceSkipReason();
  let ref: RunningGateway;
  before(async () => { if (skip === false) ref = await startReference(); });
  after(async () => { await ref?.stop(); });

  it('the reference logs the consistency rejection with the same facts', { skip }, async () => {
    let reply: Reply | undefined;
    const lines = await linesDuring(ref, 1, async () => { reply = await send(ref, 'PUT', '/metrics/job/a', 'm 1 1000\n'); });
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /level=error /);
    assert.ok(lines[0]!.includes(`source=${reply!.source}`));
    assert.ok(lines[0]!.includes('err="pushed metrics must not have timestamps"'));
  });
});
