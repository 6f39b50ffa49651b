/**
 * --persistence.file end to end with real processes, files and signals: a restart restores every group
 * and family byte for byte (exposition and JSON API, incl. per-family last-push times and the
 * push/failure gauges); writes are coalesced; /-/quit and SIGTERM write a final snapshot after in-flight
 * requests finish; a bad file is moved aside (never overwritten) and the gateway starts empty; a missing
 * file is silent; an unusable directory stops the start with a clear error; stale temp files are removed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { OUR_CLI, freePort, startOurs, type RunningGateway } from '../helpers/servers.js';
import { MemoryStore } from '../../src/store/store.js';
import { OWN_TYPES } from '../../src/observe/self-metrics.js';
import { encodeSnapshot } from '../../src/store/snapshot.js';
import { metricsJson } from '../../src/http/api.js';
import { encodeDelimited, parseProtobufBody } from '../../src/format/protobuf.js';
import type { MetricFamily } from '../../src/model/metric.js';
import { FIXTURE } from '../helpers/protobuf-fixture.js';

const OWN_FAMILY = /^(?:# (?:HELP|TYPE) )?(?:pushgateway_|process_|nodejs_)/;

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'pgw-persist-'));
}

async function send(
  gw: RunningGateway,
  method: string,
  p: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(gw.url + p, { method, body: body ?? null });
  return { status: res.status, text: await res.text() };
}

const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/**
 * The protobuf exposition's messages (hex, one per family) without the gateway's own families: unlike
 * the text format it carries exemplars, created timestamps, units and native histograms.
 */
async function pushedProtobuf(gw: RunningGateway): Promise<string[]> {
  const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: PB_TYPE } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /encoding=delimited/);
  const raw = Buffer.from(await res.arrayBuffer());
  const out: string[] = [];
  for (let i = 0; i < raw.length; ) {
    let len = 0;
    let shift = 0;
    let j = i;
    for (;;) {
      const b = raw[j++]!;
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    const message = raw.subarray(i, j + len);
    const [family] = parseProtobufBody(message, { utf8Names: false });
    if (family !== undefined && !OWN_FAMILY.test(family.name)) out.push(message.toString('hex'));
    i = j + len;
  }
  return out;
}

/** The exposition without the gateway's own families (those describe the process, not the store). */
async function pushedExposition(gw: RunningGateway): Promise<string> {
  const text = (await send(gw, 'GET', '/metrics')).text;
  return text
    .split('\n')
    .filter((l) => !OWN_FAMILY.test(l))
    .join('\n');
}

function exited(gw: RunningGateway, ms = 10_000): Promise<number | null> {
  const child = gw.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return Promise.race([
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms).unref()),
  ]);
}

const RICH_BODY = `# HELP requests_total Requests "served" \\\\ with a backslash\\nand a newline.
# TYPE requests_total counter
requests_total{code="200"} 1027
requests_total{code="500"} -0
# TYPE temperature gauge
temperature NaN
temperature{room="b"} +Inf
temperature{room="c"} -Inf
untyped_thing 1e+300
# HELP latency_seconds Latency.
# TYPE latency_seconds summary
latency_seconds{quantile="0.5"} 0.05
latency_seconds{quantile="0.99"} 1.5
latency_seconds_sum 123.4
latency_seconds_count 1000
# TYPE size_bytes histogram
size_bytes_bucket{le="0.1"} 3
size_bytes_bucket{le="1"} 17
size_bytes_bucket{le="+Inf"} 20
size_bytes_sum 99.23
size_bytes_count 20
# TYPE float_hist histogram
float_hist_bucket{le="1"} 2.5
float_hist_bucket{le="+Inf"} 3.5
float_hist_sum 4
float_hist_count 3.5
# HELP empty_help
empty_help 3
# TYPE gauge_hist gauge_histogram
gauge_hist_bucket{le="1"} 1
gauge_hist_bucket{le="+Inf"} 2
gauge_hist_sum 1
gauge_hist_count 2
`;

/** A mix of every kind of state a store can be in, pushed over HTTP. */
async function pushRichMix(gw: RunningGateway): Promise<void> {
  const ok = async (method: string, p: string, body: string, want = 200): Promise<void> => {
    const r = await send(gw, method, p, body);
    assert.equal(r.status, want, `${method} ${p}: ${r.text}`);
  };
  await ok('PUT', '/metrics/job/batch/instance/i1', RICH_BODY);
  // What only protobuf carries: native int/float histograms, exemplars, created timestamps, units, counts
  // above 2^53.
  const pb = await fetch(`${gw.url}/metrics/job/pb/instance/x`, {
    method: 'PUT',
    body: new Uint8Array(encodeDelimited(FIXTURE)),
    headers: { 'Content-Type': PB_TYPE },
  });
  assert.equal(pb.status, 200, await pb.text());
  // Same family from another group with another HELP: the older group's HELP is exposed.
  const odd = Buffer.from('jöb/with slash').toString('base64url');
  await ok(
    'PUT',
    `/metrics/job@base64/${odd}/zone@base64/=`,
    '# HELP requests_total Other help.\n# TYPE requests_total counter\nrequests_total{code="200"} 5\n',
  );
  // A later POST gives this family a later last-push time than the rest of the group.
  await ok('POST', '/metrics/job/batch/instance/i1', 'late_family 42\n');
  // Only a failed push: push_time_seconds 0 and a failure time.
  await ok('PUT', '/metrics/job/failing', 'm 1 1000\n', 400);
  // Success then failure (type clash): last_push_successful false, metrics kept.
  await ok('PUT', '/metrics/job/clash', 'temperature_other 1\n');
  await ok('POST', '/metrics/job/clash', '# TYPE requests_total gauge\nrequests_total 1\n', 400);
  // Deleted groups stay deleted.
  await ok('PUT', '/metrics/job/gone', 'x 1\n');
  await ok('DELETE', '/metrics/job/gone', '', 202);
}

describe('persistence across restarts', () => {
  it('SIGTERM writes the store; a restart restores /metrics and /api/v1/metrics byte for byte', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'metrics.store');
    const flags = [`--persistence.file=${file}`, '--persistence.interval=5m'];
    const first = await startOurs(flags);
    let beforeText: string;
    let beforeJson: string;
    let beforeProtobuf: string[];
    try {
      await pushRichMix(first);
      beforeText = await pushedExposition(first);
      beforeJson = (await send(first, 'GET', '/api/v1/metrics')).text;
      beforeProtobuf = await pushedProtobuf(first);
      assert.ok(
        beforeProtobuf.length >= FIXTURE.length,
        `${beforeProtobuf.length} pushed families in the protobuf scrape`,
      );
      assert.match(beforeText, /# HELP requests_total Requests "served" \\\\ with a backslash\\nand a newline\./);
      assert.match(beforeJson, /"last_push_successful":false/);
    } finally {
      assert.equal(await first.stop('SIGTERM'), 0, first.output());
    }
    assert.match(first.output(), /msg="metrics persisted"/);
    assert.ok(readFileSync(file, 'utf8').startsWith('pushgateway-ts persistence 1\n'));
    const second = await startOurs(flags, { port: first.port });
    try {
      assert.match(second.output(), /msg="loaded persisted metrics".* groups=5/);
      // Loaded before any listener opened: a client never sees a half-restored gateway.
      assert.ok(
        second.output().indexOf('loaded persisted metrics') < second.output().indexOf('listening on'),
        second.output(),
      );
      assert.equal(await pushedExposition(second), beforeText);
      assert.equal((await send(second, 'GET', '/api/v1/metrics')).text, beforeJson);
      assert.deepEqual(await pushedProtobuf(second), beforeProtobuf);
    } finally {
      await second.stop();
    }
    assert.deepEqual(readdirSync(dir), ['metrics.store'], 'no temp files left behind');
  });

  it('writes are coalesced: nothing is written before the interval, one final write at shutdown', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'p');
    const gw = await startOurs([`--persistence.file=${file}`, '--persistence.interval=1h']);
    try {
      for (let i = 0; i < 20; i++) assert.equal((await send(gw, 'PUT', `/metrics/job/j${i}`, `m ${i}\n`)).status, 200);
      // The first write is due one interval after the start; pushes only mark the store dirty.
      assert.equal(existsSync(file), false);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      assert.equal(await gw.stop('SIGINT'), 0);
    }
    assert.match(readFileSync(file, 'utf8'), /"job":"j19"/);
    assert.equal((gw.output().match(/msg="metrics persisted"/g) ?? []).length, 1);
  });

  it('short interval: a steady stream of pushes is written periodically, at most once an interval', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'p');
    const intervalMs = 300;
    // Taken before the spawn: the gateway's first interval starts later, so this bound is on the safe side.
    const began = Date.now();
    const gw = await startOurs([`--persistence.file=${file}`, `--persistence.interval=${intervalMs}ms`]);
    const writes = (): number => (gw.output().match(/msg="metrics persisted"/g) ?? []).length;
    let pushes = 0;
    try {
      // Push without pause until three writes happened (never before the first interval ends).
      const deadline = Date.now() + 30_000;
      while (writes() < 3 && Date.now() < deadline) {
        assert.equal(
          (await send(gw, 'PUT', `/metrics/job/steady/instance/i${pushes % 50}`, `m ${pushes}\n`)).status,
          200,
        );
        pushes++;
      }
      const elapsed = Date.now() - began;
      const n = writes();
      assert.ok(n >= 3, `only ${n} writes in ${elapsed} ms of pushes, interval ${intervalMs} ms`);
      // Each write begins at least one interval after the previous one began (the first one interval after
      // the start), so no more than elapsed / interval writes can have been logged; the pushes rode along.
      assert.ok(
        n <= Math.floor(elapsed / intervalMs),
        `${n} writes for ${pushes} pushes in ${elapsed} ms, interval ${intervalMs} ms`,
      );
      assert.match(readFileSync(file, 'utf8'), /"job":"steady"/);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });

  it('with a zero interval a change is written without waiting for shutdown', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'p');
    const gw = await startOurs([`--persistence.file=${file}`, '--persistence.interval=0s']);
    try {
      assert.equal((await send(gw, 'PUT', '/metrics/job/soon', 'm 1\n')).status, 200);
      const deadline = Date.now() + 10_000;
      while (!(existsSync(file) && readFileSync(file, 'utf8').includes('"soon"')) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(readFileSync(file, 'utf8'), /"job":"soon"/);
    } finally {
      await gw.stop();
    }
  });

  it('/-/quit lets an in-flight push finish, then persists it and exits 0', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'p');
    const flags = [`--persistence.file=${file}`, '--persistence.interval=1h'];
    const gw = await startOurs([...flags, '--web.enable-lifecycle']);
    const body = 'inflight_metric 7\n';
    // Expect: 100-continue: the 'continue' event proves the server is already handling the push.
    const push = request(`${gw.url}/metrics/job/inflight`, {
      method: 'PUT',
      headers: { 'Content-Length': Buffer.byteLength(body), Expect: '100-continue' },
    });
    const status = new Promise<number>((resolve, reject) => {
      push.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      push.on('error', reject);
    });
    await new Promise<void>((resolve) => push.once('continue', () => resolve()));
    push.write(body.slice(0, 5));
    const quit = await send(gw, 'PUT', '/-/quit');
    assert.deepEqual(quit, { status: 200, text: 'Requesting termination... Goodbye!' });
    push.end(body.slice(5));
    assert.equal(await status, 200);
    assert.equal(await exited(gw), 0, gw.output());
    assert.match(readFileSync(file, 'utf8'), /"inflight_metric"/);
    const again = await startOurs(flags);
    try {
      assert.match(await pushedExposition(again), /^inflight_metric\{instance="",job="inflight"\} 7$/m);
    } finally {
      await again.stop();
    }
  });
});

/** What text pushes cannot carry: native int/float histograms, created timestamps, exemplars, units. */
function protobufOnlyFamilies(): MetricFamily[] {
  return [
    {
      name: 'native_seconds',
      type: 'HISTOGRAM',
      help: 'native',
      metrics: [
        {
          labels: [{ name: 'kind', value: 'int' }],
          histogram: {
            sampleCount: 7,
            sampleSum: 3.5,
            buckets: [],
            schema: 3,
            zeroThreshold: 1e-128,
            zeroCount: 2,
            positiveSpans: [
              { offset: -2, length: 2 },
              { offset: 3, length: 1 },
            ],
            positiveDeltas: [1, 1, -1],
            negativeSpans: [{ offset: 0, length: 1 }],
            negativeDeltas: [2],
            createdTimestamp: { seconds: 1_700_000_000, nanos: 123 },
            exemplars: [
              {
                labels: [{ name: 'trace_id', value: 'abc' }],
                value: 0.3,
                timestamp: { seconds: 1_700_000_001, nanos: 0 },
              },
            ],
          },
        },
        {
          labels: [{ name: 'kind', value: 'float' }],
          histogram: {
            sampleCount: 0,
            sampleCountFloat: 6.5,
            sampleSum: -1,
            buckets: [],
            schema: -1,
            zeroThreshold: 0,
            zeroCountFloat: 0.5,
            positiveSpans: [{ offset: 1, length: 2 }],
            positiveCounts: [1.5, 4.5],
          },
        },
      ],
    },
    {
      name: 'created_total',
      type: 'COUNTER',
      unit: 'seconds',
      metrics: [
        {
          labels: [],
          value: 12,
          createdTimestamp: { seconds: 1_600_000_000, nanos: 5 },
          exemplar: { labels: [{ name: 'trace_id', value: 'x' }], value: 1 },
        },
      ],
    },
    {
      name: 'rpc',
      type: 'SUMMARY',
      metrics: [
        {
          labels: [],
          summary: {
            sampleCount: 3,
            sampleSum: 1,
            quantiles: [{ quantile: 0.5, value: -0 }],
            createdTimestamp: { seconds: 1, nanos: 1 },
          },
        },
      ],
    },
  ];
}

describe('persistence of what only protobuf pushes carry', () => {
  it('a file with native histograms, created timestamps and exemplars is served and rewritten unchanged', async () => {
    const store = new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
    assert.equal(
      store.push({
        labels: { job: 'pb', instance: 'x' },
        families: protobufOnlyFamilies(),
        replace: true,
        timeMs: 1_795_000_000_123.25,
      }),
      undefined,
    );
    const dir = tempDir();
    const file = path.join(dir, 'p');
    writeFileSync(file, encodeSnapshot(store.exportState(), { written: 'test', writer: 'test' }));
    const exposition = store.renderText();
    for (let round = 0; round < 2; round++) {
      const gw = await startOurs([`--persistence.file=${file}`]);
      try {
        assert.equal(
          (await send(gw, 'GET', '/api/v1/metrics')).text,
          `{"status":"success","data":${metricsJson(store)}}`,
        );
        assert.ok((await pushedExposition(gw)).includes(exposition), await pushedExposition(gw));
      } finally {
        assert.equal(await gw.stop(), 0);
      }
      // The gateway rewrote the file at shutdown: the same content, read back by the next round.
      const lines = readFileSync(file, 'utf8').split('\n');
      assert.deepEqual(
        lines.slice(2, -2),
        encodeSnapshot(store.exportState(), { written: '', writer: '' }).split('\n').slice(2, -2),
      );
    }
  });
});

describe('bad persistence files', () => {
  async function validFile(): Promise<Buffer> {
    const dir = tempDir();
    const file = path.join(dir, 'p');
    const gw = await startOurs([`--persistence.file=${file}`]);
    await send(gw, 'PUT', '/metrics/job/a', 'm 1\n');
    await send(gw, 'PUT', '/metrics/job/b', 'm 2\n');
    await gw.stop();
    return readFileSync(file);
  }

  it(
    'corrupt, truncated, altered, future-version and Go gob files are moved aside; the gateway starts ' + 'empty',
    async () => {
      const valid = await validFile();
      const text = valid.toString('utf8');
      const cases: Array<[string, Buffer, RegExp]> = [
        ['garbage', Buffer.from('\x00\x01hello world'), /not a pushgateway-ts persistence file/],
        [
          'Go gob',
          Buffer.from([0x3c, 0xff, 0x81, 0x03, 0x01, 0x01, 0x0b, 0x6d, 0x65, 0x74, 0x72, 0x69, 0x63]),
          /Go Pushgateway cannot be read/,
        ],
        ['truncated', valid.subarray(0, Math.floor(valid.length * 0.6)), /incomplete|does not end with a newline/],
        ['altered', Buffer.from(text.replace('"m"', '"n"')), /checksum mismatch/],
        [
          'future version',
          Buffer.from(text.replace('persistence 1\n', 'persistence 7\n')),
          /format version 7, but this build reads version 1/,
        ],
        ['empty', Buffer.alloc(0), /the file is empty/],
      ];
      for (const [what, bytes, reason] of cases) {
        const dir = tempDir();
        const file = path.join(dir, 'metrics.store');
        writeFileSync(file, bytes);
        const gw = await startOurs([`--persistence.file=${file}`]);
        try {
          const out = gw.output();
          assert.match(
            out,
            /level=error .*msg="could not load persisted metrics; the file was moved aside/,
            `${what}: ${out}`,
          );
          assert.match(out, reason, `${what}: ${out}`);
          assert.equal((await send(gw, 'GET', '/api/v1/metrics')).text, '{"status":"success","data":[]}', what);
          const aside = readdirSync(dir).filter((n) => n.startsWith('metrics.store.bad-'));
          assert.equal(aside.length, 1, `${what}: ${readdirSync(dir).join(' ')}`);
          assert.deepEqual(readFileSync(path.join(dir, aside[0]!)), bytes, `${what}: the bad file was changed`);
          assert.equal((await send(gw, 'PUT', '/metrics/job/new', 'm 1\n')).status, 200);
          await gw.stop();
          // The next write creates a fresh file; the bad one stays untouched beside it.
          assert.match(readFileSync(file, 'utf8'), /"job":"new"/, what);
          assert.deepEqual(readFileSync(path.join(dir, aside[0]!)), bytes, `${what}: the bad file was overwritten`);
        } finally {
          await gw.stop();
        }
      }
    },
  );

  it('an unreadable file is moved aside too', async (t) => {
    const dir = tempDir();
    const file = path.join(dir, 'p');
    writeFileSync(file, await validFile(), { mode: 0o600 });
    // As root every file is readable: run the gateway as nobody on a directory nobody may write to.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(dir, 65534, 65534);
    else chmodSync(file, 0o000);
    const gw = await startOurs([`--persistence.file=${file}`], { spawn: asRoot ? { uid: 65534, gid: 65534 } : {} });
    try {
      assert.match(gw.output(), /could not load persisted metrics.*cannot read the file: EACCES/);
      assert.equal(readdirSync(dir).filter((n) => n.startsWith('p.bad-')).length, 1);
    } finally {
      await gw.stop();
    }
    t.diagnostic(asRoot ? 'ran the gateway as uid 65534' : 'ran as the current user');
  });

  it('a missing file starts empty without any warning', async () => {
    const dir = tempDir();
    const gw = await startOurs([`--persistence.file=${path.join(dir, 'nothing-yet')}`]);
    try {
      assert.doesNotMatch(gw.output(), /level=(warn|error)/);
      assert.equal((await send(gw, 'GET', '/api/v1/metrics')).text, '{"status":"success","data":[]}');
    } finally {
      await gw.stop();
    }
  });

  it('temporary files left by an interrupted write are removed at start', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'p');
    writeFileSync(path.join(dir, 'p.tmp-12345-abcdef'), 'half a snapshot');
    writeFileSync(path.join(dir, 'unrelated.tmp-1'), 'not ours');
    const gw = await startOurs([`--persistence.file=${file}`]);
    try {
      assert.deepEqual(readdirSync(dir).sort(), ['unrelated.tmp-1']);
      assert.match(gw.output(), /removed a temporary persistence file/);
    } finally {
      await gw.stop();
    }
  });
});

describe('unusable persistence directory', () => {
  function startFails(
    args: string[],
    opts: { uid?: number; gid?: number } = {},
  ): { status: number | null; stderr: string } {
    const r = spawnSync(process.execPath, [OUR_CLI, '--web.listen-address=127.0.0.1:0', ...args], {
      encoding: 'utf8',
      timeout: 10_000,
      ...opts,
    });
    return { status: r.status, stderr: r.stderr };
  }

  it('a missing directory is a clear error at start, exit 1, nothing listening', async () => {
    const r = startFails([`--persistence.file=${path.join(tempDir(), 'no', 'such', 'dir', 'p')}`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /level=error .*msg="error starting the gateway" err="persistence directory .*no\/such\/dir is not usable: ENOENT/,
    );
    assert.doesNotMatch(r.stderr, /listening on/);
  });

  it('a persistence path that is a directory, or below a regular file, is a clear error at start', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'adir'));
    const isDir = startFails([`--persistence.file=${path.join(dir, 'adir')}`]);
    assert.equal(isDir.status, 1, isDir.stderr);
    assert.match(isDir.stderr, /msg="error starting the gateway" err="persistence file .*adir is not a regular file"/);
    writeFileSync(path.join(dir, 'afile'), 'x');
    const underFile = startFails([`--persistence.file=${path.join(dir, 'afile', 'p')}`]);
    assert.equal(underFile.status, 1, underFile.stderr);
    assert.match(underFile.stderr, /persistence directory .*afile is not a directory/);
    assert.deepEqual(readdirSync(dir).sort(), ['adir', 'afile']);
  });

  it('a bad file that cannot be moved aside stops the start instead of being lost', (t) => {
    // Creating files is allowed but renaming this one is not: a sticky directory and a file of another
    // user. Needs root to set that up.
    if (process.getuid?.() !== 0) {
      t.skip('needs root to give the file another owner');
      return;
    }
    const dir = tempDir();
    chmodSync(dir, 0o1777);
    const file = path.join(dir, 'p');
    writeFileSync(file, 'not a snapshot\n', { mode: 0o644 });
    const r = startFails([`--persistence.file=${file}`], { uid: 65534, gid: 65534 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        /could not load persisted metrics from .*\(not a pushgateway-ts persistence /.source +
          /file.*\), and could not move it aside: EPERM/.source,
      ),
    );
    assert.equal(readFileSync(file, 'utf8'), 'not a snapshot\n');
    assert.deepEqual(readdirSync(dir), ['p']);
  });

  it('a directory the gateway may not write to is a clear error at start', async () => {
    const dir = tempDir();
    const asRoot = process.getuid?.() === 0;
    chmodSync(dir, asRoot ? 0o755 : 0o555);
    const port = await freePort();
    const r = spawnSync(
      process.execPath,
      [OUR_CLI, `--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${path.join(dir, 'p')}`],
      { encoding: 'utf8', timeout: 10_000, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cannot write the persistence file in .*: EACCES/);
  });
});
