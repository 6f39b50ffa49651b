/**
 * Readers that work in slices within one big group or one big family (the JSON API, the status page,
 * protobuf and escaped-text encodings, a family's series order, the unchecked store's full check) give
 * exactly what the one-go versions give. Slices of 0 ms pause at every step, so every pause point is
 * taken; a snapshot taken in slices is the group as it was when it began, whatever is written meanwhile.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, type PushRequest } from '../../src/store/store.js';
import { OWN_STRICT_HELP, OWN_TYPES } from '../../src/observe/self-metrics.js';
import { Slicer, runSliced, runSync } from '../../src/slicer.js';
import { groupJson, metricsJson, metricsJsonPieces } from '../../src/http/api.js';
import { renderStatusPage } from '../../src/http/ui/status-page.js';
import { ProtobufWriter, writeFamilyDelimited } from '../../src/format/protobuf.js';
import { METRICS_PER_CHUNK, familyDelimitedSteps } from '../../src/format/protobuf-steps.js';
import {
  escapeFamily,
  renderFamilyQuoted,
  renderHeaderQuoted,
  renderSeriesQuoted,
} from '../../src/format/text-write.js';
import { FamilyIndex, compareSeries } from '../../src/store/family-index.js';
import type { Metric, MetricFamily } from '../../src/model/metric.js';

const T = Date.parse('2024-05-01T10:00:00.125Z');
const SERIES = 5000; // above the one-go sort (4096) and several chunks of METRICS_PER_CHUNK

function newStore(checkConsistency = true): MemoryStore {
  return new MemoryStore({ checkConsistency, utf8Names: true, ownTypes: OWN_TYPES, ownStrictHelp: OWN_STRICT_HELP });
}

/** Series in an order the exposition changes: label values descending, some of two labels. */
function manySeries(n: number): Metric[] {
  const out: Metric[] = [];
  for (let i = n - 1; i >= 0; i--) {
    out.push({
      labels:
        i % 7 === 0
          ? [
              { name: 'a', value: `v${i}` },
              { name: 'b', value: 'x' },
            ]
          : [{ name: 'a', value: `v${i}` }],
      value: i / 3,
    });
  }
  return out;
}

/** One group of many small families (names out of order, one not a legacy name) and one big family. */
function bigGroup(): PushRequest {
  const families: MetricFamily[] = [];
  for (let i = 0; i < 6000; i++)
    families.push({
      name: `fam_${(i * 7919) % 6000}`,
      type: i % 2 === 0 ? 'GAUGE' : 'COUNTER',
      help: i % 3 === 0 ? `help <${i}>` : undefined,
      metrics: [{ labels: [], value: i }],
    } as MetricFamily);
  families.push({ name: 'big.family', type: 'GAUGE', help: 'a big one', unit: 'seconds', metrics: manySeries(SERIES) });
  families.push({ name: 'labels', type: 'UNTYPED', metrics: [{ labels: [], value: 1 }] });
  return { labels: { job: 'big' }, families, replace: true, timeMs: T };
}

function delimited(f: MetricFamily): Buffer {
  const w = new ProtobufWriter();
  writeFamilyDelimited(w, f);
  return w.finish();
}

describe('readers sliced within a big group or family', () => {
  it('JSON API and status page bodies are the same paused at every step and in one go', async () => {
    const store = newStore();
    assert.equal(store.push(bigGroup()), undefined);
    assert.equal(
      store.push({
        labels: { job: 'small', instance: 'i' },
        families: [{ name: 'fam_1', type: 'COUNTER', metrics: [{ labels: [], value: 2 }] }],
        replace: true,
        timeMs: T,
      }),
      undefined,
    );
    const whole = metricsJson(store);
    assert.equal(Buffer.concat(await metricsJsonPieces(store, new Slicer(0))).toString('utf8'), whole);
    assert.equal(Buffer.concat(await metricsJsonPieces(store, new Slicer(Infinity))).toString('utf8'), whole);
    assert.equal(JSON.parse(whole).length, 2);
    const page = async (slicer: Slicer): Promise<string> =>
      Buffer.concat(await renderStatusPage(store, new Date(T), { 'web.listen-address': ':9091' }, slicer)).toString(
        'utf8',
      );
    const onePage = await page(new Slicer(Infinity));
    assert.equal(await page(new Slicer(0)), onePage);
    assert.equal(onePage.match(/<details class="family"/g)?.length, 6000 + 2 + 2 + 2 + 1);
  });

  it('a group snapshot taken in slices is the group as it was when it began', async () => {
    const store = newStore();
    assert.equal(store.push(bigGroup()), undefined);
    const before = groupJson(store.getGroup({ job: 'big' })!);
    const slicer = new Slicer(0);
    let writes = 0;
    slicer.whenResumed(() => {
      // Writes to the group half-way through the copy: a new family, a replaced one, a removed one.
      if (writes++ !== 0) return;
      assert.equal(
        store.push({
          labels: { job: 'big' },
          families: [
            { name: 'aaa_new', type: 'GAUGE', metrics: [{ labels: [], value: 1 }] },
            { name: 'fam_5999', type: 'GAUGE', metrics: [{ labels: [], value: -1 }] },
          ],
          replace: false,
          timeMs: T + 1,
        }),
        undefined,
      );
      assert.equal(
        store.push({
          labels: { job: 'big' },
          families: [],
          replace: false,
          timeMs: T + 2,
          emptyFamilies: [{ name: 'fam_0', type: 'GAUGE', metrics: [] }],
        }),
        undefined,
      );
    });
    const [view] = await store.snapshotGroupsAsync(slicer);
    assert.ok(writes > 0, 'the snapshot did not pause');
    assert.equal(groupJson(view!), before);
    assert.notEqual(groupJson(store.getGroup({ job: 'big' })!), before);
    // The group no longer records old values for a snapshot that ended.
    assert.equal(
      groupJson((await store.snapshotGroupsAsync(new Slicer(0)))[0]!),
      groupJson(store.getGroup({ job: 'big' })!),
    );
  });

  it("a big family encoded a chunk of metrics at a time has writeFamilyDelimited's bytes", () => {
    const metrics = manySeries(METRICS_PER_CHUNK * 3 + 5);
    const cases: MetricFamily[] = [
      { name: 'f', type: 'GAUGE', metrics },
      { name: 'f.utf8', type: 'COUNTER', help: 'héłp', unit: 'bytes', metrics },
      { name: 'small', type: 'UNTYPED', metrics: metrics.slice(0, 3) },
    ];
    for (const f of cases) {
      for (const scheme of ['allow-utf-8', 'underscores', 'values'] as const) {
        const prepare = (part: MetricFamily): MetricFamily => escapeFamily(part, scheme);
        assert.deepEqual(
          Buffer.concat(runSync(familyDelimitedSteps(f, prepare))),
          delimited(prepare(f)),
          `${f.name} ${scheme}`,
        );
      }
    }
  });

  it('quoted text written a metric at a time is renderFamilyQuoted', () => {
    const f: MetricFamily = { name: 'f.utf8', type: 'GAUGE', help: 'h', metrics: manySeries(40) };
    assert.equal(
      renderHeaderQuoted(f) + f.metrics.map((m) => renderSeriesQuoted(f, m)).join(''),
      renderFamilyQuoted(f),
    );
  });

  it('a family of many series is sorted in slices into the order of sorting it in one go', async () => {
    const store = newStore();
    assert.equal(store.push(bigGroup()), undefined);
    assert.equal(
      store.push({
        labels: { job: 'other' },
        families: [{ name: 'big.family', type: 'GAUGE', metrics: manySeries(SERIES + 10).slice(0, 20) }],
        replace: true,
        timeMs: T,
      }),
      undefined,
    );
    const idx = store.familyIndex('big.family')!;
    const sliced = [...(await runSliced(idx.sortedEntriesSteps(), new Slicer(0)))];
    const expected = [...sliced].sort(compareSeries);
    assert.deepEqual(
      sliced.map((e) => e.inner),
      expected.map((e) => e.inner),
    );
    const fresh = new FamilyIndex('x');
    for (const gf of idx.members.values()) fresh.add(gf.series[0]!.group, gf);
    assert.deepEqual(
      fresh.sortedEntries().map((e) => e.inner),
      sliced.map((e) => e.inner),
    );
  });

  it('a sort in slices spoilt by a write to the family is not installed', async () => {
    const store = newStore();
    assert.equal(store.push(bigGroup()), undefined);
    const idx = store.familyIndex('big.family')!;
    const slicer = new Slicer(0);
    let resumed = 0;
    slicer.whenResumed(() => {
      if (resumed++ === 2)
        assert.equal(
          store.push({
            labels: { job: 'late' },
            families: [
              { name: 'big.family', type: 'GAUGE', metrics: [{ labels: [{ name: 'a', value: '' }], value: 1 }] },
            ],
            replace: true,
            timeMs: T,
          }),
          undefined,
        );
    });
    const sorted = await runSliced(idx.sortedEntriesSteps(), slicer);
    assert.equal(sorted.length, SERIES + 1);
    assert.equal(sorted[0]!.inner, 'a="",instance="",job="late"');
  });

  it("the unchecked store's full check gives the same problems in slices", async () => {
    const build = (): MemoryStore => {
      const store = newStore(false);
      store.push(bigGroup());
      store.push({
        labels: { job: 'clash' },
        families: [
          { name: 'big.family', type: 'COUNTER', metrics: manySeries(SERIES).slice(100, 130) },
          { name: 'fam_3', type: 'GAUGE', metrics: [{ labels: [], value: 1 }] },
        ],
        replace: true,
        timeMs: T,
      });
      return store;
    };
    const oneGo = build().problems();
    assert.ok(oneGo.length > 30);
    const store = build();
    assert.deepEqual(await store.problemsAsync(new Slicer(0)), oneGo);
    assert.equal(store.problems(), await store.problemsAsync(new Slicer(0)), 'cached per version');
  });
});
