/**
 * Content-Encoding of push bodies over real HTTP: gzip and snappy (the framed stream format, produced
 * here by golang/snappy — the reference's own codec — through the Go test client, and by our encoder),
 * matched case-insensitively, for text and protobuf bodies; other encodings are ignored. Corrupt or
 * truncated bodies are 400 and store nothing; a compression bomb is stopped at --push.max-body-size
 * (413) without exhausting memory.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { goPusher, runGoPusher } from '../clients/go-client.js';
import { snappyFramed } from '../../src/format/body.js';
import { encodeDelimited } from '../../src/format/protobuf.js';

const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

interface Reply {
  status: number;
  text: string;
}

async function push(gw: RunningGateway, job: string, body: Buffer, headers: Record<string, string>): Promise<Reply> {
  const res = await fetch(`${gw.url}/metrics/job/${job}`, { method: 'PUT', body: new Uint8Array(body), headers });
  return { status: res.status, text: await res.text() };
}

async function scrape(gw: RunningGateway): Promise<string> {
  const res = await fetch(`${gw.url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

const textBody = (job: string, n = 1) =>
  Buffer.from(Array.from({ length: n }, (_v, i) => `${job}_m{i="${i}"} ${i}\n`).join(''));

describe('request compression', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
  });
  after(async () => {
    await gw.stop();
  });

  it('gzip, in any letter case, for text and protobuf bodies', async () => {
    for (const [job, enc] of [
      ['gz1', 'gzip'],
      ['gz2', 'GZIP'],
      ['gz3', 'GZip'],
    ] as const) {
      assert.deepEqual(await push(gw, job, gzipSync(textBody(job)), { 'Content-Encoding': enc }), {
        status: 200,
        text: '',
      });
    }
    const pb = encodeDelimited([{ name: 'gzpb', type: 'GAUGE', metrics: [{ labels: [], value: 4 }] }]);
    assert.equal(
      (await push(gw, 'gzpb', gzipSync(pb), { 'Content-Encoding': 'gzip', 'Content-Type': PB_TYPE })).status,
      200,
    );
    const text = await scrape(gw);
    for (const job of ['gz1', 'gz2', 'gz3'])
      assert.match(text, new RegExp(`^${job}_m\\{i="0",instance="",job="${job}"\\} 0$`, 'm'));
    assert.match(text, /^gzpb\{instance="",job="gzpb"\} 4$/m);
  });

  it("snappy framed stream written by golang/snappy (the reference's codec), several chunks", async (t) => {
    const go = goPusher();
    if ('skip' in go) return t.skip(go.skip);
    const body = textBody('sn1', 5000); // > 64 KiB: several chunks
    assert.ok(body.length > 65536);
    const framed = await runGoPusher(go.binary, ['snappy'], body);
    assert.equal(framed.status, 0, framed.stderr);
    assert.equal((await push(gw, 'sn1', framed.stdout, { 'Content-Encoding': 'Snappy' })).status, 200);
    const pb = encodeDelimited([{ name: 'snpb', type: 'COUNTER', metrics: [{ labels: [], value: 9 }] }]);
    const framedPb = await runGoPusher(go.binary, ['snappy'], pb);
    assert.equal(
      (await push(gw, 'snpb', framedPb.stdout, { 'Content-Encoding': 'snappy', 'Content-Type': PB_TYPE })).status,
      200,
    );
    const text = await scrape(gw);
    assert.match(text, /^sn1_m\{i="4999",instance="",job="sn1"\} 4999$/m);
    assert.match(text, /^snpb\{instance="",job="snpb"\} 9$/m);
  });

  it('snappy: uncompressed chunks, padding and skippable chunks are read', async () => {
    const plain = snappyFramed(textBody('sn2'), false);
    const padding = Buffer.from([0xfe, 3, 0, 0, 0, 0, 0, 0x80, 1, 0, 0, 0xaa]);
    const body = Buffer.concat([plain.subarray(0, 10), padding, plain.subarray(10)]);
    assert.deepEqual(await push(gw, 'sn2', body, { 'Content-Encoding': 'SNAPPY' }), { status: 200, text: '' });
    assert.match(await scrape(gw), /^sn2_m\{i="0",instance="",job="sn2"\} 0$/m);
  });

  it('an empty snappy body is an empty push', async () => {
    assert.equal((await push(gw, 'sn3', Buffer.alloc(0), { 'Content-Encoding': 'snappy' })).status, 200);
    assert.match(await scrape(gw), /^push_time_seconds\{instance="",job="sn3"\} /m);
  });

  it('other encodings are ignored and the body read as it is', async () => {
    assert.equal((await push(gw, 'br1', textBody('br1'), { 'Content-Encoding': 'br' })).status, 200);
    assert.match(await scrape(gw), /^br1_m\{i="0",instance="",job="br1"\} 0$/m);
  });

  it('corrupt or truncated bodies are 400 naming the problem, and nothing is stored', async () => {
    const gz = gzipSync(textBody('bad', 50));
    const flipped = Buffer.from(gz);
    flipped.writeUInt8(flipped.readUInt8(20) ^ 0xff, 20);
    const sn = snappyFramed(textBody('bad', 50));
    const badCrc = Buffer.from(sn);
    badCrc.writeUInt8(badCrc.readUInt8(14) ^ 0x01, 14); // first byte of the first data chunk's checksum
    const cases: Array<[string, Buffer, string, RegExp]> = [
      ['gzip bad header', Buffer.from('this is not gzip at all'), 'gzip', /^gzip: invalid header$/],
      ['gzip truncated', gz.subarray(0, gz.length - 8), 'gzip', /^unexpected EOF$/],
      ['gzip corrupt data', flipped, 'gzip', /^(flate: corrupt input|gzip: invalid checksum|unexpected EOF)$/],
      [
        'gzip bad CRC',
        Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.alloc(4), gz.subarray(gz.length - 4)]),
        'gzip',
        /^gzip: invalid checksum$/,
      ],
      [
        'gzip bad length',
        Buffer.concat([gz.subarray(0, gz.length - 4), Buffer.from([1, 2, 3, 4])]),
        'gzip',
        /^gzip: invalid checksum$/,
      ],
      [
        'gzip bad block type',
        Buffer.concat([gz.subarray(0, 10), Buffer.from([0xff, 0xff]), gz.subarray(12)]),
        'gzip',
        /^flate: corrupt input$/,
      ],
      [
        'gzip garbage after the member',
        Buffer.concat([gz, Buffer.from('garbage garbage')]),
        'gzip',
        /^gzip: invalid header$/,
      ],
      ['snappy checksum', badCrc, 'snappy', /^snappy: corrupt input \(checksum mismatch\)$/],
      [
        'snappy no stream identifier',
        sn.subarray(10),
        'snappy',
        /^snappy: corrupt input \(missing stream identifier\)$/,
      ],
      ['snappy truncated', sn.subarray(0, sn.length - 3), 'snappy', /^unexpected EOF$/],
      [
        'snappy reserved chunk',
        Buffer.concat([sn.subarray(0, 10), Buffer.from([0x02, 0, 0, 0])]),
        'snappy',
        /^snappy: unsupported input/,
      ],
      [
        'snappy raw block (not framed)',
        Buffer.from([5, 0x10, 0x61, 0x20, 0x31, 0x0a]),
        'snappy',
        /^snappy: corrupt input/,
      ],
    ];
    for (const [what, body, enc, message] of cases) {
      const r = await push(gw, 'bad', body, { 'Content-Encoding': enc });
      assert.equal(r.status, 400, what);
      assert.match(r.text.trimEnd(), message, what);
    }
    assert.doesNotMatch(await scrape(gw), /job="bad"/);
  });
});

describe('decompressed size limit (--push.max-body-size)', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs(['--push.max-body-size=1MiB']);
  });
  after(async () => {
    await gw.stop();
  });

  it('a gzip or snappy bomb is refused with 413 and nothing is stored; the gateway stays healthy', async () => {
    // 16 MiB of spaces: both compressed forms stay under the 1 MiB raw limit (snappy's ratio is at most ~21:1).
    const huge = Buffer.concat([textBody('bomb'), Buffer.alloc(16 << 20, 0x20), Buffer.from('\n')]);
    const gz = gzipSync(huge);
    const sn = snappyFramed(huge);
    assert.ok(gz.length < 1 << 20 && sn.length < 1 << 20, `${gz.length} ${sn.length}`);
    for (const [body, enc] of [
      [gz, 'gzip'],
      [sn, 'snappy'],
    ] as const) {
      const r = await push(gw, 'bomb', body, { 'Content-Encoding': enc });
      assert.equal(r.status, 413, enc);
      assert.match(
        r.text,
        /^decompressed request body exceeds the limit of 1048576 bytes \(--push\.max-body-size\)\n$/,
      );
    }
    assert.doesNotMatch(await scrape(gw), /job="bomb"/);
    // Just under the limit is fine.
    const ok = Buffer.concat([textBody('fits'), Buffer.alloc((1 << 20) - 100, 0x20), Buffer.from('\n')]);
    assert.equal((await push(gw, 'fits', gzipSync(ok), { 'Content-Encoding': 'gzip' })).status, 200);
    assert.equal((await push(gw, 'fits2', snappyFramed(ok), { 'Content-Encoding': 'snappy' })).status, 200);
  });
});
