/**
 * Our hand-written MetricFamily codec (src/format/protobuf.ts) checked against an independent
 * implementation, @bufbuild/protobuf with the client_model schema (test/oracles/client-model/schema.ts):
 * what bufbuild encodes we decode to the expected model (packed and unpacked), what we encode bufbuild
 * decodes to the same message, and our own round trip is lossless — 64-bit counts included. Then the
 * error paths: every truncation and random corruption ends in a ProtobufParseError, never a crash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { sizeDelimitedDecodeStream, sizeDelimitedEncode } from '@bufbuild/protobuf/wire';
import { MetricFamilyDesc, MetricFamilyPackedDesc } from '../oracles/client-model/schema.js';
import { encodeDelimited, parseProtobufBody } from '../../src/format/protobuf.js';
import type { Exemplar, Histogram, LabelPair, MetricFamily, Timestamp } from '../../src/model/metric.js';
import { BIG, FIXTURE } from '../helpers/protobuf-fixture.js';
import { ProtobufParseError } from '../../src/errors.js';

// ---------------------------------------------------------------------------------------------------
// The model → bufbuild init shape (field by field; used to build the oracle's messages)

const TYPE_NUMBERS = { COUNTER: 0, GAUGE: 1, SUMMARY: 2, UNTYPED: 3, HISTOGRAM: 4, GAUGE_HISTOGRAM: 5 } as const;
const pbTs = (t: Timestamp) => ({ seconds: BigInt(t.seconds), nanos: t.nanos });
const pbLabels = (ls: LabelPair[]) => ls.map((l) => ({ name: l.name, value: l.value }));
const pbEx = (e: Exemplar) => ({
  label: pbLabels(e.labels),
  value: e.value,
  ...(e.timestamp ? { timestamp: pbTs(e.timestamp) } : {}),
});

function pbHistogram(h: Histogram): Record<string, unknown> {
  const o: Record<string, unknown> = {
    sampleCount: h.sampleCountExact ?? BigInt(h.sampleCount),
    sampleSum: h.sampleSum,
    bucket: h.buckets.map((b) => ({
      cumulativeCount: b.cumulativeCountExact ?? BigInt(b.cumulativeCount),
      upperBound: b.upperBound,
      ...(b.cumulativeCountFloat === undefined ? {} : { cumulativeCountFloat: b.cumulativeCountFloat }),
      ...(b.exemplar ? { exemplar: pbEx(b.exemplar) } : {}),
    })),
  };
  if (h.sampleCountFloat !== undefined) o.sampleCountFloat = h.sampleCountFloat;
  if (h.createdTimestamp) o.createdTimestamp = pbTs(h.createdTimestamp);
  if (h.schema !== undefined) o.schema = h.schema;
  if (h.zeroThreshold !== undefined) o.zeroThreshold = h.zeroThreshold;
  if (h.zeroCount !== undefined) o.zeroCount = h.zeroCountExact ?? BigInt(h.zeroCount);
  if (h.zeroCountFloat !== undefined) o.zeroCountFloat = h.zeroCountFloat;
  if (h.negativeSpans) o.negativeSpan = h.negativeSpans;
  if (h.negativeDeltas) o.negativeDelta = h.negativeDeltas.map(BigInt);
  if (h.negativeCounts) o.negativeCount = h.negativeCounts;
  if (h.positiveSpans) o.positiveSpan = h.positiveSpans;
  if (h.positiveDeltas) o.positiveDelta = h.positiveDeltas.map(BigInt);
  if (h.positiveCounts) o.positiveCount = h.positiveCounts;
  if (h.exemplars) o.exemplars = h.exemplars.map(pbEx);
  return o;
}

function pbFamily(desc: DescMessage, f: MetricFamily) {
  return create(desc, {
    name: f.name,
    type: TYPE_NUMBERS[f.type],
    ...(f.help === undefined ? {} : { help: f.help }),
    ...(f.unit === undefined ? {} : { unit: f.unit }),
    metric: f.metrics.map((m) => {
      const o: Record<string, unknown> = { label: pbLabels(m.labels) };
      if (f.type === 'COUNTER') {
        o.counter = {
          value: m.value,
          ...(m.exemplar ? { exemplar: pbEx(m.exemplar) } : {}),
          ...(m.createdTimestamp ? { createdTimestamp: pbTs(m.createdTimestamp) } : {}),
        };
      } else if (f.type === 'GAUGE') o.gauge = { value: m.value };
      else if (f.type === 'UNTYPED') o.untyped = { value: m.value };
      else if (f.type === 'SUMMARY') {
        const s = m.summary!;
        o.summary = {
          sampleCount: s.sampleCountExact ?? BigInt(s.sampleCount),
          sampleSum: s.sampleSum,
          quantile: s.quantiles,
          ...(s.createdTimestamp ? { createdTimestamp: pbTs(s.createdTimestamp) } : {}),
        };
      } else o.histogram = pbHistogram(m.histogram!);
      return o;
    }),
  } as never);
}

function bufbuildDelimited(desc: DescMessage, families: MetricFamily[]): Buffer {
  return Buffer.concat(families.map((f) => sizeDelimitedEncode(desc, pbFamily(desc, f))));
}

async function bufbuildDecode(bytes: Buffer) {
  const out = [];
  async function* one() {
    yield new Uint8Array(bytes);
  }
  for await (const m of sizeDelimitedDecodeStream(MetricFamilyDesc, one())) out.push(m);
  return out;
}

const opts = { utf8Names: false };

describe('protobuf codec against @bufbuild/protobuf', () => {
  it('decodes what bufbuild encodes (unpacked repeated scalars) into the expected model', () => {
    assert.deepEqual(parseProtobufBody(bufbuildDelimited(MetricFamilyDesc, FIXTURE), opts), FIXTURE);
  });

  it('decodes packed repeated scalars to the same model', () => {
    const packed = bufbuildDelimited(MetricFamilyPackedDesc, FIXTURE);
    assert.notDeepEqual(
      packed,
      bufbuildDelimited(MetricFamilyDesc, FIXTURE),
      'the packed variant must differ on the wire',
    );
    assert.deepEqual(parseProtobufBody(packed, opts), FIXTURE);
  });

  it('encodes what bufbuild decodes to the same messages, 64-bit counts exact', async () => {
    const decoded = await bufbuildDecode(encodeDelimited(FIXTURE));
    assert.equal(decoded.length, FIXTURE.length);
    for (const [i, f] of FIXTURE.entries()) {
      const want = pbFamily(MetricFamilyDesc, f);
      // Compared as bufbuild's own re-encoding (deterministic), because equals() treats NaN as unequal.
      assert.deepEqual(
        Buffer.from(toBinary(MetricFamilyDesc, decoded[i]!)),
        Buffer.from(toBinary(MetricFamilyDesc, want)),
        `family ${f.name} differs`,
      );
    }
    const big = decoded.find((m) => (m as unknown as { name: string }).name === 'h_big') as unknown as {
      metric: Array<{ histogram: { sampleCount: bigint } }>;
    };
    assert.equal(big.metric[0]!.histogram.sampleCount, BIG);
  });

  it('round-trips through our own encoder and decoder', () => {
    assert.deepEqual(parseProtobufBody(encodeDelimited(FIXTURE), opts), FIXTURE);
  });

  it('keeps the payload the family type calls for; a missing one leaves the value unset (the check rejects it)', () => {
    const body = bufbuildDelimited(MetricFamilyDesc, [
      { name: 'x', type: 'COUNTER', metrics: [{ labels: [], value: 1 }] },
    ]);
    const asGauge = create(MetricFamilyDesc, { name: 'x', type: 1, metric: [{ counter: { value: 1 } }] } as never);
    assert.deepEqual(parseProtobufBody(body, opts)[0]!.metrics[0], { labels: [], value: 1 });
    assert.deepEqual(
      parseProtobufBody(Buffer.from(sizeDelimitedEncode(MetricFamilyDesc, asGauge)), opts)[0]!.metrics[0],
      { labels: [] },
    );
  });

  it('an absent type is COUNTER, an absent HELP stays absent, an empty HELP stays empty', () => {
    const m = (init: object) =>
      Buffer.from(sizeDelimitedEncode(MetricFamilyDesc, create(MetricFamilyDesc, init as never)));
    const [a] = parseProtobufBody(m({ name: 'a', metric: [{ counter: { value: 2 } }] }), opts);
    assert.equal(a!.type, 'COUNTER');
    assert.equal('help' in a!, false);
    assert.equal(parseProtobufBody(m({ name: 'b', help: '', metric: [{ counter: {} }] }), opts)[0]!.help, '');
  });

  it('skips unknown fields of every wire type, groups included', () => {
    const f = create(MetricFamilyDesc, { name: 'k', type: 1, metric: [{ gauge: { value: 3 } }] } as never);
    const msg = Buffer.from(toBinary(MetricFamilyDesc, f));
    const unknown = Buffer.from([
      (6 << 3) | 0,
      0x96,
      0x01, // varint
      (7 << 3) | 1,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // fixed64
      (8 << 3) | 2,
      2,
      0xff,
      0xfe, // bytes
      (9 << 3) | 5,
      1,
      2,
      3,
      4, // fixed32
      (10 << 3) | 3,
      (1 << 3) | 0,
      5,
      (10 << 3) | 4, // group with a varint inside
      (1 << 3) | 0,
      7, // a known field (name) with an unexpected wire type
    ]);
    const whole = Buffer.concat([unknown, msg]);
    const body = Buffer.concat([Buffer.from([whole.length]), whole]);
    assert.deepEqual(parseProtobufBody(body, opts), [
      { name: 'k', type: 'GAUGE', metrics: [{ labels: [], value: 3 }] },
    ]);
  });
});

/** A gauge family `k` = 3 followed by an unknown group field 100 nested `depth` levels deep. */
function deeplyNestedGroups(depth: number, end = depth): Buffer {
  const f = create(MetricFamilyDesc, { name: 'k', type: 1, metric: [{ gauge: { value: 3 } }] } as never);
  // Tag of field 100: (100 << 3) | wire type, as a two-byte varint.
  const tag = (wt: number) => {
    const t = (100 << 3) | wt;
    return [(t & 0x7f) | 0x80, t >> 7];
  };
  const groups = Buffer.from([
    ...Array<number[]>(depth).fill(tag(3)).flat(),
    ...Array<number[]>(end).fill(tag(4)).flat(),
  ]);
  const msg = Buffer.concat([Buffer.from(toBinary(MetricFamilyDesc, f)), groups]);
  const len: number[] = [];
  for (let n = msg.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from(len), msg]);
}

describe('protobuf groups nested without bound', () => {
  // The recursive skip overflowed the stack at about 10,000 levels (a 40 KB push answered 500);
  // the reference 1.5.1 accepts 1,000,000 levels, and so do we.
  it('skips unknown groups nested 10,000 and 1,000,000 deep', () => {
    for (const depth of [10_000, 1_000_000]) {
      assert.deepEqual(
        parseProtobufBody(deeplyNestedGroups(depth), opts),
        [{ name: 'k', type: 'GAUGE', metrics: [{ labels: [], value: 3 }] }],
        `depth ${depth}`,
      );
    }
  });

  it('a deep group left open is a ProtobufParseError naming it', () => {
    assert.throws(
      () => parseProtobufBody(deeplyNestedGroups(100_000, 99_999), opts),
      (err: unknown) =>
        err instanceof ProtobufParseError && err.message === 'invalid MetricFamily #1: unterminated group in field 100',
    );
  });
});

describe('protobuf push body rules', () => {
  const fam = (name: string, value: number): MetricFamily => ({
    name,
    type: 'GAUGE',
    metrics: [{ labels: [], value }],
  });

  it('a later family with the same name replaces the earlier one', () => {
    const got = parseProtobufBody(encodeDelimited([fam('a', 1), fam('b', 2), fam('a', 3)]), opts);
    assert.deepEqual(got.map((f) => [f.name, f.metrics[0]!.value]).sort(), [
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('an empty body is no families', () => {
    assert.deepEqual(parseProtobufBody(Buffer.alloc(0), opts), []);
  });

  it('an empty metric name is refused', () => {
    assert.throws(() => parseProtobufBody(encodeDelimited([fam('', 1)]), opts), {
      name: 'ProtobufParseError',
      message: /no name/,
    });
  });

  it('a metric name invalid under legacy rules is refused, and accepted with UTF-8 names on', () => {
    const body = encodeDelimited([fam('pb.bad-name', 1)]);
    assert.throws(() => parseProtobufBody(body, opts), { message: 'invalid metric name "pb.bad-name"' });
    assert.equal(parseProtobufBody(body, { utf8Names: true })[0]!.name, 'pb.bad-name');
  });

  it('a native histogram delta beyond 2^53 is refused instead of rounded', () => {
    const big = create(MetricFamilyDesc, {
      name: 'h',
      type: 4,
      metric: [{ histogram: { schema: 0, positiveDelta: [2n ** 60n] } }],
    } as never);
    assert.throws(() => parseProtobufBody(Buffer.from(sizeDelimitedEncode(MetricFamilyDesc, big)), opts), {
      name: 'ProtobufParseError',
      message: /positive_delta 1152921504606846976 is outside the range/,
    });
  });

  it('invalid UTF-8 in a label value is refused', () => {
    const body = encodeDelimited([
      { name: 'u', type: 'GAUGE', metrics: [{ labels: [{ name: 'l', value: 'AB' }], value: 1 }] },
    ]);
    body[body.indexOf('AB')] = 0xff;
    assert.throws(() => parseProtobufBody(body, opts), { message: /value of label "l" is not valid UTF-8/ });
  });

  it('every truncation ends in a ProtobufParseError, except at message boundaries', () => {
    const body = encodeDelimited(FIXTURE);
    const boundaries = new Set<number>([0]);
    for (let pos = 0; pos < body.length; ) {
      let len = 0;
      let shift = 0;
      let b: number;
      do {
        b = body[pos++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b >= 0x80);
      pos += len;
      boundaries.add(pos);
    }
    for (let cut = 1; cut < body.length; cut++) {
      const prefix = body.subarray(0, cut);
      if (boundaries.has(cut)) {
        assert.doesNotThrow(() => parseProtobufBody(prefix, opts));
        continue;
      }
      assert.throws(
        () => parseProtobufBody(prefix, opts),
        (err: unknown) => err instanceof ProtobufParseError && err.message === 'unexpected EOF',
        `cut at ${cut}`,
      );
    }
  });

  it('random corruption either decodes or ends in a ProtobufParseError, never another exception', () => {
    const body = encodeDelimited(FIXTURE);
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const copy = Buffer.from(body);
      for (let k = 0; k <= rnd(3); k++) copy[rnd(copy.length)] = rnd(256);
      try {
        parseProtobufBody(copy, { utf8Names: true });
      } catch (err) {
        assert.ok(err instanceof ProtobufParseError, `iteration ${i}: ${String(err)}`);
        rejected++;
      }
    }
    assert.ok(rejected > 0);
  });
});
