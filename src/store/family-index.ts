/**
 * Everything the store knows about one metric family name across all groups: which groups hold it,
 * how many with each type (for O(1) type-clash checks), a map of series keys (for duplicate checks),
 * and the pre-rendered series kept in the reference's exposition order (sorted lazily, once per scrape
 * at most, and only when membership changed).
 */
import type { LabelPair, Metric, MetricFamily, MetricType } from '../model/metric.js';
import { flat, renderHeader } from '../format/text-write.js';
import type { Group } from './group.js';

/** One exposed series (a sample, or a summary/histogram with all its lines). */
export interface SeriesEntry {
  labels: LabelPair[];
  /** Rendered label text without braces: the series key, canonical because labels are sorted. */
  inner: string;
  /** All text lines of this series. */
  text: string;
  /** The series in the model (for the protobuf exposition and escaped renderings). */
  metric: Metric;
  group: Group;
  dead: boolean;
}

/** A family as stored in one group. */
export interface GroupFamily {
  family: MetricFamily;
  /** When a push last wrote this family (ms since epoch, sub-ms precision). */
  lastPushMs: number;
  series: SeriesEntry[];
}

/**
 * Go's MetricSorter: fewer labels first, then label values position by position (names are not
 * compared; labels are sorted by name so positions line up for equal label sets).
 */
export function compareSeries(a: SeriesEntry, b: SeriesEntry): number {
  const la = a.labels;
  const lb = b.labels;
  if (la.length !== lb.length) return la.length - lb.length;
  for (let i = 0; i < la.length; i++) {
    const va = la[i]!.value;
    const vb = lb[i]!.value;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return 0;
}

export class FamilyIndex {
  readonly name: string;
  /** Groups holding this family, in the order they first pushed it. */
  readonly members = new Map<Group, GroupFamily>();
  readonly typeCounts = new Map<MetricType, number>();
  readonly series = new Map<string, SeriesEntry>();
  private entries: SeriesEntry[] = [];
  private sortDirty = false;
  private deadCount = 0;
  private block: string | null = null;

  constructor(name: string) {
    this.name = name;
  }

  /** Type of the family as exposed: the type of its oldest member. */
  get type(): MetricType {
    for (const gf of this.members.values()) return gf.family.type;
    return 'UNTYPED';
  }

  /** HELP as exposed: the oldest member's (the reference takes a random group's). */
  get help(): string | undefined {
    for (const gf of this.members.values()) return gf.family.help;
    return undefined;
  }

  /** UNIT as exposed in protobuf: the oldest member's. */
  get unit(): string | undefined {
    for (const gf of this.members.values()) return gf.family.unit;
    return undefined;
  }

  /** How many groups other than `except` hold this family with a type other than `type`. */
  othersWithOtherType(type: MetricType, except: Group): MetricType | undefined {
    const own = this.members.get(except)?.family.type;
    for (const [t, n] of this.typeCounts) {
      if (t === type) continue;
      if (n - (own === t ? 1 : 0) > 0) return t;
    }
    return undefined;
  }

  add(group: Group, gf: GroupFamily): void {
    this.members.set(group, gf);
    this.typeCounts.set(gf.family.type, (this.typeCounts.get(gf.family.type) ?? 0) + 1);
    for (const e of gf.series) {
      this.series.set(e.inner, e);
      this.entries.push(e);
    }
    this.sortDirty = true;
    this.block = null;
  }

  remove(group: Group): void {
    const gf = this.members.get(group);
    if (gf === undefined) return;
    this.members.delete(group);
    const n = (this.typeCounts.get(gf.family.type) ?? 1) - 1;
    if (n === 0) this.typeCounts.delete(gf.family.type);
    else this.typeCounts.set(gf.family.type, n);
    for (const e of gf.series) {
      if (this.series.get(e.inner) === e) this.series.delete(e.inner);
      e.dead = true;
    }
    this.deadCount += gf.series.length;
    this.block = null;
  }

  /**
   * Replaces a member's family whose series have exactly the same label sets as before: the entries are
   * updated in place, so the sorted order stays valid (the common case of a job re-pushing its metrics).
   */
  replaceInPlace(group: Group, gf: GroupFamily, texts: string[]): void {
    const old = this.members.get(group)!;
    if (old.family.type !== gf.family.type) {
      this.typeCounts.set(old.family.type, this.typeCounts.get(old.family.type)! - 1);
      if (this.typeCounts.get(old.family.type) === 0) this.typeCounts.delete(old.family.type);
      this.typeCounts.set(gf.family.type, (this.typeCounts.get(gf.family.type) ?? 0) + 1);
    }
    for (let i = 0; i < old.series.length; i++) {
      old.series[i]!.text = texts[i]!;
      old.series[i]!.metric = gf.family.metrics[i]!;
    }
    gf.series = old.series;
    this.members.set(group, gf);
    this.block = null;
  }

  get empty(): boolean {
    return this.members.size === 0;
  }

  /** The family's text block: header + every live series in exposition order. Cached until a change. */
  render(): string {
    if (this.block !== null) return this.block;
    this.settle();
    let out = renderHeader(this.name, this.help, this.type);
    for (const e of this.entries) out += e.text;
    this.block = flat(out);
    return this.block;
  }

  /** Live series in exposition order (for merging with the gateway's own series of the same name). */
  sortedEntries(): SeriesEntry[] {
    this.settle();
    return this.entries;
  }

  private settle(): void {
    if (this.deadCount > 0) {
      this.entries = this.entries.filter((e) => !e.dead);
      this.deadCount = 0;
    }
    if (this.sortDirty) {
      this.entries.sort(compareSeries);
      this.sortDirty = false;
    }
  }
}
