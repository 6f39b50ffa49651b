/**
 * io.prometheus.client (prometheus/client_model v0.6.2 metrics.proto) as a descriptor for @bufbuild/protobuf,
 * written out by hand from the schema's field table (no code generator, nothing downloaded). The tests use
 * it as an independent protobuf implementation to cross-check our hand-written codec both ways.
 *
 * `packed: true` builds a variant whose repeated scalars are written packed, to check that the decoder
 * accepts both encodings (proto2 default, and what client_golang writes, is unpacked).
 */
import { create, createFileRegistry, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, file_google_protobuf_timestamp } from '@bufbuild/protobuf/wkt';

// google.protobuf.FieldDescriptorProto.Type / .Label numbers
const T = {
  double: 1,
  int64: 3,
  uint64: 4,
  int32: 5,
  string: 9,
  message: 11,
  uint32: 13,
  enum: 14,
  sint32: 17,
  sint64: 18,
} as const;
type FieldType = keyof typeof T | `.${string}`;
type Field = [name: string, number: number, type: FieldType, repeated?: 'repeated'];

const MESSAGES: Record<string, Field[]> = {
  LabelPair: [
    ['name', 1, 'string'],
    ['value', 2, 'string'],
  ],
  Gauge: [['value', 1, 'double']],
  Counter: [
    ['value', 1, 'double'],
    ['exemplar', 2, '.Exemplar'],
    ['created_timestamp', 3, '.google.protobuf.Timestamp'],
  ],
  Quantile: [
    ['quantile', 1, 'double'],
    ['value', 2, 'double'],
  ],
  Summary: [
    ['sample_count', 1, 'uint64'],
    ['sample_sum', 2, 'double'],
    ['quantile', 3, '.Quantile', 'repeated'],
    ['created_timestamp', 4, '.google.protobuf.Timestamp'],
  ],
  Untyped: [['value', 1, 'double']],
  Histogram: [
    ['sample_count', 1, 'uint64'],
    ['sample_count_float', 4, 'double'],
    ['sample_sum', 2, 'double'],
    ['bucket', 3, '.Bucket', 'repeated'],
    ['created_timestamp', 15, '.google.protobuf.Timestamp'],
    ['schema', 5, 'sint32'],
    ['zero_threshold', 6, 'double'],
    ['zero_count', 7, 'uint64'],
    ['zero_count_float', 8, 'double'],
    ['negative_span', 9, '.BucketSpan', 'repeated'],
    ['negative_delta', 10, 'sint64', 'repeated'],
    ['negative_count', 11, 'double', 'repeated'],
    ['positive_span', 12, '.BucketSpan', 'repeated'],
    ['positive_delta', 13, 'sint64', 'repeated'],
    ['positive_count', 14, 'double', 'repeated'],
    ['exemplars', 16, '.Exemplar', 'repeated'],
  ],
  Bucket: [
    ['cumulative_count', 1, 'uint64'],
    ['cumulative_count_float', 4, 'double'],
    ['upper_bound', 2, 'double'],
    ['exemplar', 3, '.Exemplar'],
  ],
  BucketSpan: [
    ['offset', 1, 'sint32'],
    ['length', 2, 'uint32'],
  ],
  Exemplar: [
    ['label', 1, '.LabelPair', 'repeated'],
    ['value', 2, 'double'],
    ['timestamp', 3, '.google.protobuf.Timestamp'],
  ],
  Metric: [
    ['label', 1, '.LabelPair', 'repeated'],
    ['gauge', 2, '.Gauge'],
    ['counter', 3, '.Counter'],
    ['summary', 4, '.Summary'],
    ['untyped', 5, '.Untyped'],
    ['histogram', 7, '.Histogram'],
    ['timestamp_ms', 6, 'int64'],
  ],
  MetricFamily: [
    ['name', 1, 'string'],
    ['help', 2, 'string'],
    ['type', 3, '.MetricType'],
    ['metric', 4, '.Metric', 'repeated'],
    ['unit', 5, 'string'],
  ],
};

const METRIC_TYPES = ['COUNTER', 'GAUGE', 'SUMMARY', 'UNTYPED', 'HISTOGRAM', 'GAUGE_HISTOGRAM'];

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function field([name, number, type, repeated]: Field, packed: boolean): Record<string, unknown> {
  const isRef = type.startsWith('.');
  const typeName = !isRef ? undefined : type.startsWith('.google.') ? type : `.io.prometheus.client${type}`;
  const kind = !isRef ? T[type as keyof typeof T] : type === '.MetricType' ? T.enum : T.message;
  return {
    name,
    number,
    jsonName: camel(name),
    label: repeated === undefined ? 1 : 3,
    type: kind,
    ...(typeName === undefined ? {} : { typeName }),
    ...(packed && repeated !== undefined && !isRef ? { options: { packed: true } } : {}),
  };
}

function buildRegistry(packed: boolean) {
  const file = create(FileDescriptorProtoSchema, {
    name: 'io/prometheus/client/metrics.proto',
    package: 'io.prometheus.client',
    syntax: 'proto2',
    dependency: ['google/protobuf/timestamp.proto'],
    enumType: [{ name: 'MetricType', value: METRIC_TYPES.map((name, number) => ({ name, number })) }],
    messageType: Object.entries(MESSAGES).map(([name, fields]) => ({
      name,
      field: fields.map((f) => field(f, packed)),
    })),
  } as never);
  return createFileRegistry(file, (dep) =>
    dep === 'google/protobuf/timestamp.proto' ? file_google_protobuf_timestamp : undefined,
  );
}

function messageDesc(packed: boolean, name: string): DescMessage {
  const desc = buildRegistry(packed).getMessage(`io.prometheus.client.${name}`);
  if (desc === undefined) throw new Error(`no message ${name}`);
  return desc;
}

/** The MetricFamily message, repeated scalars unpacked (proto2 default). */
export const MetricFamilyDesc = messageDesc(false, 'MetricFamily');
/** The same schema with every repeated scalar marked packed. */
export const MetricFamilyPackedDesc = messageDesc(true, 'MetricFamily');
