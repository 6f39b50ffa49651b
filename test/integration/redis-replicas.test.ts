/**
 * Two gateway processes (the real CLI) sharing one real redis-server through --store.redis.url: a push to
 * one is on the other's /metrics; clashing pushes to both at once are accepted exactly once and both
 * replicas' /metrics bodies end byte-identical; DELETE, the delete by selector and wipe through one are
 * seen on the other; with Redis stopped a push, a DELETE and a delete by selector answer 503 naming Redis
 * while scrapes still serve the last data and /-/ready is 503; with Redis back a push succeeds. Every wait
 * polls for its condition with a deadline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { redisSkipReason, startRedis, type RunningRedis } from '../helpers/redis.js';
import { until } from '../helpers/redis-load.js';

const skip = redisSkipReason();

async function pushed(gw: RunningGateway): Promise<string> {
  const res = await fetch(`${gw.url}/metrics`);
  const body = await res.text();
  assert.equal(res.status, 200);
  // Only what was pushed: each process's own metrics differ.
  return body
    .split('\n')
    .filter((l) => l !== '' && !/^(# (HELP|TYPE) )?(pushgateway_|process_|nodejs_)/.test(l))
    .join('\n');
}

async function send(gw: RunningGateway, method: string, path: string, body?: string): Promise<[number, string]> {
  const res = await fetch(`${gw.url}${path}`, { method, ...(body === undefined ? {} : { body }) });
  return [res.status, await res.text()];
}

describe('two gateway processes on one Redis (--store.redis.url)', { skip }, () => {
  let redis: RunningRedis;
  let a: RunningGateway;
  let b: RunningGateway;
  const flags = (): string[] => [`--store.redis.url=${redis.url}`, '--web.enable-admin-api', '--log.level=warn'];
  const ready = async (gw: RunningGateway): Promise<boolean | undefined> =>
    (await fetch(`${gw.url}/-/ready`).then((r) => r.arrayBuffer().then(() => r.status))) === 200 || undefined;

  before(async () => {
    redis = await startRedis({ aof: true });
    [a, b] = await Promise.all([startOurs(flags()), startOurs(flags())]);
    await until('A ready', () => ready(a));
    await until('B ready', () => ready(b));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('a push to A is on B’s /metrics', async () => {
    const started = performance.now();
    assert.deepEqual(await send(a, 'PUT', '/metrics/job/one/instance/i', 'seen_on_b 1\n'), [200, '']);
    await until('the push on B', async () =>
      (await pushed(b)).includes('seen_on_b{instance="i",job="one"} 1') ? true : undefined,
    );
    const visible = performance.now() - started;
    console.log(`# visible on the other replica ${visible.toFixed(1)} ms after the push was sent`);
    assert.equal(await pushed(b), await pushed(a));
    // Own metrics of the Redis store, on every replica.
    const own = await (await fetch(`${b.url}/metrics`)).text();
    assert.match(own, /^pushgateway_store_up 1$/m);
    assert.match(own, /^pushgateway_store_log_entries_applied_total [1-9]\d*$/m);
    assert.match(own, /^pushgateway_store_log_last_applied_timestamp_seconds 1\.\d+e\+09$/m);
    assert.match(own, /^pushgateway_store_replication_lag_entries 0$/m);
  });

  it('clashing pushes to A and B at once: exactly one accepted; both bodies byte-identical once quiet', async () => {
    for (let round = 0; round < 10; round++) {
      const name = `clash_${round}`;
      const [ra, rb] = await Promise.all([
        send(a, 'PUT', `/metrics/job/a${round}`, `# TYPE ${name} counter\n${name} 1\n`),
        send(b, 'PUT', `/metrics/job/b${round}`, `# TYPE ${name} gauge\n${name} 2\n`),
      ]);
      const statuses = [ra[0], rb[0]].sort();
      assert.deepEqual(statuses, [200, 400], `round ${round}: ${ra.join(' ')} / ${rb.join(' ')}`);
      const rejected = ra[0] === 400 ? ra[1] : rb[1];
      assert.match(rejected, /^pushed metrics are invalid or inconsistent with existing metrics: /);
    }
    // Each answer came once its own replica had applied the push; the other replica may still be applying it,
    // so both bodies are read again until they agree (a body of A read once could miss B's last push).
    const bodyA = await until(
      'A and B quiet and equal',
      async () => {
        const [x, y] = await Promise.all([pushed(a), pushed(b)]);
        return x !== undefined && x === y ? x : undefined;
      },
      30_000,
    );
    // The failed push marks its group on both replicas alike.
    assert.match(bodyA, /push_failure_time_seconds\{instance="",job="[ab]0"\} [1-9]/);
  });

  it('DELETE and wipe through B are seen on A', async () => {
    assert.equal((await send(a, 'PUT', '/metrics/job/doomed', 'doomed 1\n'))[0], 200);
    await until('doomed on B', async () => ((await pushed(b)).includes('doomed{') ? true : undefined));
    assert.equal((await send(b, 'DELETE', '/metrics/job/doomed'))[0], 202);
    await until('the delete on A', async () => (!(await pushed(a)).includes('doomed{') ? true : undefined));
    for (const job of ['sel1', 'sel2']) assert.equal((await send(a, 'PUT', `/metrics/job/${job}`, 's 1\n'))[0], 200);
    await until('sel2 on B', async () => ((await pushed(b)).includes('job="sel2"') ? true : undefined));
    const match = encodeURIComponent('{job=~"sel.*"}');
    assert.deepEqual(await send(b, 'DELETE', `/api/v1/admin/groups?match[]=${match}`), [
      200,
      '{"status":"success","data":{"deleted":2}}',
    ]);
    await until('the delete by selector on A', async () => (!(await pushed(a)).includes('sel') ? true : undefined));
    assert.equal((await send(b, 'PUT', '/api/v1/admin/wipe'))[0], 202);
    await until('the wipe on A', async () => ((await pushed(a)) === '' ? true : undefined));
  });

  it('Redis stopped: push 503 naming Redis, scrape 200 (last data), /-/ready 503; back: push works', async () => {
    assert.equal((await send(a, 'PUT', '/metrics/job/kept', 'kept 1\n'))[0], 200);
    await until('kept on B', async () => ((await pushed(b)).includes('kept{') ? true : undefined));
    const before = await pushed(a);
    await redis.stop();
    await until('A not ready', async () => ((await ready(a)) === undefined ? true : undefined));
    const res = await fetch(`${a.url}/metrics/job/refused`, { method: 'PUT', body: 'refused 1\n' });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    // 'not connected', or 'appending to the log failed' when the commands connection sees the loss last.
    assert.match(
      await res.text(),
      /^Redis store unavailable: (not connected to redis:\/\/127\.0\.0\.1:\d+|appending to the log failed \()/,
    );
    const [readyStatus, readyBody] = await send(a, 'GET', '/-/ready');
    assert.equal(readyStatus, 503);
    assert.match(readyBody, /^store not ready: /);
    assert.equal((await send(a, 'GET', '/-/healthy'))[0], 200);
    await until('store_up 0 on A', async () =>
      /^pushgateway_store_up 0$/m.test(await (await fetch(`${a.url}/metrics`)).text()) ? true : undefined,
    );
    assert.equal((await send(b, 'DELETE', '/metrics/job/kept'))[0], 503);
    // The delete by selector likewise, in the /api/v1 error envelope.
    const bySelector = await fetch(`${b.url}/api/v1/admin/groups?match[]=${encodeURIComponent('{job="kept"}')}`, {
      method: 'DELETE',
    });
    assert.equal(bySelector.status, 503);
    assert.equal(bySelector.headers.get('retry-after'), '1');
    const envelope = (await bySelector.json()) as { status: string; error: string; code: string };
    assert.equal(envelope.status, 'error');
    assert.equal(envelope.code, 'PGW_ERR_STORE_UNAVAILABLE');
    assert.match(envelope.error, /^Redis store unavailable: /);
    assert.equal(await pushed(a), before);
    assert.equal(await pushed(b), before);
    await redis.restart();
    await until('A ready again', () => ready(a), 15_000);
    await until('B ready again', () => ready(b), 15_000);
    assert.deepEqual(await send(a, 'PUT', '/metrics/job/after', 'after 1\n'), [200, '']);
    await until('after on B', async () => ((await pushed(b)).includes('after{') ? true : undefined));
  });
});
