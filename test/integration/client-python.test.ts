/**
 * The real Python prometheus_client (Debian python3-prometheus-client 0.16, /usr/bin/python3) pushing
 * through push_to_gateway / pushadd_to_gateway / delete_from_gateway, checked through GET /metrics.
 * Expected lines were recorded from the reference 1.5.1 for the same pushes. Client 0.16 quirks these pin:
 * a space in a grouping value or job is sent as `+` and stored as a literal `+`; values with `/` go as
 * padded `@base64`; empty values as `@base64/=`; counters are `X_total` plus an `X_created` gauge family.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PROJECT_ROOT, type RunningGateway } from '../helpers/servers.js';
import {
  assertGroupSamples,
  assertLines,
  assertNoSamples,
  gatewayTargets,
  needsProgram,
  run,
  scrape,
} from '../clients/gateway-target.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(PROJECT_ROOT, 'test/clients/python_push.py');
const missing = await needsProgram(
  [PYTHON, '-c', 'import prometheus_client'],
  `Python module prometheus_client for ${PYTHON}`,
  'apt-get install -y python3-prometheus-client',
);

type Metric = Record<string, unknown> & { type: string; name: string };
interface Op {
  op: 'push' | 'pushadd' | 'delete';
  job: string;
  grouping_key?: Record<string, string>;
  metrics?: Metric[];
}
interface OpResult {
  ok: boolean;
  error?: string;
}

/** Runs the ops in order with one Python process; returns each op's outcome. */
async function python(gw: RunningGateway, ops: Op[]): Promise<OpResult[]> {
  const res = await run(PYTHON, [SCRIPT, JSON.stringify({ gateway: `127.0.0.1:${gw.port}`, ops })]);
  assert.equal(res.code, 0, `python_push.py failed:\n${res.stderr}`);
  return res.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OpResult);
}

function assertAllOk(results: OpResult[]): void {
  assert.deepEqual(
    results,
    results.map(() => ({ ok: true })),
  );
}

// Group labels as the gateway renders them: sorted, job included; the client's encodings undone.
const KEY = 'empty="",instance="a+b",job="batch job/x",slash="x/y",utf="Προ"';

const EVERY_TYPE: Metric[] = [
  { type: 'counter', name: 'jobs_done', inc: 3 },
  { type: 'gauge', name: 'temp', labels: { room: 'k' }, set: 21.5, help: 'say "hi" \\ and\nbye' },
  { type: 'summary', name: 'lat', observe: [1, 2] },
  { type: 'histogram', name: 'size', buckets: [1, 5], observe: [0.5, 3, 7] },
  { type: 'info', name: 'build', info: { version: '1.2', rev: 'abc' } },
];

for (const target of gatewayTargets()) {
  describe(`Python prometheus_client against ${target.name}`, { skip: target.skip || missing }, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await target.start();
    });
    after(async () => {
      await gw.stop();
    });

    it('push_to_gateway stores every type under a grouping key with /, space, empty and UTF-8 values', async () => {
      const since = Date.now() / 1000;
      assertAllOk(
        await python(gw, [
          {
            op: 'push',
            job: 'batch job/x',
            metrics: EVERY_TYPE,
            grouping_key: { instance: 'a b', empty: '', slash: 'x/y', utf: 'Προ' },
          },
        ]),
      );
      const text = await scrape(gw);
      assertGroupSamples(
        text,
        ['job="batch job/x"'],
        [
          `build_info{empty="",instance="a+b",job="batch job/x",rev="abc",slash="x/y",utf="Προ",version="1.2"} 1`,
          `jobs_done_created{${KEY}} <now>`,
          `jobs_done_total{${KEY}} 3`,
          `lat_sum{${KEY}} 3`,
          `lat_count{${KEY}} 2`,
          `lat_created{${KEY}} <now>`,
          `size_bucket{${KEY},le="1"} 1`,
          `size_bucket{${KEY},le="5"} 2`,
          `size_bucket{${KEY},le="+Inf"} 3`,
          `size_sum{${KEY}} 10.5`,
          `size_count{${KEY}} 3`,
          `size_created{${KEY}} <now>`,
          `temp{empty="",instance="a+b",job="batch job/x",room="k",slash="x/y",utf="Προ"} 21.5`,
          `push_failure_time_seconds{${KEY}} 0`,
          `push_time_seconds{${KEY}} <now>`,
        ],
        since,
      );
      assertLines(text, [
        '# TYPE build_info gauge',
        '# TYPE jobs_done_created gauge',
        '# TYPE jobs_done_total counter',
        '# TYPE lat summary',
        '# TYPE lat_created gauge',
        '# TYPE size histogram',
        '# TYPE temp gauge',
        '# HELP temp say "hi" \\\\ and\\nbye',
        '# HELP jobs_done_total help for jobs_done',
      ]);
    });

    it('push_to_gateway replaces the whole group', async () => {
      const key = { instance: 'r1' };
      assertAllOk(
        await python(gw, [
          { op: 'push', job: 'replace', grouping_key: key, metrics: EVERY_TYPE },
          { op: 'push', job: 'replace', grouping_key: key, metrics: [{ type: 'gauge', name: 'temp', set: 1 }] },
        ]),
      );
      assertGroupSamples(
        await scrape(gw),
        ['job="replace"'],
        [
          'temp{instance="r1",job="replace"} 1',
          'push_failure_time_seconds{instance="r1",job="replace"} 0',
          'push_time_seconds{instance="r1",job="replace"} <now>',
        ],
      );
    });

    it('pushadd_to_gateway replaces only the families it sends (job with a space sent as +)', async () => {
      const key = { instance: 'h1' };
      assertAllOk(
        await python(gw, [
          {
            op: 'push',
            job: 'nightly run',
            grouping_key: key,
            metrics: [
              { type: 'counter', name: 'a', inc: 2 },
              { type: 'gauge', name: 'temp', labels: { room: 'k' }, set: 5 },
            ],
          },
          {
            op: 'pushadd',
            job: 'nightly run',
            grouping_key: key,
            metrics: [
              { type: 'gauge', name: 'temp', labels: { room: 'j' }, set: 6 },
              { type: 'gauge', name: 'extra', set: -1.5e-7 },
            ],
          },
        ]),
      );
      assertGroupSamples(
        await scrape(gw),
        ['job="nightly+run"'],
        [
          'a_created{instance="h1",job="nightly+run"} <now>',
          'a_total{instance="h1",job="nightly+run"} 2',
          'extra{instance="h1",job="nightly+run"} -1.5e-07',
          'temp{instance="h1",job="nightly+run",room="j"} 6',
          'push_failure_time_seconds{instance="h1",job="nightly+run"} 0',
          'push_time_seconds{instance="h1",job="nightly+run"} <now>',
        ],
      );
    });

    it('delete_from_gateway removes only the addressed group', async () => {
      const gauge: Metric[] = [{ type: 'gauge', name: 'd', set: 7 }];
      assertAllOk(
        await python(gw, [
          { op: 'push', job: 'del/job', grouping_key: { instance: 'i/1' }, metrics: gauge },
          { op: 'push', job: 'del/job', grouping_key: { instance: 'i2' }, metrics: gauge },
          { op: 'delete', job: 'del/job', grouping_key: { instance: 'i/1' } },
          { op: 'delete', job: 'del/job' }, // no such group {job="del/job"}: accepted, nothing else touched
        ]),
      );
      const text = await scrape(gw);
      assertNoSamples(text, ['job="del/job"', 'instance="i/1"']);
      assertGroupSamples(
        text,
        ['job="del/job"'],
        [
          'd{instance="i2",job="del/job"} 7',
          'push_failure_time_seconds{instance="i2",job="del/job"} 0',
          'push_time_seconds{instance="i2",job="del/job"} <now>',
        ],
      );
    });

    it('a group without instance gets instance="" and a NaN gauge round-trips (UTF-8 job name)', async () => {
      const metrics: Metric[] = [{ type: 'gauge', name: 'g', set: 'NaN' }];
      assertAllOk(await python(gw, [{ op: 'push', job: 'Προ job', metrics }]));
      assertGroupSamples(
        await scrape(gw),
        ['job="Προ+job"'],
        [
          'g{instance="",job="Προ+job"} NaN',
          'push_failure_time_seconds{instance="",job="Προ+job"} 0',
          'push_time_seconds{instance="",job="Προ+job"} <now>',
        ],
      );
    });

    it('a push inconsistent with another group fails with 400 and only records the failure time', async () => {
      const since = Date.now() / 1000;
      const results = await python(gw, [
        { op: 'push', job: 'conf', grouping_key: { g: 'A' }, metrics: [{ type: 'counter', name: 'shared' }] },
        {
          op: 'push',
          job: 'conf',
          grouping_key: { g: 'B' },
          metrics: [{ type: 'gauge', name: 'shared_total', set: 1 }],
        },
      ]);
      assert.deepEqual(results, [{ ok: true }, { ok: false, error: 'HTTPError: HTTP Error 400: Bad Request' }]);
      const text = await scrape(gw);
      assertGroupSamples(
        text,
        ['job="conf"', 'g="B"'],
        [
          'push_failure_time_seconds{g="B",instance="",job="conf"} <now>',
          'push_time_seconds{g="B",instance="",job="conf"} 0',
        ],
        since,
      );
      assertLines(text, ['shared_total{g="A",instance="",job="conf"} 1', '# TYPE shared_total counter']);
    });
  });
}
