/**
 * Runs one target over many inputs and keeps the figures: inputs, accepted, rejected (by catalogued
 * error code), the slowest inputs, and findings. A finding is a non-catalogued exception (a crash), a
 * property of an accepted output that does not hold, or an input whose processing took longer than the
 * limit in each of three tries (one slow try on a shared machine may be the collector or a neighbour).
 * The first few inputs of each kind of finding are saved under .tmp/fuzz-findings/ with the command
 * that replays them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../src/errors.js';
import { PROJECT_ROOT } from '../test/helpers/servers.js';
import { Rng } from './prng.js';
import type { AnyTarget } from './target.js';

export const FINDINGS_DIR = join(PROJECT_ROOT, '.tmp/fuzz-findings');
export const SLOW_LIMIT_MS = 100;
const SAVED_PER_SIGNATURE = 3;
const SLOWEST_KEPT = 5;

export interface Finding {
  kind: 'crash' | 'property' | 'slow';
  target: string;
  seed: number;
  index: number;
  message: string;
  stack: string;
  size: number;
  ms: number;
  file?: string;
}

export interface SlowInput {
  index: number;
  ms: number;
  size: number;
}

export interface TargetStats {
  target: string;
  inputs: number;
  accepted: number;
  rejected: number;
  rejectedByCode: Map<string, number>;
  slowest: SlowInput[];
  /** Findings by signature (kind, error and place), each with how often it was hit. */
  findings: Map<string, { count: number; first: Finding }>;
  seconds: number;
}

export interface RunLimits {
  seed: number;
  /** Stop after this many inputs (starting at `startIndex`)… */
  inputs: number;
  /** …or after this many seconds, whichever comes first. */
  seconds: number;
  startIndex?: number;
  save?: boolean;
}

type Outcome = { verdict: 'accepted' | 'rejected'; code?: string; output?: unknown } | { crash: unknown };

async function execOnce(target: AnyTarget, input: unknown): Promise<[Outcome, number]> {
  const t0 = performance.now();
  try {
    const output: unknown = await target.exec(input);
    return [{ verdict: 'accepted', output }, performance.now() - t0];
  } catch (err) {
    const ms = performance.now() - t0;
    if (err instanceof GatewayError) return [{ verdict: 'rejected', code: err.code }, ms];
    return [{ crash: err }, ms];
  }
}

function describeError(err: unknown): { message: string; stack: string } {
  if (err instanceof Error) return { message: `${err.name}: ${err.message}`, stack: err.stack ?? String(err) };
  return { message: `non-Error thrown: ${String(err)}`, stack: '' };
}

/** What makes two findings the same bug: kind, error class, message shape, and first project frame. */
function signature(f: Finding): string {
  const firstLine = f.message.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 120);
  const frame =
    f.stack
      .split('\n')
      .find((l) => /\/(src|fuzz)\//.test(l))
      ?.trim()
      .replace(/:\d+:\d+\)?$/, '') ?? '';
  return `${f.kind} | ${f.kind === 'slow' ? '' : firstLine} | ${frame}`;
}

function save(target: AnyTarget, input: unknown, f: Finding): string {
  mkdirSync(FINDINGS_DIR, { recursive: true });
  const base = join(FINDINGS_DIR, `${f.target}-s${f.seed}-i${f.index}-${f.kind}`);
  const { bytes, note } = target.save(input);
  writeFileSync(`${base}.bin`, bytes);
  writeFileSync(
    `${base}.txt`,
    [
      `${f.kind} in target ${f.target}: ${f.message}`,
      `input: ${base}.bin (${note}, ${f.size} bytes); took ${f.ms.toFixed(1)} ms`,
      `replay: npm run fuzz -- --target=${f.target} --seed=${f.seed} --index=${f.index}`,
      '',
      f.stack,
      '',
    ].join('\n'),
  );
  return `${base}.bin`;
}

export function emptyStats(target: string): TargetStats {
  return {
    target,
    inputs: 0,
    accepted: 0,
    rejected: 0,
    rejectedByCode: new Map(),
    slowest: [],
    findings: new Map(),
    seconds: 0,
  };
}

function record(stats: TargetStats, target: AnyTarget, input: unknown, f: Finding, doSave: boolean): void {
  const sig = signature(f);
  const known = stats.findings.get(sig);
  if (known !== undefined) {
    known.count++;
    if (doSave && known.count <= SAVED_PER_SIGNATURE) save(target, input, f);
    return;
  }
  if (doSave) f.file = save(target, input, f);
  stats.findings.set(sig, { count: 1, first: f });
}

function keepSlowest(stats: TargetStats, s: SlowInput): void {
  if (stats.slowest.length === SLOWEST_KEPT && s.ms <= stats.slowest[SLOWEST_KEPT - 1]!.ms) return;
  stats.slowest.push(s);
  stats.slowest.sort((a, b) => b.ms - a.ms);
  if (stats.slowest.length > SLOWEST_KEPT) stats.slowest.pop();
}

/** Runs input `index` of `target` for `seed` and records what happened into `stats`. */
export async function runOne(
  target: AnyTarget,
  seed: number,
  index: number,
  stats: TargetStats,
  doSave = true,
): Promise<void> {
  const input: unknown = target.generate(new Rng(seed, target.name, index));
  const size = target.size(input);
  let [outcome, ms] = await execOnce(target, input);
  if (ms > SLOW_LIMIT_MS) {
    // Slow once may be the machine; slow three times is the input.
    for (let k = 0; k < 2 && ms > SLOW_LIMIT_MS; k++) ms = Math.min(ms, (await execOnce(target, input))[1]);
  }
  stats.inputs++;
  keepSlowest(stats, { index, ms, size });
  const base = { target: target.name, seed, index, size, ms };
  if (ms > SLOW_LIMIT_MS) {
    record(
      stats,
      target,
      input,
      {
        ...base,
        kind: 'slow',
        message: `took ${ms.toFixed(1)} ms (limit ${SLOW_LIMIT_MS} ms) for ${size} bytes`,
        stack: '',
      },
      doSave,
    );
  }
  if ('crash' in outcome) {
    record(stats, target, input, { ...base, kind: 'crash', ...describeError(outcome.crash) }, doSave);
    return;
  }
  if (outcome.verdict === 'rejected') {
    stats.rejected++;
    stats.rejectedByCode.set(outcome.code!, (stats.rejectedByCode.get(outcome.code!) ?? 0) + 1);
    return;
  }
  stats.accepted++;
  try {
    await target.check(input, outcome.output);
  } catch (err) {
    record(stats, target, input, { ...base, kind: 'property', ...describeError(err) }, doSave);
  }
}

/** Runs a target until its input count or its time is used up. */
export async function runTarget(target: AnyTarget, limits: RunLimits): Promise<TargetStats> {
  const stats = emptyStats(target.name);
  const start = performance.now();
  const deadline = start + limits.seconds * 1000;
  const first = limits.startIndex ?? 0;
  for (let i = first; i < first + limits.inputs; i++) {
    await runOne(target, limits.seed, i, stats, limits.save ?? true);
    // The clock is read every 64 inputs: cheap, and at most 64 inputs past the deadline.
    if ((i & 63) === 63 && performance.now() > deadline) break;
  }
  stats.seconds = (performance.now() - start) / 1000;
  return stats;
}
