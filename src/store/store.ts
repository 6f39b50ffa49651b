/**
 * The in-memory metric store: groups keyed by grouping labels, the reference's push semantics (PUT
 * replaces the group, POST replaces same-named families, DELETE removes the group), the consistency
 * check done incrementally per family, and pre-rendered exposition text that scrapes concatenate.
 * Node's event loop makes this a natural single writer: every method runs to completion.
 */
import type { LabelPair, Metric, MetricFamily, MetricType } from '../model/metric.js';
import type { GroupingLabels } from '../model/grouping-key.js';
import { groupIdFor } from '../model/grouping-key.js';
import { flat, renderLabelInner, renderSeries } from '../format/text-write.js';
import { ConsistencyError } from '../errors.js';
import { FamilyIndex, type GroupFamily, type SeriesEntry } from './family-index.js';
import { Group, PUSH_FAILURE_TIME, PUSH_FAILURE_TIME_HELP, PUSH_TIME, PUSH_TIME_HELP } from './group.js';
import {
  checkMetricLabels, duplicateSeries, ownTypeClash, payloadMatches, suffixCollision, typeClash,
} from './consistency.js';

export interface PushRequest {
  labels: GroupingLabels;
  families: MetricFamily[];
  /** PUT (replace the group) or POST (replace same-named families only). */
  replace: boolean;
  /** Request time, ms since epoch with sub-ms precision. */
  timeMs: number;
}

/** Name → type of the gateway's own metrics, which pushed families must not contradict. */
export type OwnFamilyTypes = ReadonlyMap<string, MetricType>;

export interface StoreOptions {
  checkConsistency: boolean;
  utf8Names: boolean;
  ownTypes: OwnFamilyTypes;
}

/** One family of a group as persisted: see MemoryStore.exportState(). */
export interface StoredFamily {
  family: MetricFamily;
  lastPushMs: number;
  /** Position among the groups holding this family name (0 = oldest holder). */
  rank: number;
}

export interface StoredGroup {
  labels: GroupingLabels;
  families: StoredFamily[];
}

export interface RenderedText {
  body: string;
  /** Family names in exposition order with the offset of each family's block in `body`. */
  names: string[];
  offsets: number[];
}

export class MemoryStore {
  private readonly groupsById = new Map<string, Group>();
  private readonly families = new Map<string, FamilyIndex>();
  private readonly opts: StoreOptions;
  private sortedNames: string[] | null = null;
  private rendered: { version: number; text: RenderedText } | null = null;
  private checked: { version: number; problems: string[] } | null = null;
  private readonly listeners: Array<() => void> = [];
  /** Increases with every change; caches of rendered output are keyed by it. */
  version = 0;

  constructor(opts: StoreOptions) {
    this.opts = opts;
  }

  /** Calls `fn` after every change (push, failed push, delete, wipe, restore); used by persistence. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  /**
   * Everything needed to rebuild the store exactly: groups in insertion order, each family with its
   * last-push time and its rank among the groups holding that family name (the oldest holder decides
   * the exposed HELP and type, so the order is part of the state). Stored family objects are never
   * mutated once stored, so the result stays a consistent point-in-time view while it is serialised.
   */
  exportState(): StoredGroup[] {
    const ranks = new Map<GroupFamily, number>();
    for (const idx of this.families.values()) {
      let rank = 0;
      for (const gf of idx.members.values()) ranks.set(gf, rank++);
    }
    const out: StoredGroup[] = [];
    for (const group of this.groupsById.values()) {
      const families: StoredFamily[] = [];
      for (const gf of group.families.values()) {
        families.push({ family: gf.family, lastPushMs: gf.lastPushMs, rank: ranks.get(gf) ?? 0 });
      }
      out.push({ labels: group.labels, families });
    }
    return out;
  }

  /** Replaces the whole content with an exported state (the persistence file at start). */
  restore(groups: StoredGroup[]): void {
    this.groupsById.clear();
    this.families.clear();
    this.sortedNames = null;
    const attach: Array<{ group: Group; gf: GroupFamily; rank: number }> = [];
    for (const sg of groups) {
      const id = groupIdFor(sg.labels);
      const group = new Group(id, sg.labels);
      const shared = new Map(group.timestampLabels.map((l) => [l.name + '\xff' + l.value, l]));
      for (const sf of sg.families) {
        const f = sf.family;
        for (const m of f.metrics) m.labels = m.labels.map((l) => shared.get(l.name + '\xff' + l.value) ?? l);
        const gf = this.groupFamily(group, f, sf.lastPushMs);
        group.families.set(f.name, gf);
        attach.push({ group, gf, rank: sf.rank });
      }
      this.groupsById.set(id, group);
    }
    attach.sort((a, b) => a.rank - b.rank);
    for (const { group, gf } of attach) {
      let idx = this.families.get(gf.family.name);
      if (idx === undefined) this.families.set(gf.family.name, (idx = new FamilyIndex(gf.family.name)));
      idx.add(group, gf);
    }
    this.changed();
  }

  get groupCount(): number {
    return this.groupsById.size;
  }

  groups(): IterableIterator<Group> {
    return this.groupsById.values();
  }

  getGroup(labels: GroupingLabels): Group | undefined {
    return this.groupsById.get(groupIdFor(labels));
  }

  /** Applies a push, or records its failure and returns why it was rejected. */
  push(req: PushRequest): ConsistencyError | undefined {
    const id = groupIdFor(req.labels);
    const existing = this.groupsById.get(id);
    if (req.families.some((f) => f.metrics.some((m) => m.timestampMs !== undefined))) {
      return this.fail(id, req, ['pushed metrics must not have timestamps']);
    }
    const fresh = existing ?? new Group(id, req.labels);
    // Label pair objects of the grouping key are shared by every series of the group.
    const shared = new Map(fresh.timestampLabels.map((l) => [l.name, l]));
    const families = req.families.map((f) => sanitizeFamily(f, req.labels, shared));
    if (this.opts.checkConsistency) {
      const problems = this.check(existing, families, req.replace, fresh);
      if (problems.length > 0) return this.fail(id, req, problems);
    }
    const group = existing ?? this.adoptGroup(fresh);
    if (req.replace) {
      for (const name of [...group.families.keys()]) {
        if (name !== PUSH_TIME && name !== PUSH_FAILURE_TIME) this.removeFamily(group, name);
      }
    }
    for (const f of families) {
      if (f.name !== PUSH_TIME) this.setFamily(group, f, req.timeMs);
    }
    this.setFamily(group, timestampFamily(group, PUSH_TIME, req.timeMs / 1000), req.timeMs);
    if (!group.families.has(PUSH_FAILURE_TIME)) {
      this.setFamily(group, timestampFamily(group, PUSH_FAILURE_TIME, 0), req.timeMs);
    }
    this.changed();
    return undefined;
  }

  /** Removes a group entirely (a no-op for an unknown key, as in the reference). */
  deleteGroup(labels: GroupingLabels): boolean {
    const group = this.groupsById.get(groupIdFor(labels));
    if (group === undefined) return false;
    this.dropGroup(group);
    this.changed();
    return true;
  }

  /** Removes every group; O(groups + series). Returns how many groups there were. */
  wipe(): number {
    const n = this.groupsById.size;
    this.groupsById.clear();
    this.families.clear();
    this.sortedNames = null;
    this.changed();
    return n;
  }

  /** Pushed families rendered as text 0.0.4, in exposition order; cached until the next change. */
  renderText(): RenderedText {
    if (this.rendered?.version === this.version) return this.rendered.text;
    const names = this.familyNames();
    const offsets: number[] = new Array<number>(names.length);
    let body = '';
    for (let i = 0; i < names.length; i++) {
      offsets[i] = body.length;
      body += this.families.get(names[i]!)!.render();
    }
    const text = { body: flat(body), names, offsets };
    this.rendered = { version: this.version, text };
    return text;
  }

  /**
   * renderText() without blocking the event loop for the whole store: family blocks are rendered one
   * at a time with a yield in between, so health checks and pushes are served during a big scrape. If
   * a write lands meanwhile, the blocks still valid stay cached and the walk starts again, so the result
   * is always one consistent version; after three tries the rest is done in one go.
   */
  async renderTextAsync(pause: () => Promise<void>): Promise<RenderedText> {
    for (let attempt = 0; attempt < 3 && this.rendered?.version !== this.version; attempt++) {
      const version = this.version;
      for (const name of this.familyNames()) {
        if (this.families.get(name)!.render().length > 1 << 16) await pause();
        if (this.version !== version) break;
      }
      if (this.version === version) break;
    }
    return this.renderText();
  }

  /** The stored series of one family in exposition order (for merging with own series). */
  familyIndex(name: string): FamilyIndex | undefined {
    return this.families.get(name);
  }

  familyNames(): string[] {
    if (this.sortedNames === null) this.sortedNames = [...this.families.keys()].sort();
    return this.sortedNames;
  }

  /**
   * Every consistency problem of the whole store, as a scrape of the reference would report them.
   * Only needed with --push.disable-consistency-check: checked pushes keep the store consistent.
   */
  problems(): string[] {
    if (this.checked?.version === this.version) return this.checked.problems;
    const problems: string[] = [];
    if (!this.opts.checkConsistency) this.fullCheck(problems);
    this.checked = { version: this.version, problems };
    return problems;
  }

  private fullCheck(problems: string[]): void {
    const types = new Map<string, MetricType>(this.opts.ownTypes);
    const seen = new Set<string>();
    for (const group of this.groupsById.values()) {
      for (const [name, gf] of group.families) {
        const f = gf.family;
        const known = types.get(name);
        if (known === undefined) {
          const collision = suffixCollision(name, f.type, (n) => types.get(n));
          if (collision !== undefined) problems.push(collision);
          types.set(name, f.type);
        } else if (this.opts.ownTypes.get(name) !== undefined && known !== f.type) {
          problems.push(ownTypeClash(name, f.type, known));
          continue;
        }
        for (let i = 0; i < f.metrics.length; i++) {
          const m = f.metrics[i]!;
          const labelProblem = checkMetricLabels(name, m, f.type, this.opts.utf8Names);
          if (labelProblem !== undefined) { problems.push(labelProblem); continue; }
          if (known !== undefined && known !== f.type) { problems.push(typeClash(name, m, f.type, known)); continue; }
          const key = name + '\xff' + gf.series[i]!.inner;
          if (seen.has(key)) problems.push(duplicateSeries(name, m, f.type));
          seen.add(key);
        }
      }
    }
  }

  /** The incremental check of one push against the rest of the store. */
  private check(group: Group | undefined, families: MetricFamily[], replace: boolean, fresh: Group): string[] {
    const problems: string[] = [];
    const pushed = new Map<string, MetricFamily>();
    for (const f of families) pushed.set(f.name, f);
    const toCheck = [...families];
    if (group === undefined) {
      toCheck.push(timestampFamily(fresh, PUSH_TIME, 0));
      if (!pushed.has(PUSH_FAILURE_TIME)) toCheck.push(timestampFamily(fresh, PUSH_FAILURE_TIME, 0));
    }
    toCheck.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const checkedNames = new Set<string>();
    const outsideType = (n: string): MetricType | undefined => {
      const own = this.opts.ownTypes.get(n);
      if (own !== undefined) return own;
      const idx = this.families.get(n);
      if (idx !== undefined && idx.members.size > (group !== undefined && idx.members.has(group) ? 1 : 0)) return idx.type;
      if (group !== undefined && !replace && !pushed.has(n)) return group.families.get(n)?.family.type;
      return undefined;
    };
    for (const f of toCheck) {
      const name = f.name;
      const type = name === PUSH_TIME ? 'GAUGE' : f.type;
      const own = this.opts.ownTypes.get(name);
      if (own !== undefined && own !== type) { problems.push(ownTypeClash(name, type, own)); continue; }
      const idx = this.families.get(name);
      const otherType = idx === undefined ? undefined
        : group === undefined ? (idx.type !== type ? idx.type : undefined)
          : idx.othersWithOtherType(type, group);
      const collision = suffixCollision(name, type, (n) => (checkedNames.has(n) ? pushed.get(n)?.type : outsideType(n)));
      if (collision !== undefined) problems.push(collision);
      checkedNames.add(name);
      const inPush = new Set<string>();
      for (const m of f.metrics) {
        const labelProblem = checkMetricLabels(name, m, type, this.opts.utf8Names);
        if (labelProblem !== undefined) { problems.push(labelProblem); continue; }
        if (!payloadMatches(m, type)) { problems.push(typeClash(name, m, type, type)); continue; }
        if (otherType !== undefined) { problems.push(typeClash(name, m, type, otherType)); continue; }
        const inner = labelText(m);
        const other = idx?.series.get(inner);
        if (inPush.has(inner) || (other !== undefined && other.group !== group)) {
          problems.push(duplicateSeries(name, m, type));
        }
        inPush.add(inner);
      }
    }
    return problems;
  }

  private fail(id: string, req: PushRequest, problems: string[]): ConsistencyError {
    const group = this.groupsById.get(id) ?? this.createGroup(id, req.labels);
    this.setFamily(group, timestampFamily(group, PUSH_FAILURE_TIME, req.timeMs / 1000), req.timeMs);
    if (!group.families.has(PUSH_TIME)) this.setFamily(group, timestampFamily(group, PUSH_TIME, 0), req.timeMs);
    this.changed();
    return new ConsistencyError(problems);
  }

  private createGroup(id: string, labels: GroupingLabels): Group {
    return this.adoptGroup(new Group(id, labels));
  }

  private adoptGroup(group: Group): Group {
    this.groupsById.set(group.id, group);
    return group;
  }

  private dropGroup(group: Group): void {
    for (const name of group.families.keys()) this.detach(group, name);
    this.groupsById.delete(group.id);
  }

  private removeFamily(group: Group, name: string): void {
    this.detach(group, name);
    group.families.delete(name);
  }

  private detach(group: Group, name: string): void {
    const idx = this.families.get(name);
    if (idx === undefined) return;
    idx.remove(group);
    if (idx.empty) {
      this.families.delete(name);
      this.sortedNames = null;
    }
  }

  /** A family of a restored group with its rendered series, not yet attached to the family index. */
  private groupFamily(group: Group, family: MetricFamily, lastPushMs: number): GroupFamily {
    const gf: GroupFamily = { family, lastPushMs, series: [] };
    gf.series = family.metrics.map((m): SeriesEntry => {
      const inner = labelText(m);
      return { labels: m.labels, inner, text: flat(renderSeries(family.name, family.type, m, inner)), group, dead: false };
    });
    return gf;
  }

  private setFamily(group: Group, family: MetricFamily, lastPushMs: number): void {
    // Share the name and HELP strings of the family index: the parsed ones are slices of the request
    // body and would keep every body alive.
    const known = this.families.get(family.name);
    if (known !== undefined) {
      family.name = known.name;
      const help = known.help;
      if (help !== undefined && family.help === help) family.help = help;
    }
    const inners = family.metrics.map(labelText);
    const texts = family.metrics.map((m, i) => flat(renderSeries(family.name, family.type, m, inners[i])));
    const gf: GroupFamily = { family, lastPushMs, series: [] };
    const old = group.families.get(family.name);
    group.families.set(family.name, gf);
    let idx = this.families.get(family.name);
    if (old !== undefined && idx !== undefined && sameSeries(old.series, inners)) {
      idx.replaceInPlace(group, gf, texts);
      return;
    }
    if (old !== undefined) this.detach(group, family.name);
    idx = this.families.get(family.name);
    if (idx === undefined) {
      idx = new FamilyIndex(copyString(family.name));
      this.families.set(family.name, idx);
      this.sortedNames = null;
    }
    gf.series = family.metrics.map((m, i): SeriesEntry => ({
      labels: m.labels, inner: inners[i]!, text: texts[i]!, group, dead: false,
    }));
    idx.add(group, gf);
  }
}

/** The series key of a sanitised metric, rendered once for the check and the store alike. */
const labelTexts = new WeakMap<Metric, string>();
function labelText(m: Metric): string {
  let text = labelTexts.get(m);
  if (text === undefined) labelTexts.set(m, (text = flat(renderLabelInner(m.labels))));
  return text;
}

/** A fresh string that does not share memory with the (possibly large) string it was sliced from. */
function copyString(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function sameSeries(old: SeriesEntry[], inners: string[]): boolean {
  if (old.length !== inners.length) return false;
  for (let i = 0; i < old.length; i++) if (old[i]!.inner !== inners[i]) return false;
  return true;
}

function byName(a: LabelPair, b: LabelPair): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The reference's sanitizeLabels: grouping labels overwrite body labels of the same name, missing ones
 * are added, `instance=""` is added when there is no instance label, and labels are sorted by name.
 */
export function sanitizeFamily(f: MetricFamily, grouping: GroupingLabels, shared: ReadonlyMap<string, LabelPair>): MetricFamily {
  const names = Object.keys(grouping);
  const metrics = f.metrics.map((m): Metric => {
    const labels: LabelPair[] = [];
    const done = new Set<string>();
    let hasInstance = false;
    for (const l of m.labels) {
      if (l.name === 'instance') hasInstance = true;
      if (l.name in grouping && !done.has(l.name)) {
        labels.push(shared.get(l.name)!);
        done.add(l.name);
      } else {
        labels.push(l);
      }
    }
    for (const n of names) if (!done.has(n)) labels.push(shared.get(n)!);
    if (!hasInstance && !('instance' in grouping)) labels.push(shared.get('instance')!);
    labels.sort(byName);
    return { ...m, labels };
  });
  return { ...f, metrics };
}

function timestampFamily(group: Group, name: string, seconds: number): MetricFamily {
  return {
    name,
    help: name === PUSH_TIME ? PUSH_TIME_HELP : PUSH_FAILURE_TIME_HELP,
    type: 'GAUGE',
    metrics: [{ labels: group.timestampLabels, value: seconds }],
  };
}
