/**
 * The lifecycle state and expiry of issue 12 on a real MemoryStore with an injected clock (no timers):
 * TTL from the flag or the header (0 = never), a failed push that does not extend a group's life, a failed
 * push that creates a group giving it what it declared, expiry passing over a group with a push in flight,
 * up/overdue from the interval and grace, deletes and wipes dropping state only for groups that are gone,
 * persistence records round-tripping, and the due queue holding only groups that have an expiry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/store/store.js';
import { OWN_TYPES } from '../../src/observe/self-metrics.js';
import { GroupLifecycle } from '../../src/lifecycle/group-lifecycle.js';
import { Expiry, groupingKeyText } from '../../src/lifecycle/expiry.js';
import { applyExpire } from '../../src/lifecycle/expire-write.js';
import { parsePushLifecycle } from '../../src/lifecycle/push-headers.js';
import { GroupUp } from '../../src/lifecycle/group-up.js';
import { createLogger } from '../../src/observe/logger.js';
import { groupIdFor, type GroupingLabels } from '../../src/model/grouping-key.js';
import { parseTextBody } from '../../src/format/text-body.js';
import { LifecycleHeaderError } from '../../src/errors.js';
import type { PushLifecycle } from '../../src/lifecycle/push-headers.js';

function setup(defaultTtlMs = 0, upGrace = 2, ready: () => boolean = () => true) {
  let clock = 1_000_000;
  const store = new MemoryStore({ checkConsistency: true, utf8Names: false, ownTypes: OWN_TYPES });
  const lifecycle = new GroupLifecycle(store, { defaultTtlMs, upGrace, now: () => clock });
  let counted = 0;
  const expiry = new Expiry(lifecycle, {
    expire: (items) => applyExpire(store, lifecycle, items),
    logger: createLogger({ level: 'error', format: 'logfmt' }),
    counted: (n) => {
      counted += n;
    },
    timers: false,
    ready,
  });
  const push = (labels: GroupingLabels, body: string, declared: PushLifecycle = {}): boolean => {
    // As LocalWriter does: the lifecycle follows the applied push, whose request carries what it declared.
    const id = lifecycle.pushStarting(labels, declared);
    const req = {
      labels,
      families: parseTextBody(Buffer.from(`${body}\n`), { utf8Names: false }),
      replace: true,
      timeMs: clock,
      lifecycle: declared,
    };
    const failure = store.push(req);
    lifecycle.applied(req, failure === undefined);
    if (id !== undefined) lifecycle.pushSettled(id);
    return failure === undefined;
  };
  return {
    store,
    lifecycle,
    expiry,
    push,
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
    counted: () => counted,
  };
}

const A = { job: 'a' };
const B = { job: 'b', instance: 'i' };

test('the headers parse as Go durations: 0 TTL = never, bad values refused naming the header', () => {
  assert.deepEqual(parsePushLifecycle({}), {});
  assert.deepEqual(parsePushLifecycle({ 'x-pushgateway-ttl': '1m30s', 'x-pushgateway-interval': '500ms' }), {
    ttlMs: 90_000,
    intervalMs: 500,
  });
  assert.deepEqual(parsePushLifecycle({ 'x-pushgateway-ttl': '0' }), { ttlMs: 0 });
  for (const [h, v, re] of [
    ['x-pushgateway-ttl', '5', /X-Pushgateway-TTL.*missing unit/],
    ['x-pushgateway-ttl', '-1s', /X-Pushgateway-TTL.*negative/],
    ['x-pushgateway-ttl', 'soon', /X-Pushgateway-TTL/],
    ['x-pushgateway-interval', '0', /X-Pushgateway-Interval.*above 0/],
  ] as const) {
    assert.throws(
      () => parsePushLifecycle({ [h]: v }),
      (err: unknown) => err instanceof LifecycleHeaderError && err.status === 400 && re.test(err.message),
    );
  }
});

test('without a flag or a header nothing is kept and nothing is due', async () => {
  const t = setup();
  assert.equal(t.lifecycle.pushStarting(A, {}), undefined);
  t.push(A, 'x 1');
  assert.equal(t.lifecycle.size, 0);
  assert.equal(t.expiry.scheduled, 0);
  t.advance(10 ** 9);
  await t.expiry.runDue();
  assert.equal(t.store.groupCount, 1);
});

test('--push.group-ttl expires a group at its last successful push + TTL, to the millisecond', async () => {
  const t = setup(30_000);
  t.push(A, 'x 1');
  t.advance(20_000);
  t.push(A, 'x 2'); // restarts the clock
  t.advance(29_999);
  await t.expiry.runDue();
  assert.equal(t.store.groupCount, 1);
  assert.equal(t.expiry.nextDue(), t.now() + 1);
  t.advance(1);
  await t.expiry.runDue();
  assert.equal(t.store.groupCount, 0);
  assert.equal(t.counted(), 1);
  assert.equal(t.lifecycle.size, 0);
});

test('X-Pushgateway-TTL overrides the flag per group; 0 means never; the last successful push sets it', async () => {
  const t = setup(10_000);
  t.push(A, 'x 1', { ttlMs: 0 });
  t.push(B, 'x 1', { ttlMs: 60_000 });
  t.advance(11_000);
  await t.expiry.runDue();
  assert.equal(t.store.groupCount, 2);
  t.push(A, 'x 1'); // no header: back to the flag's 10s
  t.advance(10_000);
  await t.expiry.runDue();
  assert.equal(t.store.getGroup(A), undefined);
  assert.notEqual(t.store.getGroup(B), undefined);
  t.advance(40_000);
  await t.expiry.runDue();
  assert.equal(t.store.groupCount, 0);
  assert.equal(t.counted(), 2);
});

test('a failed push creating a group gives it the TTL it declared, counted from the failure', async () => {
  const t = setup();
  t.push(B, '# TYPE x counter\nx 1');
  const C = { job: 'c' };
  assert.equal(t.push(C, '# TYPE x gauge\nx 1', { ttlMs: 1_000 }), false);
  assert.notEqual(t.store.getGroup(C), undefined, 'the reference keeps a group holding the failure time');
  assert.equal(t.lifecycle.stateOf(C)?.ttlMs, 1_000);
  assert.equal(t.lifecycle.stateOf(C)?.lastSuccessMs, 0);
  t.advance(1_000);
  await t.expiry.runDue();
  assert.equal(t.store.getGroup(C), undefined);
  assert.notEqual(t.store.getGroup(B), undefined);
});

test('a failed push to a group with a TTL records the failure and keeps the expiry', async () => {
  const t = setup();
  t.push(A, '# TYPE x counter\nx 1', { ttlMs: 5_000 });
  t.push(B, '# TYPE y gauge\ny 1', { ttlMs: 5_000, intervalMs: 1_000 });
  t.advance(1_000);
  // y as a counter in group A clashes with B's gauge y: A's push fails.
  assert.equal(t.push(A, '# TYPE y counter\ny 1', { ttlMs: 60_000 }), false);
  const s = t.lifecycle.stateOf(A)!;
  assert.equal(s.ttlMs, 5_000);
  assert.equal(s.lastFailureMs, t.now());
  t.advance(4_000);
  await t.expiry.runDue();
  assert.equal(t.store.getGroup(A), undefined);
});

test('expiry waits while the writer is not ready (a mirror catching up), then expires', async () => {
  let ready = false;
  const t = setup(1_000, 2, () => ready);
  t.push(A, 'x 1');
  t.advance(1_000);
  await t.expiry.runDue();
  assert.notEqual(t.store.getGroup(A), undefined, 'kept while not ready');
  assert.equal(t.expiry.scheduled, 1, 'still scheduled');
  ready = true;
  await t.expiry.runDue();
  assert.equal(t.store.getGroup(A), undefined);
  assert.equal(t.counted(), 1);
});

test('a group with a push in flight is passed over; the push decides', async () => {
  const t = setup(1_000);
  t.push(A, 'x 1');
  t.advance(1_000);
  const id = t.lifecycle.pushStarting(A, {})!;
  await t.expiry.runDue();
  assert.notEqual(t.store.getGroup(A), undefined, 'held back by the push in flight');
  // The push fails (never answered): the old expiry stands and the group goes at the next run.
  t.lifecycle.pushSettled(id);
  await t.expiry.runDue();
  assert.equal(t.store.getGroup(A), undefined);
});

test('up: 1 while the last push succeeded within grace × interval, else 0; overdue when late', () => {
  const t = setup(0, 2);
  t.push(A, '# TYPE x gauge\nx 1', { intervalMs: 10_000 });
  t.push(B, 'z 1');
  const up = new GroupUp(t.lifecycle);
  assert.deepEqual(
    up.collect(t.now())[0]!.metrics.map((m) => [m.labels, m.value]),
    [
      [
        [
          { name: 'instance', value: '' },
          { name: 'job', value: 'a' },
        ],
        1,
      ],
    ],
    'only the group that declared an interval, with instance=""',
  );
  t.advance(19_999);
  assert.equal(t.lifecycle.up(t.lifecycle.stateOf(A), t.now()), true);
  assert.equal(t.lifecycle.overdue(t.lifecycle.stateOf(A), t.now()), false);
  t.advance(1);
  assert.equal(up.collect(t.now())[0]!.metrics[0]!.value, 0);
  assert.equal(t.lifecycle.overdue(t.lifecycle.stateOf(A), t.now()), true);
  t.push(A, '# TYPE x gauge\nx 2', { intervalMs: 10_000 });
  assert.equal(up.collect(t.now())[0]!.metrics[0]!.value, 1);
  // A failing push makes it 0 at once.
  t.push({ job: 'd' }, '# TYPE q gauge\nq 1');
  t.advance(1);
  assert.equal(t.push(A, '# TYPE q counter\nq 1', { intervalMs: 10_000 }), false);
  assert.equal(t.lifecycle.up(t.lifecycle.stateOf(A), t.now()), false);
  // Pushed again without the header: no series.
  t.push(A, '# TYPE x gauge\nx 4');
  assert.deepEqual(up.collect(t.now()), []);
});

test('a delete or wipe drops the state of groups that are gone, not of groups pushed again', async () => {
  const t = setup(1_000);
  t.push(A, 'x 1');
  t.push(B, 'x 1');
  t.store.deleteGroup(A);
  t.lifecycle.removed(A);
  assert.equal(t.lifecycle.stateOf(A), undefined);
  t.store.deleteGroup(B);
  t.push(B, 'x 1'); // pushed again before the delete's answer was handled
  t.lifecycle.removed(B);
  assert.notEqual(t.lifecycle.stateOf(B), undefined);
  t.store.wipe();
  t.lifecycle.wiped();
  assert.equal(t.lifecycle.size, 0);
  assert.equal(t.expiry.scheduled, 0);
});

test('records round-trip; groups without one get the flag TTL from their push time at restore', async () => {
  const t = setup(10_000);
  t.push(A, 'x 1', { ttlMs: 60_000, intervalMs: 5_000 });
  t.push(B, 'x 1');
  const rec = t.lifecycle.recordOf(A)!;
  assert.deepEqual(rec, {
    lastSuccessMs: t.now(),
    lastFailureMs: 0,
    sinceMs: t.now(),
    ttlMs: 60_000,
    intervalMs: 5_000,
  });
  const t2 = setup(10_000);
  t2.store.restore(t.store.exportState());
  t2.advance(10_000);
  t2.lifecycle.restore(new Map([[groupIdFor(A), rec]]));
  assert.equal(t2.lifecycle.expiresAt(t2.lifecycle.stateOf(A)), rec.sinceMs + 60_000);
  // B had no record: its push_time_seconds + the flag's 10s, which is now: expired at start.
  await t2.expiry.runDue();
  assert.equal(t2.store.getGroup(B), undefined);
  assert.notEqual(t2.store.getGroup(A), undefined);
});

test('many groups due together expire in batches; groups not due stay queued', async () => {
  const t = setup();
  for (let i = 0; i < 2_000; i++) t.push({ job: `j${i}` }, 'x 1', { ttlMs: i < 1_000 ? 1_000 : 3_600_000 });
  t.advance(1_000);
  await t.expiry.runDue();
  assert.equal(t.store.groupCount, 1_000);
  assert.equal(t.counted(), 1_000);
  assert.equal(t.expiry.scheduled, 1_000);
  assert.equal(groupingKeyText({ job: 'x', instance: 'a"b' }), '{instance="a\\"b", job="x"}');
});
