/**
 * A real Go client (client_golang's push package, Debian 1.14, built offline by the test) pushes to our
 * gateway: Push (PUT) of counters, a gauge, a summary, a classic and a native histogram under a grouping
 * key with '/', a space and an empty value; Add (POST); Push + Delete of a second group (the Go client
 * insists on exactly 202 for a delete). Results are read back through both a text and a protobuf scrape,
 * the latter decoded by @bufbuild/protobuf.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sizeDelimitedDecodeStream } from '@bufbuild/protobuf/wire';
import { MetricFamilyDesc } from '../oracles/client-model/schema.js';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';
import { goPusher, runGoPusher } from '../clients/go-client.js';

const PB_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';
// client_golang 1.14 escapes grouping values with url.QueryEscape, so the space arrives as '+', which
// the reference (Go's path decoding) keeps as a literal plus: instance="a+b" there too.
const GROUP = 'empty="",instance="a+b",job="go batch/x",path="x/y"';
const KIND = (k: string) => `empty="",instance="a+b",job="go batch/x",kind="${k}",path="x/y"`;

interface PbFamily {
  name: string;
  type?: number;
  help?: string;
  metric: PbMetric[];
}
interface PbMetric {
  label: Array<{ name: string; value: string }>;
  counter?: { value: number };
  gauge?: { value: number };
  summary?: { sampleCount: bigint; sampleSum: number; quantile: Array<{ quantile: number; value: number }> };
  histogram?: {
    sampleCount: bigint;
    sampleSum: number;
    bucket: Array<{ cumulativeCount: bigint; upperBound: number }>;
    schema?: number;
    zeroThreshold?: number;
    zeroCount?: bigint;
    positiveSpan: Array<{ offset: number; length: number }>;
    positiveDelta: bigint[];
  };
}

async function scrapeText(gw: RunningGateway): Promise<string[]> {
  const res = await fetch(`${gw.url}/metrics`);
  assert.equal(res.status, 200);
  return (await res.text()).split('\n').filter((l) => l.startsWith('go_push_'));
}

async function scrapeProtobuf(gw: RunningGateway): Promise<Map<string, PbFamily>> {
  const res = await fetch(`${gw.url}/metrics`, { headers: { Accept: PB_ACCEPT } });
  assert.equal(res.status, 200);
  assert.match(
    res.headers.get('content-type') ?? '',
    /^application\/vnd\.google\.protobuf; proto=io\.prometheus\.client\.MetricFamily; encoding=delimited/,
  );
  const raw = new Uint8Array(await res.arrayBuffer());
  async function* one() {
    yield raw;
  }
  const out = new Map<string, PbFamily>();
  for await (const m of sizeDelimitedDecodeStream(MetricFamilyDesc, one())) {
    const f = m as unknown as PbFamily;
    out.set(f.name, f);
  }
  return out;
}

describe('real Go client (client_golang push)', () => {
  const go = goPusher();
  const skip = 'skip' in go ? go.skip : false;
  let gw: RunningGateway;
  before(async () => {
    if (skip === false) gw = await startOurs();
  });
  after(async () => {
    await gw?.stop();
  });

  const run = async (mode: string) => {
    const r = await runGoPusher((go as { binary: string }).binary, [mode, gw.url]);
    assert.equal(r.status, 0, `go-push ${mode} failed: ${r.stderr}`);
  };

  it('Push (PUT) stores every metric type under the grouping key, as text', { skip }, async () => {
    await run('push');
    const lines = await scrapeText(gw);
    for (const want of [
      `go_push_records_total{${KIND('a')}} 3`,
      `go_push_records_total{${KIND('b')}} 1.5`,
      `go_push_last_success_seconds{${GROUP}} 1234.5`,
      `go_push_duration_seconds{${GROUP},quantile="0.5"} 0.05`,
      `go_push_duration_seconds_sum{${GROUP}} 5.555`,
      `go_push_duration_seconds_count{${GROUP}} 4`,
      `go_push_size_bytes_bucket{${GROUP},le="10"} 1`,
      `go_push_size_bytes_bucket{${GROUP},le="100"} 2`,
      `go_push_size_bytes_bucket{${GROUP},le="1000"} 3`,
      `go_push_size_bytes_bucket{${GROUP},le="+Inf"} 4`,
      `go_push_size_bytes_count{${GROUP}} 4`,
      // the native histogram collapses to +Inf/_sum/_count in text
      `go_push_latency_seconds_bucket{${GROUP},le="+Inf"} 4`,
      `go_push_latency_seconds_sum{${GROUP}} 5.555`,
      `go_push_latency_seconds_count{${GROUP}} 4`,
    ])
      assert.ok(lines.includes(want), `missing ${want} in\n${lines.join('\n')}`);
  });

  it('the same push through a protobuf scrape, native histogram in full', { skip }, async () => {
    const fams = await scrapeProtobuf(gw);
    const labels = (m: PbMetric) => Object.fromEntries(m.label.map((l) => [l.name, l.value]));
    const counter = fams.get('go_push_records_total')!;
    assert.equal(counter.help, 'Records processed.');
    assert.deepEqual(
      counter.metric.map((m) => [labels(m).kind, m.counter!.value]),
      [
        ['a', 3],
        ['b', 1.5],
      ],
    );
    assert.deepEqual(labels(counter.metric[0]!), {
      empty: '',
      instance: 'a+b',
      job: 'go batch/x',
      kind: 'a',
      path: 'x/y',
    });
    const summary = fams.get('go_push_duration_seconds')!.metric[0]!.summary!;
    assert.equal(summary.sampleCount, 4n);
    assert.deepEqual(
      summary.quantile.map((q) => q.quantile),
      [0.5, 0.9],
    );
    const classic = fams.get('go_push_size_bytes')!.metric[0]!.histogram!;
    assert.deepEqual(
      classic.bucket.map((b) => [b.upperBound, b.cumulativeCount]),
      [
        [10, 1n],
        [100, 2n],
        [1000, 3n],
      ],
    );
    const native = fams.get('go_push_latency_seconds')!.metric[0]!.histogram!;
    assert.equal(native.sampleCount, 4n);
    assert.equal(native.schema, 3, 'bucket factor 1.1 is schema 3');
    assert.ok(
      native.positiveSpan.length > 0 && native.positiveDelta.length > 0,
      JSON.stringify(native, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
    const buckets = native.positiveSpan.reduce((n, s) => n + s.length, 0);
    assert.equal(buckets, native.positiveDelta.length);
    // Deltas add up to each bucket's count; the four observations (all > 0) are in the positive buckets.
    let count = 0n;
    let total = 0n;
    for (const d of native.positiveDelta) {
      count += d;
      total += count;
    }
    assert.equal(total + (native.zeroCount ?? 0n), 4n);
  });

  it('Add (POST) replaces only the families it carries', { skip }, async () => {
    await run('add');
    const lines = await scrapeText(gw);
    assert.ok(lines.includes(`go_push_last_success_seconds{${GROUP}} 2000`), lines.join('\n'));
    assert.ok(lines.includes(`go_push_added{${GROUP}} 7`));
    assert.ok(lines.includes(`go_push_records_total{${KIND('a')}} 3`), 'families not in the Add are kept');
  });

  it('Delete removes a group (the client requires 202) and leaves the others', { skip }, async () => {
    await run('other');
    assert.ok((await scrapeText(gw)).includes('go_push_other{instance="",job="go-other"} 1'));
    await run('delete');
    const lines = await scrapeText(gw);
    assert.ok(!lines.some((l) => l.includes('go-other')), lines.join('\n'));
    assert.ok(lines.includes(`go_push_added{${GROUP}} 7`));
  });
});

describe('real Go client against the reference', () => {
  const go = goPusher();
  const skip = 'skip' in go ? go.skip : referenceSkipReason();

  it('Push, Add, Push and Delete leave the same go_push_* text exposition on the reference and on ours', {
    skip,
  }, async () => {
    const [ours, ref] = await Promise.all([startOurs(), startReference()]);
    try {
      for (const mode of ['push', 'add', 'other', 'delete']) {
        for (const gw of [ours, ref]) {
          const r = await runGoPusher((go as { binary: string }).binary, [mode, gw.url]);
          assert.equal(r.status, 0, `go-push ${mode} against ${gw.url}: ${r.stderr}`);
        }
        // The reference applies a DELETE after answering 202; a checked push waits for it (its write queue is FIFO).
        await fetch(`${ref.url}/metrics/job/barrier`, { method: 'POST', body: '' });
        assert.deepEqual(await scrapeText(ours), await scrapeText(ref), `after ${mode}`);
      }
    } finally {
      await Promise.all([ours.stop(), ref.stop()]);
    }
  });
});
