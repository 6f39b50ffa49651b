/**
 * Protobuf pushes and the protobuf exposition over real HTTP: every MetricFamily field lands in the one
 * model and comes back out — in full in a protobuf scrape (decoded here by @bufbuild/protobuf, an
 * independent implementation), collapsed to +Inf/_sum/_count for native histograms in a text scrape.
 * Bad streams are 400 with a reason, and nothing is stored.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { sizeDelimitedDecodeStream } from '@bufbuild/protobuf/wire';
import { MetricFamilyDesc } from '../oracles/client-model/schema.js';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { encodeDelimited, parseProtobufBody } from '../../src/format/protobuf.js';
import type { MetricFamily } from '../../src/model/metric.js';
import { FIXTURE } from '../helpers/protobuf-fixture.js';

const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const PB_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

interface Reply {
  status: number;
  text: string;
  contentType: string | null;
}

async function push(
  gw: RunningGateway,
  method: string,
  path: string,
  body: Buffer,
  contentType = PB_TYPE,
): Promise<Reply> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    body: new Uint8Array(body),
    headers: { 'Content-Type': contentType },
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') };
}

async function scrapeText(gw: RunningGateway): Promise<string> {
  const res = await fetch(`${gw.url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** A protobuf scrape decoded by bufbuild, as plain JSON-able objects keyed by family name. */
async function scrapeProtobuf(
  gw: RunningGateway,
): Promise<{ contentType: string | null; families: Map<string, Record<string, unknown>>; raw: Buffer }> {
  const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: PB_ACCEPT } });
  assert.equal(res.status, 200);
  const raw = Buffer.from(await res.arrayBuffer());
  const families = new Map<string, Record<string, unknown>>();
  async function* one() {
    yield new Uint8Array(raw);
  }
  for await (const m of sizeDelimitedDecodeStream(MetricFamilyDesc, one())) {
    const f = m as unknown as Record<string, unknown>;
    families.set(f.name as string, f);
  }
  return { contentType: res.headers.get('content-type'), families, raw };
}

/** Our families as pushed, with the grouping labels the gateway adds, for comparing scrapes. */
function withGrouping(families: MetricFamily[], job: string): MetricFamily[] {
  return families.map((f) => ({
    ...f,
    metrics: f.metrics.map((m) => ({
      ...m,
      labels: [...m.labels, { name: 'instance', value: '' }, { name: 'job', value: job }].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      ),
    })),
  }));
}

describe('protobuf push and exposition', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
  });
  after(async () => {
    await gw.stop();
  });

  it('a push of every field comes back identical in a protobuf scrape (checked by bufbuild)', async () => {
    const r = await push(gw, 'PUT', '/metrics/job/all', encodeDelimited(FIXTURE));
    assert.deepEqual([r.status, r.text], [200, '']);
    const { contentType, families, raw } = await scrapeProtobuf(gw);
    assert.equal(contentType, `${PB_TYPE}; escaping=underscores`);
    const want = encodeDelimited(withGrouping(FIXTURE, 'all'));
    // Each pushed family, re-encoded by bufbuild from its decoding of our scrape, equals bufbuild's
    // decoding of the expected family.
    for (const expected of parseProtobufBody(want, { utf8Names: false })) {
      const got = families.get(expected.name);
      assert.ok(got !== undefined, `family ${expected.name} missing from the protobuf scrape`);
      const wantMsg = fromBinary(
        MetricFamilyDesc,
        encodeDelimited([expected]).subarray(varintLength(encodeDelimited([expected]))),
      );
      assert.deepEqual(
        Buffer.from(toBinary(MetricFamilyDesc, got as never)),
        Buffer.from(toBinary(MetricFamilyDesc, wantMsg)),
        `family ${expected.name}`,
      );
    }
    // Our own decoder reads the same scrape back to the model, 64-bit counts exact.
    const ours = parseProtobufBody(raw, { utf8Names: false });
    const big = ours.find((f) => f.name === 'h_big')!.metrics[0]!.histogram!;
    assert.equal(big.sampleCountExact, 2n ** 60n + 1n);
    assert.ok(ours.some((f) => f.name === 'push_time_seconds'));
    assert.ok(ours.some((f) => f.name === 'pushgateway_build_info'));
  });

  it('the text scrape collapses native histograms to +Inf bucket, _sum and _count', async () => {
    const text = await scrapeText(gw);
    const lines = (name: string) =>
      text.split('\n').filter((l) => new RegExp(`^${name}_(bucket|sum|count)\\{`).test(l));
    assert.deepEqual(lines('h_native'), [
      'h_native_bucket{instance="",job="all",le_not="x",le="+Inf"} 7',
      'h_native_sum{instance="",job="all",le_not="x"} 12.25',
      'h_native_count{instance="",job="all",le_not="x"} 7',
    ]);
    assert.deepEqual(lines('h_native_float'), [
      'h_native_float_bucket{instance="",job="all",le="+Inf"} 4.25',
      'h_native_float_sum{instance="",job="all"} -2',
      'h_native_float_count{instance="",job="all"} 4.25',
    ]);
    // A count above 2^53 is shown as the nearest double, as Go's float64 conversion does.
    assert.ok(text.includes('h_big_count{instance="",job="all"} 1.152921504606847e+18\n'), text);
    assert.ok(
      text.includes('# HELP c_total counter help\n# TYPE c_total counter\nc_total{a="1",instance="",job="all"} 42.5\n'),
    );
  });

  it('duplicate family names in one push: the last one wins', async () => {
    const fam = (v: number): MetricFamily => ({ name: 'dup', type: 'GAUGE', metrics: [{ labels: [], value: v }] });
    assert.equal((await push(gw, 'PUT', '/metrics/job/dup', encodeDelimited([fam(1), fam(2)]))).status, 200);
    assert.match(await scrapeText(gw), /^dup\{instance="",job="dup"\} 2$/m);
  });

  it('Content-Type parameters in any order (and quoted) select protobuf', async () => {
    const fam: MetricFamily = { name: 'order', type: 'GAUGE', metrics: [{ labels: [], value: 5 }] };
    const types = [
      'application/vnd.google.protobuf; encoding=delimited; proto=io.prometheus.client.MetricFamily',
      'Application/Vnd.Google.Protobuf;proto="io.prometheus.client.MetricFamily";encoding="delimited"',
    ];
    for (const ct of types) {
      const r = await push(gw, 'PUT', '/metrics/job/order', encodeDelimited([fam]), ct);
      assert.equal(r.status, 200, `${ct}: ${r.text}`);
    }
    assert.match(await scrapeText(gw), /^order\{instance="",job="order"\} 5$/m);
  });

  it('a truncated stream is 400 unexpected EOF and nothing is stored, not even the group', async () => {
    const body = encodeDelimited([{ name: 'trunc', type: 'GAUGE', metrics: [{ labels: [], value: 1 }] }]);
    const r = await push(gw, 'PUT', '/metrics/job/trunc', body.subarray(0, body.length - 2));
    assert.deepEqual([r.status, r.text], [400, 'unexpected EOF\n']);
    assert.doesNotMatch(await scrapeText(gw), /trunc/);
  });

  it('malformed messages, empty and invalid names are 400 naming the problem; stored data is untouched', async () => {
    const keep: MetricFamily = { name: 'keep', type: 'GAUGE', metrics: [{ labels: [], value: 1 }] };
    assert.equal((await push(gw, 'PUT', '/metrics/job/bad', encodeDelimited([keep]))).status, 200);
    const before = await scrapeText(gw);
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from([3, 0x0a, 0x05, 0x61]), /^invalid MetricFamily #1: truncated length-delimited field\n$/],
      [Buffer.from([2, 0x0f, 0x00]), /^invalid MetricFamily #1: invalid wire type 7 in field 1\n$/],
      [encodeDelimited([{ ...keep, name: '' }]), /^MetricFamily #1 has no name\n$/],
      [encodeDelimited([keep, { ...keep, name: 'pb.bad-name' }]), /^invalid metric name "pb.bad-name"\n$/],
    ];
    for (const [body, message] of cases) {
      for (const method of ['PUT', 'POST']) {
        const r = await push(gw, method, '/metrics/job/bad', body);
        assert.equal(r.status, 400, `${method} ${body.toString('hex')}`);
        assert.match(r.text, message);
      }
    }
    assert.equal(await scrapeText(gw).then(stripTimes), stripTimes(before));
  });

  it(
    'unknown groups nested 10,000 deep are skipped (200, as the reference), a deep unterminated one is ' + '400',
    async () => {
      // Before the skip became iterative, 10,000 levels (40 KB) overflowed the stack and answered 500.
      const deep = (depth: number, closed: number) => {
        const tag = (wt: number) => {
          const t = (100 << 3) | wt;
          return [(t & 0x7f) | 0x80, t >> 7];
        };
        const head = encodeDelimited([{ name: 'deep', type: 'GAUGE', metrics: [{ labels: [], value: 7 }] }]);
        const msg = Buffer.concat([
          head.subarray(varintLength(head)),
          Buffer.from([...Array<number[]>(depth).fill(tag(3)).flat(), ...Array<number[]>(closed).fill(tag(4)).flat()]),
        ]);
        const len: number[] = [];
        for (let n = msg.length; ; n = Math.floor(n / 128)) {
          if (n < 128) {
            len.push(n);
            break;
          }
          len.push((n & 0x7f) | 0x80);
        }
        return Buffer.concat([Buffer.from(len), msg]);
      };
      const ok = await push(gw, 'PUT', '/metrics/job/deep', deep(10_000, 10_000));
      assert.deepEqual([ok.status, ok.text], [200, '']);
      assert.match(await scrapeText(gw), /^deep\{instance="",job="deep"\} 7$/m);
      const bad = await push(gw, 'PUT', '/metrics/job/deep', deep(100_000, 99_999));
      assert.deepEqual([bad.status, bad.text], [400, 'invalid MetricFamily #1: unterminated group in field 100\n']);
      assert.match(await scrapeText(gw), /^deep\{instance="",job="deep"\} 7$/m);
    },
  );

  it('a label name invalid under legacy rules fails the consistency check with 400', async () => {
    const fam: MetricFamily = {
      name: 'lbl',
      type: 'GAUGE',
      metrics: [{ labels: [{ name: 'a-b', value: 'x' }], value: 1 }],
    };
    const r = await push(gw, 'PUT', '/metrics/job/lbl', encodeDelimited([fam]));
    assert.equal(r.status, 400);
    assert.match(
      r.text,
      new RegExp(
        /^pushed metrics are invalid or inconsistent with existing metrics: collected metric /.source +
          /"lbl" .* has a label with an invalid name: a-b/.source,
      ),
    );
  });

  it('a protobuf metric without the payload of its type fails the check (is not a GAUGE)', async () => {
    // MetricFamily{name:"np", type:GAUGE, metric:[{counter:{value:1}}]}
    const msg = Buffer.from([
      0x0a, 0x02, 0x6e, 0x70, 0x18, 0x01, 0x22, 0x0b, 0x1a, 0x09, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
    ]);
    const r = await push(gw, 'PUT', '/metrics/job/np', Buffer.concat([Buffer.from([msg.length]), msg]));
    assert.equal(r.status, 400);
    assert.match(r.text, /collected metric "np" \{ .*\} is not a GAUGE/);
  });
});

function varintLength(b: Buffer): number {
  let i = 0;
  while (b[i]! >= 0x80) i++;
  return i + 1;
}

function stripTimes(text: string): string {
  return text
    .split('\n')
    .filter(
      (l) =>
        !/^(push_|process_|nodejs_|pushgateway_)/.test(l) && !/^# (HELP|TYPE) (process_|nodejs_|pushgateway_)/.test(l),
    )
    .join('\n');
}
