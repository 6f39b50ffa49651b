/**
 * The persistence file format (docs/persistence.md): round trip of every value JSON cannot carry, the
 * order that decides which group's HELP is exposed, and a named error for each kind of bad file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MemoryStore } from '../../src/store/store.js';
import { OWN_TYPES } from '../../src/observe/self-metrics.js';
import { parseText } from '../../src/format/text-parse.js';
import { SnapshotError, decodeSnapshot, encodeSnapshot } from '../../src/store/snapshot.js';

function newStore(): MemoryStore {
  return new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
}

function roundTrip(store: MemoryStore): MemoryStore {
  const restored = newStore();
  restored.restore(
    decodeSnapshot(Buffer.from(encodeSnapshot(store.exportState(), { written: 'w', writer: 't' }))).groups,
  );
  return restored;
}

function push(s: MemoryStore, job: string, body: string, timeMs: number, replace = true): void {
  assert.equal(s.push({ labels: { job }, families: parseText(body), replace, timeMs }), undefined);
}

describe('snapshot round trip', () => {
  it('keeps NaN, ±Inf, -0 and huge/tiny values exactly', () => {
    const s = newStore();
    push(
      s,
      'v',
      'a{k="nan"} NaN\na{k="pinf"} +Inf\na{k="ninf"} -Inf\na{k="nzero"} -0\na{k="tiny"} 5e-324\na{k="big"} ' +
        '1.7976931348623157e308\n',
      1000.125,
    );
    const r = roundTrip(s);
    const values = r
      .exportState()[0]!
      .families.find((f) => f.family.name === 'a')!
      .family.metrics.map((m) => m.value);
    assert.deepEqual(
      values.map((v) => (Object.is(v, -0) ? '-0' : String(v))),
      ['NaN', 'Infinity', '-Infinity', '-0', '5e-324', '1.7976931348623157e+308'],
    );
    assert.equal(r.renderText(), s.renderText());
  });

  it('keeps the order of holders across deletions and in-place re-pushes (ranks with gaps)', () => {
    const s = newStore();
    push(s, 'a', '# HELP f from a\nf 1\n', 1);
    push(s, 'b', '# HELP f from b\nf 2\n', 2);
    push(s, 'c', '# HELP f from c\nf 3\n', 3);
    assert.equal(s.deleteGroup({ job: 'a' }), true);
    push(s, 'b', '# HELP f from b again\nf 4\n', 4); // same series: replaced in place, b stays the oldest holder
    push(s, 'a', '# HELP f from a, back\nf 5\n', 5); // a comes back as the newest holder
    assert.match(s.renderText(), /^# HELP f from b again$/m);
    const ranks = (st: MemoryStore): Record<string, number> =>
      Object.fromEntries(
        st.exportState().map((g) => [g.labels.job!, g.families.find((f) => f.family.name === 'f')!.rank]),
      );
    const before = ranks(s);
    assert.ok(before.b! < before.c! && before.c! < before.a!, JSON.stringify(before));
    const r = roundTrip(s);
    assert.equal(r.renderText(), s.renderText());
    const after = ranks(r);
    assert.ok(after.b! < after.c! && after.c! < after.a!, JSON.stringify(after));
    assert.equal(r.deleteGroup({ job: 'b' }), true);
    assert.match(r.renderText(), /^# HELP f from c$/m, 'after b, c is the oldest holder');
  });

  it('keeps protobuf counts above 2^53 exactly', () => {
    const s = newStore();
    const big = 2n ** 60n + 3n;
    const fams = parseText(
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n# TYPE q summary\nq_count 1\nq_sum 1\n',
    );
    const h = fams[0]!.metrics[0]!.histogram!;
    h.sampleCountExact = big;
    h.buckets[0]!.cumulativeCountExact = big - 1n;
    h.zeroCountExact = big + 1n;
    fams[1]!.metrics[0]!.summary!.sampleCountExact = big + 2n;
    assert.equal(s.push({ labels: { job: 'x' }, families: fams, replace: true, timeMs: 7 }), undefined);
    const text = encodeSnapshot(s.exportState(), { written: 'w', writer: 't' });
    assert.match(text, /"countExact":"1152921504606846979"/);
    const r = roundTrip(s);
    const byName = new Map(r.exportState()[0]!.families.map((f) => [f.family.name, f.family]));
    const rh = byName.get('h')!.metrics[0]!.histogram!;
    assert.equal(rh.sampleCountExact, big);
    assert.equal(rh.buckets[0]!.cumulativeCountExact, big - 1n);
    assert.equal(rh.zeroCountExact, big + 1n);
    assert.equal(byName.get('q')!.metrics[0]!.summary!.sampleCountExact, big + 2n);
  });

  it('keeps which group pushed a family first, so the exposed HELP does not change', () => {
    const s = newStore();
    // Group A is created first, but group B is the first to push `shared`: B's HELP is exposed.
    push(s, 'a', 'other 1\n', 1);
    push(s, 'b', '# HELP shared HELP of b\nshared 2\n', 2);
    push(s, 'a', '# HELP shared HELP of a\nshared 3\n', 3, false);
    assert.match(s.renderText(), /^# HELP shared HELP of b$/m);
    assert.deepEqual(
      [...s.groups()].map((g) => g.labels.job),
      ['a', 'b'],
    );
    const r = roundTrip(s);
    assert.equal(r.renderText(), s.renderText());
    assert.deepEqual(r.exportState(), s.exportState());
  });
});

describe('bad files are named precisely', () => {
  const s = newStore();
  push(s, 'j', 'm 1\n', 5);
  const good = encodeSnapshot(s.exportState(), { written: 'w', writer: 't' });

  const cases: Array<[string, string | Buffer, SnapshotError['kind'], RegExp]> = [
    ['empty', '', 'truncated', /empty/],
    ['foreign', 'hello\n', 'foreign', /not a pushgateway-ts persistence file/],
    ['gob', Buffer.from([0x0e, 0xff, 0x83, 0x04, 0x01]), 'foreign', /Go Pushgateway/],
    ['cut in the magic', 'pushgateway-ts pers', 'truncated', /first line/],
    [
      'future',
      good.replace('persistence 1', 'persistence 2'),
      'future-version',
      /version 2, but this build reads version 1/,
    ],
    ['no end line', good.slice(0, good.lastIndexOf('end ')), 'truncated', /no end line/],
    ['no final newline', good.slice(0, -1), 'truncated', /does not end with a newline/],
    ['altered', good.replace('"m"', '"x"'), 'checksum', /checksum mismatch/],
  ];
  for (const [what, data, kind, message] of cases) {
    it(what, () => {
      assert.throws(
        () => decodeSnapshot(Buffer.isBuffer(data) ? data : Buffer.from(data)),
        (err: unknown) => err instanceof SnapshotError && err.kind === kind && message.test(err.message),
      );
    });
  }

  it('an invalid field, with a valid checksum, names its path', () => {
    const bad = good.slice(0, good.lastIndexOf('end ')).replace('"value":1', '"value":"one"');
    const file = encodeSnapshotRaw(bad);
    assert.throws(
      () => decodeSnapshot(Buffer.from(file)),
      (err: unknown) =>
        err instanceof SnapshotError &&
        err.kind === 'invalid' &&
        /^group 1\.families\[\d\] \("m"\)\.metrics\[0\]\.value: expected a float$/.test(err.message),
    );
  });
});

describe('grouping keys', () => {
  it('a file listing one grouping key twice is invalid', () => {
    const s = newStore();
    push(s, 'j', 'm 1\n', 5);
    const text = encodeSnapshot(s.exportState(), { written: 'w', writer: 't' });
    const lines = text.split('\n');
    const doubled = [lines[0], lines[1]!.replace('"groups":1', '"groups":2'), lines[2], lines[2], ''].join('\n');
    assert.throws(
      () => decodeSnapshot(Buffer.from(encodeSnapshotRaw(doubled))),
      (err: unknown) => err instanceof SnapshotError && /group 2\.labels: the same grouping key/.test(err.message),
    );
  });
});

/** Re-signs an edited body with a correct end line. */
function encodeSnapshotRaw(body: string): string {
  return `${body}end ${createHashHex(body)}\n`;
}

function createHashHex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

describe('snapshot lifecycle records (issue 12)', () => {
  it('a group line carries its lifecycle record, and a file without any still loads the same', () => {
    const s = newStore();
    push(s, 'a', 'x 1\n', 5000);
    push(s, 'b', 'x 2\n', 6000);
    const [ga, gb] = s.exportState();
    const rec = { lastSuccessMs: 5000, lastFailureMs: 0, sinceMs: 5000, ttlMs: 30_000, intervalMs: 10_000 };
    const withRecord = encodeSnapshot([{ ...ga!, lifecycle: rec }, gb!], { written: 'w', writer: 't' });
    const decoded = decodeSnapshot(Buffer.from(withRecord));
    assert.deepEqual(decoded.groups[0]!.lifecycle, rec);
    assert.equal(decoded.groups[1]!.lifecycle, undefined);
    // The file of a build before issue 12: no lifecycle anywhere, same version line; loads unchanged.
    const before = encodeSnapshot([ga!, gb!], { written: 'w', writer: 't' });
    assert.ok(before.startsWith('pushgateway-ts persistence 1\n'));
    assert.ok(withRecord.startsWith('pushgateway-ts persistence 1\n'));
    assert.ok(!before.includes('lifecycle'));
    const old = decodeSnapshot(Buffer.from(before));
    assert.deepEqual(
      old.groups.map((g) => g.labels),
      [{ job: 'a' }, { job: 'b' }],
    );
  });

  it('a bad lifecycle field is named', () => {
    const s = newStore();
    push(s, 'a', 'x 1\n', 5000);
    const bad = { lastSuccessMs: 5000, lastFailureMs: 'never', sinceMs: 5000 } as unknown as {
      lastSuccessMs: number;
      lastFailureMs: number;
      sinceMs: number;
    };
    const file = encodeSnapshot([{ ...s.exportState()[0]!, lifecycle: bad }], { written: 'w', writer: 't' });
    assert.throws(
      () => decodeSnapshot(Buffer.from(file)),
      (err: unknown) => err instanceof SnapshotError && /group 1\.lifecycle\.lastFailureMs/.test(err.message),
    );
  });
});
