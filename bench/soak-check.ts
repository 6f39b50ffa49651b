/**
 * The soak's end check: every group's series in a text scrape against the ledger of its last acknowledged
 * operation. A pushed group must hold exactly the series of its last push (values included) and a
 * push_time_seconds between the push being sent and acknowledged; a deleted or never pushed group must be
 * absent.
 */
import { BUCKETS, JOB, SERIES_PER_PUSH, type GroupSlot, type LastOp } from './soak-traffic.js';

interface Sample {
  name: string;
  labels: Map<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`unparsable scrape line: ${line.slice(0, 200)}`);
    const labels = new Map<string, string>();
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels.set(l[1]!, l[2]!);
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The series key without the grouping labels; `le` normalised so `1` and `1.0` compare equal. */
function key(name: string, labels: Iterable<[string, string]>): string {
  const rest = [...labels]
    .filter(([n]) => n !== 'job' && n !== 'g' && n !== 'instance')
    .map(([n, v]) => `${n}=${n === 'le' && v !== '+Inf' ? String(Number(v)) : v}`)
    .sort();
  return `${name}{${rest.join(',')}}`;
}

function expectedSeries(op: Extract<LastOp, { kind: 'push' }>): Map<string, number> {
  const { seq, format } = op;
  const e = new Map<string, number>();
  e.set(key('soak_value', [['format', format]]), seq);
  for (let i = 0; i < SERIES_PER_PUSH; i++) e.set(key('soak_requests_total', [['i', String(i)]]), seq + i);
  for (const [i, le] of BUCKETS.entries())
    e.set(key('soak_latency_seconds_bucket', [['le', String(le)]]), (i + 1) * seq);
  e.set(key('soak_latency_seconds_bucket', [['le', '+Inf']]), 3 * seq);
  e.set(key('soak_latency_seconds_sum', []), seq / 2);
  e.set(key('soak_latency_seconds_count', []), 3 * seq);
  e.set(key('push_failure_time_seconds', []), 0);
  return e;
}

export interface CheckResult {
  checkedPushed: number;
  checkedAbsent: number;
  skipped: number;
  problems: string[];
}

/** Compares a text scrape with the ledger (index = group number). */
export function checkAgainstLedger(
  scrape: string,
  ledger: ReadonlyArray<Pick<GroupSlot, 'last' | 'unknown'>>,
): CheckResult {
  const byGroup = new Map<string, Sample[]>();
  for (const s of parseSamples(scrape)) {
    if (s.labels.get('job') !== JOB) continue;
    const g = s.labels.get('g') ?? '';
    let list = byGroup.get(g);
    if (list === undefined) byGroup.set(g, (list = []));
    list.push(s);
  }
  const result: CheckResult = { checkedPushed: 0, checkedAbsent: 0, skipped: 0, problems: [] };
  const problem = (p: string): void => {
    if (result.problems.length < 20) result.problems.push(p);
  };
  ledger.forEach(({ last: op, unknown }, g) => {
    const samples = byGroup.get(String(g)) ?? [];
    byGroup.delete(String(g));
    if (unknown) {
      result.skipped++;
      return;
    } // its last operation failed
    if (op === undefined || op.kind === 'delete') {
      result.checkedAbsent++;
      if (samples.length > 0)
        problem(
          `group ${g} should be absent (${op === undefined ? 'never pushed' : 'deleted last'}) but has ` +
            `${samples.length} series`,
        );
      return;
    }
    result.checkedPushed++;
    const expected = expectedSeries(op);
    let pushTime: number | undefined;
    for (const s of samples) {
      if (s.name === 'push_time_seconds') {
        pushTime = s.value;
        continue;
      }
      const k = key(s.name, s.labels);
      const want = expected.get(k);
      if (want === undefined)
        problem(`group ${g}: unexpected series ${k} ${s.value} (last push #${op.seq}, ${op.format})`);
      else if (want !== s.value)
        problem(`group ${g}: ${k} is ${s.value}, the last acknowledged push (#${op.seq}, ${op.format}) set ${want}`);
      expected.delete(k);
    }
    for (const k of expected.keys())
      problem(`group ${g}: series ${k} of the last acknowledged push (#${op.seq}, ${op.format}) is missing`);
    if (pushTime === undefined) problem(`group ${g}: no push_time_seconds`);
    else if (pushTime < op.sentAtS - 0.05 || pushTime > op.ackedAtS + 0.05) {
      problem(
        `group ${g}: push_time_seconds ${pushTime} outside the last push's send..ack window ` +
          `${op.sentAtS}..${op.ackedAtS}`,
      );
    }
  });
  for (const [g, samples] of byGroup) problem(`group ${g} is not in the ledger but has ${samples.length} series`);
  return result;
}
