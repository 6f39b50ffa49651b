/**
 * The sliced snapshot decode and restore a replica's mirror uses for a Redis snapshot
 * (docs/high-availability.md, "How a mirror catches up"): with a slicer whose slices are used up at once,
 * decodeSnapshotSteps pauses between every two groups and gives exactly what decodeSnapshot gives;
 * restoreSliced pauses too, readers see the old state at every pause (the new one is built beside it), and
 * the state swapped in at the end renders the same bytes as a one-go restore, HELP choice included.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/store/store.js';
import { OWN_TYPES } from '../../src/observe/self-metrics.js';
import { parseText } from '../../src/format/text-parse.js';
import { decodeSnapshot, decodeSnapshotSteps, encodeSnapshot } from '../../src/store/snapshot.js';
import { Slicer, runSliced } from '../../src/slicer.js';

const GROUPS = 200;

function newStore(): MemoryStore {
  return new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
}

function text(store: MemoryStore): string {
  return Buffer.concat(
    store
      .exposition()
      .pieces.flat()
      .map((p) => p.text),
  ).toString('utf8');
}

/** GROUPS groups sharing families whose HELP differs per group (the oldest holder's is exposed). */
function filled(): MemoryStore {
  const s = newStore();
  for (let i = 0; i < GROUPS; i++) {
    const body = `# HELP shared from ${i}\n# TYPE shared gauge\nshared{k="${i}"} ${i}\nown_${i % 5} ${i / 7}\n`;
    assert.equal(
      s.push({ labels: { job: 'j', instance: `i${i}` }, families: parseText(body), replace: true, timeMs: 1e12 + i }),
      undefined,
    );
  }
  return s;
}

/** A slicer whose every slice is used up at once, counting its pauses. */
function countingSlicer(): { slicer: Slicer; pauses: () => number } {
  const slicer = new Slicer(0);
  let n = 0;
  slicer.whenResumed(() => {
    n++;
  });
  return { slicer, pauses: () => n };
}

describe('sliced snapshot decode and restore', () => {
  it('decodeSnapshotSteps pauses between groups and decodes what decodeSnapshot does', async () => {
    const data = Buffer.from(encodeSnapshot(filled().exportState(), { written: 'w', writer: 't' }));
    const { slicer, pauses } = countingSlicer();
    const sliced = await runSliced(decodeSnapshotSteps(data), slicer);
    assert.ok(pauses() >= GROUPS, `${pauses()} pauses for ${GROUPS} groups`);
    assert.deepEqual(sliced, decodeSnapshot(data));
  });

  it('restoreSliced pauses, readers see the old state until the swap, and ends as restore() does', async () => {
    const source = filled();
    const data = Buffer.from(encodeSnapshot(source.exportState(), { written: 'w', writer: 't' }));
    const oneGo = newStore();
    oneGo.restore(decodeSnapshot(data).groups);

    const target = newStore();
    const old = { labels: { job: 'old' }, families: parseText('old 1\n'), replace: true, timeMs: 1 };
    assert.equal(target.push(old), undefined);
    const before = text(target);
    const { slicer, pauses } = countingSlicer();
    const seen = new Set<string>();
    slicer.whenResumed(() => {
      seen.add(`${target.groupCount} ${text(target) === before}`);
    });
    await target.restoreSliced(decodeSnapshot(data).groups, slicer);
    assert.ok(pauses() >= GROUPS, `${pauses()} pauses for ${GROUPS} groups`);
    assert.deepEqual([...seen], ['1 true'], 'at every pause the old state, whole');
    assert.equal(target.groupCount, GROUPS);
    assert.equal(text(target), text(oneGo));
    assert.equal(text(target), text(source));
  });
});
