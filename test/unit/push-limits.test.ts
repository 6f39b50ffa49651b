/**
 * The optional per-push limits (src/store/push-limits.ts): off by default, counted as Prometheus counts
 * when it scrapes the gateway, refused with Prometheus's wording.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPushLimits, NO_PUSH_LIMITS, samplesOf, type PushLimits } from '../../src/store/push-limits.js';
import { parseText } from '../../src/format/text-parse.js';
import { PushLimitError } from '../../src/errors.js';

const parse = (text: string) => parseText(text, { utf8Names: false });
const limits = (l: Partial<PushLimits>): PushLimits => ({ ...NO_PUSH_LIMITS, ...l });
const refusal = (limit: string, message: string) => (err: unknown) =>
  err instanceof PushLimitError &&
  err.status === 400 &&
  err.code === 'PGW_ERR_PUSH_LIMIT' &&
  err.limit === limit &&
  err.message === message;

const BODY = [
  '# TYPE rpc summary',
  'rpc{quantile="0.5"} 1',
  'rpc{quantile="0.9"} 2',
  'rpc_sum 3',
  'rpc_count 4',
  '# TYPE lat histogram',
  'lat_bucket{le="1"} 1',
  'lat_bucket{le="+Inf"} 2',
  'lat_sum 3',
  'lat_count 2',
  'up{a="x",b="y"} 1',
  '',
].join('\n');

test('every limit is off by default: anything passes', () => {
  const huge = parse(`m{${Array.from({ length: 300 }, (_v, i) => `l${i}="${'v'.repeat(1000)}"`).join(',')}} 1\n`);
  assert.doesNotThrow(() => checkPushLimits(huge, { job: 'j' }, NO_PUSH_LIMITS));
});

test('samples are counted as the text exposition writes them', () => {
  const families = parse(BODY);
  assert.deepEqual(
    families.map((f) => f.metrics.map(samplesOf)),
    [[4], [4], [1]],
  );
  assert.doesNotThrow(() => checkPushLimits(families, { job: 'j' }, limits({ sampleLimit: 9 })));
  assert.throws(
    () => checkPushLimits(families, { job: 'j' }, limits({ sampleLimit: 8 })),
    refusal('sample_limit', 'sample_limit exceeded (number of samples: 9, limit: 8)'),
  );
});

test('label_limit counts the name, the grouping labels and quantile / le, not empty labels', () => {
  const families = parse('up{a="x",b="y",empty=""} 1\n');
  // __name__, a, b, job, instance; instance="" (added by the gateway) does not count.
  assert.doesNotThrow(() => checkPushLimits(families, { job: 'j', instance: 'i' }, limits({ labelLimit: 5 })));
  assert.throws(
    () => checkPushLimits(families, { job: 'j', instance: 'i' }, limits({ labelLimit: 4 })),
    refusal('label_limit', 'label_limit exceeded (metric: up, number of labels: 5, limit: 4)'),
  );
  // A grouping label of the same name replaces the body's: counted once.
  assert.doesNotThrow(() => checkPushLimits(parse('up{job="x"} 1\n'), { job: 'j' }, limits({ labelLimit: 2 })));
  // rpc{quantile=…}: __name__, job, quantile.
  assert.throws(
    () => checkPushLimits(parse(BODY).slice(0, 1), { job: 'j' }, limits({ labelLimit: 2 })),
    refusal('label_limit', 'label_limit exceeded (metric: rpc, number of labels: 3, limit: 2)'),
  );
});

test('label_name_length_limit and label_value_length_limit, in bytes, the metric name a value', () => {
  const name = 'n'.repeat(60);
  assert.throws(
    () => checkPushLimits(parse(`m{${name}="v"} 1\n`), { job: 'j' }, limits({ labelNameLengthLimit: 59 })),
    refusal(
      'label_name_length_limit',
      `label_name_length_limit exceeded (metric: m, label name: ${'n'.repeat(50)}, length: 60, limit: 59)`,
    ),
  );
  assert.throws(
    () => checkPushLimits(parse('m{l="ééé"} 1\n'), { job: 'j' }, limits({ labelValueLengthLimit: 5 })),
    refusal(
      'label_value_length_limit',
      'label_value_length_limit exceeded (metric: m, label name: l, value: "ééé", length: 6, limit: 5)',
    ),
  );
  assert.throws(
    () => checkPushLimits(parse(`${'x'.repeat(20)} 1\n`), { job: 'j' }, limits({ labelValueLengthLimit: 10 })),
    refusal(
      'label_value_length_limit',
      `label_value_length_limit exceeded (metric: ${'x'.repeat(20)}, label name: __name__, value: ` +
        `"${'x'.repeat(20)}", length: 20, limit: 10)`,
    ),
  );
  // Grouping label values from the URL count too.
  assert.throws(
    () => checkPushLimits(parse('m 1\n'), { job: 'j'.repeat(11) }, limits({ labelValueLengthLimit: 10 })),
    refusal(
      'label_value_length_limit',
      `label_value_length_limit exceeded (metric: m, label name: job, value: "${'j'.repeat(11)}", length: ` +
        `11, limit: 10)`,
    ),
  );
  assert.doesNotThrow(() =>
    checkPushLimits(
      parse('m{l="ééé"} 1\n'),
      { job: 'j' },
      limits({ labelValueLengthLimit: 6, labelNameLengthLimit: 8 }),
    ),
  );
});
