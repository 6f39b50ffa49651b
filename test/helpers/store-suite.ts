/**
 * The store conformance suite: the push semantics every store implementation must have, exercised only
 * through the store seam (a StoreWriter for writes, StoreReaders for reads), as hono runs one router
 * suite against every router. An implementation's test file is a few lines: it calls storeSuite() with a
 * factory (test/unit/store-suite-memory.test.ts). The cases and their expectations are those of the
 * memory store's own tests (store-semantics, store-write-order, snapshot-format), which follow the
 * reference; the exact messages are the reference's.
 *
 * A replicated implementation hands the suite a second reader (another replica's local store): every
 * expectation is then checked on both, after settle(), and the two must render byte-identical bodies.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreWriter } from '../../src/store/store-writer.js';
import type { StoreReader } from '../../src/store/store-reader.js';
import { MemoryStore, SLICED_PUSH_SERIES, type PushRequest, type StoreOptions } from '../../src/store/store.js';
import { parseText } from '../../src/format/text-parse.js';
import { OWN_STRICT_HELP, OWN_TYPES } from '../../src/observe/self-metrics.js';
import { metricsJson } from '../../src/http/api.js';
import type { GroupingLabels } from '../../src/model/grouping-key.js';
import type { MetricFamily } from '../../src/model/metric.js';
import type { GroupLifecycle } from '../../src/lifecycle/group-lifecycle.js';

/** One store built for one test: where to write, where to read, and how to wait for the readers. */
export interface StoreUnderTest {
  writer: StoreWriter;
  /** The local store of the replica the writes go through. */
  reader: StoreReader;
  /** Another replica's local store, for a replicated implementation. */
  otherReader?: StoreReader;
  /**
   * The group lifecycle of each reader (the writer's replica first), fed by whatever applies the writes
   * there: given, the suite checks that every replica derives the same lifecycle from the same writes and
   * that expiry writes are conditional (docs/lifecycle.md, "With the Redis store").
   */
  lifecycles?: GroupLifecycle[];
  /** Resolves once every reader has applied every write the writer has acknowledged. */
  settle(): Promise<void>;
  /** For a store that writes a shared log: how many entries it holds (XLEN). */
  logEntries?(): Promise<number>;
  /** Releases everything make() took (connections, servers, temporary files). */
  close(): Promise<void>;
}

/**
 * Builds an empty store with these options (every reader with the same ones), ready for writes:
 * `writer.ready` is true when the promise resolves.
 */
export type MakeStore = (options: StoreOptions) => Promise<StoreUnderTest>;

/** The gateway's own options: consistency checked, legacy names, the own families' types and HELP. */
export const CHECKED: StoreOptions = {
  checkConsistency: true,
  utf8Names: false,
  ownTypes: OWN_TYPES,
  ownStrictHelp: OWN_STRICT_HELP,
};
/** --push.disable-consistency-check. */
export const UNCHECKED: StoreOptions = { ...CHECKED, checkConsistency: false };

const T0 = 1_795_530_906_229.4363;
const PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: ';
/** A push this big is applied in slices by the memory store (and is a big log entry for others). */
const BIG = SLICED_PUSH_SERIES * 3;

/** A push parsed afresh (stores take over the parsed objects, so a body is never shared by two pushes). */
function put(labels: GroupingLabels, body: string, timeMs = T0): PushRequest {
  return { labels, families: parseText(body), replace: true, timeMs };
}

function post(labels: GroupingLabels, body: string, timeMs = T0, emptyFamilies?: MetricFamily[]): PushRequest {
  return {
    labels,
    families: parseText(body),
    replace: false,
    timeMs,
    ...(emptyFamilies !== undefined ? { emptyFamilies } : {}),
  };
}

function bigBody(prefix: string, last = ''): string {
  let body = '';
  for (let i = 0; i < BIG; i++) body += `${prefix}_${i} ${i}\n`;
  return body + last;
}

/** The reader's exposition as text, after checking the sliced walk gives the same bytes. */
async function text(reader: StoreReader): Promise<string> {
  const join = (pieces: readonly (readonly { text: Buffer }[])[]): string =>
    Buffer.concat(pieces.flat().map((p) => p.text)).toString('utf8');
  const sliced = join((await reader.expositionAsync()).pieces);
  const oneGo = join(reader.exposition().pieces);
  assert.equal(sliced, oneGo, 'expositionAsync() and exposition() give the same bytes');
  return oneGo;
}

/** The pushed series lines (no HELP/TYPE, no timestamp gauges). */
async function series(reader: StoreReader): Promise<string[]> {
  return (await text(reader)).split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('push_'));
}

function readersOf(s: StoreUnderTest): StoreReader[] {
  return s.otherReader === undefined ? [s.reader] : [s.reader, s.otherReader];
}

/**
 * Waits for the readers, checks every reader shows the same state (exposition bytes and JSON API), then
 * runs the expectations on each.
 */
async function onEveryReader(s: StoreUnderTest, expect: (r: StoreReader) => Promise<void> | void): Promise<void> {
  await s.settle();
  const readers = readersOf(s);
  const first = await text(readers[0]!);
  for (const r of readers.slice(1)) {
    assert.equal(await text(r), first, 'every replica renders the same bytes');
    assert.equal(metricsJson(r), metricsJson(readers[0]!), 'every replica answers the same JSON');
  }
  for (const r of readers) await expect(r);
}

function message(err: Error | undefined): string | undefined {
  return err?.message;
}

export function storeSuite(name: string, make: MakeStore): void {
  /** Runs a test on a fresh store, closed afterwards whatever happens. */
  const withStore = (options: StoreOptions, fn: (s: StoreUnderTest) => Promise<void>) => async (): Promise<void> => {
    const s = await make(options);
    try {
      assert.equal(s.writer.ready, true, 'ready once made');
      await fn(s);
    } finally {
      await s.close();
    }
  };

  describe(`store conformance: ${name}`, () => {
    describe('PUT, POST, DELETE and wipe', () => {
      it(
        'PUT replaces the whole group, POST only same-named families',
        withStore(CHECKED, async (s) => {
          // Persistence and the scrape cache learn of changes from onChange: every reader must call it.
          const changes = readersOf(s).map(() => 0);
          for (const [i, r] of readersOf(s).entries()) r.onChange(() => changes[i]!++);
          assert.equal(await s.writer.push(put({ job: 'j' }, 'a{x="1"} 1\nb 2\n')), undefined);
          assert.equal(await s.writer.push(post({ job: 'j' }, 'a{x="2"} 3\n')), undefined);
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['a{instance="",job="j",x="2"} 3', 'b{instance="",job="j"} 2']);
          });
          assert.equal(await s.writer.push(put({ job: 'j' }, 'c 4\n')), undefined);
          await onEveryReader(s, async (r) => assert.deepEqual(await series(r), ['c{instance="",job="j"} 4']));
          for (const n of changes) assert.ok(n >= 3, `onChange called for each write (${n})`);
        }),
      );

      it(
        'a POST with a family without metrics (protobuf) removes the stored family of that name',
        withStore(CHECKED, async (s) => {
          assert.equal(await s.writer.push(put({ job: 'a' }, 'a 1\nb 2\n')), undefined);
          const empty: MetricFamily = { name: 'a', type: 'UNTYPED', metrics: [] };
          assert.equal(await s.writer.push(post({ job: 'a' }, 'c 3\n', T0, [empty])), undefined);
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['b{instance="",job="a"} 2', 'c{instance="",job="a"} 3']);
          });
        }),
      );

      it(
        'URL labels override body labels, a body instance survives, instance="" is added',
        withStore(CHECKED, async (s) => {
          assert.equal(await s.writer.push(put({ job: 'j9' }, 'y{job="other"} 1\nx{instance="i1"} 2\n')), undefined);
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['x{instance="i1",job="j9"} 2', 'y{instance="",job="j9"} 1']);
          });
        }),
      );

      it(
        'an empty PUT keeps only the timestamp gauges; DELETE removes the group and nothing else',
        withStore(CHECKED, async (s) => {
          await s.writer.push(put({ job: 'j' }, 'a 1\n'));
          await s.writer.push(put({ job: 'j', instance: 'i' }, 'a 1\n'));
          assert.equal(await s.writer.push(put({ job: 'j' }, '')), undefined);
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['a{instance="i",job="j"} 1']);
            assert.match(await text(r), /^push_time_seconds\{instance="",job="j"\} 1\.7955309062294364e\+09$/m);
            assert.equal(r.groupCount, 2);
          });
          assert.equal(await s.writer.deleteGroup({ job: 'j' }), true);
          assert.equal(await s.writer.deleteGroup({ job: 'nope' }), false);
          await onEveryReader(s, async (r) => {
            assert.equal(r.groupCount, 1);
            assert.equal(r.getGroup({ job: 'j' }), undefined);
            assert.deepEqual(await series(r), ['a{instance="i",job="j"} 1']);
            assert.doesNotMatch(await text(r), /\{instance="",job="j"\}/);
          });
        }),
      );

      it(
        'wipe removes every group, answers how many there were, and changes the version',
        withStore(CHECKED, async (s) => {
          for (let i = 0; i < 100; i++) await s.writer.push(put({ job: 'w', instance: `i${i}` }, 'a 1\n'));
          await s.settle();
          const versions = readersOf(s).map((r) => r.version);
          assert.equal(await s.writer.wipe(), 100);
          await onEveryReader(s, async (r) => {
            assert.equal(r.groupCount, 0);
            assert.equal(await text(r), '');
            assert.deepEqual(r.familyNames(), []);
          });
          for (const [i, r] of readersOf(s).entries()) assert.ok(r.version > versions[i]!, 'version changed');
          assert.equal(await s.writer.wipe(), 0);
          assert.equal(await s.writer.push(put({ job: 'after' }, 'a 2\n')), undefined);
          await onEveryReader(s, async (r) => assert.deepEqual(await series(r), ['a{instance="",job="after"} 2']));
        }),
      );
    });

    describe('consistency errors, with the reference texts', () => {
      it(
        'a type clash, a duplicate series, a suffix collision, an own HELP and an own type',
        withStore(CHECKED, async (s) => {
          const seed = '# TYPE tc counter\ntc 1\n# TYPE s summary\ns_sum 1\ns_count 1\n';
          assert.equal(await s.writer.push(put({ job: 'a' }, seed)), undefined);
          assert.equal(await s.writer.push(put({ job: 'c' }, 'dup{x="1"} 1\n')), undefined);
          const help = OWN_STRICT_HELP.get('pushgateway_http_requests_total')!;
          const cases: Array<[GroupingLabels, string, string]> = [
            [
              { job: 'b' },
              '# TYPE tc gauge\ntc 1\n',
              'collected metric "tc" { label:{name:"instance" value:""} label:{name:"job" value:"b"} ' +
                'gauge:{value:1}} is not a COUNTER',
            ],
            [
              { job: 'b' },
              'd{x="1"} 1\nd{x="1"} 2\n',
              'collected metric "d" { label:{name:"instance" value:""} label:{name:"job" value:"b"} ' +
                'label:{name:"x" value:"1"} untyped:{value:2}} was collected before with the same name and ' +
                'label values',
            ],
            [
              { job: 'c', x: '1' },
              'dup 1\n',
              'collected metric "dup" { label:{name:"instance" value:""} label:{name:"job" value:"c"} ' +
                'label:{name:"x" value:"1"} untyped:{value:1}} was collected before with the same name and ' +
                'label values',
            ],
            [
              { job: 'b' },
              's_count 1\n',
              'collected metric named "s_count" collides with previously collected summary named "s"',
            ],
            [
              { job: 'b' },
              '# TYPE pushgateway_http_requests_total counter\npushgateway_http_requests_total 1\n',
              `gathered metric family pushgateway_http_requests_total has help "" but should have "${help}"`,
            ],
            [
              { job: 'b' },
              '# TYPE process_open_fds counter\nprocess_open_fds 1\n',
              'gathered metric family process_open_fds has type COUNTER but should have GAUGE',
            ],
            [{ job: 'b' }, 'x 1 123\n', 'pushed metrics must not have timestamps'],
            [
              { job: 'b' },
              '# TYPE tc gauge\ntc 1\ns_count 1\n',
              '2 error(s) occurred:\n' +
                '* collected metric named "s_count" collides with previously collected summary named "s"\n' +
                '* collected metric "tc" { label:{name:"instance" value:""} label:{name:"job" value:"b"} ' +
                'gauge:{value:1}} is not a COUNTER',
            ],
          ];
          const before = await series(s.reader);
          for (const [labels, body, problem] of cases) {
            const err = await s.writer.push(put(labels, body));
            assert.ok(err !== undefined, body);
            assert.equal(err.code, 'PGW_ERR_INCONSISTENT', body);
            assert.equal(err.status, 400);
            assert.equal(message(err), PREFIX + problem, body);
          }
          await onEveryReader(s, async (r) => assert.deepEqual(await series(r), before, 'nothing pushed was stored'));
          assert.equal(
            await s.writer.push(
              put(
                { job: 'b' },
                `# HELP pushgateway_http_requests_total ${help}\n` +
                  '# TYPE pushgateway_http_requests_total counter\npushgateway_http_requests_total 1\n',
              ),
            ),
            undefined,
            'with the own HELP repeated it is accepted',
          );
        }),
      );

      it(
        'a POST is checked against the families it keeps; a PUT is not',
        withStore(CHECKED, async (s) => {
          assert.equal(await s.writer.push(put({ job: 'a' }, '# TYPE h summary\nh_sum 1\nh_count 1\n')), undefined);
          const clash = await s.writer.push(post({ job: 'a' }, 'h_count 2\n'));
          assert.equal(
            message(clash),
            `${PREFIX}collected metric named "h_count" collides with previously collected summary named "h"`,
          );
          assert.equal(await s.writer.push(put({ job: 'a' }, 'h_count 2\n')), undefined);
          await onEveryReader(s, async (r) => assert.deepEqual(await series(r), ['h_count{instance="",job="a"} 2']));
        }),
      );

      it(
        'without the check (--push.disable-consistency-check) a clash is stored and reported to readers',
        withStore(UNCHECKED, async (s) => {
          assert.equal(await s.writer.push(put({ job: 'a' }, '# TYPE c counter\nc 1\n')), undefined);
          assert.equal(await s.writer.push(put({ job: 'b' }, '# TYPE c gauge\nc 2\n')), undefined);
          const ts = await s.writer.push(put({ job: 'b' }, 'x 1 5\n'));
          assert.equal(message(ts), `${PREFIX}pushed metrics must not have timestamps`, 'timestamps still refused');
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['c{instance="",job="a"} 1', 'c{instance="",job="b"} 2']);
            const problem =
              'collected metric "c" { label:{name:"instance" value:""} label:{name:"job" value:"b"} ' +
              'gauge:{value:2}} is not a COUNTER';
            assert.deepEqual(r.problems(), [problem]);
            assert.deepEqual(await r.problemsAsync(), [problem]);
          });
        }),
      );
    });

    describe('push_time_seconds and push_failure_time_seconds', () => {
      it(
        'a push sets push_time_seconds to its time; the failure time starts at 0',
        withStore(CHECKED, async (s) => {
          assert.equal(await s.writer.push(put({ job: 'j' }, 'a 1\n', T0)), undefined);
          await onEveryReader(s, (r) => {
            const g = r.getGroup({ job: 'j' })!;
            assert.equal(g.gaugeValue('push_time_seconds'), T0 / 1000);
            assert.equal(g.gaugeValue('push_failure_time_seconds'), 0);
            assert.equal(g.lastPushSuccessful, true);
          });
          assert.equal(await s.writer.push(post({ job: 'j' }, 'b 1\n', T0 + 5000)), undefined);
          await onEveryReader(s, (r) => {
            assert.equal(r.getGroup({ job: 'j' })!.gaugeValue('push_time_seconds'), (T0 + 5000) / 1000);
          });
        }),
      );

      it(
        'a rejected push creates its group with push_time 0 and a failure time, and changes nothing else',
        withStore(CHECKED, async (s) => {
          assert.equal(await s.writer.push(put({ job: 'a' }, '# TYPE tc counter\ntc 1\n')), undefined);
          const err = await s.writer.push(put({ job: 'b' }, '# TYPE tc gauge\ntc 1\n', T0 + 1000));
          assert.ok(err !== undefined);
          await onEveryReader(s, async (r) => {
            const b = r.getGroup({ job: 'b' })!;
            assert.equal(b.gaugeValue('push_time_seconds'), 0);
            assert.equal(b.gaugeValue('push_failure_time_seconds'), (T0 + 1000) / 1000);
            assert.equal(b.lastPushSuccessful, false);
            assert.deepEqual([...b.families.keys()].sort(), ['push_failure_time_seconds', 'push_time_seconds']);
            assert.deepEqual(await series(r), ['tc{instance="",job="a"} 1']);
          });
        }),
      );

      it(
        'a rejected push to an existing group keeps its metrics and push time; a later success clears the mark',
        withStore(CHECKED, async (s) => {
          assert.equal(await s.writer.push(put({ job: 'a' }, '# TYPE tc counter\ntc 1\n')), undefined);
          assert.equal(await s.writer.push(put({ job: 'b' }, 'keep 1\n', T0 + 1000)), undefined);
          assert.ok((await s.writer.push(post({ job: 'b' }, '# TYPE tc gauge\ntc 2\n', T0 + 2000))) !== undefined);
          await onEveryReader(s, async (r) => {
            const b = r.getGroup({ job: 'b' })!;
            assert.equal(b.gaugeValue('push_time_seconds'), (T0 + 1000) / 1000);
            assert.equal(b.gaugeValue('push_failure_time_seconds'), (T0 + 2000) / 1000);
            assert.equal(b.lastPushSuccessful, false);
            assert.deepEqual(await series(r), ['keep{instance="",job="b"} 1', 'tc{instance="",job="a"} 1']);
          });
          assert.equal(await s.writer.push(post({ job: 'b' }, 'more 1\n', T0 + 3000)), undefined);
          await onEveryReader(s, (r) => {
            const b = r.getGroup({ job: 'b' })!;
            assert.equal(b.gaugeValue('push_time_seconds'), (T0 + 3000) / 1000);
            assert.equal(b.gaugeValue('push_failure_time_seconds'), (T0 + 2000) / 1000, 'the mark stays');
            assert.equal(b.lastPushSuccessful, true);
          });
        }),
      );

      it(
        'pushed timestamp gauges are overridden on a group the push creates',
        withStore(CHECKED, async (s) => {
          assert.equal(await s.writer.push(put({ job: 'other' }, 'a 1\n')), undefined);
          const body =
            '# TYPE push_time_seconds counter\npush_time_seconds 1\n' +
            '# TYPE push_failure_time_seconds counter\npush_failure_time_seconds 1\nb 2\n';
          assert.equal(await s.writer.push(put({ job: 'new' }, body, T0 + 1000)), undefined);
          await onEveryReader(s, async (r) => {
            const g = r.getGroup({ job: 'new' })!;
            assert.equal(g.gaugeValue('push_time_seconds'), (T0 + 1000) / 1000);
            assert.equal(g.gaugeValue('push_failure_time_seconds'), 0);
            assert.match(await text(r), /^# TYPE push_failure_time_seconds gauge$/m);
          });
        }),
      );
    });

    describe('writes apply in call order', () => {
      it(
        'a big sliced push followed, without waiting, by a small one to the same group ends with the small one',
        withStore(CHECKED, async (s) => {
          const big = s.writer.push(put({ job: 'g' }, bigBody('big')));
          const small = s.writer.push(put({ job: 'g' }, 'only 1\n'));
          assert.equal(await big, undefined);
          assert.equal(await small, undefined);
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['only{instance="",job="g"} 1']);
            assert.deepEqual(
              r.familyNames().filter((n) => n.startsWith('big_')),
              [],
            );
          });
        }),
      );

      it(
        'a small POST after a big POST to the same group adds to it',
        withStore(CHECKED, async (s) => {
          const big = s.writer.push(post({ job: 'g' }, bigBody('big')));
          const small = s.writer.push(post({ job: 'g' }, 'big_0 -1\nextra 1\n'));
          assert.equal(await big, undefined);
          assert.equal(await small, undefined);
          await onEveryReader(s, async (r) => {
            const lines = await series(r);
            assert.equal(lines.length, BIG + 1);
            assert.ok(lines.includes('big_0{instance="",job="g"} -1'), 'the later value wins');
            assert.ok(lines.includes('extra{instance="",job="g"} 1'));
          });
        }),
      );

      it(
        'a clashing push to another group called after a big push is checked against it',
        withStore(CHECKED, async (s) => {
          const big = s.writer.push(put({ job: 'a' }, bigBody('big', '# TYPE shared counter\nshared 1\n')));
          const small = s.writer.push(put({ job: 'b' }, '# TYPE shared gauge\nshared 2\n', T0 + 1));
          assert.equal(await big, undefined);
          assert.equal(
            message(await small),
            PREFIX +
              'collected metric "shared" { label:{name:"instance" value:""} label:{name:"job" value:"b"} ' +
              'gauge:{value:2}} is not a COUNTER',
          );
          await onEveryReader(s, (r) => {
            assert.equal(r.getGroup({ job: 'b' })!.gaugeValue('push_failure_time_seconds'), (T0 + 1) / 1000);
          });
        }),
      );

      it(
        'a PUT or a delete called after a big push removes its families before the writes called after it',
        withStore(CHECKED, async (s) => {
          const clash = bigBody('big', '# TYPE m counter\nm 1\n');
          const big = s.writer.push(put({ job: 'a' }, clash));
          const emptied = s.writer.push(put({ job: 'a' }, 'other 1\n'));
          const gauge = s.writer.push(put({ job: 'b' }, '# TYPE m gauge\nm 2\n'));
          assert.deepEqual(await Promise.all([big, emptied, gauge]), [undefined, undefined, undefined]);
          assert.equal(await s.writer.deleteGroup({ job: 'b' }), true);
          const again = s.writer.push(put({ job: 'c' }, clash));
          const deleted = s.writer.deleteGroup({ job: 'c' });
          const gaugeAgain = s.writer.push(put({ job: 'd' }, '# TYPE m gauge\nm 3\n'));
          assert.deepEqual(await Promise.all([again, deleted, gaugeAgain]), [undefined, true, undefined]);
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['m{instance="",job="d"} 3', 'other{instance="",job="a"} 1']);
          });
        }),
      );

      it(
        'a delete and a wipe called after pushes, without waiting, see them applied',
        withStore(CHECKED, async (s) => {
          const big = s.writer.push(put({ job: 'a' }, bigBody('big')));
          const deleted = s.writer.deleteGroup({ job: 'a' });
          const again = s.writer.push(put({ job: 'a' }, 'back 1\n'));
          assert.equal(await big, undefined);
          assert.equal(await deleted, true);
          assert.equal(await again, undefined);
          await onEveryReader(s, async (r) => assert.deepEqual(await series(r), ['back{instance="",job="a"} 1']));
          const other = s.writer.push(put({ job: 'c' }, bigBody('big')));
          const small = s.writer.push(put({ job: 'd' }, 'd 1\n'));
          const wiped = s.writer.wipe();
          const after = s.writer.push(put({ job: 'e' }, 'e 1\n'));
          assert.equal(await other, undefined);
          assert.equal(await small, undefined);
          assert.equal(await wiped, 3);
          assert.equal(await after, undefined);
          await onEveryReader(s, async (r) => {
            assert.equal(r.groupCount, 1);
            assert.deepEqual(await series(r), ['e{instance="",job="e"} 1']);
          });
        }),
      );

      it(
        'a delete of several groups is one write: after the writes called before it, before the later ones',
        withStore(CHECKED, async (s) => {
          await onEveryReader(s, () => {});
          const clash = bigBody('big', '# TYPE m counter\nm 1\n');
          // Called before the delete, not waited for: a big sliced push, a small one, and one creating c.
          const before = [
            s.writer.push(put({ job: 'a' }, clash)),
            s.writer.push(put({ job: 'b' }, '# TYPE m counter\nm 2\n')),
            s.writer.push(put({ job: 'c', instance: 'i' }, 'c 1\n')),
            s.writer.push(put({ job: 'keep' }, 'k 1\n')),
          ];
          const deleted = s.writer.deleteGroups([
            { job: 'a' },
            { job: 'b' },
            { job: 'c', instance: 'i' },
            { job: 'a' },
            { job: 'never' },
          ]);
          // Called after it: sees every one of them gone (a gauge m clashes with a's and b's counter m).
          const after = s.writer.push(put({ job: 'd' }, '# TYPE m gauge\nm 3\n'));
          assert.deepEqual(await Promise.all(before), [undefined, undefined, undefined, undefined]);
          assert.equal(await deleted, 3, 'each group that was there counted once; repeats and unknown keys not');
          assert.equal(await after, undefined, 'the push after it was checked against a store without a and b');
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['k{instance="",job="keep"} 1', 'm{instance="",job="d"} 3']);
            assert.equal(r.groupCount, 2);
          });
          // One write for every reader: told of one change, not of one per group (with Redis, one log entry).
          for (const job of ['x', 'y', 'z']) assert.equal(await s.writer.push(put({ job }, `${job} 1\n`)), undefined);
          await onEveryReader(s, () => {});
          const changes = readersOf(s).map((r) => {
            const seen = { n: 0 };
            r.onChange(() => seen.n++);
            return seen;
          });
          const entriesBefore = await s.logEntries?.();
          assert.equal(await s.writer.deleteGroups([{ job: 'x' }, { job: 'y' }, { job: 'z' }]), 3);
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['k{instance="",job="keep"} 1', 'm{instance="",job="d"} 3']);
          });
          if (entriesBefore !== undefined) assert.equal(await s.logEntries!(), entriesBefore + 1, 'one log entry');
          for (const seen of changes) assert.equal(seen.n, 1, 'the three groups went in one change');
          assert.equal(await s.writer.deleteGroups([{ job: 'a' }]), 0, 'nothing left to delete');
        }),
      );

      it(
        'many writes issued at once give the answers and the state of applying them one by one',
        withStore(CHECKED, async (s) => {
          const ops = mixedWrites();
          const answers = ops.map((op) => op.apply(s.writer));
          const oracle = new MemoryStore(CHECKED);
          const expected = ops.map((op) => op.applySync(oracle));
          assert.deepEqual(
            (await Promise.all(answers)).map(answerText),
            expected.map(answerText),
            'each write answered as in the one-by-one order',
          );
          const want = await text(oracle);
          await onEveryReader(s, async (r) => assert.equal(await text(r), want));
        }),
      );
    });

    describe('HELP and exposition', () => {
      it(
        'the HELP of a family is its oldest holder’s, through deletes and in-place re-pushes',
        withStore(CHECKED, async (s) => {
          await s.writer.push(put({ job: 'a' }, '# HELP f from a\nf 1\n', T0 + 1));
          await s.writer.push(put({ job: 'b' }, '# HELP f from b\nf 2\n', T0 + 2));
          await s.writer.push(put({ job: 'c' }, '# HELP f from c\nf 3\n', T0 + 3));
          await onEveryReader(s, async (r) => assert.match(await text(r), /^# HELP f from a$/m));
          assert.equal(await s.writer.deleteGroup({ job: 'a' }), true);
          // Same series: replaced in place, b stays the oldest holder; a comes back as the newest.
          await s.writer.push(put({ job: 'b' }, '# HELP f from b again\nf 4\n', T0 + 4));
          await s.writer.push(put({ job: 'a' }, '# HELP f from a, back\nf 5\n', T0 + 5));
          await onEveryReader(s, async (r) => assert.match(await text(r), /^# HELP f from b again$/m));
          assert.equal(await s.writer.deleteGroup({ job: 'b' }), true);
          await onEveryReader(s, async (r) => assert.match(await text(r), /^# HELP f from c$/m));
        }),
      );

      it(
        'the exposition after a sequence of writes, byte for byte',
        withStore(CHECKED, async (s) => {
          const writes: Array<Promise<unknown>> = [
            s.writer.push(
              put(
                { job: 'api', instance: 'x' },
                '# HELP requests_total Requests.\n# TYPE requests_total counter\n' +
                  'requests_total{code="200"} 10\nrequests_total{code="500"} 1\n' +
                  '# TYPE latency histogram\nlatency_bucket{le="0.1"} 3\nlatency_bucket{le="+Inf"} 4\n' +
                  'latency_sum 0.5\nlatency_count 4\n',
                T0,
              ),
            ),
            s.writer.push(
              put(
                { job: 'batch' },
                '# HELP requests_total Other help.\n# TYPE requests_total counter\nrequests_total{code="200"} 2\n' +
                  '# HELP last_run Last run.\n# TYPE last_run gauge\nlast_run 1.5e+09\n',
                T0 + 1000,
              ),
            ),
            s.writer.push(
              post(
                { job: 'api', instance: 'x' },
                '# TYPE requests_total counter\nrequests_total{code="200"} 11\nnew_one 7\n',
                T0 + 2000,
              ),
            ),
            s.writer.push(put({ job: 'bad' }, '# TYPE last_run counter\nlast_run 1\n', T0 + 3000)),
            s.writer.push(put({ job: 'gone' }, 'tmp 1\n', T0 + 4000)),
            s.writer.deleteGroup({ job: 'gone' }),
          ];
          const answers = await Promise.all(writes);
          assert.equal(answers[3] !== undefined, true, 'the counter last_run is rejected');
          await onEveryReader(s, async (r) => assert.equal(await text(r), EXPECTED_EXPOSITION));
        }),
      );
    });

    describe('group lifecycle (where the implementation feeds one)', () => {
      const records = (s: StoreUnderTest, labels: GroupingLabels) => s.lifecycles!.map((l) => l.recordOf(labels));
      it(
        'the same states on every replica; an expiry write deletes only while the clock it names still runs',
        withStore(CHECKED, async (s) => {
          if (s.lifecycles === undefined) return;
          const g = { job: 'g' };
          const h = { job: 'h', instance: 'i' };
          const declared = { ttlMs: 60_000, intervalMs: 1_000 };
          assert.equal(await s.writer.push({ ...put(g, 'a 1\n', T0), lifecycle: declared }), undefined);
          assert.equal(await s.writer.push({ ...put(h, 'b 1\n', T0), lifecycle: { ttlMs: 1_000 } }), undefined);
          // A failed push records its failure and does not restart the clock.
          assert.notEqual(await s.writer.push(put(h, '# TYPE a counter\na 1\n', T0 + 5)), undefined);
          // A push that restarts g's clock before the expiry below is applied.
          assert.equal(await s.writer.push({ ...put(g, 'a 2\n', T0 + 10), lifecycle: declared }), undefined);
          await s.settle();
          for (const r of records(s, g)) {
            assert.deepEqual(r, { lastSuccessMs: T0 + 10, lastFailureMs: 0, sinceMs: T0 + 10, ...declared });
          }
          for (const r of records(s, h)) {
            assert.deepEqual(r, { lastSuccessMs: T0, lastFailureMs: T0 + 5, sinceMs: T0, ttlMs: 1_000 });
          }
          const answer = await s.writer.expire([
            { labels: g, sinceMs: T0 },
            { labels: h, sinceMs: T0 },
            { labels: h, sinceMs: T0 },
            { labels: { job: 'never' }, sinceMs: T0 },
          ]);
          assert.deepEqual(answer, [false, true, false, false], 'g raced ahead, h once, the duplicate a no-op');
          await onEveryReader(s, async (r) => {
            assert.deepEqual(await series(r), ['a{instance="",job="g"} 2']);
          });
          for (const r of records(s, h)) assert.equal(r, undefined, 'the expired group has no state anywhere');
          assert.equal(await s.writer.deleteGroup(g), true);
          await s.settle();
          for (const r of records(s, g)) assert.equal(r, undefined, 'a delete drops the state everywhere');
          // The delete by selector's write drops the states of the groups it deletes, and only theirs.
          const k = { job: 'k' };
          const kept = { job: 'kept' };
          assert.equal(await s.writer.push({ ...put(k, 'k 1\n', T0 + 20), lifecycle: declared }), undefined);
          assert.equal(await s.writer.push({ ...put(kept, 'k 1\n', T0 + 20), lifecycle: declared }), undefined);
          assert.equal(await s.writer.deleteGroups([k, { job: 'never' }]), 1);
          await s.settle();
          for (const r of records(s, k)) assert.equal(r, undefined, 'the deleted group has no state anywhere');
          for (const r of records(s, kept)) assert.equal(r?.sinceMs, T0 + 20, 'the other group keeps its state');
        }),
      );
    });
  });
}

/**
 * What the byte-for-byte case renders. The POST to api replaced its requests_total with other series (and
 * no HELP), so api became its newest holder and batch, now the oldest, gives the HELP; the rejected push
 * left only the timestamp gauges of `bad`; the deleted group left nothing.
 */
const EXPECTED_EXPOSITION = [
  '# HELP last_run Last run.',
  '# TYPE last_run gauge',
  'last_run{instance="",job="batch"} 1.5e+09',
  '# TYPE latency histogram',
  'latency_bucket{instance="x",job="api",le="0.1"} 3',
  'latency_bucket{instance="x",job="api",le="+Inf"} 4',
  'latency_sum{instance="x",job="api"} 0.5',
  'latency_count{instance="x",job="api"} 4',
  '# TYPE new_one untyped',
  'new_one{instance="x",job="api"} 7',
  '# HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.',
  '# TYPE push_failure_time_seconds gauge',
  'push_failure_time_seconds{instance="",job="bad"} 1.7955309092294364e+09',
  'push_failure_time_seconds{instance="",job="batch"} 0',
  'push_failure_time_seconds{instance="x",job="api"} 0',
  '# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.',
  '# TYPE push_time_seconds gauge',
  'push_time_seconds{instance="",job="bad"} 0',
  'push_time_seconds{instance="",job="batch"} 1.7955309072294364e+09',
  'push_time_seconds{instance="x",job="api"} 1.7955309082294364e+09',
  '# HELP requests_total Other help.',
  '# TYPE requests_total counter',
  'requests_total{code="200",instance="",job="batch"} 2',
  'requests_total{code="200",instance="x",job="api"} 11',
]
  .map((l) => `${l}\n`)
  .join('');

/** One write of the mixed sequence, applied through a writer or, one by one, to a plain store. */
interface Write {
  apply(writer: StoreWriter): Promise<unknown>;
  applySync(store: MemoryStore): unknown;
}

function answerText(answer: unknown): string {
  if (answer instanceof Error) return answer.message;
  return String(answer);
}

/**
 * Pushes, deletes and wipes over a few groups and clashing names, one big push among them, in a fixed
 * pseudo-random order (a seed, so a failure reproduces).
 */
function mixedWrites(): Write[] {
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const bodies = [
    '# TYPE m counter\nm 1\n',
    '# TYPE m gauge\nm 2\n',
    '# TYPE s summary\ns_sum 1\ns_count 2\n',
    's_count 3\n',
    'n{x="1"} 1\n',
    'n{x="1"} 1\nn{x="1"} 2\n',
    '',
  ];
  const writes: Write[] = [];
  for (let i = 0; i < 60; i++) {
    const labels: GroupingLabels = { job: `g${rnd(3)}`, ...(rnd(3) === 0 ? { x: '1' } : {}) };
    const kind = rnd(10);
    const timeMs = T0 + i;
    if (i === 20) {
      const body = bigBody('bulk', '# TYPE m counter\nm 5\n');
      writes.push({
        apply: (w) => w.push(put(labels, body, timeMs)),
        applySync: (st) => st.push(put(labels, body, timeMs)),
      });
    } else if (kind === 0) {
      writes.push({ apply: (w) => w.deleteGroup(labels), applySync: (st) => st.deleteGroup(labels) });
    } else if (kind === 1 && i % 4 === 0) {
      writes.push({ apply: (w) => w.wipe(), applySync: (st) => st.wipe() });
    } else {
      const body = bodies[rnd(bodies.length)]!;
      const make = kind < 6 ? put : post;
      writes.push({
        apply: (w) => w.push(make(labels, body, timeMs)),
        applySync: (st) => st.push(make(labels, body, timeMs)),
      });
    }
  }
  return writes;
}
