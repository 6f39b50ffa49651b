/**
 * Bad input over real HTTP, as an attacker or a broken batch job would send it: garbage, invalid UTF-8,
 * NUL bytes, huge label values and label counts, protobuf length bombs, gzip and snappy bombs, request
 * smuggling patterns, a 2 MiB request line, half-sent headers. One gateway is seeded with groups (text,
 * protobuf, gzip) first; every case must be answered with its documented status (4xx, 413 for the size
 * limit, or a clean 200 where the input is in fact valid), the gateway must keep serving, and every
 * seeded group must be byte-for-byte unchanged in /metrics and /api/v1/metrics.
 * Each case is also sent to the reference (Debian 1.5.1) on its own loopback port and its status checked
 * against what we found it answers; the differences are listed in docs/compatibility.md.
 * Rejected inputs are sent to a seeded group's own URL (a PUT: wrongly accepted, it would replace that
 * group); inputs that may be accepted go to the `scratch` group, deleted after the case.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import snappy from 'snappyjs';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';
import { openPartial, rawExchange } from '../helpers/raw-http.js';
import { PROTOBUF_DELIMITED_CONTENT_TYPE, encodeDelimited } from '../../src/format/protobuf.js';
import { maskedCrc32c } from '../../src/format/body.js';
import { ProtobufWriter } from '../../src/format/protobuf-wire.js';

const MiB = 1 << 20;
const TEXT = { 'Content-Type': 'text/plain; version=0.0.4' };
const PB = { 'Content-Type': PROTOBUF_DELIMITED_CONTENT_TYPE };
/** A seeded group's URL: a rejected push there must leave the group as it was. */
const VICTIM = '/metrics/job/seed_text';
const VICTIM_PB = '/metrics/job/seed_pb/instance/a';
const SCRATCH = '/metrics/job/scratch';

// ---------------------------------------------------------------------------------------------------
// Sending

type Body = Buffer | (() => Readable);

/** One request with node:http (exact headers, streamed bodies); the status answered. */
/**
 * The status of a request, or RESET when the server reset the connection before its answer could be read
 * (Go answers a bad compressed body after its first block and closes without reading the rest: the reset
 * can lose the answer, so the reference's side of those cases accepts `reset`; ours reads the rest).
 */
const RESET = -1;

function send(
  gw: RunningGateway,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Body,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let status: number | undefined;
    const req = request(`http://127.0.0.1:${gw.port}${path}`, { method, headers, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => resolve(status!));
      res.on('error', () => resolve(status!));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve(status ?? RESET);
      else reject(err);
    });
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    // A server that answers early (413) still reads the rest, so the upload finishes; errors surface above.
    else pipeline(body(), req).catch(() => undefined);
  });
}

const put = (path: string, headers: Record<string, string>, body: Body) => async (gw: RunningGateway) => {
  const status = await send(gw, 'PUT', path, headers, body);
  return status === RESET ? 'reset' : String(status);
};

/**
 * The statuses of every response to raw bytes, joined with `+`: `200+200` means a second (smuggled)
 * request was served; `none` that the connection closed without an answer.
 */
async function rawStatus(gw: RunningGateway, bytes: Buffer | string): Promise<string> {
  const reply = await rawExchange(gw.port, bytes);
  return reply.statuses.length === 0 ? 'none' : reply.statuses.join('+');
}

// ---------------------------------------------------------------------------------------------------
// Inputs

/** Deterministic garbage (xorshift32). */
function garbage(n: number, seed = 0x9e3779b9): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

function varint(v: bigint): Buffer {
  const w = new ProtobufWriter();
  w.varint(v);
  return w.finish();
}

/** A delimited stream of one message. */
const delimited = (msg: Buffer) => Buffer.concat([varint(BigInt(msg.length)), msg]);
/** MetricFamily field 1 (name) = "m". */
const NAME_M = Buffer.from([0x0a, 0x01, 0x6d]);

/** `m{l="<value>"} 1\n` with a value of `size` bytes, streamed. */
function hugeLabelValue(size: number): () => Readable {
  return () =>
    Readable.from(
      (function* () {
        yield Buffer.from('m{l="');
        const block = Buffer.alloc(MiB, 'a');
        for (let left = size; left > 0; left -= block.length)
          yield left >= block.length ? block : block.subarray(0, left);
        yield Buffer.from('"} 1\n');
      })(),
    );
}

/** One series with `n` labels (finding 1 of issue 8). */
const manyLabels = (n: number) => Buffer.from(`m{${Array.from({ length: n }, (_, i) => `l${i}="v"`).join(',')}} 1\n`);

/** 1 GiB of zeros gzip-compressed, streamed through zlib (the zeros never sit in memory): about 1 MiB. */
async function gzipBomb(): Promise<Buffer> {
  const out: Buffer[] = [];
  const zeros = Buffer.alloc(MiB);
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < 1024; i++) yield zeros;
      })(),
    ),
    createGzip({ level: 9 }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const c of source) out.push(c);
    },
  );
  return Buffer.concat(out);
}

/** A framed snappy stream decoding to `chunks` × 64 KiB of zeros (each chunk about 3 KiB on the wire). */
function snappyBomb(chunks: number): Buffer {
  const block = Buffer.alloc(65536);
  const payload = Buffer.from(snappy.compress(block));
  const header = Buffer.from([0x00, 0, 0, 0]);
  header.writeUIntLE(payload.length + 4, 1, 3);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(maskedCrc32c(block), 0);
  const chunk = Buffer.concat([header, crc, payload]);
  return Buffer.concat([
    Buffer.from([0xff, 6, 0, 0]),
    Buffer.from('sNaPpY'),
    ...Array.from({ length: chunks }, () => chunk),
  ]);
}

/** A raw HTTP/1.1 request whose (first) body would wipe the seeded text group if it were served. */
const H = (lines: string[], sep = '\r\n') => lines.join(sep) + sep + sep;
const WIPE = `PUT ${VICTIM} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`;

// ---------------------------------------------------------------------------------------------------
// Cases

interface Case {
  name: string;
  /** The status answered (`+`-joined for several responses on one connection). */
  send(gw: RunningGateway): Promise<string>;
  /** Statuses we may answer. */
  ours: string[];
  /** What the reference 1.5.1 answers (checked when it is installed); omitted: not sent to it. */
  reference?: string[];
  /** Set while the case fails on main (the fix is another engineer's, issue 8). */
  todo?: string;
  timeoutMs?: number;
  /** Stores into `scratch`, deleted afterwards. */
  scratch?: boolean;
  /**
   * Groups the reference stores for this rejected push and must lose again: it records a URL with a
   * non-UTF-8 value as a failed group, after which it answers every checked push 400 (docs/compatibility.md).
   */
  referenceCleanup?: string[];
}

let bomb: Buffer;

const CASES: Case[] = [
  // --- garbage, invalid UTF-8, NUL
  { name: 'garbage bytes as text', send: put(VICTIM, TEXT, garbage(64 * 1024)), ours: ['400'], reference: ['400'] },
  {
    name: 'garbage bytes as protobuf',
    send: put(VICTIM_PB, PB, garbage(64 * 1024, 7)),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'invalid UTF-8 in a label value',
    send: put(VICTIM, TEXT, Buffer.from('m{l="\xff\xfe"} 1\n', 'latin1')),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'invalid UTF-8 in a metric name',
    send: put(VICTIM, TEXT, Buffer.from('m\xff 1\n', 'latin1')),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'invalid UTF-8 in a protobuf label value',
    send: put(
      VICTIM_PB,
      PB,
      delimited(
        Buffer.concat([
          NAME_M,
          Buffer.from([0x10, 0x01, 0x22, 0x0b, 0x0a, 0x09, 0x0a, 0x01, 0x6c, 0x12, 0x02, 0xff, 0xfe, 0x12, 0x00]),
        ]),
      ),
    ),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'invalid UTF-8 in the URL, percent-encoded',
    send: put('/metrics/job/%FF', TEXT, Buffer.from('m 1\n')),
    ours: ['400'],
    reference: ['400'],
    referenceCleanup: ['/metrics/job/%FF'],
  },
  {
    name: 'invalid UTF-8 in the URL, base64',
    send: put('/metrics/job/seed_text/l@base64/_w', TEXT, Buffer.from('m 1\n')),
    ours: ['400'],
    reference: ['400'],
    referenceCleanup: ['/metrics/job/seed_text/l@base64/_w'],
  },
  {
    name: 'invalid UTF-8 in the URL, raw bytes',
    send: (gw) =>
      rawStatus(
        gw,
        Buffer.from(`PUT /metrics/job/\xff\xfe HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nm 1\n`, 'latin1'),
      ),
    ours: ['400'],
    reference: ['400'],
    referenceCleanup: ['/metrics/job/%FF%FE'],
  },
  {
    name: 'NUL bytes after a valid line',
    send: put(VICTIM, TEXT, Buffer.concat([Buffer.from('m 1\n'), Buffer.alloc(100)])),
    ours: ['400'],
    reference: ['400'],
  },
  { name: 'NUL bytes only', send: put(VICTIM, TEXT, Buffer.alloc(4096)), ours: ['400'], reference: ['400'] },
  {
    name: 'NUL in a label value (valid UTF-8: accepted)',
    send: put(SCRATCH, TEXT, Buffer.from('m{l="a\0b"} 1\n')),
    ours: ['200'],
    reference: ['200'],
    scratch: true,
  },
  {
    name: 'NUL in the URL, percent-encoded (valid UTF-8: accepted)',
    send: put('/metrics/job/scratch/l/%00', TEXT, Buffer.from('m 1\n')),
    ours: ['200'],
    reference: ['200'],
    scratch: true,
  },
  {
    name: 'NUL in the URL, raw',
    send: (gw) => rawStatus(gw, `PUT /metrics/job/a\0b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nm 1\n`),
    ours: ['400'],
    reference: ['400'],
  },

  // --- sizes
  {
    name: 'a 100 MB label value is over --push.max-body-size (64 MiB): 413',
    send: put(VICTIM, TEXT, hugeLabelValue(100 * 1000 * 1000)),
    ours: ['413'],
    timeoutMs: 120_000,
  },
  {
    name: 'an 8 MB label value is under the limit: accepted',
    send: put(SCRATCH, TEXT, hugeLabelValue(8 * 1000 * 1000)),
    ours: ['200'],
    reference: ['200'],
    scratch: true,
    timeoutMs: 60_000,
  },
  // 100,000 labels on one series currently takes ~15 s on our event loop, 80 s on a loaded machine
  // (quadratic label handling, finding 1 of issue 8, being fixed by another engineer): hence the generous
  // timeout. Not sent to the
  // reference, which is slow on it too.
  {
    name: '100,000 labels on one series: accepted',
    send: put(SCRATCH, TEXT, manyLabels(100_000)),
    ours: ['200'],
    scratch: true,
    timeoutMs: 300_000,
  },

  // --- protobuf length bombs
  {
    name: 'protobuf: a length prefix claiming 2^60 bytes',
    send: put(VICTIM_PB, PB, Buffer.concat([varint(2n ** 60n), NAME_M])),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'protobuf: a length prefix of 2^64-1',
    send: put(VICTIM_PB, PB, Buffer.concat([varint(2n ** 64n - 1n), NAME_M])),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'protobuf: a length prefix varint that never ends',
    send: put(VICTIM_PB, PB, Buffer.alloc(64, 0xff)),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'protobuf: a message length past the end of the body',
    send: put(VICTIM_PB, PB, Buffer.concat([varint(1000n), NAME_M])),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'protobuf: a field length past the end of its message',
    send: put(
      VICTIM_PB,
      PB,
      delimited(Buffer.concat([NAME_M, Buffer.from([0x22]), varint(2n ** 60n), Buffer.from('xx')])),
    ),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'protobuf: a field length past the end of the message but inside the body',
    send: put(
      VICTIM_PB,
      PB,
      Buffer.concat([delimited(Buffer.concat([NAME_M, Buffer.from([0x22, 0x20])])), Buffer.alloc(64, 0x08)]),
    ),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'protobuf: unknown groups nested 10,000 deep (skipped as unknown fields: accepted)',
    // Finding 5 of issue 8: a stack overflow answered 500; now skipped without recursion, as 1.5.1 does.
    // 1.5.1 answers 200 on a fresh gateway (checked by hand); after this suite's earlier cases it has
    // answered 400, from state those left behind (its deletes are queued, answered before applied).
    send: put(SCRATCH, PB, delimited(Buffer.concat([NAME_M, Buffer.alloc(10_000, 0x7b), Buffer.alloc(10_000, 0x7c)]))),
    ours: ['200'],
    reference: ['200', '400'],
    scratch: true,
  },
  {
    name: 'protobuf: an unknown group that is never closed',
    send: put(VICTIM_PB, PB, delimited(Buffer.concat([NAME_M, Buffer.alloc(1_000, 0x7b)]))),
    ours: ['400'],
    reference: ['400'],
  },

  // --- compression bombs
  {
    name: 'gzip bomb: 1 GiB of zeros in about 1 MiB → 413',
    // The bomb is made in before(): read it when the case runs.
    send: (gw) => put(VICTIM, { ...TEXT, 'Content-Encoding': 'gzip' }, bomb)(gw),
    ours: ['413'],
    reference: ['400', 'reset'],
  },
  {
    name: 'snappy framed bomb: 72 MiB of zeros in 3 MiB → 413',
    send: put(VICTIM, { ...TEXT, 'Content-Encoding': 'snappy' }, snappyBomb(1152)),
    ours: ['413'],
    reference: ['400', 'reset'],
  },
  {
    name: 'gzip: valid header, truncated deflate data',
    send: put(VICTIM, { ...TEXT, 'Content-Encoding': 'gzip' }, gzipSync(Buffer.from('m 1\n')).subarray(0, 14)),
    ours: ['400'],
    reference: ['400'],
  },

  // --- request smuggling (raw socket): a second, smuggled request would wipe the seeded text group
  // Go lets Transfer-Encoding win over Content-Length (RFC 9112 §6.3) and serves what follows the chunked
  // body as a second request: the reference answers twice and the smuggled PUT wipes the group. Node
  // refuses the message.
  {
    name: 'smuggling: Content-Length and Transfer-Encoding',
    send: (gw) =>
      rawStatus(
        gw,
        H([
          `PUT ${VICTIM} HTTP/1.1`,
          'Host: x',
          `Content-Length: ${5 + WIPE.length}`,
          'Transfer-Encoding: chunked',
        ]).concat('0\r\n\r\n', WIPE),
      ),
    ours: ['400'],
    reference: ['200+200'],
  },
  {
    name: 'smuggling: Transfer-Encoding and Content-Length',
    send: (gw) =>
      rawStatus(
        gw,
        H([`PUT ${VICTIM} HTTP/1.1`, 'Host: x', 'Transfer-Encoding: chunked', 'Content-Length: 3']).concat(
          '0\r\n\r\n',
          WIPE,
        ),
      ),
    ours: ['400'],
    reference: ['200+200'],
  },
  {
    name: 'smuggling: two Content-Length headers with different values',
    send: (gw) =>
      rawStatus(
        gw,
        H([`PUT ${VICTIM} HTTP/1.1`, 'Host: x', 'Content-Length: 0', `Content-Length: ${WIPE.length}`]) + WIPE,
      ),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'smuggling: Content-Length with two values in one header',
    send: (gw) => rawStatus(gw, H([`PUT ${VICTIM} HTTP/1.1`, 'Host: x', `Content-Length: 0, ${WIPE.length}`]) + WIPE),
    ours: ['400'],
    reference: ['400'],
  },
  // Go joins the folded line (`identity chunked`) and refuses that encoding with 501; Node refuses obs-fold.
  {
    name: 'smuggling: obs-fold continuation of Transfer-Encoding',
    send: (gw) =>
      rawStatus(
        gw,
        H([
          `PUT ${VICTIM} HTTP/1.1`,
          'Host: x',
          `Content-Length: ${WIPE.length}`,
          'Transfer-Encoding: identity',
          ' chunked',
        ]) + WIPE,
      ),
    ours: ['400'],
    reference: ['501'],
  },
  {
    name: 'obs-fold in an ordinary header',
    send: (gw) =>
      rawStatus(
        gw,
        H([`PUT ${VICTIM} HTTP/1.1`, 'Host: x', 'X-Folded: a', ' b', `Content-Length: ${WIPE.length}`]) + WIPE,
      ),
    ours: ['400'],
    reference: ['400'],
  },
  {
    name: 'smuggling: bare LF line endings',
    send: (gw) =>
      rawStatus(gw, H([`PUT ${VICTIM} HTTP/1.1`, 'Host: x', `Content-Length: ${WIPE.length}`], '\n') + WIPE),
    ours: ['400'],
    reference: ['400'],
  },
  // Go's chunked reader fails ("http chunk length too large"); the reference's text parser takes that as
  // the end of the body and stores an empty push (200). Node refuses the message.
  {
    name: 'smuggling: chunk size overflowing 64 bits',
    send: (gw) =>
      rawStatus(
        gw,
        H([`PUT ${VICTIM} HTTP/1.1`, 'Host: x', 'Transfer-Encoding: chunked']).concat(
          '1000000000000000000000001\r\nx\r\n0\r\n\r\n',
        ),
      ),
    ours: ['400'],
    reference: ['200'],
  },

  // --- request line and headers
  {
    name: 'a 2 MiB request line',
    send: (gw) =>
      rawStatus(gw, `PUT ${VICTIM}/l/${'a'.repeat(2 * MiB)} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`),
    ours: ['431'],
    reference: ['431'],
  },
  {
    name: 'a 2 MiB header',
    send: (gw) =>
      rawStatus(gw, `PUT ${VICTIM} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2 * MiB)}\r\nContent-Length: 0\r\n\r\n`),
    ours: ['431'],
    reference: ['431'],
  },
];

// ---------------------------------------------------------------------------------------------------
// Seeding and the state check

async function seed(gw: RunningGateway): Promise<void> {
  const text =
    '# HELP seed_requests_total Requests.\n# TYPE seed_requests_total counter\n' +
    'seed_requests_total{code="200"} 17\nseed_requests_total{code="500"} 2\n' +
    '# TYPE seed_latency_seconds histogram\nseed_latency_seconds_bucket{le="1"} 3\n' +
    'seed_latency_seconds_bucket{le="+Inf"} 4\nseed_latency_seconds_sum 5.5\nseed_latency_seconds_count 4\n';
  assert.equal(await send(gw, 'PUT', VICTIM, TEXT, Buffer.from(text)), 200);
  const pb = encodeDelimited([
    {
      name: 'seed_pb_value',
      help: 'From protobuf.',
      type: 'GAUGE',
      metrics: [{ labels: [{ name: 'x', value: 'ü "q"' }], value: 3.25 }],
    },
  ]);
  assert.equal(await send(gw, 'PUT', VICTIM_PB, PB, pb), 200);
  assert.equal(
    await send(
      gw,
      'PUT',
      '/metrics/job/seed_gz/path@base64/L3Zhci90bXA',
      { ...TEXT, 'Content-Encoding': 'gzip' },
      gzipSync(Buffer.from('seed_gz_bytes 1e+06\n')),
    ),
    200,
  );
}

/** The seeded groups as /metrics and /api/v1/metrics show them. */
async function seededState(gw: RunningGateway): Promise<{ scrape: string; api: string }> {
  const scrape = (await (await fetch(`${gw.url}/metrics`)).text())
    .split('\n')
    .filter((l) => l.includes('job="seed_'))
    .join('\n');
  const json = (await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as {
    data: Array<{ labels: Record<string, string> }>;
  };
  const api = JSON.stringify(json.data.filter((g) => g.labels.job?.startsWith('seed_')));
  return { scrape, api };
}

async function assertServing(gw: RunningGateway): Promise<void> {
  const res = await fetch(`${gw.url}/-/healthy`);
  await res.arrayBuffer();
  assert.equal(res.status, 200, 'the gateway stopped serving');
}

describe('bad input over HTTP', { timeout: 600_000 }, () => {
  let ours: RunningGateway;
  let reference: RunningGateway | undefined;
  let before0: { scrape: string; api: string };
  const noReference = referenceSkipReason();
  const table: string[] = [];

  before(async () => {
    bomb = await gzipBomb();
    ours = await startOurs();
    await seed(ours);
    before0 = await seededState(ours);
    // 6 + 1 + 1 sample lines, and push_time_seconds and push_failure_time_seconds of each group.
    assert.equal(before0.scrape.split('\n').length, 8 + 3 * 2);
    if (noReference === false) {
      reference = await startReference();
      await seed(reference);
    }
  });
  after(async () => {
    await ours?.stop();
    await reference?.stop();
    if (table.length > 0) console.log(['', 'case | ours | reference', ...table].join('\n'));
  });

  for (const c of CASES) {
    it(c.name, { timeout: c.timeoutMs ?? 30_000, ...(c.todo === undefined ? {} : { todo: c.todo }) }, async () => {
      const status = await c.send(ours);
      let refStatus: string | undefined;
      if (reference !== undefined && c.reference !== undefined) {
        refStatus = await c.send(reference);
        for (const path of c.referenceCleanup ?? []) await send(reference, 'DELETE', path, {});
      }
      table.push(`${c.name} | ${status} | ${refStatus ?? '-'}`);
      assert.ok(c.ours.includes(status), `answered ${status}, expected ${c.ours.join(' or ')}`);
      await assertServing(ours);
      if (c.scratch === true) {
        assert.equal(await send(ours, 'DELETE', SCRATCH, {}), 202);
        if (reference !== undefined && refStatus !== undefined) await send(reference, 'DELETE', SCRATCH, {});
      }
      assert.deepEqual(await seededState(ours), before0, 'a seeded group changed');
      if (refStatus !== undefined) {
        assert.ok(
          c.reference!.includes(refStatus),
          `the reference answered ${refStatus}, we recorded ${c.reference!.join(' or ')}`,
        );
      }
    });
  }

  it('half-sent headers on many connections do not stop others being served', async () => {
    const partial = await Promise.all(
      Array.from({ length: 50 }, () => openPartial(ours.port, `PUT ${VICTIM} HTTP/1.1\r\nHost: x\r\nContent-Le`)),
    );
    try {
      await assertServing(ours);
      assert.equal(await send(ours, 'PUT', SCRATCH, TEXT, Buffer.from('m 1\n')), 200);
      assert.equal(await send(ours, 'DELETE', SCRATCH, {}), 202);
      assert.deepEqual(await seededState(ours), before0);
    } finally {
      for (const s of partial) s.destroy();
    }
  });
});
