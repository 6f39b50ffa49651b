import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, type PushRequest } from '../../src/store/store.js';
import { parseText } from '../../src/format/text-parse.js';
import { OWN_STRICT_HELP, OWN_TYPES } from '../../src/observe/self-metrics.js';
import { SERIES_PER_CHUNK } from '../../src/store/family-index.js';
import { gzipPieces } from '../../src/format/gzip-pieces.js';
import { gunzipSync } from 'node:zlib';
import type { GroupingLabels } from '../../src/model/grouping-key.js';
import type { MetricFamily } from '../../src/model/metric.js';
import { decodePath } from '../../src/http/router.js';

const T0 = 1_795_530_906_229.4363;

function newStore(checkConsistency = true): MemoryStore {
  return new MemoryStore({ checkConsistency, utf8Names: false, ownTypes: OWN_TYPES });
}

function req(labels: GroupingLabels, body: string, replace: boolean, timeMs = T0): PushRequest {
  return { labels, families: parseText(body), replace, timeMs };
}

/** The pushed series lines (no HELP/TYPE, no timestamps gauges) of a store's rendered text. */
function series(store: MemoryStore): string[] {
  return store
    .renderText()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('push_'));
}

describe('store push semantics (prometheus/pushgateway storage/diskmetricstore.go, handler/push.go)', () => {
  it('PUT replaces the whole group, POST only same-named families', () => {
    const s = newStore();
    assert.equal(s.push(req({ job: 'j' }, 'a{x="1"} 1\nb 2\n', true)), undefined);
    assert.equal(s.push(req({ job: 'j' }, 'a{x="2"} 3\n', false)), undefined);
    assert.deepEqual(series(s), ['a{instance="",job="j",x="2"} 3', 'b{instance="",job="j"} 2']);
    assert.equal(s.push(req({ job: 'j' }, 'c 4\n', true)), undefined);
    assert.deepEqual(series(s), ['c{instance="",job="j"} 4']);
  });

  it('an empty PUT keeps only the timestamp gauges; DELETE removes the group and nothing else', () => {
    const s = newStore();
    s.push(req({ job: 'j' }, 'a 1\n', true));
    s.push(req({ job: 'j', instance: 'i' }, 'a 1\n', true));
    s.push(req({ job: 'j' }, '', true));
    assert.deepEqual(series(s), ['a{instance="i",job="j"} 1']);
    assert.match(s.renderText(), /push_time_seconds\{instance="",job="j"\} 1\.79553090622943\d*e\+09\n/);
    assert.equal(s.deleteGroup({ job: 'j' }), true);
    assert.equal(s.groupCount, 1);
    assert.equal(s.deleteGroup({ job: 'nope' }), false);
  });

  it(
    'pushed push_time_seconds / push_failure_time_seconds of any type are overridden on a group the push ' + 'creates',
    () => {
      const s = newStore();
      assert.equal(s.push(req({ job: 'other' }, 'a 1\n', true)), undefined);
      const body =
        '# TYPE push_time_seconds counter\npush_time_seconds 1\n# TYPE push_failure_time_seconds ' +
        'counter\npush_failure_time_seconds 1\nb 2\n';
      assert.equal(s.push(req({ job: 'new' }, body, true, T0 + 1000)), undefined);
      const g = s.getGroup({ job: 'new' })!;
      assert.equal(g.gaugeValue('push_time_seconds'), (T0 + 1000) / 1000);
      assert.equal(g.gaugeValue('push_failure_time_seconds'), 0);
      assert.match(s.renderText(), /# TYPE push_failure_time_seconds gauge\n/);
      assert.equal(
        s.push(req({ job: 'new2' }, '# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 7\n', true)),
        undefined,
      );
      assert.equal(s.getGroup({ job: 'new2' })!.gaugeValue('push_failure_time_seconds'), 0);
    },
  );

  it(
    'on a group that has a failure time, a pushed push_failure_time_seconds is kept (gauge) or checked ' +
      '(other types), as the reference does',
    () => {
      const s = newStore();
      s.push(req({ job: 'other' }, 'a 1\n', true));
      s.push(req({ job: 'j' }, 'a 1\n', true));
      assert.equal(
        s.push(req({ job: 'j' }, '# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 7\n', false)),
        undefined,
      );
      assert.equal(s.getGroup({ job: 'j' })!.gaugeValue('push_failure_time_seconds'), 7);
      const err = s.push(
        req({ job: 'j' }, '# TYPE push_failure_time_seconds counter\npush_failure_time_seconds 1\n', false),
      );
      assert.match(err?.message ?? '', /collected metric "push_failure_time_seconds" .* is not a GAUGE/);
    },
  );

  it('URL labels override body labels, body instance survives, instance="" is added', () => {
    const s = newStore();
    s.push(req({ job: 'j9' }, 'y{job="other"} 1\nx{instance="i1"} 2\n', true));
    assert.deepEqual(series(s), ['x{instance="i1",job="j9"} 2', 'y{instance="",job="j9"} 1']);
  });

  it('a rejected push creates the group with push_time 0 and a failure time, and changes nothing else', () => {
    const s = newStore();
    s.push(req({ job: 'a' }, '# TYPE tc counter\ntc 1\n', true));
    const err = s.push(req({ job: 'b' }, '# TYPE tc gauge\ntc 1\n', true, T0 + 1000));
    assert.ok(err);
    assert.match(
      err.message,
      new RegExp(
        /^pushed metrics are invalid or inconsistent with existing metrics: collected metric /.source +
          /"tc" \{ .*\} is not a COUNTER$/.source,
      ),
    );
    const b = s.getGroup({ job: 'b' })!;
    assert.equal(b.gaugeValue('push_time_seconds'), 0);
    assert.equal(b.gaugeValue('push_failure_time_seconds'), (T0 + 1000) / 1000);
    assert.equal(b.lastPushSuccessful, false);
    assert.deepEqual(series(s), ['tc{instance="",job="a"} 1']);
  });

  it('a push into an own HTTP vector must repeat its HELP; other own families get their HELP replaced', () => {
    const s = new MemoryStore({
      checkConsistency: true,
      utf8Names: false,
      ownTypes: OWN_TYPES,
      ownStrictHelp: OWN_STRICT_HELP,
    });
    const err = s.push(
      req({ job: 'j' }, '# TYPE pushgateway_http_requests_total counter\npushgateway_http_requests_total 1\n', true),
    );
    assert.equal(
      err?.message,
      'pushed metrics are invalid or inconsistent with existing metrics: gathered metric family ' +
        'pushgateway_http_requests_total has help "" but should have "Total HTTP requests processed by the ' +
        'Pushgateway, excluding scrapes."',
    );
    const help = OWN_STRICT_HELP.get('pushgateway_http_requests_total')!;
    assert.equal(
      s.push(
        req(
          { job: 'j' },
          `# HELP pushgateway_http_requests_total ${help}\n# TYPE pushgateway_http_requests_total ` +
            `counter\npushgateway_http_requests_total 1\n`,
          true,
        ),
      ),
      undefined,
    );
    assert.equal(
      s.push(
        req({ job: 'k' }, '# HELP process_open_fds mine\n# TYPE process_open_fds gauge\nprocess_open_fds 1\n', true),
      ),
      undefined,
    );
  });

  it('a grouping value that is not UTF-8 fails every metric of the group, and nothing is stored', () => {
    for (const checkConsistency of [true, false]) {
      const s = newStore(checkConsistency);
      const labels = { job: 'j', l: decodePath('/%FF')!.slice(1) };
      const err = s.push(req(labels, 'a 1\nb{x="1"} 2\n', true));
      assert.ok(err);
      assert.match(
        err.message,
        /^pushed metrics are invalid or inconsistent with existing metrics: 4 error\(s\) occurred:\n/,
      );
      assert.match(
        err.message,
        /\* collected metric "a" \{ .*\} has a label named "l" whose value is not utf8: "\\xff"\n/,
      );
      assert.match(
        err.message,
        new RegExp(
          /\* collected metric "push_failure_time_seconds" \{ .*\} has a label named "l" /.source +
            /whose value is not utf8: "\\xff"$/.source,
          'm',
        ),
      );
      const ts = s.push(req(labels, 'a 1 5\n', true));
      assert.equal(
        ts?.message,
        'pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps',
      );
      assert.equal(s.groupCount, 0);
      assert.equal(s.renderText(), '');
    }
  });

  it('rejects timestamps, duplicates, __ labels, suffix collisions and own-metric type clashes', () => {
    const s = newStore();
    s.push(req({ job: 'a' }, '# TYPE s summary\ns_sum 1\ns_count 1\n', true));
    const cases: [string, RegExp][] = [
      ['x 1 123\n', /pushed metrics must not have timestamps/],
      ['d{x="1"} 1\nd{x="1"} 2\n', /was collected before with the same name and label values/],
      ['e{__x="1"} 1\n', /has a label with an invalid name: __x/],
      ['s_count 1\n', /collected metric named "s_count" collides with previously collected summary named "s"/],
      [
        '# TYPE process_open_fds counter\nprocess_open_fds 1\n',
        /gathered metric family process_open_fds has type COUNTER but should have GAUGE/,
      ],
    ];
    for (const [body, re] of cases) {
      const err = s.push(req({ job: 'b' }, body, true));
      assert.ok(err, body);
      assert.match(err.message, re, body);
    }
    // Same series in another group with an extra grouping label is a duplicate too.
    s.push(req({ job: 'c' }, 'dup{x="1"} 1\n', true));
    assert.match(s.push(req({ job: 'c', x: '1' }, 'dup 1\n', true))!.message, /was collected before/);
  });

  it('wipe empties the store in one step and bumps the version', () => {
    const s = newStore();
    for (let i = 0; i < 1000; i++) s.push(req({ job: 'w', instance: `i${i}` }, 'a 1\n', true));
    const v = s.version;
    assert.equal(s.wipe(), 1000);
    assert.equal(s.groupCount, 0);
    assert.ok(s.version > v);
    assert.equal(s.renderText(), '');
  });

  it('re-pushing the same series updates the cached text in place', () => {
    const s = newStore();
    s.push(req({ job: 'j', instance: 'b' }, 'm 1\n', true));
    s.push(req({ job: 'j', instance: 'a' }, 'm 2\n', true));
    const first = s.exposition();
    assert.equal(s.exposition(), first, 'unchanged store is served from cache');
    s.push(req({ job: 'j', instance: 'b' }, 'm 3\n', true));
    assert.deepEqual(series(s), ['m{instance="a",job="j"} 2', 'm{instance="b",job="j"} 3']);
  });

  it('a re-push of the same shape is accepted without a full check; changing a type still is not', () => {
    const s = newStore();
    assert.equal(s.push(req({ job: 'g' }, '# TYPE m gauge\nm{x="1"} 1\n', true)), undefined);
    assert.equal(s.push(req({ job: 'h' }, '# TYPE m gauge\nm{x="2"} 2\n', true)), undefined);
    assert.equal(s.push(req({ job: 'g' }, '# TYPE m gauge\nm{x="1"} 5\n', false)), undefined);
    assert.deepEqual(
      series(s).filter((l) => l.startsWith('m{')),
      ['m{instance="",job="g",x="1"} 5', 'm{instance="",job="h",x="2"} 2'],
    );
    const err = s.push(req({ job: 'g' }, '# TYPE m counter\nm{x="1"} 6\n', false));
    assert.match(err?.message ?? '', /is not a GAUGE/);
    const dup = s.push(req({ job: 'g' }, '# TYPE m gauge\nm{x="1",job="h",instance=""} 7\n', false));
    assert.equal(dup, undefined, 'job is overwritten by the URL, so this is the same series of g');
    assert.match(s.push(req({ job: 'g', y: 'z' }, '# TYPE m counter\nm 1\n', true))?.message ?? '', /is not a GAUGE/);
  });

  it('a re-push renders again only the chunk holding its series; a new group re-lays the family out', () => {
    const s = newStore();
    const n = SERIES_PER_CHUNK * 3;
    const pad = (i: number): string => String(i).padStart(4, '0');
    for (let i = 0; i < n; i++) s.push(req({ job: 'j', instance: pad(i) }, `m ${i}\n`, true));
    const before = s.exposition();
    const m = before.names.indexOf('m');
    assert.equal(before.pieces[m]!.length, 1 + 3, 'header + three chunks');
    // The series of instance SERIES_PER_CHUNK + 5 sits in the second chunk.
    s.push(req({ job: 'j', instance: pad(SERIES_PER_CHUNK + 5) }, 'm 42\n', true));
    const after = s.exposition();
    assert.notEqual(after, before);
    assert.equal(after.pieces[m]![0], before.pieces[m]![0], 'header reused');
    assert.equal(after.pieces[m]![1], before.pieces[m]![1], 'first chunk reused');
    assert.notEqual(after.pieces[m]![2], before.pieces[m]![2], 'second chunk rendered again');
    assert.equal(after.pieces[m]![3], before.pieces[m]![3], 'third chunk reused');
    assert.match(
      after.pieces[m]![2]!.text.toString(),
      new RegExp(`m\\{instance="${pad(SERIES_PER_CHUNK + 5)}",job="j"\\} 42\n`),
    );
    assert.equal(series(s).filter((l) => l.startsWith('m{')).length, n);
    s.push(req({ job: 'j', instance: '0000a' }, 'm 7\n', true));
    const relaid = s.exposition();
    assert.notEqual(relaid.pieces[m]![1], after.pieces[m]![1], 'membership change renders the family again');
    const lines = series(s).filter((l) => l.startsWith('m{'));
    assert.equal(lines[1], 'm{instance="0000a",job="j"} 7', 'sorted into place');
    assert.equal(lines.length, n + 1);
  });

  it('gzip built from cached pieces is one gzip member of the whole text', async () => {
    const s = newStore();
    for (let i = 0; i < SERIES_PER_CHUNK * 2 + 3; i++)
      s.push(req({ job: 'j', instance: `i${i}` }, `# HELP m help\nm ${i}\nn{x="y"} ${i}\n`, true));
    const pieces = s.exposition().pieces.flat();
    const zipped = Buffer.concat(await gzipPieces(pieces));
    assert.equal(gunzipSync(zipped).toString('utf8'), s.renderText());
    assert.deepEqual([...zipped.subarray(0, 3)], [0x1f, 0x8b, 8]);
  });
});

describe('incremental consistency check agrees with a full check', () => {
  // Deterministic pseudo-random generator so failures reproduce.
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const names = ['a', 'a_count', 'a_sum', 'b', 'b_bucket'];
  const types = ['counter', 'gauge', 'untyped', 'summary', 'histogram'];

  function randomBody(): string {
    let body = '';
    const used = new Set<string>();
    for (let i = rnd(3); i >= 0; i--) {
      const name = names[rnd(names.length)]!;
      if (used.has(name)) continue;
      used.add(name);
      const type = types[rnd(types.length)]!;
      body += `# TYPE ${name} ${type}\n`;
      const label = rnd(3) === 0 ? '' : `{x="${rnd(2)}"}`;
      if (type === 'summary') body += `${name}_sum${label} 1\n${name}_count${label} 1\n`;
      else if (type === 'histogram')
        body += `${name}_bucket{le="1"${label === '' ? '' : `,${label.slice(1, -1)}`}} 1\n${name}_count${label} 1\n`;
      else body += `${name}${label} 1\n`;
      if (rnd(6) === 0) body += `${name}${label} 2\n`;
    }
    return body;
  }

  it('accepts exactly the pushes after which the whole store is consistent (300 random pushes)', () => {
    const checked = newStore(true);
    const accepted: PushRequest[] = [];
    for (let i = 0; i < 300; i++) {
      const labels: GroupingLabels = rnd(2) === 0 ? { job: `g${rnd(3)}` } : { job: `g${rnd(3)}`, x: `${rnd(2)}` };
      const body = randomBody();
      let families: MetricFamily[];
      try {
        families = parseText(body);
      } catch {
        continue;
      }
      const push: PushRequest = { labels, families, replace: rnd(2) === 0, timeMs: T0 + i };
      const replay = newStore(false);
      for (const p of [...accepted, push])
        replay.push({ ...p, families: parseText(p.families === families ? body : bodies.get(p)!) });
      const consistentAfter = replay.problems().length === 0;
      const err = checked.push(push);
      assert.equal(
        err === undefined,
        consistentAfter,
        `push ${i} to ${JSON.stringify(labels)}:\n${body}\nfull check: ` +
          `${replay.problems().join('; ')}\nincremental: ${err?.message}`,
      );
      if (err === undefined) {
        accepted.push(push);
        bodies.set(push, body);
      }
    }
    assert.ok(accepted.length > 30, `enough accepted pushes to be meaningful (${accepted.length})`);
  });
  const bodies = new Map<PushRequest, string>();
});
