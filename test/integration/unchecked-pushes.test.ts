/**
 * `--push.disable-consistency-check`, the reference's escape hatch for heavy push loads: pushes answer
 * 202 without the consistency check; URL and body errors still answer 400; a timestamped push is
 * accepted on the wire but recorded as a failed push; an inconsistent store makes every scrape a 500
 * until the culprit group is deleted. The same sequence runs against the reference, which applies its
 * 202s asynchronously, so its side is polled briefly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';

const FLAG = '--push.disable-consistency-check';
const SCRAPE_ERROR_PREFIX = 'An error has occurred while serving metrics:\n\n';

async function send(
  gw: RunningGateway,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(gw.url + path, { method, body: body ?? null, redirect: 'manual' });
  return { status: res.status, text: await res.text() };
}

/** Retries `check` until it passes or 2 s are over (the reference applies 202 writes asynchronously). */
async function eventually<T>(check: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 2000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function sampleValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The whole unchecked-push story; `settle` wraps each visibility check (immediate for ours). */
function scenario(
  start: () => Promise<RunningGateway>,
  settle: <T>(check: () => Promise<T>) => Promise<T>,
  skip: string | false = false,
): void {
  let gw: RunningGateway;
  before(async () => {
    if (skip === false) gw = await start();
  });
  after(async () => {
    await gw?.stop();
  });

  it('accepts a valid push with 202 and serves it', { skip }, async () => {
    assert.deepEqual(await send(gw, 'PUT', '/metrics/job/valid', 'm 1\n'), { status: 202, text: '' });
    assert.deepEqual(await send(gw, 'POST', '/metrics/job/valid', 'n 2\n'), { status: 202, text: '' });
    await settle(async () => {
      const scrape = await send(gw, 'GET', '/metrics');
      assert.equal(scrape.status, 200);
      assert.equal(sampleValue(scrape.text, 'm{instance="",job="valid"}'), 1);
      assert.equal(sampleValue(scrape.text, 'n{instance="",job="valid"}'), 2);
    });
  });

  it('still rejects URL and parse errors with 400', { skip }, async () => {
    assert.deepEqual(await send(gw, 'PUT', '/metrics/job/valid/odd', 'm 1\n'), {
      status: 400,
      text: 'odd number of components in label string "/odd"\n',
    });
    assert.deepEqual(await send(gw, 'PUT', '/metrics/job/valid', 'x{ 1\n'), {
      status: 400,
      text: 'text format parsing error in line 1: invalid label name for metric "x"\n',
    });
  });

  it('answers 202 to a push with timestamps but records it as a failed push', { skip }, async () => {
    assert.deepEqual(await send(gw, 'PUT', '/metrics/job/stamped', 't 1 1000\n'), { status: 202, text: '' });
    await settle(async () => {
      const text = (await send(gw, 'GET', '/metrics')).text;
      const failed = sampleValue(text, 'push_failure_time_seconds{instance="",job="stamped"}');
      assert.ok(failed !== undefined && failed > 1e9, `push_failure_time_seconds is ${failed}`);
      assert.equal(sampleValue(text, 'push_time_seconds{instance="",job="stamped"}'), 0);
      assert.equal(sampleValue(text, 't{instance="",job="stamped"}'), undefined);
    });
  });

  it('accepts a type clash across groups, then fails scrapes with 500 until the culprit is deleted', {
    skip,
  }, async () => {
    assert.equal((await send(gw, 'PUT', '/metrics/job/g1', '# TYPE clash counter\nclash 1\n')).status, 202);
    assert.equal((await send(gw, 'PUT', '/metrics/job/g2', '# TYPE clash gauge\nclash 2\n')).status, 202);
    await settle(async () => {
      const scrape = await send(gw, 'GET', '/metrics');
      assert.equal(scrape.status, 500);
      assert.ok(scrape.text.startsWith(SCRAPE_ERROR_PREFIX), JSON.stringify(scrape.text));
      assert.match(
        scrape.text.slice(SCRAPE_ERROR_PREFIX.length),
        /^collected metric "clash" \{.*\} is not a (COUNTER|GAUGE)\n$/,
      );
    });
    // The health endpoints keep answering: only the exposition is broken.
    assert.equal((await send(gw, 'GET', '/-/healthy')).status, 200);
    assert.equal((await send(gw, 'DELETE', '/metrics/job/g2')).status, 202);
    await settle(async () => {
      const scrape = await send(gw, 'GET', '/metrics');
      assert.equal(scrape.status, 200, scrape.text);
      assert.equal(sampleValue(scrape.text, 'clash{instance="",job="g1"}'), 1);
    });
  });
}

describe(`unchecked pushes (${FLAG})`, () => {
  scenario(
    () => startOurs([FLAG]),
    (check) => check(),
  );
});

describe(`unchecked pushes (${FLAG}) on the reference`, () => {
  scenario(() => startReference([FLAG]), eventually, referenceSkipReason());
});
