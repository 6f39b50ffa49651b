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
import { groupIdFor, type GroupingLabels } from '../../src/model/grouping-key.js';

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

/** A write to replay: grouping labels, text body, push time. */
type Write = [GroupingLabels, string, number];

const writeReq = ([labels, body, timeMs]: Write): PushRequest => ({
  labels,
  families: parseText(body),
  replace: true,
  timeMs,
});

/** The text of a fresh store after these writes. */
function replayed(writes: readonly Write[]): string {
  const r = newStore();
  for (const w of writes) assert.equal(r.push(writeReq(w)), undefined);
  return r.renderText();
}

const expositionText = (e: { pieces: readonly (readonly { text: Buffer }[])[] }): string =>
  Buffer.concat(e.pieces.flat().map((p) => p.text)).toString('utf8');

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
    // Every write, to replay them: the store the scrape shows must be the one after some prefix of them.
    const writes: Write[] = [[{ job: 'a' }, bigBody('big'), Date.now()]];
    assert.equal(s.push(writeReq(writes[0]!)), undefined);
    let finished = false;
    const walking = s.expositionAsync(fine()).then((e) => {
      finished = true;
      return e;
    });
    let pushes = 0;
    while (!finished) {
      const w: Write = [{ job: 'small', instance: `i${pushes % 7}` }, `small_${pushes % 5} ${pushes}\n`, Date.now()];
      writes.push(w);
      // As the HTTP path writes (in the write order): the walk's last round holds such writes off.
      assert.equal(await s.pushSliced(writeReq(w)), undefined);
      pushes++;
      await new Promise((r) => setImmediate(r));
    }
    const exposition = await walking;
    assert.ok(pushes > 1, 'no push landed while the scrape was walked');
    const text = expositionText(exposition);
    // The pushes were made one at a time: when the walk ended, only the last one can have been in flight.
    if (text !== replayed(writes)) assert.equal(text, replayed(writes.slice(0, -1)), 'not a state the store was in');
    assert.deepEqual(exposition.names, s.familyNames());
  });

  it('a scrape ends while new groups keep joining a big family: writes wait, the event loop does not', async () => {
    const s = newStore();
    let body = '';
    for (let i = 0; i < BIG; i++) body += `big_0{i="${i}"} ${i}\n`;
    const writes: Write[] = [[{ job: 'a' }, body, Date.now()]];
    assert.equal(s.push(writeReq(writes[0]!)), undefined);
    // Each push adds a group to the big family, so it must be sorted and laid out again, in slices that
    // the next push spoils: after a few tries the walk holds writes off and lays it out, still in slices.
    // (It used to lay it out in one go, or with pauses at every step, never end while the pushes came.)
    let finished = false;
    const walking = s.expositionAsync(fine()).then((e) => {
      finished = true;
      return e;
    });
    let turnsHeld = 0;
    while (!finished && writes.length < 2_000) {
      const i = writes.length;
      const w: Write = [{ job: 'join', instance: `j${i}` }, `big_0{i="j${i}"} ${i}\n`, Date.now()];
      writes.push(w);
      let landed = false;
      const pushing = s.pushSliced(writeReq(w)).then(() => {
        landed = true;
      });
      // Turns of the event loop while this push waits and the walk goes on.
      for (;;) {
        await new Promise((r) => setImmediate(r));
        if (landed || finished) break;
        turnsHeld++;
      }
      await pushing;
    }
    assert.ok(finished, `the scrape did not end during ${writes.length - 1} pushes`);
    const exposition = await walking;
    assert.ok(turnsHeld > 0, `no push waited for the walk while the event loop turned (${writes.length - 1} pushes)`);
    const text = expositionText(exposition);
    if (text !== replayed(writes)) assert.equal(text, replayed(writes.slice(0, -1)), 'not a state the store was in');
  });

  it('a batch delete (expiry) runs in slices, before the writes called after it', async () => {
    const s = newStore();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      assert.equal(s.push(req({ job: 'x', instance: `e${i}` }, 'm_a 1\nm_b 2\n')), undefined);
      ids.push(groupIdFor({ job: 'x', instance: `e${i}` }));
    }
    let turns = 0;
    let deleting = true;
    const ticking = (async () => {
      while (deleting) {
        await new Promise((r) => setImmediate(r));
        turns++;
      }
    })();
    const asked: number[] = [];
    const deleted = s.deleteMany(
      ids,
      (i) => {
        asked.push(i);
        return i !== 7;
      },
      fine(),
    );
    // Called after the batch: it re-creates a group of the batch, and must not be deleted by it.
    const again = s.pushSliced(req({ job: 'x', instance: 'e3' }, 'm_a 3\n'));
    const done = await deleted;
    deleting = false;
    await ticking;
    assert.equal(await again, undefined);
    assert.ok(turns > 0, 'the event loop never turned during the batch');
    assert.deepEqual(
      asked,
      ids.map((_, i) => i),
    );
    assert.deepEqual(
      done,
      ids.map((_, i) => i !== 7),
    );
    assert.deepEqual(
      s
        .renderText()
        .split('\n')
        .filter((l) => l.startsWith('m_a{')),
      ['m_a{instance="e3",job="x"} 3', 'm_a{instance="e7",job="x"} 1'],
    );
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
