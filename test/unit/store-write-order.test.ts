/**
 * Big writes applied in slices (store.ts pushSliced, write-order.ts): in order with the writes called
 * after them that touch their group or names, all or nothing for readers, and no wait for writes that
 * touch neither. Slices of 0 ms pause at every step, so the interleaving is as fine as it can get.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, SLICED_PUSH_SERIES, type PushRequest } from '../../src/store/store.js';
import { parseText, parseTextSteps } from '../../src/format/text-parse.js';
import { OWN_STRICT_HELP, OWN_TYPES } from '../../src/observe/self-metrics.js';
import { Slicer, runSliced, runSync, sortSteps } from '../../src/slicer.js';
import { FamilyNames } from '../../src/store/family-names.js';
import type { GroupingLabels } from '../../src/model/grouping-key.js';

const BIG = SLICED_PUSH_SERIES * 3;

function newStore(): MemoryStore {
  return new MemoryStore({
    checkConsistency: true,
    utf8Names: false,
    ownTypes: OWN_TYPES,
    ownStrictHelp: OWN_STRICT_HELP,
  });
}

function req(labels: GroupingLabels, body: string, replace = true): PushRequest {
  return { labels, families: parseText(body), replace, timeMs: Date.now() };
}

function bigBody(prefix: string, last = ''): string {
  let body = '';
  for (let i = 0; i < BIG; i++) body += `${prefix}_${i} ${i}\n`;
  return body + last;
}

const fine = (): Slicer => new Slicer(0);

function lines(store: MemoryStore, pattern: RegExp): string[] {
  return store
    .renderText()
    .split('\n')
    .filter((l) => pattern.test(l));
}

describe('sliced writes keep their order', () => {
  it('a push to the same group called after a big push is applied after it', async () => {
    const s = newStore();
    const big = s.pushSliced(req({ job: 'g' }, bigBody('big')), fine());
    const small = s.pushSliced(req({ job: 'g' }, 'only 1\n'), fine());
    assert.equal(await big, undefined);
    assert.equal(await small, undefined);
    assert.deepEqual(lines(s, /^(only|big_)/), ['only{instance="",job="g"} 1']);
  });

  it('a push elsewhere that clashes with a big push called before it is checked after it', async () => {
    const s = newStore();
    const big = s.pushSliced(req({ job: 'a' }, bigBody('big', '# TYPE shared counter\nshared 1\n')), fine());
    const small = s.pushSliced(req({ job: 'b' }, '# TYPE shared gauge\nshared 2\n'), fine());
    assert.equal(await big, undefined);
    const failure = await small;
    assert.ok(failure !== undefined, 'the clashing push was applied before the big push');
    assert.match(failure.message, /shared/);
  });

  it('a family the big push has a summary of holds its _count and _sum for others', async () => {
    const s = newStore();
    const big = s.pushSliced(req({ job: 'a' }, bigBody('big', '# TYPE lat summary\nlat_sum 1\nlat_count 1\n')), fine());
    const small = s.pushSliced(req({ job: 'b' }, 'lat_count 3\n'), fine());
    assert.equal(await big, undefined);
    const failure = await small;
    assert.ok(failure !== undefined);
    assert.match(failure.message, /collides with previously collected summary named "lat"/);
  });

  it('a push that touches neither the group nor the names of a big push does not wait for it', async () => {
    const s = newStore();
    const done: string[] = [];
    const big = s.pushSliced(req({ job: 'a' }, bigBody('big')), fine()).then(() => done.push('big'));
    const small = s.pushSliced(req({ job: 'b' }, 'unrelated 1\n'), fine()).then(() => done.push('small'));
    await Promise.all([big, small]);
    assert.deepEqual(done, ['small', 'big']);
  });

  it('a delete called after a big push of its group, and a wipe called after, see it applied', async () => {
    const s = newStore();
    const big = s.pushSliced(req({ job: 'a' }, bigBody('big')), fine());
    const deleted = s.deleteSliced({ job: 'a' }, fine());
    assert.equal(await big, undefined);
    assert.equal(await deleted, true);
    assert.equal(s.groupCount, 0);
    const again = s.pushSliced(req({ job: 'c' }, bigBody('big')), fine());
    const wiped = s.wipeInOrder();
    assert.equal(await again, undefined);
    assert.equal(await wiped, 1);
    assert.equal(s.groupCount, 0);
  });

  it('a big group deleted in slices leaves nothing behind, and readers wait for the end', async () => {
    const s = newStore();
    assert.equal(s.push(req({ job: 'a' }, bigBody('big'))), undefined);
    assert.equal(s.push(req({ job: 'b' }, 'keep 1\n')), undefined);
    let finished = false;
    const deleting = s.deleteSliced({ job: 'a' }, fine()).then((r) => {
      finished = true;
      return r;
    });
    while (!s.committing && !finished) await new Promise((r) => setImmediate(r));
    assert.equal(s.committing, true, 'the delete was not sliced');
    const seen = s.settled().then(() => lines(s, /^(big_|keep)/));
    assert.equal(await deleting, true);
    assert.deepEqual(await seen, ['keep{instance="",job="b"} 1']);
    assert.deepEqual(
      s.familyNames().filter((n) => n.startsWith('big_')),
      [],
    );
  });

  it('a scrape rendered in slices during a big replacing push shows one state of the group', async () => {
    const s = newStore();
    assert.equal(s.push(req({ job: 'a' }, bigBody('old'))), undefined);
    const pushing = s.pushSliced(req({ job: 'a' }, bigBody('new')), fine());
    const views: Array<[number, number]> = [];
    while (views.length < 20) {
      const exposition = await s.expositionAsync(fine());
      const names = exposition.names;
      views.push([names.filter((n) => n.startsWith('old_')).length, names.filter((n) => n.startsWith('new_')).length]);
    }
    assert.equal(await pushing, undefined);
    for (const [olds, news] of views)
      assert.ok((olds === BIG && news === 0) || (olds === 0 && news === BIG), `${olds} old, ${news} new`);
  });

  it('a scrape walked in slices while small pushes keep coming ends, and shows the store as it is then', async () => {
    const s = newStore();
    assert.equal(s.push(req({ job: 'a' }, bigBody('big'))), undefined);
    let finished = false;
    const walking = s.expositionAsync(fine()).then((e) => {
      finished = true;
      return e;
    });
    let pushes = 0;
    while (!finished) {
      const small = req({ job: 'small', instance: `i${pushes % 7}` }, `small_${pushes % 5} ${pushes}\n`);
      assert.equal(s.push(small), undefined);
      pushes++;
      await new Promise((r) => setImmediate(r));
    }
    const exposition = await walking;
    assert.ok(pushes > 1, 'no push landed while the scrape was walked');
    assert.deepEqual(exposition.names, s.familyNames());
    const text = (pieces: readonly { text: Buffer }[]): string =>
      Buffer.concat(pieces.map((p) => p.text)).toString('utf8');
    for (let i = 0; i < exposition.names.length; i++) {
      const name = exposition.names[i]!;
      assert.equal(text(exposition.pieces[i]!), text(s.familyIndex(name)!.pieces()), name);
    }
  });

  it('a big push that fails its check changes nothing but the failure time', async () => {
    const s = newStore();
    assert.equal(s.push(req({ job: 'seed' }, '# TYPE clash gauge\nclash 1\n')), undefined);
    const pushed = (): string[] =>
      s
        .renderText()
        .split('\n')
        .filter((l) => !/^(# [A-Z]+ )?push_/.test(l));
    const before = pushed();
    const failure = await s.pushSliced(
      req({ job: 'other' }, bigBody('big', '# TYPE clash counter\nclash 2\n')),
      fine(),
    );
    assert.ok(failure !== undefined);
    assert.match(failure.message, /clash/);
    assert.deepEqual(pushed(), before);
    assert.match(s.renderText(), /^push_failure_time_seconds\{instance="",job="other"\} [1-9]/m);
  });
});

describe('slicing helpers', () => {
  it('sortSteps sorts like Array.prototype.sort, stably, paused at every step', async () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (const n of [0, 1, 5000, 4096 * 5 + 17]) {
      const items = Array.from({ length: n }, (_, i) => ({ key: rand() % 1000, i }));
      const expected = items.slice().sort((a, b) => a.key - b.key);
      const sorted = await runSliced(
        sortSteps(items.slice(), (a, b) => a.key - b.key),
        fine(),
      );
      assert.deepEqual(sorted, expected);
    }
  });

  it('family names stay sorted through adds, removes and interleaved readers', async () => {
    const present = new Set<string>();
    const names = new FamilyNames();
    const has = (n: string): boolean => present.has(n);
    const add = (n: string): void => {
      if (!present.has(n)) {
        present.add(n);
        names.add(n);
      }
    };
    const remove = (n: string): void => {
      if (present.delete(n)) names.remove();
    };
    for (let i = 0; i < 20000; i++) add(`n${(i * 7919) % 20000}`);
    const slow = runSliced(names.steps(has), fine());
    add('zz_late');
    remove('n5');
    add('n5');
    remove('n7');
    assert.deepEqual(names.get(has), [...present].sort());
    await slow;
    add('aa_first');
    assert.deepEqual(names.get(has), [...present].sort());
  });

  it('the text parser gives the same families sliced and in one go', async () => {
    const body = bigBody('m', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n');
    const oneGo = runSync(parseTextSteps(body));
    const sliced = await runSliced(parseTextSteps(body), fine());
    assert.deepEqual(sliced, oneGo);
  });
});
