/**
 * The real npm prom-client 15.1.3 Pushgateway class (pushAdd / push / delete) against the gateway, checked
 * through GET /metrics. Expected lines and statuses were recorded from the reference 1.5.1. prom-client
 * quirks pinned here: no Content-Type, `Nan` for NaN, blank lines between families, and
 * encodeURIComponent on the path, so `/` in a job or grouping value becomes %2F, which the gateway decodes
 * into a path separator (400), and an empty value makes `//`, which the gateway redirects (301) and
 * prom-client reports as success although nothing was stored or deleted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import {
  Counter,
  Gauge,
  Histogram,
  Pushgateway,
  Registry,
  Summary,
  type OpenMetricsContentType,
  type PrometheusContentType,
} from 'prom-client';
import type { RunningGateway } from '../helpers/servers.js';
import { assertGroupSamples, assertLines, assertNoSamples, gatewayTargets, scrape } from '../clients/gateway-target.js';

/** A registry holding one metric of every kind, with the values the expectations below assume. */
function everyKind(): Registry {
  const registers = [new Registry()];
  const requests = new Counter({
    name: 'pc_requests_total',
    help: 'Requests "done" \\ here\nnext',
    labelNames: ['code'],
    registers,
  });
  requests.inc({ code: '200' }, 3);
  requests.inc({ code: '500' });
  new Gauge({ name: 'pc_nan', help: 'nan gauge', registers }).set(NaN);
  new Gauge({ name: 'pc_temp', help: 'temp', labelNames: ['room'], registers }).set({ room: 'kü che' }, 21.5);
  const size = new Histogram({ name: 'pc_size', help: 'size', buckets: [1, 5], registers });
  for (const v of [0.5, 3, 7]) size.observe(v);
  const lat = new Summary({ name: 'pc_lat', help: 'lat', percentiles: [0.5, 0.9], registers });
  for (const v of [1, 2]) lat.observe(v);
  return registers[0]!;
}

function oneGauge(name: string, value: number): Registry {
  const registry = new Registry();
  new Gauge({ name, help: `${name} help`, registers: [registry] }).set(value);
  return registry;
}

/** prom-client's promise result, with the status and Location it resolved on. */
async function outcome(p: Promise<{ resp?: unknown; body?: unknown }>): Promise<string> {
  try {
    const { resp, body } = await p;
    const msg = resp as IncomingMessage;
    return `resolved ${msg.statusCode} location=${msg.headers.location ?? '-'} body=${JSON.stringify(body)}`;
  } catch (err) {
    return `rejected ${(err as Error).message}`;
  }
}

const KEY = 'instance="a b",job="prom client",utf="Προ"';

for (const target of gatewayTargets()) {
  describe(`prom-client Pushgateway against ${target.name}`, { skip: target.skip }, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await target.start();
    });
    after(async () => {
      await gw.stop();
    });
    const client = (registry: Registry): Pushgateway<PrometheusContentType> => new Pushgateway(gw.url, {}, registry);

    it('pushAdd stores counters, gauges (Nan), histograms and summaries under space and UTF-8 groupings', async () => {
      const since = Date.now() / 1000;
      const groupings = { instance: 'a b', utf: 'Προ' };
      const res = await client(everyKind()).pushAdd({ jobName: 'prom client', groupings });
      assert.equal((res.resp as IncomingMessage).statusCode, 200);
      const text = await scrape(gw);
      assertGroupSamples(
        text,
        ['job="prom client"'],
        [
          `pc_lat{${KEY},quantile="0.5"} 1.5`,
          `pc_lat{${KEY},quantile="0.9"} 2`,
          `pc_lat_sum{${KEY}} 3`,
          `pc_lat_count{${KEY}} 2`,
          `pc_nan{${KEY}} NaN`,
          `pc_requests_total{code="200",${KEY}} 3`,
          `pc_requests_total{code="500",${KEY}} 1`,
          `pc_size_bucket{${KEY},le="1"} 1`,
          `pc_size_bucket{${KEY},le="5"} 2`,
          `pc_size_bucket{${KEY},le="+Inf"} 3`,
          `pc_size_sum{${KEY}} 10.5`,
          `pc_size_count{${KEY}} 3`,
          `pc_temp{instance="a b",job="prom client",room="kü che",utf="Προ"} 21.5`,
          `push_failure_time_seconds{${KEY}} 0`,
          `push_time_seconds{${KEY}} <now>`,
        ],
        since,
      );
      assertLines(text, [
        '# HELP pc_requests_total Requests "done" \\\\ here\\nnext',
        '# TYPE pc_requests_total counter',
        '# TYPE pc_nan gauge',
        '# TYPE pc_size histogram',
        '# TYPE pc_lat summary',
        '# HELP pc_temp temp',
      ]);
    });

    it('pushAdd merges by family; push replaces the group; delete removes it', async () => {
      const params = { jobName: 'merge job', groupings: { instance: 'm1' } };
      await client(oneGauge('first', 1)).push(params);
      await client(oneGauge('second', 2)).pushAdd(params);
      await client(oneGauge('first', 3)).pushAdd(params);
      assertGroupSamples(
        await scrape(gw),
        ['job="merge job"'],
        [
          'first{instance="m1",job="merge job"} 3',
          'second{instance="m1",job="merge job"} 2',
          'push_failure_time_seconds{instance="m1",job="merge job"} 0',
          'push_time_seconds{instance="m1",job="merge job"} <now>',
        ],
      );
      await client(oneGauge('third', 4)).push(params);
      assertGroupSamples(
        await scrape(gw),
        ['job="merge job"'],
        [
          'third{instance="m1",job="merge job"} 4',
          'push_failure_time_seconds{instance="m1",job="merge job"} 0',
          'push_time_seconds{instance="m1",job="merge job"} <now>',
        ],
      );
      const res = await client(new Registry()).delete(params);
      assert.equal((res.resp as IncomingMessage).statusCode, 202);
      assertNoSamples(await scrape(gw), ['job="merge job"']);
    });

    it('a / in a grouping value or job name (sent as %2F) is rejected with 400 and nothing is stored', async () => {
      const registry = oneGauge('slashed', 1);
      assert.equal(
        await outcome(client(registry).push({ jobName: 'pc slash', groupings: { slash: 'x/y' } })),
        'rejected push failed with status 400, odd number of components in label string "/slash/x/y"\n',
      );
      assert.equal(
        await outcome(client(registry).pushAdd({ jobName: 'pc/job' })),
        'rejected push failed with status 400, odd number of components in label string "/job"\n',
      );
      assert.equal(
        await outcome(client(registry).delete({ jobName: 'pc/job' })),
        'rejected push failed with status 400, odd number of components in label string "/job"\n',
      );
      const text = await scrape(gw);
      assertNoSamples(text, ['job="pc slash"']);
      assertNoSamples(text, ['job="pc"']);
    });

    it('an empty grouping value (sent as //) is redirected with 301, which prom-client takes as success', async () => {
      const params = { jobName: 'pc empty', groupings: { empty: '', other: 'z' } };
      const redirected = 'resolved 301 location=/metrics/job/pc%20empty/empty/other/z body=""';
      assert.equal(await outcome(client(oneGauge('lost', 1)).push(params)), redirected);
      assertNoSamples(await scrape(gw), ['job="pc empty"']);
      // The same silent loss on delete: the group stays.
      await client(oneGauge('kept', 1)).push({ jobName: 'pc empty', groupings: { other: 'z' } });
      assert.equal(await outcome(client(new Registry()).delete(params)), redirected);
      assertLines(await scrape(gw), ['kept{instance="",job="pc empty",other="z"} 1']);
    });

    // OpenMetrics registries write `# TYPE om_requests counter` then `om_requests_total 2`: the sample does
    // not belong to the typed family, so it becomes its own untyped family and the empty typed one is dropped.
    it('an OpenMetrics-format registry pushes; the counter sample lands as an untyped _total family', async () => {
      const registry = new Registry<OpenMetricsContentType>();
      registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
      new Counter({ name: 'om_requests', help: 'om', registers: [registry] }).inc(2);
      new Gauge({ name: 'om_g', help: 'g', registers: [registry] }).set(4);
      const res = await new Pushgateway(gw.url, {}, registry).push({ jobName: 'om' });
      assert.equal((res.resp as IncomingMessage).statusCode, 200);
      const text = await scrape(gw);
      assertGroupSamples(
        text,
        ['job="om"'],
        [
          'om_g{instance="",job="om"} 4',
          'om_requests_total{instance="",job="om"} 2',
          'push_failure_time_seconds{instance="",job="om"} 0',
          'push_time_seconds{instance="",job="om"} <now>',
        ],
      );
      assertLines(text, ['# TYPE om_requests_total untyped', '# HELP om_g g', '# TYPE om_g gauge']);
      assert.ok(!text.includes('# TYPE om_requests counter'), 'the sample-less counter family is not exposed');
    });
  });
}
