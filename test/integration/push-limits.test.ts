/**
 * The per-push limits over real HTTP (--push.sample-limit, --push.label-limit,
 * --push.label-name-length-limit, --push.label-value-length-limit): a push beyond one is 400 with
 * Prometheus's wording, counted, and stores nothing; pushes within pass; without the flags nothing is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOurs, type RunningGateway } from '../helpers/servers.js';

async function put(gw: RunningGateway, job: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gw.url}/metrics/job/${job}`, { method: 'PUT', body });
  return { status: res.status, text: await res.text() };
}

const samples = (n: number) => Array.from({ length: n }, (_v, i) => `m{i="${i}"} 1\n`).join('');

describe('per-push limits', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs([
      '--push.sample-limit=100',
      '--push.label-limit=5',
      '--push.label-name-length-limit=20',
      '--push.label-value-length-limit=30',
    ]);
  });
  after(async () => {
    await gw.stop();
  });

  it("refuses each limit with 400 in Prometheus's words and stores nothing", async () => {
    assert.equal((await put(gw, 'ok', samples(100))).status, 200);
    const cases: Array<[string, string, RegExp, string]> = [
      ['s', samples(101), /^sample_limit exceeded \(number of samples: 101, limit: 100\)\n$/, 'sample_limit'],
      [
        'l',
        'm{a="1",b="2",c="3",d="4"} 1\n',
        /^label_limit exceeded \(metric: m, number of labels: 6, limit: 5\)\n$/,
        'label_limit',
      ],
      [
        'n',
        `m{${'n'.repeat(21)}="v"} 1\n`,
        /^label_name_length_limit exceeded \(metric: m, label name: n{21}, length: 21, limit: 20\)\n$/,
        'label_name_length_limit',
      ],
      [
        'v',
        `m{l="${'v'.repeat(31)}"} 1\n`,
        /^label_value_length_limit exceeded \(metric: m, label name: l, value: "v{31}", length: 31, limit: 30\)\n$/,
        'label_value_length_limit',
      ],
    ];
    for (const [job, body, message] of cases) {
      const r = await put(gw, job, body);
      assert.equal(r.status, 400, job);
      assert.match(r.text, message);
    }
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    for (const [job, , , reason] of cases) {
      assert.doesNotMatch(text, new RegExp(`job="${job}"`));
      assert.match(text, new RegExp(`^pushgateway_push_rejections_total\\{reason="${reason}"\\} 1$`, 'm'));
    }
    assert.equal(text.match(/^m\{i="\d+",instance="",job="ok"\} 1$/gm)?.length, 100);
  });
});

describe('per-push limits off (the default)', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
  });
  after(async () => {
    await gw.stop();
  });

  it('accepts what the reference accepts', async () => {
    const labels = Array.from({ length: 200 }, (_v, i) => `${'n'.repeat(100)}${i}="${'v'.repeat(10_000)}"`).join(',');
    assert.equal((await put(gw, 'wide', `m{${labels}} 1\n${samples(20_000)}`)).status, 200);
  });
});
