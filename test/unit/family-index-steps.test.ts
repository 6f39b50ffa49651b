/**
 * A family of many series joining (or leaving) one that another group holds is indexed in steps: the
 * series-key map and the shared series list are filled a few thousand series at a time, so a sliced push
 * or delete of a million series never does that part in one go (docs/robustness.md). Counted by the
 * yields of the steps and the series handled between two of them, not by timings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FamilyIndex, type GroupFamily } from '../../src/store/family-index.js';
import { Group } from '../../src/store/group.js';
import type { Steps } from '../../src/slicer.js';

function familyOf(group: Group, n: number, prefix: string): GroupFamily {
  const metrics = Array.from({ length: n }, (_, i) => ({ labels: [{ name: 'x', value: `${prefix}${i}` }], value: i }));
  const gf: GroupFamily = { family: { name: 'm', type: 'GAUGE', metrics }, lastPushMs: 0, series: [], rank: 0 };
  gf.series = metrics.map((metric, i) => ({
    inner: `x="${prefix}${i}"`,
    metric,
    type: 'GAUGE' as const,
    group,
    dead: false,
    pos: 0,
  }));
  return gf;
}

/** Runs steps to the end and counts their yields. */
function yieldsOf(steps: Steps<void>): number {
  let n = 0;
  while (steps.next().done !== true) n++;
  return n;
}

describe('family index in steps', () => {
  it('a big family joining and leaving a shared family yields every few thousand series', () => {
    const a = new Group('a', { job: 'a' });
    const b = new Group('b', { job: 'b' });
    const idx = new FamilyIndex('m');
    idx.add(a, familyOf(a, 10, 'a'));
    // A second group asks: the series-key map exists from now on, so joining fills it.
    assert.equal(idx.otherSeries('x="a1"', b)?.group, a);
    const big = 100_000;
    const joined = yieldsOf(idx.addSteps(b, familyOf(b, big, 'b')));
    // The map and the shared list: each at least one yield per 4,096 series.
    assert.ok(joined >= 2 * Math.floor(big / 4096), `${joined} yields while adding ${big} series`);
    assert.equal(idx.otherSeries('x="b99999"', a)?.group, b);
    assert.equal(idx.otherSeries('x="a9"', b)?.group, a);
    const left = yieldsOf(idx.removeSteps(b));
    assert.ok(left >= 2 * Math.floor(big / 4096), `${left} yields while removing ${big} series`);
    assert.equal(idx.otherSeries('x="b99999"', a), undefined);
    assert.equal(idx.otherSeries('x="a9"', b)?.group, a);
  });
});
