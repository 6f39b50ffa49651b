/**
 * A Sentinel failover under load (issue 11 item 5): one Redis primary and one Redis replica (AOF), three
 * redis-sentinel processes on loopback, two gateway processes finding the primary through
 * --store.redis.sentinels with --store.redis.wait-replicas=1 (a write is acknowledged only once the Redis
 * replica has it), a pusher on each. SENTINEL FAILOVER promotes the replica mid-load; the gateways find
 * the new primary, pushes are acknowledged again, every acknowledged push is on both gateways and their
 * /metrics bodies converge. Every wait polls with a deadline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import {
  sentinelSkipReason,
  startRedis,
  startSentinel,
  type RunningRedis,
  type RunningSentinel,
} from '../helpers/redis.js';
import { convergedAll, Pusher, ready, until } from '../helpers/redis-load.js';

const skip = sentinelSkipReason();
const MASTER = 'pgts';

async function sentinelCommand<T>(s: RunningSentinel, args: string[]): Promise<T> {
  const c = createClient({ RESP: 2, socket: { host: '127.0.0.1', port: s.port, reconnectStrategy: false } });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.sendCommand(args)) as T;
  } finally {
    c.destroy();
  }
}

/** SENTINEL REPLICAS/SENTINELS answers: one flat [name, value, …] array per node. */
function field(node: string[], name: string): string | undefined {
  const i = node.indexOf(name);
  return i >= 0 && i % 2 === 0 ? node[i + 1] : undefined;
}

describe('Sentinel failover during pushes (--store.redis.sentinels, --store.redis.wait-replicas=1)', { skip }, () => {
  let primary: RunningRedis;
  let replica: RunningRedis;
  const sentinels: RunningSentinel[] = [];
  const gws: RunningGateway[] = [];
  const pushers: Pusher[] = [];
  const ackedTotal = (): number => pushers.reduce((s, p) => s + p.acked, 0);
  const moreAcked = async (n: number, what: string): Promise<void> => {
    const goal = ackedTotal() + n;
    await until(what, async () => (ackedTotal() >= goal ? true : undefined));
  };

  before(async () => {
    primary = await startRedis({ aof: true });
    replica = await startRedis({ aof: true, replicaOf: primary });
    for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(primary, MASTER));
    // Each Sentinel knows the Redis replica (linked) and the two other Sentinels before anything fails.
    for (const s of sentinels) {
      await until('the Sentinels to know each other and the replica', async () => {
        const reps = await sentinelCommand<string[][]>(s, ['SENTINEL', 'REPLICAS', MASTER]);
        const peers = await sentinelCommand<string[][]>(s, ['SENTINEL', 'SENTINELS', MASTER]);
        const linked = reps.some((r) => field(r, 'master-link-status') === 'ok' && !/s_down/.test(field(r, 'flags')!));
        return linked && peers.length === 2 ? true : undefined;
      });
    }
    const flags = [
      `--store.redis.sentinels=${sentinels.map((s) => s.address).join(',')}`,
      `--store.redis.sentinel-master=${MASTER}`,
      '--store.redis.wait-replicas=1',
      '--log.level=info',
    ];
    gws.push(...(await Promise.all([startOurs(flags), startOurs(flags)])));
    for (const gw of gws) await until('gateway ready', () => ready(gw));
    for (let r = 0; r < 2; r++) pushers.push(new Pusher(r, () => gws[r]!));
    for (const p of pushers) p.start();
  });
  after(async () => {
    await Promise.all(pushers.map((p) => p.stop()));
    await Promise.all(gws.map((gw) => gw.stop()));
    await Promise.all(sentinels.map((s) => s.stop()));
    await replica?.stop();
    await primary?.stop();
  });

  it('SENTINEL FAILOVER mid-load: the gateways follow the new primary; nothing acknowledged lost', async () => {
    await moreAcked(100, 'load before the failover');
    assert.equal(await sentinelCommand<string>(sentinels[0]!, ['SENTINEL', 'FAILOVER', MASTER]), 'OK');
    await until('the Sentinels to name the replica as primary', async () => {
      const addr = await sentinelCommand<string[]>(sentinels[1]!, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER]);
      return addr[1] === String(replica.port) ? true : undefined;
    });
    // Acknowledged again: through the new primary, and WAIT 1 met once the old one follows it.
    await moreAcked(150, 'load after the failover');
    for (const gw of gws) await until('gateway ready after the failover', () => ready(gw));
    await Promise.all(pushers.map((p) => p.stop()));
    await convergedAll(gws, pushers, 'after the failover');
    assert.match(gws[0]!.output() + gws[1]!.output(), /lost the Redis primary; asking the Sentinels again/);
    const failed = pushers.reduce((s, p) => s + p.failed, 0);
    console.log(`# acknowledged ${ackedTotal()} pushes, ${failed} not (503 during the failover)`);
  });
});
