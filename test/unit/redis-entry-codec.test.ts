import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, type PushRequest } from '../../src/store/store.js';
import { parseTextBody } from '../../src/format/text-body.js';
import { encodeDelimited } from '../../src/format/protobuf.js';
import { OWN_STRICT_HELP, OWN_TYPES } from '../../src/observe/self-metrics.js';
import { decodeEntry, encodeEntry, type LogEntry } from '../../src/store/redis/entry-codec.js';
import type { GroupingLabels } from '../../src/model/grouping-key.js';
import type { MetricFamily } from '../../src/model/metric.js';
import { FIXTURE } from '../helpers/protobuf-fixture.js';
import { applyDeleteGroups } from '../../src/store/delete-groups.js';

const T0 = 1_795_530_906_229.4363;

/** A NaN with the given payload bits (what a protobuf push may carry, e.g. Go's math.NaN()). */
function nanWithBits(bits: bigint): number {
  return new Float64Array(new BigUint64Array([bits]).buffer)[0]!;
}

function bitsOf(x: number): bigint {
  return new BigUint64Array(new Float64Array([x]).buffer)[0]!;
}

function labels(pairs: Record<string, string>): GroupingLabels {
  return Object.assign(Object.create(null) as GroupingLabels, pairs);
}

function text(body: string | Buffer, utf8Names = false): MetricFamily[] {
  return parseTextBody(typeof body === 'string' ? Buffer.from(body) : body, { utf8Names });
}

function push(
  l: GroupingLabels,
  families: MetricFamily[],
  replace: boolean,
  extra: Partial<PushRequest> = {},
): LogEntry {
  return { op: 'push', req: { labels: l, families, replace, timeMs: T0, ...extra } };
}

/** Redis hands every field back as bytes: what XADD sent, strings as UTF-8. */
async function roundTrip(entry: LogEntry): Promise<LogEntry> {
  const fields = await encodeEntry(entry, 'replica-a');
  const asRead: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(fields)) asRead[k] = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  const { entry: back, from } = await decodeEntry(asRead);
  assert.equal(from, 'replica-a');
  return back;
}

function newStore(utf8Names: boolean, checkConsistency = true): MemoryStore {
  return new MemoryStore({ checkConsistency, utf8Names, ownTypes: OWN_TYPES, ownStrictHelp: OWN_STRICT_HELP });
}

function apply(store: MemoryStore, e: LogEntry): string {
  if (e.op === 'push') return store.push(e.req)?.message ?? 'accepted';
  if (e.op === 'delete') return String(store.deleteGroup(e.labels));
  return String(store.wipe());
}

/** Everything a scrape or the persistence file can show, bit for bit: text, protobuf, push times, problems. */
function stateOf(store: MemoryStore): { text: string; protobuf: string; times: string; problems: string[] } {
  const groups = store.exportState();
  const families = groups.flatMap((g) => g.families.map((f) => f.family));
  const times = groups.map((g) => g.families.map((f) => `${f.family.name}@${f.lastPushMs}#${f.rank}`).join(','));
  return {
    text: store.renderText(),
    protobuf: encodeDelimited(families).toString('hex'),
    times: times.join('\n'),
    problems: store.problems(),
  };
}

const nanPayload = nanWithBits(0x7ff8000000000001n); // Go's math.NaN()
const nanSignalling = nanWithBits(0x7ff0000000000abcn);

/** A varied history: every metric type, NaN payloads, -0, invalid UTF-8, empty families, rejected pushes. */
function history(): LogEntry[] {
  // Invalid UTF-8 in a body's HELP becomes U+FFFD (text-body.ts); in a URL it is kept (raw-bytes.ts).
  const invalidUtf8Body = Buffer.concat([
    Buffer.from('# HELP bytes a'),
    Buffer.from([0xff, 0xc3]),
    Buffer.from('\nbytes 1\n'),
  ]);
  return [
    push(
      labels({ job: 'text', instance: 'i1' }),
      text('# HELP a some help\n# TYPE a counter\na{x="1"} 1\nb -0\n'),
      true,
    ),
    push(labels({ job: 'text', instance: 'i1' }), text('a{x="2"} 3\nc NaN\nd +Inf\n'), false),
    push(
      labels({ job: 'summary' }),
      text(
        '# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 1e-300\ns_count 9.3e18\n' +
          '# TYPE h histogram\nh_bucket{le="1"} 1.5\nh_bucket{le="+Inf"} 2\nh_sum -0\nh_count 2\n',
      ),
      true,
    ),
    push(labels({ job: 'proto' }), FIXTURE, true),
    push(
      labels({ job: 'nan' }),
      [
        {
          name: 'nan_gauge',
          type: 'GAUGE',
          metrics: [
            { labels: [{ name: 'k', value: '1' }], value: nanPayload },
            { labels: [{ name: 'k', value: '2' }], value: nanSignalling },
            { labels: [{ name: 'k', value: '3' }], value: -0 },
          ],
        },
      ],
      true,
    ),
    push(labels({ job: 'raw', ['__proto__']: 'p' }), text(invalidUtf8Body), true),
    push(labels({ job: 'key\udcff\udc80' }), text('k 1\n'), true),
    push(labels({ job: 'proto' }), [], false, { emptyFamilies: [{ name: 'g', type: 'GAUGE', metrics: [] }] }),
    push(labels({ job: 'proto' }), text('g 1\n'), false, { emptyFamilies: [] }),
    // Rejected: a value-less gauge (protobuf without its gauge message), a type clash, a timestamp.
    push(labels({ job: 'bad' }), [{ name: 'novalue', type: 'GAUGE', metrics: [{ labels: [] }] }], true),
    push(labels({ job: 'clash' }), text('# TYPE a gauge\na 1\n'), true),
    push(labels({ job: 'ts' }), text('t 1 1000\n'), true, { timeMs: T0 + 0.125 }),
    push(labels({ job: 'repeat' }), [...text('r 1\n'), ...text('r 2\n')], true),
    { op: 'delete', labels: labels({ job: 'summary' }) },
    { op: 'delete', labels: labels({ job: 'never' }) },
    push(labels({ job: 'late' }), text('late 1\n'), true, { timeMs: T0 + 1000.0625 }),
  ];
}

describe('Redis log entry codec (store/redis/entry-codec.ts)', () => {
  it('gives back every field of every request, NaN payload bits and -0 included', async () => {
    for (const e of history()) {
      const back = await roundTrip(e);
      assert.deepEqual(back, e);
      if (e.op === 'push' && back.op === 'push') {
        const values = (r: PushRequest): bigint[] =>
          r.families.flatMap((f) => f.metrics.map((m) => (m.value === undefined ? -1n : bitsOf(m.value))));
        assert.deepEqual(values(back.req), values(e.req));
        assert.equal(Object.getPrototypeOf(back.req.labels), null);
        assert.equal(back.req.emptyFamilies === undefined, e.req.emptyFamilies === undefined);
      }
    }
  });

  for (const utf8Names of [false, true]) {
    for (const checkConsistency of [true, false]) {
      const name = `decoded entries give a byte-identical store (utf8Names ${utf8Names}, check ${checkConsistency})`;
      it(name, async () => {
        const original = newStore(utf8Names, checkConsistency);
        const mirror = newStore(utf8Names, checkConsistency);
        for (const e of history()) {
          const answer = apply(original, e);
          assert.equal(apply(mirror, await roundTrip(e)), answer);
          assert.deepEqual(stateOf(mirror), stateOf(original));
        }
        const wipe: LogEntry = { op: 'wipe' };
        assert.equal(apply(mirror, await roundTrip(wipe)), apply(original, wipe));
        assert.deepEqual(stateOf(mirror), stateOf(original));
      });
    }
  }

  it('the history holds the cases it is meant to: accepted and rejected pushes, NaN bits in protobuf', () => {
    const store = newStore(false);
    const answers = history().map((e) => apply(store, e));
    assert.ok(answers.filter((a) => a === 'accepted').length >= 8, answers.join('\n'));
    assert.ok(
      answers.some((a) => a.includes('timestamps')),
      answers.join('\n'),
    );
    assert.ok(answers.filter((a) => a.startsWith('pushed metrics are invalid')).length >= 3, answers.join('\n'));
    const proto = stateOf(store).protobuf;
    const le = (b: bigint): string => {
      const buf = Buffer.alloc(8);
      buf.writeBigUInt64LE(b);
      return buf.toString('hex');
    };
    assert.ok(proto.includes(le(0x7ff8000000000001n)), 'NaN payload stored');
  });

  it('refuses an entry of another format version or op instead of misreading it', async () => {
    const fields = await encodeEntry({ op: 'wipe' }, 'r');
    const read = (over: Record<string, string>): Promise<unknown> =>
      decodeEntry(
        Object.fromEntries(Object.entries({ ...fields, ...over }).map(([k, v]) => [k, Buffer.from(v as string)])),
      );
    // Version 1 (before the lifecycle fields and the expire entry), 2 (before the deletes entry), a future 4.
    await assert.rejects(read({ v: '1' }), /format version 1, this gateway reads version 3/);
    await assert.rejects(read({ v: '2' }), /format version 2, this gateway reads version 3/);
    await assert.rejects(read({ v: '4' }), /format version 4/);
    await assert.rejects(read({ op: 'merge' }), /unknown op "merge"/);
  });

  it('carries a push’s declared TTL and interval, and expire entries with exact since times', async () => {
    const req = {
      labels: { job: 'j' },
      families: [],
      replace: true,
      timeMs: 1_700_000_000_123.4568,
      lifecycle: { ttlMs: 1500.5, intervalMs: 60_000 },
    };
    const back = (await decodeEntry(asBuffers(await encodeEntry({ op: 'push', req }, 'r')))).entry;
    assert.equal(back.op, 'push');
    if (back.op === 'push') assert.deepEqual(back.req.lifecycle, { ttlMs: 1500.5, intervalMs: 60_000 });
    const plain = (await decodeEntry(asBuffers(await encodeEntry({ op: 'push', req: { ...req, lifecycle: {} } }, 'r'))))
      .entry;
    if (plain.op === 'push') assert.equal(plain.req.lifecycle, undefined, 'nothing declared, nothing carried');
    const items = [
      { labels: { job: 'a', instance: 'i/x' } as Record<string, string>, sinceMs: 1_700_000_000_123.4568 },
      { labels: { job: 'b\ud800' }, sinceMs: 0.1 + 0.2 },
    ];
    const expire = (await decodeEntry(asBuffers(await encodeEntry({ op: 'expire', items }, 'r')))).entry;
    assert.equal(expire.op, 'expire');
    if (expire.op === 'expire') {
      assert.deepEqual(
        expire.items.map((it) => [{ ...it.labels }, it.sinceMs]),
        items.map((it) => [{ ...it.labels }, it.sinceMs]),
      );
    }
  });
});

describe('the deletes entry (the delete by selector)', () => {
  it('carries its groups exactly, odd labels included, and applies as one delete of all of them', async () => {
    const groups = [
      labels({ job: 'a', instance: 'i/x' }),
      labels({ job: 'b', x: 'p' }),
      labels({ job: 'a', instance: 'i/x' }),
      labels({ job: 'missing\ud800' }),
    ];
    const back = (await decodeEntry(asBuffers(await encodeEntry({ op: 'deletes', groups }, 'r')))).entry;
    assert.equal(back.op, 'deletes');
    if (back.op !== 'deletes') return;
    assert.deepEqual(
      back.groups.map((g) => Object.entries(g)),
      groups.map((g) => Object.entries(g)),
    );
    const store = newStore(false);
    for (const g of [...groups.slice(0, 2), labels({ job: 'kept' })]) {
      store.push({ labels: g, families: [], replace: true, timeMs: T0 });
    }
    assert.equal(store.groupCount, 3);
    assert.equal(await applyDeleteGroups(store, undefined, back.groups), 2);
    assert.deepEqual(
      store.snapshotGroups().map((g) => ({ ...g.labels })),
      [{ job: 'kept' }],
    );
  });

  it('refuses a deletes entry whose groups are not a list of label pairs', async () => {
    const fields = asBuffers(await encodeEntry({ op: 'deletes', groups: [] }, 'r'));
    const read = (groups: string): Promise<unknown> => decodeEntry({ ...fields, groups: Buffer.from(groups) });
    await assert.rejects(read('{}'), /deleted groups are not a list/);
    await assert.rejects(read('[[["job", 1]]]'), /a label is not a \[name, value\] pair of strings/);
    await assert.rejects(decodeEntry({ ...fields, groups: undefined } as unknown as Record<string, Buffer>), /groups/);
  });
});

function asBuffers(fields: Record<string, string | Buffer>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));
}
