/**
 * Real Prometheus (Debian's 2.42) scrapes our gateway with `honor_labels: true`, on loopback with a
 * throw-away TSDB directory: the pushed series come back from its HTTP query API with their pushed
 * job/instance labels. Run twice: with default settings Prometheus scrapes the text format; with
 * `--enable-feature=native-histograms` it asks for protobuf first and stores a pushed native histogram
 * as one (checked with histogram_count / histogram_sum). The group that declared an interval (issue 12)
 * arrives as pushgateway_group_up with the group's job and instance.
 *
 * Bounded: every wait polls until a deadline and fails with what it last saw; nothing asserts on time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { encodeDelimited } from '../../src/format/protobuf.js';
import {
  eventually,
  prometheusSkipReason,
  query,
  startPrometheus,
  stopPrometheus,
  type Prom,
} from '../clients/prometheus-server.js';

const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

for (const [mode, features] of [
  ['text', []],
  ['protobuf (native histograms)', ['native-histograms']],
] as const) {
  describe(`Prometheus scrapes the gateway: ${mode}`, () => {
    const skip = prometheusSkipReason();
    let gw: RunningGateway;
    let prom: Prom | undefined;
    before(async () => {
      if (skip !== false) return;
      gw = await startOurs();
      const put = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
        fetch(`${gw.url}${path}`, {
          method: 'PUT',
          body: typeof body === 'string' ? body : new Uint8Array(body),
          headers,
        });
      assert.equal(
        (
          await put(
            '/metrics/job/nightly_backup/instance/db1',
            '# TYPE backup_bytes gauge\nbackup_bytes{kind="full"} 1234\n# TYPE backup_runs_total ' +
              'counter\nbackup_runs_total 7\n',
            // Issue 12: the group declares how often it pushes, so the scrape carries its pushgateway_group_up.
            { 'X-Pushgateway-Interval': '1h' },
          )
        ).status,
        200,
      );
      const native = encodeDelimited([
        {
          name: 'backup_latency_seconds',
          type: 'HISTOGRAM',
          metrics: [
            {
              labels: [],
              histogram: {
                sampleCount: 5,
                sampleSum: 2.5,
                buckets: [],
                schema: 0,
                zeroThreshold: 0.001,
                zeroCount: 1,
                positiveSpans: [{ offset: 0, length: 2 }],
                positiveDeltas: [2, 0],
              },
            },
          ],
        },
      ]);
      assert.equal(
        (await put('/metrics/job/nightly_backup/instance/db2', native, { 'Content-Type': PB_TYPE })).status,
        200,
      );
      prom = await startPrometheus(`127.0.0.1:${gw.port}`, [...features]);
    });
    after(async () => {
      await stopPrometheus(prom);
      await gw?.stop();
    });

    it('the pushed series keep their job and instance labels (honor_labels)', { skip }, async () => {
      const [s] = await eventually(prom!, 'backup_bytes');
      assert.deepEqual(s!.metric, { __name__: 'backup_bytes', job: 'nightly_backup', instance: 'db1', kind: 'full' });
      assert.equal(s!.value[1], '1234');
      const [c] = await eventually(prom!, 'backup_runs_total');
      assert.equal(c!.value[1], '7');
      assert.equal(c!.metric.instance, 'db1');
      const times = await eventually(prom!, 'push_time_seconds{job="nightly_backup"}');
      assert.deepEqual(times.map((t) => t.metric.instance).sort(), ['db1', 'db2']);
      const [up] = await eventually(prom!, 'up{job="pushgateway"}');
      assert.equal(up!.value[1], '1');
      // The per-group health series carries the group's own job and instance under honor_labels, so one
      // alert (pushgateway_group_up == 0) names the late or failing job; db2 declared no interval.
      const groupUp = await eventually(prom!, 'pushgateway_group_up');
      assert.deepEqual(
        groupUp.map((g) => [g.metric, g.value[1]]),
        [[{ __name__: 'pushgateway_group_up', job: 'nightly_backup', instance: 'db1' }, '1']],
      );
      assert.deepEqual(await query(prom!, 'pushgateway_group_up == 0'), []);
    });

    it(features.length === 0
      ? 'a native histogram arrives collapsed (count and sum series)'
      : 'a native histogram arrives whole (histogram_count, histogram_sum)', { skip }, async () => {
      if (features.length === 0) {
        const [count] = await eventually(prom!, 'backup_latency_seconds_count');
        assert.equal(count!.value[1], '5');
        assert.equal(count!.metric.instance, 'db2');
        const [inf] = await eventually(prom!, 'backup_latency_seconds_bucket{le="+Inf"}');
        assert.equal(inf!.value[1], '5');
      } else {
        const [count] = await eventually(prom!, 'histogram_count(backup_latency_seconds)');
        assert.equal(count!.value[1], '5');
        const [sum] = await eventually(prom!, 'histogram_sum(backup_latency_seconds)');
        assert.equal(sum!.value[1], '2.5');
        // Stored as a native histogram, so there is no classic _count series.
        assert.deepEqual(await query(prom!, 'backup_latency_seconds_count'), []);
      }
    });
  });
}
