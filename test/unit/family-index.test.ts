/**
 * The family index's compact shape for families held by one group (docs/memory.md): the type counts and
 * the series-key map are made only when a second group holds the family, a family's series list is its
 * only group's array until it changes, and a one-chunk family hands out its own piece list. These tests
 * pin the behaviour those shortcuts must keep: checks across groups, exposition order, the stored order
 * of a group's metrics, and pieces handed out staying as they were.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, type PushRequest } from '../../src/store/store.js';
import { parseText } from '../../src/format/text-parse.js';
import { OWN_TYPES } from '../../src/observe/self-metrics.js';
import type { GroupingLabels } from '../../src/model/grouping-key.js';

function newStore(): MemoryStore {
  return new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
}

function req(labels: GroupingLabels, body: string, replace = true): PushRequest {
  return { labels, families: parseText(body), replace, timeMs: 1_700_000_000_000 };
}

function series(store: MemoryStore, name: string): string[] {
  return store
    .renderText()
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`));
}

describe('family index of families held by one group', () => {
  it('checks a push against the one group holding the family: duplicates and types', () => {
    const s = newStore();
    assert.equal(s.push(req({ job: 'a' }, 'm{x="1"} 1\n')), undefined);
    // The same series from another group (its grouping label equals the body label of the first).
    assert.match(s.push(req({ job: 'a', x: '1' }, 'm 2\n'))!.message, /was collected before/);
    assert.match(s.push(req({ job: 'b' }, '# TYPE m counter\nm{x="2"} 1\n'))!.message, /is not a UNTYPED/);
    // The holding group itself may push the series again, with another type too.
    assert.equal(s.push(req({ job: 'a' }, '# TYPE m counter\nm{x="1"} 3\n')), undefined);
    assert.equal(s.push(req({ job: 'b' }, '# TYPE m counter\nm{x="2"} 1\n')), undefined);
    // Two groups now: the maps exist and follow removals.
    assert.match(s.push(req({ job: 'c' }, 'm{x="2"} 1\n'))!.message, /is not a COUNTER/);
    const likeB = { job: 'b', x: '2' };
    assert.match(s.push(req(likeB, '# TYPE m counter\nm 1\n'))!.message, /was collected before/);
    assert.equal(s.deleteGroup({ job: 'b' }), true);
    assert.equal(s.push(req(likeB, '# TYPE m counter\nm 1\n')), undefined);
    assert.equal(s.deleteGroup({ job: 'a' }), true);
    assert.equal(s.deleteGroup({ job: 'a', x: '1' }), true);
    assert.equal(s.push(req({ job: 'a', x: '1' }, '# TYPE m counter\nm 5\n')), undefined);
    assert.deepEqual(series(s, 'm'), ['m{instance="",job="a",x="1"} 5', 'm{instance="",job="b",x="2"} 1']);
  });

  it('sorts the series of one group for the exposition without reordering the group', () => {
    const s = newStore();
    assert.equal(s.push(req({ job: 'a' }, 'm{x="3"} 3\nm{x="1"} 1\nm{x="2"} 2\n')), undefined);
    assert.deepEqual(series(s, 'm'), [
      'm{instance="",job="a",x="1"} 1',
      'm{instance="",job="a",x="2"} 2',
      'm{instance="",job="a",x="3"} 3',
    ]);
    const stored = s
      .getGroup({ job: 'a' })!
      .families.get('m')!
      .family.metrics.map((m) => m.labels[2]!.value);
    assert.deepEqual(stored, ['3', '1', '2']);
    // A re-push of the same series in place: each value lands on its own series.
    assert.equal(s.push(req({ job: 'a' }, 'm{x="3"} 30\nm{x="1"} 10\nm{x="2"} 20\n')), undefined);
    assert.deepEqual(series(s, 'm'), [
      'm{instance="",job="a",x="1"} 10',
      'm{instance="",job="a",x="2"} 20',
      'm{instance="",job="a",x="3"} 30',
    ]);
    // A second group joins, and its series are merged into the order (label values position by position).
    assert.equal(s.push(req({ job: 'b' }, 'm{x="0"} 0\n')), undefined);
    assert.equal(s.push(req({ job: 'a', instance: 'z' }, 'm{x="0"} 0\n')), undefined);
    assert.deepEqual(
      series(s, 'm').map((l) => l.replace(/ .*/, '')),
      [
        'm{instance="",job="a",x="1"}',
        'm{instance="",job="a",x="2"}',
        'm{instance="",job="a",x="3"}',
        'm{instance="",job="b",x="0"}',
        'm{instance="z",job="a",x="0"}',
      ],
    );
  });

  it('pieces handed out by a scrape stay as they were after a re-push', () => {
    const s = newStore();
    s.push(req({ job: 'a' }, 'one 1\n'));
    const before = s.exposition();
    const at = before.names.indexOf('one');
    const text = (pieces: typeof before.pieces): string =>
      Buffer.concat(pieces[at]!.map((p) => p.text)).toString('utf8');
    const old = text(before.pieces);
    assert.equal(old, '# TYPE one untyped\none{instance="",job="a"} 1\n');
    s.push(req({ job: 'a' }, 'one 2\n'));
    assert.equal(text(before.pieces), old);
    assert.equal(text(s.exposition().pieces), '# TYPE one untyped\none{instance="",job="a"} 2\n');
  });

  it('a series with only the grouping labels shares them, and renders them as its own', () => {
    const s = newStore();
    s.push(req({ job: 'a', instance: 'i' }, 'p 1\nq{x="y"} 2\n'));
    const g = s.getGroup({ job: 'a', instance: 'i' })!;
    const p = g.families.get('p')!.family.metrics[0]!;
    assert.equal(p.labels, g.timestampLabels);
    assert.notEqual(g.families.get('q')!.family.metrics[0]!.labels, g.timestampLabels);
    assert.deepEqual(series(s, 'p'), ['p{instance="i",job="a"} 1']);
    assert.deepEqual(series(s, 'q'), ['q{instance="i",job="a",x="y"} 2']);
  });
});
