/**
 * The metric lifecycle (issue 12) with the Redis store (docs/lifecycle.md, "With the Redis store"): three
 * gateway processes (the real CLI) on one real redis-server. A group pushed with X-Pushgateway-TTL through
 * one replica shows the same TTL, interval and expiry time in GET /api/v1/groups on every replica, expires
 * on all of them, and is counted (pushgateway_groups_expired_total summed over the replicas) and logged
 * once. An expiry entry that lost the race with a push (written into the log by hand, after the push that
 * restarted the group's clock) keeps the group on every replica, while one that did not deletes it and a
 * duplicate is a no-op. pushgateway_group_up agrees across replicas; DELETE /api/v1/admin/groups?match[]
 * through one replica deletes on all; a replica started from a snapshot has the lifecycle states; one with
 * another --push.group-ttl refuses to take writes. Every wait polls for its condition with a deadline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { createClient, RESP_TYPES } from 'redis';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { redisSkipReason, startRedis, type RunningRedis } from '../helpers/redis.js';
import { encodeEntry } from '../../src/store/redis/entry-codec.js';

const skip = redisSkipReason();
const LOG = 'pushgateway:log';

interface GroupEntry {
  labels: Record<string, string>;
  last_push_time: string | null;
  ttl_seconds: number;
  ttl_source: string;
  expires_at: string | null;
  interval_seconds: number | null;
  up: boolean | null;
}

async function until(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function push(gw: RunningGateway, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url + path, { method: 'PUT', body, headers });
  await res.arrayBuffer();
  return res.status;
}

async function groups(gw: RunningGateway, match: string): Promise<GroupEntry[]> {
  const res = await fetch(`${gw.url}/api/v1/groups?match[]=${encodeURIComponent(match)}`);
  const body = (await res.json()) as { data: GroupEntry[] };
  assert.equal(res.status, 200);
  return body.data;
}

/** The lifecycle fields every replica must agree on (expires_in_seconds depends on when it is asked). */
function shared(entries: GroupEntry[]): unknown[] {
  return entries.map((e) => [
    e.labels,
    e.last_push_time,
    e.ttl_seconds,
    e.ttl_source,
    e.expires_at,
    e.interval_seconds,
  ]);
}

async function metricLines(gw: RunningGateway, prefix: string): Promise<string[]> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

async function expiredCount(gw: RunningGateway): Promise<number> {
  const [line] = await metricLines(gw, 'pushgateway_groups_expired_total ');
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

const ready = async (gw: RunningGateway): Promise<boolean> =>
  (await fetch(`${gw.url}/-/ready`).then((r) => r.arrayBuffer().then(() => r.status))) === 200;

describe('the lifecycle on three replicas sharing one Redis', { skip }, () => {
  let redis: RunningRedis;
  let raw: ReturnType<typeof createClient>;
  let replicas: RunningGateway[];
  const flags = (): string[] => [`--store.redis.url=${redis.url}`, '--web.enable-admin-api', '--log.level=info'];
  // A snapshot after every 50 entries, so that a replica started late begins from one.
  const env = { ...process.env, PUSHGATEWAY_TEST_REDIS_SNAPSHOT_ENTRIES: '50' };

  before(async () => {
    redis = await startRedis();
    raw = createClient({ url: redis.url });
    await raw.connect();
    replicas = await Promise.all([0, 1, 2].map(() => startOurs(flags(), { spawn: { env } })));
    for (const gw of replicas) await until('a replica ready', () => ready(gw));
  });
  after(async () => {
    await raw?.close();
    await Promise.all((replicas ?? []).map((gw) => gw.stop()));
    await redis?.stop();
  });

  it('a TTL’d group: the same lifecycle on every replica, expired on all, counted and logged once', async () => {
    const [a, b, c] = replicas as [RunningGateway, RunningGateway, RunningGateway];
    const headers = { 'X-Pushgateway-TTL': '1500ms', 'X-Pushgateway-Interval': '1m' };
    assert.equal(await push(b, '/metrics/job/ttl/instance/i1', 'x 1\n', headers), 200);
    await until('the group on every replica', async () =>
      (await Promise.all(replicas.map((gw) => groups(gw, '{job="ttl"}')))).every((g) => g.length === 1),
    );
    const seen = await Promise.all(replicas.map((gw) => groups(gw, '{job="ttl"}')));
    assert.equal(seen[0]![0]!.ttl_seconds, 1.5);
    assert.equal(seen[0]![0]!.interval_seconds, 60);
    assert.equal(Date.parse(seen[0]![0]!.expires_at!) - Date.parse(seen[0]![0]!.last_push_time!), 1500);
    assert.deepEqual(shared(seen[1]!), shared(seen[0]!));
    assert.deepEqual(shared(seen[2]!), shared(seen[0]!));
    await until('the group gone from every replica', async () =>
      (await Promise.all(replicas.map((gw) => groups(gw, '{job="ttl"}')))).every((g) => g.length === 0),
    );
    // A write through each replica, answered after its mirror applied every entry it appended before
    // (its expiry writes included): then each replica's count is final.
    for (const gw of [a, b, c]) assert.equal(await push(gw, '/metrics/job/marker', 'm 1\n'), 200);
    const counts = await Promise.all(replicas.map(expiredCount));
    assert.equal(
      counts.reduce((x, y) => x + y, 0),
      1,
      `pushgateway_groups_expired_total ${counts.join(', ')}`,
    );
    const lines = replicas.flatMap((gw) => gw.output().split('\n')).filter((l) => /msg="group expired"/.test(l));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /grouping_key="\{instance=\\"i1\\", job=\\"ttl\\"\}" ttl=1\.5s/);
  });

  it('an expiry entry behind a push that restarted the clock keeps the group; one that is not deletes', async () => {
    const [a, b, c] = replicas as [RunningGateway, RunningGateway, RunningGateway];
    const hour = { 'X-Pushgateway-TTL': '1h' };
    assert.equal(await push(a, '/metrics/job/raced', 'r 1\n', hour), 200);
    assert.equal(await push(a, '/metrics/job/doomed', 'd 1\n', hour), 200);
    // The push times as the log carries them (the expiry condition compares them exactly).
    const pushTime = async (job: string): Promise<number> => {
      const entries = (await raw
        .withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
        .sendCommand(['XRANGE', LOG, '-', '+'])) as Array<[Buffer, Buffer[]]>;
      let time: number | undefined;
      for (const [, flat] of entries) {
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i]!.toString(), flat[i + 1]!.toString('latin1'));
        if (f.get('op') === 'push' && f.get('labels') === JSON.stringify([['job', job]])) time = Number(f.get('time'));
      }
      assert.ok(time !== undefined, `a push of ${job} in the log`);
      return time;
    };
    const racedFirst = await pushTime('raced');
    // A push through another replica restarts the group's clock before the expiry below is in the log.
    assert.equal(await push(b, '/metrics/job/raced', 'r 2\n', hour), 200);
    const doomedSince = await pushTime('doomed');
    const append = async (items: Array<{ labels: Record<string, string>; sinceMs: number }>): Promise<void> => {
      const fields = await encodeEntry({ op: 'expire', items }, 'the-test');
      const args: Array<string | Buffer> = ['XADD', LOG, '*'];
      for (const [k, v] of Object.entries(fields)) args.push(k, v);
      await raw.sendCommand(args);
    };
    await append([{ labels: { job: 'raced' }, sinceMs: racedFirst }]);
    await append([{ labels: { job: 'doomed' }, sinceMs: doomedSince }]);
    await append([{ labels: { job: 'doomed' }, sinceMs: doomedSince }]);
    // Entries apply in log order: once doomed is gone, the raced group's expiry was applied before it.
    await until('doomed gone on every replica', async () =>
      (await Promise.all(replicas.map((gw) => groups(gw, '{job="doomed"}')))).every((g) => g.length === 0),
    );
    for (const gw of [a, b, c]) {
      const [g] = await groups(gw, '{job="raced"}');
      assert.ok(g !== undefined, 'the raced group stays');
      assert.equal(Date.parse(g.expires_at!) - Date.parse(g.last_push_time!), 3_600_000);
      assert.ok(Date.parse(g.last_push_time!) >= Math.floor(racedFirst), 'its clock restarted at the second push');
      assert.deepEqual(await metricLines(gw, 'r{'), ['r{instance="",job="raced"} 2']);
    }
  });

  it('pushgateway_group_up agrees on every replica; DELETE by selector through one deletes on all', async () => {
    const [a, b, c] = replicas as [RunningGateway, RunningGateway, RunningGateway];
    const every = { 'X-Pushgateway-Interval': '1h' };
    for (const inst of ['x', 'y'])
      assert.equal(await push(a, `/metrics/job/sel/instance/${inst}`, 's 1\n', every), 200);
    assert.equal(await push(b, '/metrics/job/other/instance/z', 'o 1\n', every), 200);
    const want = [
      'pushgateway_group_up{instance="x",job="sel"} 1',
      'pushgateway_group_up{instance="y",job="sel"} 1',
      'pushgateway_group_up{instance="z",job="other"} 1',
    ].sort();
    for (const gw of replicas) {
      await until('group_up on a replica', async () => {
        const lines = (await metricLines(gw, 'pushgateway_group_up{')).sort();
        return JSON.stringify(lines.filter((l) => !l.includes('job="raced"'))) === JSON.stringify(want);
      });
    }
    const res = await fetch(`${c.url}/api/v1/admin/groups?match[]=${encodeURIComponent('{job="sel"}')}`, {
      method: 'DELETE',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'success', data: { deleted: 2 } });
    for (const gw of replicas) {
      await until('the deletes on a replica', async () => (await groups(gw, '{job=~"sel|other"}')).length === 1);
      assert.deepEqual(await metricLines(gw, 'pushgateway_group_up{instance="x"'), []);
      assert.deepEqual(await metricLines(gw, 'pushgateway_group_up{instance="z"'), [
        'pushgateway_group_up{instance="z",job="other"} 1',
      ]);
    }
  });

  it('a replica started from a snapshot has the same lifecycle states', async () => {
    const [a] = replicas as [RunningGateway];
    // Enough entries for a snapshot (threshold 50), then a fourth replica begins from it.
    for (let i = 0; i < 60; i++) assert.equal(await push(a, `/metrics/job/snap/instance/${i % 3}`, `s ${i}\n`), 200);
    assert.equal(
      await push(a, '/metrics/job/snapped', 'k 1\n', { 'X-Pushgateway-TTL': '2h', 'X-Pushgateway-Interval': '5m' }),
      200,
    );
    for (let i = 0; i < 60; i++) assert.equal(await push(a, `/metrics/job/snap/instance/${i % 3}`, `s ${i}\n`), 200);
    await until('a snapshot', async () => (await raw.exists('pushgateway:snapshot')) === 1);
    const late = await startOurs(flags(), { spawn: { env } });
    try {
      await until('the late replica ready', () => ready(late));
      assert.match(late.output(), /restored (it from )?the snapshot/);
      // The snapshot itself carries the lifecycle records beside their groups.
      const stored = gunzipSync(
        (await raw.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get('pushgateway:snapshot')) as Buffer,
      ).toString('utf8');
      assert.match(
        stored,
        /"raced".*"lifecycle":\{"lastSuccessMs":[\d.]+,"lastFailureMs":0,"sinceMs":[\d.]+,"ttlMs":3600000\}/,
      );
      const wanted = shared(await groups(a, '{job=~"snapped|raced"}'));
      await until('the late replica caught up', async () => {
        return JSON.stringify(shared(await groups(late, '{job=~"snapped|raced"}'))) === JSON.stringify(wanted);
      });
      assert.equal(wanted.length, 2);
    } finally {
      await late.stop();
    }
  });

  it('a replica with another --push.group-ttl takes no writes (the lifecycles must be alike)', async () => {
    const odd = await startOurs([...flags(), '--push.group-ttl=5m']);
    try {
      await until('the refusal in its log', async () =>
        /the Redis log belongs to replicas with other settings/.test(odd.output()),
      );
      assert.equal(await push(odd, '/metrics/job/odd', 'o 1\n'), 503);
      assert.equal(await ready(odd), false);
    } finally {
      await odd.stop();
    }
  });
});
