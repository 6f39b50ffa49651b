/**
 * The in-process fuzz run over every target: the inputs (or seconds) are shared out by the targets'
 * weights, and the figures of each target are printed as one table, with the slowest inputs and every
 * finding. Used by the `npm run fuzz` runner (run.ts) and by the short run in `npm test`.
 */
import { loadCorpus } from './seeds.js';
import { runTarget, SLOW_LIMIT_MS, type Finding, type TargetStats } from './harness.js';
import type { AnyTarget } from './target.js';
import { textTarget } from './targets/text.js';
import { protobufTarget } from './targets/protobuf.js';
import { groupingKeyTarget } from './targets/grouping-key.js';
import { routerTarget } from './targets/router.js';
import { bodyTarget } from './targets/body.js';
import { negotiateTarget } from './targets/negotiate.js';

export const TARGETS: readonly AnyTarget[] = [
  textTarget,
  protobufTarget,
  groupingKeyTarget,
  routerTarget,
  bodyTarget,
  negotiateTarget,
];

export interface FuzzOptions {
  seed: number;
  /** Total inputs over all targets (shared by weight). */
  inputs: number;
  /** Total seconds over all targets (shared by weight); the run stops at whichever limit comes first. */
  seconds: number;
  targets?: readonly string[];
  save?: boolean;
  log?: (line: string) => void;
}

export function selectTargets(names: readonly string[] | undefined): AnyTarget[] {
  if (names === undefined || names.length === 0) return [...TARGETS];
  return names.map((n) => {
    const t = TARGETS.find((x) => x.name === n);
    if (t === undefined) throw new Error(`unknown target ${n} (targets: ${TARGETS.map((x) => x.name).join(', ')})`);
    return t;
  });
}

let initialised = false;

export function initTargets(): void {
  if (initialised) return;
  const corpus = loadCorpus();
  for (const t of TARGETS) t.init(corpus);
  initialised = true;
}

export async function runFuzz(o: FuzzOptions): Promise<TargetStats[]> {
  initTargets();
  const targets = selectTargets(o.targets);
  const weight = targets.reduce((s, t) => s + t.weight, 0);
  const all: TargetStats[] = [];
  for (const t of targets) {
    const share = t.weight / weight;
    const stats = await runTarget(t, {
      seed: o.seed,
      inputs: Math.ceil(o.inputs * share),
      seconds: o.seconds * share,
      save: o.save ?? true,
    });
    o.log?.(
      `  ${t.name}: ${stats.inputs} inputs in ${stats.seconds.toFixed(1)} s, ${stats.findings.size} kinds of finding`,
    );
    all.push(stats);
  }
  return all;
}

/** Kinds of finding counted: all by default; a test leaves out 'slow', a wall-clock verdict. */
export function findingCount(
  stats: readonly TargetStats[],
  kinds: ReadonlySet<Finding['kind']> = new Set(['crash', 'property', 'slow']),
): number {
  let n = 0;
  for (const t of stats) for (const { first } of t.findings.values()) if (kinds.has(first.kind)) n++;
  return n;
}

function pad(s: string | number, n: number): string {
  return String(s).padStart(n);
}

/** The figures of a run as text: one row per target, the slowest inputs, and the findings. */
export function formatReport(stats: readonly TargetStats[], seed: number): string {
  const lines: string[] = [];
  lines.push(`seed ${seed}`, '');
  lines.push(
    `${'target'.padEnd(14)}${pad('inputs', 10)}${pad('accepted', 10)}${pad('rejected', 10)}` +
      `${pad('findings', 10)}${pad('seconds', 9)}${pad('inputs/s', 10)}  slowest (ms @ bytes)`,
  );
  let total = 0;
  for (const s of stats) {
    total += s.inputs;
    const slow = s.slowest
      .slice(0, 3)
      .map((x) => `${x.ms.toFixed(1)} @ ${x.size}`)
      .join(', ');
    const findings = [...s.findings.values()].reduce((n, f) => n + f.count, 0);
    lines.push(
      `${s.target.padEnd(14)}${pad(s.inputs, 10)}${pad(s.accepted, 10)}${pad(s.rejected, 10)}${pad(findings, 10)}` +
        `${pad(s.seconds.toFixed(1), 9)}${pad(Math.round(s.inputs / Math.max(s.seconds, 1e-9)), 10)}  ${slow}`,
    );
  }
  lines.push(`${'total'.padEnd(14)}${pad(total, 10)}`, '');
  for (const s of stats) {
    const codes = [...s.rejectedByCode].map(([c, n]) => `${c} ${n}`).join(', ');
    if (codes !== '') lines.push(`${s.target} rejections: ${codes}`);
  }
  lines.push('', `slowest inputs (limit ${SLOW_LIMIT_MS} ms; replay with --target=T --seed=${seed} --index=I):`);
  for (const s of stats) {
    for (const x of s.slowest)
      lines.push(
        `  ${s.target.padEnd(13)} index ${pad(x.index, 8)}  ${pad(x.ms.toFixed(2), 9)} ms  ${pad(x.size, 8)} bytes`,
      );
  }
  const n = findingCount(stats);
  lines.push('', n === 0 ? 'no findings' : `${n} kind(s) of finding:`);
  for (const s of stats) {
    for (const [sig, { count, first }] of s.findings) {
      lines.push(`  [${first.kind}] ${s.target} ×${count}: ${first.message.split('\n')[0]!.slice(0, 200)}`);
      lines.push(
        `      first: --target=${s.target} --seed=${first.seed} --index=${first.index} (${first.size} bytes, ` +
          `${first.ms.toFixed(1)} ms)${first.file === undefined ? '' : ` saved ${first.file}`}`,
      );
      lines.push(`      where: ${sig.split(' | ')[2] || '-'}`);
    }
  }
  return lines.join('\n');
}
