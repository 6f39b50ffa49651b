/**
 * The store's memory budget (--store.memory-limit): a ceiling on the V8 heap in use, checked before a push
 * grows the store, so that a huge push is refused with a clear 507 instead of taking the process to V8's
 * heap limit, where it aborts ("JavaScript heap out of memory") and every stored metric is lost.
 *
 * The budget applies to `used_heap_size`, which also counts garbage not collected yet: before refusing,
 * one full collection is forced (at most once every few seconds), so refusals are decided on live bytes.
 * V8's own heap limit is set by the bin to HEAP_LIMIT_FACTOR × the budget (see heapLimitMiB), which leaves
 * room above the budget for the transient work of parsing, checking and rendering. When the process runs
 * with a smaller heap limit than that (started as plain `node dist/src/cli.js`), the budget is lowered to
 * fit inside it (effectiveBudget), so the guarantee holds either way.
 */
import v8 from 'node:v8';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { MemoryLimitError } from '../errors.js';
import type { GroupView } from './group.js';
import { gcFunction } from '../observe/gc.js';

/** V8's heap limit as a multiple of the budget: the headroom for transient work above the budget. */
export const HEAP_LIMIT_FACTOR = 1.5;
/** The default budget as a fraction of the machine's memory, or of the cgroup's limit when it is lower. */
export const DEFAULT_MEMORY_FRACTION = 0.5;
/** Forced collections before a refusal are at most this frequent (a full GC of a big heap takes a while). */
const FORCED_GC_INTERVAL_MS = 5_000;

/**
 * Heap bytes a push takes per byte of its decoded body, and per family / series in the store, measured with
 * `node --expose-gc` on pushes of many distinct names and of many series (see docs/memory.md). The body
 * factors are floors (the cheapest shape, long label values), used before parsing, when nothing but the
 * body is known; the per-family and per-series costs give the estimate once the push is parsed.
 */
export const HEAP_BYTES_PER_BODY_BYTE = { text: 4, protobuf: 8 } as const;
/** Heap the text parser takes per line of a body (measured 330–373 bytes for a sample line). */
export const HEAP_BYTES_PER_TEXT_LINE = 400;
export const HEAP_BYTES_PER_FAMILY = 1_100;
export const HEAP_BYTES_PER_SERIES = 660;

export type BodyFormat = keyof typeof HEAP_BYTES_PER_BODY_BYTE;

/** Where the default memory limit came from, for the start-up log and docs. */
export interface MemorySource {
  bytes: number;
  source: string;
}

/**
 * The memory the process may use: the cgroup's limit (v2 memory.max, v1 memory.limit_in_bytes, as
 * Node's process.constrainedMemory reads them) when it is below the machine's memory, else the machine's.
 */
export function availableMemory(): MemorySource {
  const total = os.totalmem();
  const cgroup = cgroupLimit();
  if (cgroup !== undefined && cgroup > 0 && cgroup < total) return { bytes: cgroup, source: 'cgroup memory limit' };
  return { bytes: total, source: 'physical memory' };
}

function cgroupLimit(): number | undefined {
  const fromNode = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  if (fromNode !== undefined && fromNode > 0 && fromNode < Number.MAX_SAFE_INTEGER) return fromNode;
  // Older runtimes: the file of this process's own cgroup, v2 then v1.
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = readFileSync(file, 'utf8').trim();
      if (v !== 'max' && /^\d+$/.test(v) && Number(v) < Number.MAX_SAFE_INTEGER) return Number(v);
    } catch {
      // not there
    }
  }
  return undefined;
}

/** The default --store.memory-limit: DEFAULT_MEMORY_FRACTION of availableMemory(), whole MiB. */
export function defaultMemoryLimit(): number {
  return Math.floor((availableMemory().bytes * DEFAULT_MEMORY_FRACTION) / 2 ** 20) * 2 ** 20;
}

/** The --max-old-space-size (MiB) the bin starts Node with for a budget; undefined for no budget. */
export function heapLimitMiB(budgetBytes: number): number | undefined {
  if (budgetBytes <= 0) return undefined;
  return Math.max(64, Math.ceil((budgetBytes * HEAP_LIMIT_FACTOR) / 2 ** 20));
}

/** The budget that fits the heap limit this process actually has (the configured one if it fits). */
export function effectiveBudget(configured: number, heapSizeLimit = v8.getHeapStatistics().heap_size_limit): number {
  const fits = Math.floor(heapSizeLimit / HEAP_LIMIT_FACTOR);
  return configured <= 0 ? fits : Math.min(configured, fits);
}

/** An estimate of the heap a parsed push takes in the store (families and series it carries). */
export function estimateParsedBytes(families: number, series: number): number {
  return families * HEAP_BYTES_PER_FAMILY + series * HEAP_BYTES_PER_SERIES;
}

/** What a group holds now by the same estimate: a push that replaces it frees about that much. */
export function estimateGroupBytes(group: GroupView | undefined): number {
  if (group === undefined) return 0;
  let series = 0;
  for (const gf of group.families.values()) series += gf.family.metrics.length;
  return estimateParsedBytes(group.families.size, series);
}

const LINE_SAMPLES = 16;
const LINE_SAMPLE_BYTES = 64 * 1024;

/**
 * About how many lines a body has: counted exactly up to 1 MiB, beyond that extrapolated from 16 evenly
 * spaced 64 KiB windows (well under a millisecond at any size; counting 3 million lines takes 0.5 s).
 */
export function countLines(body: Buffer): number {
  const count = (from: number, to: number): number => {
    let n = 0;
    for (let i = from; i < to; i++) if (body[i] === 10) n++;
    return n;
  };
  if (body.length <= LINE_SAMPLES * LINE_SAMPLE_BYTES) return count(0, body.length);
  const step = Math.floor((body.length - LINE_SAMPLE_BYTES) / (LINE_SAMPLES - 1));
  let n = 0;
  for (let k = 0; k < LINE_SAMPLES; k++) n += count(k * step, k * step + LINE_SAMPLE_BYTES);
  return Math.round((n / (LINE_SAMPLES * LINE_SAMPLE_BYTES)) * body.length);
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(n >= 10 * 2 ** 20 ? 0 : 1)}MiB`;
}

export class MemoryBudget {
  /** The ceiling on heap in use, in bytes; 0 = none. */
  readonly limitBytes: number;
  /** How the limit is named in messages (the flag and its value as given). */
  private readonly flagText: string;
  private lastForcedGc = -Infinity;
  /** Refused pushes, for tests and logs; the own metric counts them by reason. */
  refused = 0;

  constructor(limitBytes: number, flagText = `--store.memory-limit=${mib(limitBytes)}`) {
    this.limitBytes = limitBytes;
    this.flagText = flagText;
  }

  /** Heap in use now (garbage included), cheap: a few microseconds. */
  heapUsed(): number {
    return v8.getHeapStatistics().used_heap_size;
  }

  /**
   * Throws MemoryLimitError when the heap in use plus `extraBytes` would exceed the budget. Synchronous and
   * cheap, for the slice points of parsing and checking; `extraBytes` ≤ 0 (a push that does not grow the
   * store) always passes, so re-pushes and deletes keep working at the limit.
   */
  assertHeadroom(extraBytes: number): void {
    if (this.limitBytes <= 0 || extraBytes <= 0) return;
    let used = this.heapUsed();
    if (used + extraBytes <= this.limitBytes) return;
    const now = performance.now();
    const gc = gcFunction();
    if (gc !== null && now - this.lastForcedGc >= FORCED_GC_INTERVAL_MS) {
      this.lastForcedGc = now;
      void gc();
      used = this.heapUsed();
      if (used + extraBytes <= this.limitBytes) return;
    }
    this.refused++;
    throw new MemoryLimitError(
      'push refused: it would take the store past its memory limit of ' +
        `${mib(this.limitBytes)} (${this.flagText}): ${mib(used)} of heap in use, the push needs about ` +
        `${mib(extraBytes)} more; ` +
        'delete groups or raise the limit',
    );
  }

  /**
   * The check before parsing, from the decoded body's size alone: a floor of what the push will take,
   * minus what the group it replaces holds now (so a job re-pushing the same metrics is never refused).
   */
  assertBodyFits(body: Buffer, format: BodyFormat, group: GroupView | undefined): void {
    if (this.limitBytes <= 0) return;
    let estimate = body.length * HEAP_BYTES_PER_BODY_BYTE[format];
    // Short lines cost the parser the most per byte: count them when the body is big enough to matter.
    if (format === 'text' && estimate > this.limitBytes / 64)
      estimate = Math.max(estimate, countLines(body) * HEAP_BYTES_PER_TEXT_LINE);
    this.assertHeadroom(estimate - estimateGroupBytes(group));
  }

  /** The check once the push is parsed: its families and series against what the group holds now. */
  assertParsedFits(families: readonly { metrics: readonly unknown[] }[], group: GroupView | undefined): void {
    if (this.limitBytes <= 0) return;
    let series = 0;
    for (const f of families) series += f.metrics.length;
    this.assertHeadroom(estimateParsedBytes(families.length, series) - estimateGroupBytes(group));
  }
}
