/**
 * Sanitising a pushed family before the check and the store see it: the reference's label rules, done so
 * that what the store keeps is compact — exact-length arrays, fresh object literals, label pairs shared
 * between series (grouping pairs per group, body pairs through a bounded intern table) — and series keys
 * rendered only where a push needs them.
 */
import type { LabelPair, Metric, MetricFamily } from '../model/metric.js';
import { flat, renderLabelInner } from '../format/text-write.js';
import type { Group } from './group.js';
import type { Steps } from '../slicer.js';

/** Metrics handled between two points where sliced work on one family may pause. */
const METRICS_PER_YIELD = 512;

/** A pushed family with its metrics sanitised, and the rendered label text (series key) of each metric. */
export interface SanitizedFamily {
  family: MetricFamily;
  /** The series keys; rendered on first use, which a re-push of the same series never needs. */
  inners?: string[];
}

/** The rendered label text (series key) of each metric of a sanitised family, as steps (many series). */
export function* innersSteps(sf: SanitizedFamily, group?: Group): Steps<string[]> {
  if (sf.inners !== undefined) return sf.inners;
  const metrics = sf.family.metrics;
  const inners = new Array<string>(metrics.length);
  for (let i = 0; i < metrics.length; i++) {
    const labels = metrics[i]!.labels;
    inners[i] = labels === group?.timestampLabels ? group.timestampInner : flat(renderLabelInner(labels));
    if (i % METRICS_PER_YIELD === METRICS_PER_YIELD - 1) yield;
  }
  sf.inners = inners;
  return inners;
}

/** A fresh string that does not share memory with the (possibly large) string it was sliced from. */
export function copyString(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * Sorts label pairs by name in place: insertion sort, fast for the few labels a series has; the engine's
 * sort from 32 labels on, so a series with 100,000 labels is O(n log n), not quadratic.
 */
function sortByName(labels: LabelPair[]): void {
  if (labels.length > 32) {
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return;
  }
  for (let i = 1; i < labels.length; i++) {
    const l = labels[i]!;
    let j = i - 1;
    if (!(labels[j]!.name > l.name)) continue;
    while (j >= 0 && labels[j]!.name > l.name) {
      labels[j + 1] = labels[j]!;
      j--;
    }
    labels[j + 1] = l;
  }
}

/**
 * The reference's sanitizeLabels: grouping labels overwrite body labels of the same name, missing ones
 * are added, `instance=""` is added when there is no instance label, and labels are sorted by name.
 * The group's label pair objects are shared by every series of the group. Metrics are updated in place
 * (the parser's objects are ours); series keys are rendered later, only where a push needs them (innersSteps).
 */
export function* sanitizeFamily(f: MetricFamily, group: Group): Steps<SanitizedFamily> {
  const grouping = group.groupingPairs;
  const n = grouping.length;
  const used = new Array<boolean>(n);
  const parsed = f.metrics;
  // Exact-length arrays and fresh object literals: the parser's grow by push (17 slots for one element)
  // and add properties one by one (out-of-object property arrays); this is what the store keeps.
  const metrics = new Array<Metric>(parsed.length);
  for (let k = 0; k < parsed.length; k++) {
    if (k % METRICS_PER_YIELD === METRICS_PER_YIELD - 1) yield;
    const m = parsed[k]!;
    used.fill(false);
    let hasInstance = false;
    let extra = 0;
    for (const l of m.labels) {
      if (l.name === 'instance') hasInstance = true;
      let g = 0;
      while (g < n && grouping[g]!.name !== l.name) g++;
      if (g < n && !used[g]) used[g] = true;
    }
    for (let g = 0; g < n; g++) if (!used[g]) extra++;
    const addInstance = !hasInstance && group.emptyInstance !== undefined;
    const labels = new Array<LabelPair>(m.labels.length + extra + (addInstance ? 1 : 0));
    used.fill(false);
    let at = 0;
    for (const l of m.labels) {
      let g = 0;
      while (g < n && grouping[g]!.name !== l.name) g++;
      if (g < n && !used[g]) {
        labels[at++] = grouping[g]!;
        used[g] = true;
      } else {
        labels[at++] = internPair(l);
      }
    }
    for (let g = 0; g < n; g++) if (!used[g]) labels[at++] = grouping[g]!;
    if (addInstance) labels[at++] = group.emptyInstance!;
    sortByName(labels);
    metrics[k] = compactMetric(m, sameLabels(labels, group.timestampLabels) ? group.timestampLabels : labels);
  }
  return { family: compactFamily(f, metrics) };
}

/**
 * Are these the group's own labels (the very pair objects)? A series with no labels of its own then shares
 * the group's array and series key (innersSteps) instead of its own copies: a family of one such series is
 * the common shape of a gateway, and the two were a tenth of what it cost.
 */
function sameLabels(labels: LabelPair[], own: LabelPair[]): boolean {
  if (labels.length !== own.length) return false;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== own[i]) return false;
  return true;
}

/**
 * Body label pairs are mostly the same few across groups (`code="200"`, `stage="load"`): every stored
 * series refers to one shared pair object instead of its own object and strings. Bounded: the table
 * starts over when full, which only costs sharing, never correctness (pairs are never mutated).
 */
const PAIR_TABLE_LIMIT = 1 << 16;
let pairTable = new Map<string, LabelPair>();

export function internPair(l: LabelPair): LabelPair {
  const key = `${l.name}\xff${l.value}`;
  const known = pairTable.get(key);
  if (known !== undefined) return known;
  if (pairTable.size >= PAIR_TABLE_LIMIT) pairTable = new Map();
  const pair = { name: copyString(l.name), value: copyString(l.value) };
  pairTable.set(key, pair);
  return pair;
}

function compactMetric(m: Metric, labels: LabelPair[]): Metric {
  if (
    m.summary === undefined &&
    m.histogram === undefined &&
    m.createdTimestamp === undefined &&
    m.exemplar === undefined &&
    m.timestampMs === undefined
  ) {
    return m.value === undefined ? { labels } : { labels, value: m.value };
  }
  return { ...m, labels };
}

function compactFamily(f: MetricFamily, metrics: Metric[]): MetricFamily {
  if (f.unit !== undefined) return { ...f, metrics };
  return f.help === undefined
    ? { name: f.name, type: f.type, metrics }
    : { name: f.name, help: f.help, type: f.type, metrics };
}
