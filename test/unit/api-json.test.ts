/**
 * The /api/v1/metrics body for what text pushes cannot produce (and the 1.5.1 oracle cannot show):
 * native integer and float histograms, float classic histograms, gauge histograms, summaries without
 * quantiles, a non-ASCII job and a quote/backslash-laden instance, modelled on the reference's
 * TestMetricsAPI, plus Go's time.Time JSON in a non-UTC zone and the snapshot round trip of it all.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/store/store.js';
import { OWN_TYPES } from '../../src/observe/self-metrics.js';
import { metricsJson, metricsJsonPieces, statusJson } from '../../src/http/api.js';
import { renderStatusPage } from '../../src/http/ui/status-page.js';
import { goJsonString, goJsonTime } from '../../src/format/go-json.js';
import { bucketBound, nativeBuckets } from '../../src/model/native-histogram.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/store/snapshot.js';
import type { MetricFamily } from '../../src/model/metric.js';
import { Slicer } from '../../src/slicer.js';

// 2020-03-10T00:54:08.02575+05:30; the fraction is exact in a double of milliseconds.
const T = Date.parse('2020-03-09T19:24:08.025Z') + 0.75;
const GROUPING = { job: 'Björn', instance: 'inst\'a"n\\ce1' };

function families(): MetricFamily[] {
  return [
    {
      name: 'mf1',
      type: 'SUMMARY',
      metrics: [{ labels: [], summary: { sampleCount: 0, sampleSum: 0, quantiles: [] } }],
    },
    {
      name: 'mfh',
      type: 'HISTOGRAM',
      metrics: [
        {
          labels: [{ name: 'testing', value: 'int classic histogram' }],
          histogram: {
            sampleCount: 20,
            sampleSum: 99.23,
            buckets: [
              { upperBound: 250000, cumulativeCount: 3 },
              { upperBound: 500000, cumulativeCount: 17 },
            ],
          },
        },
        {
          labels: [{ name: 'testing', value: 'float classic histogram' }],
          histogram: {
            sampleCount: 0,
            sampleCountFloat: 20,
            sampleSum: 99.23,
            buckets: [
              { upperBound: 250000, cumulativeCount: 0, cumulativeCountFloat: 3 },
              { upperBound: 500000, cumulativeCount: 0, cumulativeCountFloat: 17 },
            ],
          },
        },
        {
          labels: [{ name: 'testing', value: 'int native histogram' }],
          histogram: {
            sampleCount: 20,
            sampleSum: 99.23,
            buckets: [],
            schema: 1,
            negativeDeltas: [0, 2, -2, 0],
            positiveDeltas: [0, 2, -2, 0],
            positiveSpans: [
              { offset: 0, length: 2 },
              { offset: 0, length: 2 },
            ],
            negativeSpans: [
              { offset: 0, length: 2 },
              { offset: 0, length: 2 },
            ],
          },
        },
        {
          labels: [{ name: 'testing', value: 'float native histogram' }],
          histogram: {
            sampleCount: 0,
            sampleCountFloat: 20,
            sampleSum: 99.23,
            buckets: [],
            schema: 1,
            negativeCounts: [2, 2, -2, 0],
            positiveCounts: [2, 2, -2, 0],
            positiveSpans: [
              { offset: 0, length: 2 },
              { offset: 0, length: 2 },
            ],
            negativeSpans: [
              { offset: 0, length: 2 },
              { offset: 0, length: 2 },
            ],
          },
        },
        {
          labels: [{ name: 'testing', value: 'schema 0 with zero bucket' }],
          histogram: {
            sampleCount: 7,
            sampleSum: 3,
            buckets: [],
            schema: 0,
            zeroThreshold: 0.001,
            zeroCount: 3,
            positiveSpans: [{ offset: -1, length: 3 }],
            positiveDeltas: [1, 0, 1],
            createdTimestamp: { seconds: 1583781000, nanos: 5 },
          },
        },
      ],
    },
    {
      name: 'gh',
      type: 'GAUGE_HISTOGRAM',
      help: 'gauge histogram',
      metrics: [
        { labels: [], histogram: { sampleCount: 2, sampleSum: 1, buckets: [{ upperBound: 1, cumulativeCount: 1 }] } },
      ],
    },
    {
      name: 'c',
      type: 'COUNTER',
      help: '',
      metrics: [{ labels: [], value: -0, createdTimestamp: { seconds: 1, nanos: 2 } }],
    },
  ];
}

function newStore(): MemoryStore {
  const s = new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
  assert.equal(s.push({ labels: GROUPING, families: families(), replace: true, timeMs: T }), undefined);
  return s;
}

const L = '"instance":"inst\'a\\"n\\\\ce1","job":"Björn"';
const TS = '"time_stamp":"2020-03-10T00:54:08.02575+05:30"';
const S2 = '1.4142135623730951'; // the reference prints 1.414213562373095 (docs/compatibility.md)
const H2 = '0.7071067811865476'; // the reference prints 0.7071067811865475

const EXPECTED =
  '[{' +
  `"c":{${TS},"type":"COUNTER","metrics":[{"labels":{${L}},"value":"-0"}]},` +
  `"gh":{${TS},"type":"GAUGE_HISTOGRAM","help":"gauge histogram","metrics":[{"labels":{${L}},"value":"0"}]},` +
  `"labels":{${L}},"last_push_successful":true,` +
  `"mf1":{${TS},"type":"SUMMARY","metrics":[{"count":"0","labels":{${L}},"quantiles":{},"sum":"0"}]},` +
  `"mfh":{${TS},"type":"HISTOGRAM","metrics":[` +
  `{"buckets":{"250000":"3","500000":"17"},"count":"20","labels":{${L},"testing":"int classic ` +
  `histogram"},"sum":"99.23"},` +
  `{"buckets":{"250000":"3","500000":"17"},"count":"20","labels":{${L},"testing":"float classic ` +
  `histogram"},"sum":"99.23"},` +
  `{"buckets":[[1,"-${S2}","-1","2"],[0,"1","${S2}","2"]],"count":"20","labels":{${L},"testing":"int ` +
  `native histogram"},"sum":"99.23"},` +
  `{"buckets":[[1,"-2","-${S2}","-2"],[1,"-${S2}","-1","2"],[1,"-1","-${H2}","2"],[0,"${H2}","1","2"],` +
  `[0,"1","${S2}","2"],[0,"${S2}","2","-2"]],` +
  `"count":"20","labels":{${L},"testing":"float native histogram"},"sum":"99.23"},` +
  `{"buckets":[[3,"-0.001","0.001","3"],[0,"0.25","0.5","1"],[0,"0.5","1","1"],[0,"1","2","2"]],` +
  `"count":"7","labels":{${L},"testing":"schema 0 with zero bucket"},"sum":"3"}` +
  ']},' +
  `"push_failure_time_seconds":{${TS},"type":"GAUGE","help":"Last Unix time when changing this group in ` +
  `the Pushgateway failed.","metrics":[{"labels":{${L}},"value":"0"}]},` +
  `"push_time_seconds":{${TS},"type":"GAUGE","help":"Last Unix time when changing this group in the ` +
  `Pushgateway succeeded.","metrics":[{"labels":{${L}},"value":"1.58378184802575e+09"}]}` +
  '}]';

describe('/api/v1/metrics body', () => {
  it("matches the reference's layout for summaries, classic/float/native histograms and gauge histograms", () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      assert.equal(metricsJson(newStore()), EXPECTED);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('an empty store is an empty array', () => {
    assert.equal(metricsJson(new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES })), '[]');
  });

  it('survives a snapshot round trip unchanged, native histograms and created timestamps included', () => {
    const store = newStore();
    const file = encodeSnapshot(store.exportState(), { written: 'now', writer: 'test' });
    const restored = new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
    restored.restore(decodeSnapshot(Buffer.from(file)).groups);
    assert.equal(metricsJson(restored), metricsJson(store));
    assert.equal(restored.renderText(), store.renderText());
    assert.deepEqual(restored.exportState(), store.exportState());
  });
});

describe('Go JSON details', () => {
  it('strings escape <, >, &, U+2028 and U+2029 like encoding/json', () => {
    assert.equal(
      goJsonString('a<b>&c\u2028\u2029"\\\n\t\u0001é'),
      '"a\\u003cb\\u003e\\u0026c\\u2028\\u2029\\"\\\\\\n\\t\\u0001é"',
    );
  });

  it('times are RFC 3339 with trimmed nanoseconds and the local offset', () => {
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      assert.equal(goJsonTime(Date.parse('2026-11-24T14:35:35.894Z') + 0.5), '"2026-11-24T14:35:35.8945Z"');
      assert.equal(goJsonTime(Date.parse('2026-11-24T14:35:35Z')), '"2026-11-24T14:35:35Z"');
      process.env.TZ = 'America/St_Johns';
      assert.equal(goJsonTime(Date.parse('2026-01-01T00:00:00.1Z')), '"2025-12-31T20:30:00.1-03:30"');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('status lists build information, flags and start time with sorted keys', () => {
    const body = statusJson({
      flags: { 'web.b': '2', 'log.a': '1' },
      buildInfo: { version: 'v', branch: 'b' },
      startedAt: new Date(0),
    });
    assert.match(
      body,
      new RegExp(
        /^\{"build_information":\{"branch":"b","version":"v"\},"flags":\{"log\.a":"1","web\.b":"2"\},/.source +
          /"start_time":"1970-01-01T\d\d:\d\d:00(Z|[+-]\d\d:\d\d)"\}$/.source,
      ),
    );
  });
});

describe('native histogram bucket bounds', () => {
  it('follow 2^(i/2^schema) with exact powers of two for schema <= 0 and the largest float at the top', () => {
    assert.equal(bucketBound(0, 0), 1);
    assert.equal(bucketBound(-1, 0), 0.5);
    assert.equal(bucketBound(3, -1), 64);
    assert.equal(bucketBound(2, 1), 2);
    assert.equal(bucketBound(1024, 0), Number.MAX_VALUE);
    assert.equal(bucketBound(1024 * 256, 8), Number.MAX_VALUE);
    assert.equal(bucketBound(1023 * 256 + 128, 8), 2 ** 1023 * Math.SQRT2);
  });

  it('lists negative buckets most negative first, then the zero bucket, then positive, skipping empty ones', () => {
    const b = nativeBuckets({
      sampleCount: 5,
      sampleSum: 0,
      buckets: [],
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 1,
      negativeSpans: [{ offset: 1, length: 2 }],
      negativeDeltas: [1, 1],
      positiveSpans: [{ offset: 0, length: 2 }],
      positiveDeltas: [0, 0],
    });
    assert.deepEqual(
      b.map((x) => [x.boundaries, x.lower, x.upper, x.count]),
      [
        [1, -4, -2, 2],
        [1, -2, -1, 1],
        [3, -0, 0, 1],
      ],
    );
  });
});

describe('/api/v1/metrics counts above 2^53', () => {
  it('are printed exactly, as Go prints the uint64 a protobuf push carried', () => {
    const store = new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
    const big = 2n ** 60n + 3n;
    const fams: MetricFamily[] = [
      {
        name: 'h',
        type: 'HISTOGRAM',
        metrics: [
          {
            labels: [],
            histogram: {
              sampleCount: Number(big),
              sampleCountExact: big,
              sampleSum: 1,
              buckets: [{ upperBound: 1, cumulativeCount: Number(big - 1n), cumulativeCountExact: big - 1n }],
            },
          },
        ],
      },
      {
        name: 's',
        type: 'SUMMARY',
        metrics: [
          {
            labels: [],
            summary: { sampleCount: Number(big + 2n), sampleCountExact: big + 2n, sampleSum: 1, quantiles: [] },
          },
        ],
      },
    ];
    assert.equal(store.push({ labels: { job: 'x' }, families: fams, replace: true, timeMs: T }), undefined);
    const json = metricsJson(store);
    assert.match(json, /"count":"1152921504606846979"/);
    assert.match(json, /"1":"1152921504606846978"/);
    assert.match(json, /"count":"1152921504606846981"/);
  });
});

describe('bodies built in slices', () => {
  it('are the same whatever the slice: one group per slice (an empty last slice included) or all at once', async () => {
    const store = new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
    for (const job of ['a', 'b', 'c']) {
      assert.equal(store.push({ labels: { job }, families: families(), replace: true, timeMs: T }), undefined);
    }
    const whole = metricsJson(store);
    const sliced = Buffer.concat(await metricsJsonPieces(store, new Slicer(0))).toString('utf8');
    const oneGo = Buffer.concat(await metricsJsonPieces(store, new Slicer(Infinity))).toString('utf8');
    assert.equal(sliced, whole);
    assert.equal(oneGo, whole);
    JSON.parse(sliced);
    const empty = new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
    assert.equal(Buffer.concat(await metricsJsonPieces(empty, new Slicer(0))).toString('utf8'), '[]');
    const page = async (sliceMs: number): Promise<string> =>
      Buffer.concat(
        await renderStatusPage(store, new Date(T), { 'web.listen-address': ':9091' }, new Slicer(sliceMs)),
      ).toString('utf8');
    assert.equal(await page(0), await page(Infinity));
    assert.equal((await page(0)).match(/<details class="group"/g)?.length, 3);
  });
});
