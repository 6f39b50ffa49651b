/**
 * The soak's verdicts (bench/soak-check.ts, bench/soak-curve.ts) must fail when they should: a group that
 * lost its last acknowledged push, kept a deleted one, or a resource curve that keeps growing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstLedger } from '../../bench/soak-check.js';
import { judgeFlat } from '../../bench/soak-curve.js';
import type { LastOp } from '../../bench/soak-traffic.js';

const pushed = (seq: number): LastOp => ({ kind: 'push', seq, format: 'text', sentAtS: 100, ackedAtS: 101 });

/** The scrape lines group `g` holds after push `seq` (text format), optionally with one line changed. */
function groupLines(g: number, seq: number, pushTime = 100.5): string[] {
  const l = (extra: string) => `{${extra}${extra === '' ? '' : ','}g="${g}",instance="",job="soak"}`;
  return [
    `push_failure_time_seconds${l('')} 0`,
    `push_time_seconds${l('')} ${pushTime}`,
    `soak_latency_seconds_bucket${l('le="0.1"')} ${seq}`,
    `soak_latency_seconds_bucket${l('le="1"')} ${2 * seq}`,
    `soak_latency_seconds_bucket${l('le="10"')} ${3 * seq}`,
    `soak_latency_seconds_bucket${l('le="+Inf"')} ${3 * seq}`,
    `soak_latency_seconds_sum${l('')} ${seq / 2}`,
    `soak_latency_seconds_count${l('')} ${3 * seq}`,
    ...Array.from({ length: 10 }, (_, i) => `soak_requests_total${l(`i="${i}"`)} ${seq + i}`),
    `soak_value${l('format="text"')} ${seq}`,
  ];
}

const OWN = ['# TYPE pushgateway_build_info gauge', 'pushgateway_build_info{branch="",goversion="v20 \\"x\\""} 1'];

describe('soak end check', () => {
  it('passes when every group holds its last acknowledged push and deleted groups are absent', () => {
    const scrape = `${[...OWN, ...groupLines(0, 7), ...groupLines(2, 3)].join('\n')}\n`;
    const r = checkAgainstLedger(scrape, [
      { last: pushed(7), unknown: false },
      { last: { kind: 'delete' }, unknown: false },
      { last: pushed(3), unknown: false },
      { unknown: false },
    ]);
    assert.deepEqual(r, { checkedPushed: 2, checkedAbsent: 2, skipped: 0, problems: [] });
  });

  it(
    'reports an older value, a missing series, a deleted group still present and a push time outside the ' + 'window',
    () => {
      const older = groupLines(0, 6);
      const missing = groupLines(1, 5).filter((l) => !l.startsWith('soak_value'));
      const scrape = [...older, ...missing, ...groupLines(2, 1), ...groupLines(3, 4, 99)].join('\n');
      const r = checkAgainstLedger(scrape, [
        { last: pushed(7), unknown: false },
        { last: pushed(5), unknown: false },
        { last: { kind: 'delete' }, unknown: false },
        { last: pushed(4), unknown: false },
      ]);
      assert.equal(r.problems.filter((p) => p.startsWith('group 0: soak_value{format=text} is 6')).length, 1);
      assert.ok(
        r.problems.some((p) => p.startsWith('group 1: series soak_value{format=text} of the last acknowledged push')),
      );
      assert.ok(r.problems.some((p) => p.startsWith('group 2 should be absent (deleted last)')));
      assert.ok(r.problems.some((p) => p.startsWith('group 3: push_time_seconds 99 outside')));
    },
  );

  it('skips groups whose last operation failed', () => {
    const r = checkAgainstLedger(groupLines(0, 1).join('\n'), [{ last: pushed(2), unknown: true }]);
    assert.deepEqual(r, { checkedPushed: 0, checkedAbsent: 0, skipped: 1, problems: [] });
  });
});

describe('soak curve verdict', () => {
  const id = (v: number) => String(v);
  it('a curve that levels off after warm-up is flat', () => {
    assert.equal(judgeFlat('x', [10, 50, 90, 100, 98, 101, 99, 100, 102], 0.1, 0, id).flat, true);
  });
  it('a curve that keeps growing is not', () => {
    assert.equal(judgeFlat('x', [10, 20, 30, 40, 50, 60, 70, 80, 90], 0.1, 0, id).flat, false);
  });
  it('too few samples are not judged flat', () => {
    assert.equal(judgeFlat('x', [1, 1, 1], 0.1, 0, id).flat, false);
  });
});
