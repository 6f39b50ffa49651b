/**
 * Passwords in Sentinel mode (store/redis/sentinel-auth.ts): a real redis-server with `requirepass`, a
 * redis-sentinel with `sentinel auth-pass` (to watch it) and a `requirepass` of its own, and gateway
 * processes finding the primary through it: with --store.redis.url naming the master and carrying the
 * primary's password and --store.redis.sentinel-password, the gateway is ready and a push is on /metrics;
 * neither password shows in /api/v1/status. With a wrong primary password it stays not ready, answers a
 * push 503 and logs Redis's refusal; with no Sentinel password it never learns the primary. A URL naming a
 * host instead of the master is refused at start. Over TLS (redis-server and redis-sentinel on TLS ports
 * only, certificates made by the test, the CA given to the gateway by NODE_EXTRA_CA_CERTS): rediss://
 * naming the master makes the gateway ask the Sentinel and reach the primary over TLS, ready, a push stored.
 * Every wait polls with a deadline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates.js';
import { freePort, OUR_CLI, ourNodeFlags, startOurs, stopChild, type RunningGateway } from '../helpers/servers.js';
import {
  sentinelSkipReason,
  startRedis,
  startSentinel,
  type RunningRedis,
  type RunningSentinel,
} from '../helpers/redis.js';
import { ready, until } from '../helpers/redis-load.js';

const skip = sentinelSkipReason();
const MASTER = 'pgtsauth';
const REDIS_PASSWORD = 'redis-s3cret';
const SENTINEL_PASSWORD = 'sentinel-s3cret';

describe('Sentinel mode with passwords (--store.redis.url naming the master, --store.redis.sentinel-password)', {
  skip,
}, () => {
  let primary: RunningRedis;
  let sentinel: RunningSentinel;
  const gws: RunningGateway[] = [];
  const flags = (url: string, sentinelPassword?: string): string[] => [
    `--store.redis.sentinels=${sentinel.address}`,
    `--store.redis.sentinel-master=${MASTER}`,
    `--store.redis.url=${url}`,
    ...(sentinelPassword === undefined ? [] : [`--store.redis.sentinel-password=${sentinelPassword}`]),
    '--log.level=info',
  ];

  before(async () => {
    primary = await startRedis({ password: REDIS_PASSWORD });
    sentinel = await startSentinel(primary, MASTER, 1, { authPass: REDIS_PASSWORD, requirepass: SENTINEL_PASSWORD });
  });
  after(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await sentinel?.stop();
    await primary?.stop();
  });

  it('with both passwords: ready, a push is stored, no password in /api/v1/status', async () => {
    const gw = await startOurs(flags(`redis://:${REDIS_PASSWORD}@${MASTER}/0`, SENTINEL_PASSWORD));
    gws.push(gw);
    await until('ready', () => ready(gw));
    const res = await fetch(`${gw.url}/metrics/job/auth`, { method: 'PUT', body: 'through_sentinel_auth 1\n' });
    assert.equal(res.status, 200, await res.text());
    const body = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(body, /^through_sentinel_auth\{[^}]*job="auth"[^}]*\} 1$/m);
    const status = await (await fetch(`${gw.url}/api/v1/status`)).text();
    assert.ok(!status.includes(REDIS_PASSWORD) && !status.includes(SENTINEL_PASSWORD), status);
    assert.ok(status.includes('xxxxx'), 'the passwords show masked');
  });

  it('with a wrong primary password: not ready, a push 503, Redis’s refusal logged', async () => {
    const gw = await startOurs(flags(`redis://:wrong@${MASTER}`, SENTINEL_PASSWORD));
    gws.push(gw);
    await until('the refusal in the log', async () => /WRONGPASS|invalid password/i.test(gw.output()) || undefined);
    assert.equal((await fetch(`${gw.url}/-/ready`)).status, 503);
    const res = await fetch(`${gw.url}/metrics/job/auth`, { method: 'PUT', body: 'refused 1\n' });
    assert.equal(res.status, 503);
    assert.match(await res.text(), /Redis store unavailable/);
    assert.ok(!gw.output().includes(REDIS_PASSWORD));
  });

  it('without the Sentinel password: the Sentinel names no primary, not ready', async () => {
    const gw = await startOurs(flags(`redis://:${REDIS_PASSWORD}@${MASTER}`));
    gws.push(gw);
    await until('the warning', async () => gw.output().includes('no Sentinel named the Redis primary') || undefined);
    assert.equal((await fetch(`${gw.url}/-/ready`)).status, 503);
  });

  it('a --store.redis.url naming a host with --store.redis.sentinels is refused at start', () => {
    const r = spawnSync(process.execPath, [...ourNodeFlags(), OUR_CLI, ...flags('redis://127.0.0.1:6379')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--store\.redis\.url with --store\.redis\.sentinels names the master instead of a host/);
  });
});

/** A redis-server or redis-sentinel spawned by this test (TLS only: the helpers' PING is plain TCP). */
interface TlsNode {
  port: number;
  child: ChildProcess;
  out: () => string;
}

async function spawnTls(cmd: string, args: string[], port: number, ca: string): Promise<TlsNode> {
  let buf = '';
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  process.on('exit', () => child.kill('SIGKILL'));
  // Up once it answers PING over TLS (NOAUTH counts: it has a password).
  await until(`${cmd} on TLS port ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`${cmd} exited:\n${buf}`);
    const got = await new Promise<string>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(ca) }, () => s.write('PING\r\n'));
      let text = '';
      s.setTimeout(1_000, () => s.destroy());
      s.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\r\n')) s.destroy();
      });
      s.on('error', () => resolve(''));
      s.on('close', () => resolve(text));
    });
    return /^(\+PONG|-NOAUTH)/.test(got) || undefined;
  });
  return { port, child, out: () => buf };
}

/** Debian's redis-server is built with TLS; a build without it refuses --tls-port ("Bad directive"). */
function tlsSkipReason(): string | false {
  if (skip !== false) return skip;
  const r = spawnSync('redis-server', ['--port', '0', '--tls-port', '1', '--daemonize', 'no'], {
    encoding: 'utf8',
    timeout: 5_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  if (/Bad directive|not supported|TLS is not/i.test(out)) {
    console.log('# SKIPPED: this redis-server has no TLS support (built without BUILD_TLS)');
    return 'redis-server without TLS support';
  }
  return false;
}
const tlsSkip = tlsSkipReason();

describe('Sentinel mode over TLS (rediss:// in --store.redis.url naming the master)', { skip: tlsSkip }, () => {
  const nodes: TlsNode[] = [];
  let gw: RunningGateway | undefined;
  let certs: TestCertificates;
  after(async () => {
    await gw?.stop();
    for (const n of nodes) await stopChild(n.child);
  });

  it('finds the primary through a TLS Sentinel, connects over TLS with the password, stores a push', async () => {
    certs = makeTestCertificates('pgts-redis-tls-');
    const tlsArgs = [
      '--tls-cert-file',
      certs.serverCert,
      '--tls-key-file',
      certs.serverKey,
      '--tls-ca-cert-file',
      certs.caCert,
      '--tls-auth-clients',
      'no',
    ];
    const redisPort = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgts-redis-tls-'));
    nodes.push(
      await spawnTls(
        'redis-server',
        ['--port', '0', '--tls-port', String(redisPort), ...tlsArgs, '--bind', '127.0.0.1', '--dir', dir],
        redisPort,
        certs.caCert,
      ),
    );
    const sentinelPort = await freePort();
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        'port 0',
        `tls-port ${sentinelPort}`,
        `tls-cert-file ${certs.serverCert}`,
        `tls-key-file ${certs.serverKey}`,
        `tls-ca-cert-file ${certs.caCert}`,
        'tls-auth-clients no',
        // The Sentinel watches the primary over TLS too, so it names its TLS port.
        'tls-replication yes',
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER} 127.0.0.1 ${redisPort} 1`,
        `sentinel down-after-milliseconds ${MASTER} 1000`,
        '',
      ].join('\n'),
    );
    nodes.push(await spawnTls('redis-sentinel', [conf], sentinelPort, certs.caCert));
    gw = await startOurs(
      [
        `--store.redis.sentinels=127.0.0.1:${sentinelPort}`,
        `--store.redis.sentinel-master=${MASTER}`,
        `--store.redis.url=rediss://${MASTER}`,
        '--log.level=info',
      ],
      { spawn: { env: { ...process.env, NODE_EXTRA_CA_CERTS: certs.caCert } } },
    );
    const g = gw;
    await until('ready over TLS', () => ready(g));
    const res = await fetch(`${g.url}/metrics/job/tls`, { method: 'PUT', body: 'through_sentinel_tls 1\n' });
    assert.equal(res.status, 200, await res.text());
    assert.match(await (await fetch(`${g.url}/metrics`)).text(), /^through_sentinel_tls\{[^}]*job="tls"[^}]*\} 1$/m);
  });
});
