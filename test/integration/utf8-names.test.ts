/**
 * UTF-8 metric and label names behind --push.enable-utf8-names (reference ≥ 1.11): quoted names in the
 * text format, `U__`-escaped label names in the URL, any name in protobuf pushes; on scrape the names are
 * written with the escaping scheme the Accept header asks for (underscores by default, allow-utf-8,
 * dots, values), in text and protobuf, and the Content-Type says which.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { encodeDelimited, parseProtobufBody } from '../../src/format/protobuf.js';

const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

async function push(
  gw: RunningGateway,
  path: string,
  body: Buffer | string,
  contentType?: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'PUT',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: contentType === undefined ? {} : { 'Content-Type': contentType },
  });
  return { status: res.status, text: await res.text() };
}

async function scrape(gw: RunningGateway, accept?: string): Promise<{ contentType: string | null; body: Buffer }> {
  const res = await fetch(`${gw.url}/metrics`, { headers: accept === undefined ? {} : { Accept: accept } });
  assert.equal(res.status, 200);
  return { contentType: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

const ours = (text: string) =>
  text.split('\n').filter((l) => /my|pb|foo|U__/.test(l) && !l.startsWith('push_') && !/^# (HELP|TYPE) push_/.test(l));

describe('--push.enable-utf8-names', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs(['--push.enable-utf8-names']);
    assert.deepEqual(
      await push(
        gw,
        '/metrics/job/u8/U__foo_2e_bar/baz',
        '# HELP "my.metric" A dotted name.\n# TYPE "my.metric" gauge\n{"my.metric","label.name"="v"} 1\n',
      ),
      { status: 200, text: '' },
    );
    const pb = encodeDelimited([
      { name: 'pb.name', type: 'COUNTER', metrics: [{ labels: [{ name: 'a-b', value: 'x' }], value: 2 }] },
    ]);
    assert.deepEqual(await push(gw, '/metrics/job/u8pb', pb, PB_TYPE), { status: 200, text: '' });
  });
  after(async () => {
    await gw.stop();
  });

  const table: Array<[string, string | undefined, string[]]> = [
    [
      'underscores (no Accept)',
      undefined,
      [
        '# HELP my_metric A dotted name.',
        '# TYPE my_metric gauge',
        'my_metric{foo_bar="baz",instance="",job="u8",label_name="v"} 1',
        '# TYPE pb_name counter',
        'pb_name{a_b="x",instance="",job="u8pb"} 2',
        'push_time_seconds{foo_bar="baz",instance="",job="u8"}',
      ],
    ],
    [
      'allow-utf-8',
      'text/plain;version=0.0.4;escaping=allow-utf-8',
      [
        '# HELP "my.metric" A dotted name.',
        '# TYPE "my.metric" gauge',
        '{"my.metric","foo.bar"="baz",instance="",job="u8","label.name"="v"} 1',
        '# TYPE "pb.name" counter',
        '{"pb.name","a-b"="x",instance="",job="u8pb"} 2',
        'push_time_seconds{"foo.bar"="baz",instance="",job="u8"}',
      ],
    ],
    [
      'dots',
      'text/plain;escaping=dots',
      [
        '# HELP my_dot_metric A dotted name.',
        '# TYPE my_dot_metric gauge',
        'my_dot_metric{foo_dot_bar="baz",instance="",job="u8",label_dot_name="v"} 1',
        '# TYPE pb_dot_name counter',
        'pb_dot_name{a__b="x",instance="",job="u8pb"} 2',
      ],
    ],
    [
      'values',
      '*/*;escaping=values',
      [
        '# HELP U__my_2e_metric A dotted name.',
        '# TYPE U__my_2e_metric gauge',
        'U__my_2e_metric{U__foo_2e_bar="baz",instance="",job="u8",U__label_2e_name="v"} 1',
        '# TYPE U__pb_2e_name counter',
        'U__pb_2e_name{U__a_2d_b="x",instance="",job="u8pb"} 2',
      ],
    ],
  ];
  for (const [scheme, accept, want] of table) {
    it(`text scrape, escaping=${scheme}`, async () => {
      const { contentType, body } = await scrape(gw, accept);
      const name = scheme.split(' ')[0]!;
      assert.equal(contentType, `${TEXT_TYPE}; escaping=${name}`);
      const text = body.toString('utf8');
      for (const line of want) {
        assert.ok(
          text.split('\n').some((l) => l === line || (line.startsWith('push_') && l.startsWith(`${line} `))),
          `missing ${line} in\n${ours(text).join('\n')}`,
        );
      }
    });
  }

  it('protobuf scrape keeps UTF-8 names with allow-utf-8 and escapes them by default', async () => {
    const raw = await scrape(gw, `${PB_TYPE.replaceAll(' ', '')};escaping=allow-utf-8`);
    assert.equal(raw.contentType, `${PB_TYPE}; escaping=allow-utf-8`);
    const names = parseProtobufBody(raw.body, { utf8Names: true });
    const f = names.find((x) => x.name === 'my.metric')!;
    assert.deepEqual(
      f.metrics[0]!.labels.map((l) => l.name),
      ['foo.bar', 'instance', 'job', 'label.name'],
    );
    const escaped = parseProtobufBody((await scrape(gw, PB_TYPE)).body, { utf8Names: false });
    assert.ok(escaped.some((x) => x.name === 'my_metric'));
    assert.ok(escaped.some((x) => x.name === 'pb_name' && x.metrics[0]!.labels[0]!.name === 'a_b'));
  });
});

describe('without --push.enable-utf8-names', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
  });
  after(async () => {
    await gw.stop();
  });

  it('U__ label names in the URL are literal, quoted and protobuf UTF-8 names are refused with 400', async () => {
    assert.equal((await push(gw, '/metrics/job/l/U__foo_2e_bar/baz', 'plain 1\n')).status, 200);
    assert.match((await scrape(gw)).body.toString(), /^plain\{U__foo_2e_bar="baz",instance="",job="l"\} 1$/m);
    assert.deepEqual(await push(gw, '/metrics/job/l2', '{"my.metric"} 1\n'), {
      status: 400,
      text: 'text format parsing error in line 1: invalid metric name "my.metric"\n',
    });
    const pb = encodeDelimited([{ name: 'pb.name', type: 'GAUGE', metrics: [{ labels: [], value: 1 }] }]);
    assert.deepEqual(await push(gw, '/metrics/job/l3', pb, PB_TYPE), {
      status: 400,
      text: 'invalid metric name "pb.name"\n',
    });
  });
});
