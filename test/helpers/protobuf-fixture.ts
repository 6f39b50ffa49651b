/** Metric families covering every MetricFamily field of the model, for the protobuf codec and push tests. */
import type { Exemplar, MetricFamily, Timestamp } from '../../src/model/metric.js';

export const BIG = 2n ** 60n + 1n; // not representable as a double
const ts = (seconds: number, nanos: number): Timestamp => ({ seconds, nanos });
const ex = (value: number, timestamp?: Timestamp): Exemplar => ({
  labels: [{ name: 'trace_id', value: 'abc' }],
  value,
  ...(timestamp === undefined ? {} : { timestamp }),
});

/** Families covering every MetricFamily field the model carries. */
export const FIXTURE: MetricFamily[] = [
  {
    name: 'c_total',
    help: 'counter help',
    type: 'COUNTER',
    unit: 'seconds',
    metrics: [
      {
        labels: [{ name: 'a', value: '1' }],
        value: 42.5,
        createdTimestamp: ts(1700000000, 123),
        exemplar: ex(1, ts(1700000001, 5)),
      },
      { labels: [{ name: 'a', value: '2' }], value: 0 },
    ],
  },
  {
    name: 'g',
    type: 'GAUGE',
    metrics: [
      { labels: [], value: -0.5 },
      { labels: [{ name: 'x', value: 'ü "q"\n\\' }], value: NaN },
    ],
  },
  { name: 'u', help: '', type: 'UNTYPED', metrics: [{ labels: [], value: Infinity }] },
  {
    name: 's',
    type: 'SUMMARY',
    metrics: [
      {
        labels: [],
        summary: {
          sampleCount: 10,
          sampleSum: 3.5,
          quantiles: [
            { quantile: 0.5, value: 1 },
            { quantile: 0.99, value: -Infinity },
          ],
          createdTimestamp: ts(-5, 7),
        },
      },
    ],
  },
  {
    name: 'h_classic',
    type: 'HISTOGRAM',
    metrics: [
      {
        labels: [],
        histogram: {
          sampleCount: 3,
          sampleSum: 1.5,
          createdTimestamp: ts(1700000000, 0),
          buckets: [
            { cumulativeCount: 1, upperBound: 0.5 },
            { cumulativeCount: 3, upperBound: 1, exemplar: ex(0.7) },
          ],
        },
      },
    ],
  },
  {
    name: 'h_float',
    type: 'GAUGE_HISTOGRAM',
    metrics: [
      {
        labels: [],
        histogram: {
          sampleCount: 0,
          sampleCountFloat: 2.5,
          sampleSum: 1,
          buckets: [{ cumulativeCount: 0, cumulativeCountFloat: 1.5, upperBound: 1 }],
        },
      },
    ],
  },
  {
    name: 'h_native',
    type: 'HISTOGRAM',
    metrics: [
      {
        labels: [{ name: 'le_not', value: 'x' }],
        histogram: {
          sampleCount: 7,
          sampleSum: 12.25,
          buckets: [],
          schema: -3,
          zeroThreshold: 1e-128,
          zeroCount: 1,
          negativeSpans: [{ offset: -2, length: 2 }],
          negativeDeltas: [1, -1],
          positiveSpans: [
            { offset: 0, length: 2 },
            { offset: 3, length: 1 },
          ],
          positiveDeltas: [2, -1, 2 ** 52],
          exemplars: [ex(3, ts(1, 2)), ex(-1, ts(1, 3))],
        },
      },
    ],
  },
  {
    name: 'h_native_float',
    type: 'HISTOGRAM',
    metrics: [
      {
        labels: [],
        histogram: {
          sampleCount: 0,
          sampleCountFloat: 4.25,
          sampleSum: -2,
          buckets: [],
          schema: 8,
          zeroThreshold: 0.001,
          zeroCount: 0,
          zeroCountFloat: 0.25,
          negativeSpans: [{ offset: 1, length: 1 }],
          negativeCounts: [0.5],
          positiveSpans: [{ offset: -1, length: 2 }],
          positiveCounts: [1.5, 2],
        },
      },
    ],
  },
  {
    name: 'h_big',
    type: 'HISTOGRAM',
    metrics: [
      {
        labels: [],
        histogram: {
          sampleCount: Number(BIG),
          sampleCountExact: BIG,
          sampleSum: 1,
          schema: 0,
          zeroCount: Number(BIG),
          zeroCountExact: BIG,
          buckets: [{ cumulativeCount: Number(BIG), cumulativeCountExact: BIG, upperBound: Infinity }],
        },
      },
    ],
  },
  {
    name: 's_big',
    type: 'SUMMARY',
    metrics: [
      { labels: [], summary: { sampleCount: Number(BIG), sampleCountExact: BIG, sampleSum: 0, quantiles: [] } },
    ],
  },
];
