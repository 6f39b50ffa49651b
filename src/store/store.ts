/**
 * The in-memory metric store: groups keyed by grouping labels, the reference's push semantics (PUT
 * replaces the group, POST replaces same-named families, DELETE removes the group), the consistency
 * check done incrementally per family, and the exposition text cached in chunks that scrapes reuse.
 * Node's event loop makes this a natural single writer: every method runs to completion.
 */
import type { PushLifecycle } from '../lifecycle/push-headers.js';
import type { Metric, MetricFamily, MetricType } from '../model/metric.js';
import type { GroupingLabels } from '../model/grouping-key.js';
import { groupIdFor, groupingKeyHasInvalidUtf8 } from '../model/grouping-key.js';
import { flat, renderLabelInner } from '../format/text-write.js';
import type { Piece } from '../format/gzip-pieces.js';
import { ConsistencyError } from '../errors.js';
import { FamilyIndex, type GroupFamily, type SeriesEntry } from './family-index.js';
import { copyString, innersSteps, internPair, sanitizeFamily, type SanitizedFamily } from './sanitize.js';
import { WriteOrder, withGroupFamilies, type NameSet } from './write-order.js';
import { FamilyNames } from './family-names.js';
import { Slicer, runSliced, runSync, sortSteps, type Steps } from '../slicer.js';
import { withoutOverriddenTimestamps } from './overridden-timestamps.js';
import {
  Group,
  type GroupView,
  type SnapshotLog,
  PUSH_FAILURE_TIME,
  PUSH_FAILURE_TIME_HELP,
  PUSH_TIME,
  PUSH_TIME_HELP,
} from './group.js';
import {
  checkMetricLabels,
  duplicateSeries,
  invalidUtf8LabelValue,
  ownHelpClash,
  ownTypeClash,
  payloadMatches,
  suffixCollision,
  typeClash,
} from './consistency.js';

export interface PushRequest {
  labels: GroupingLabels;
  /**
   * groupIdFor(labels), when the caller has it at hand (the HTTP path computes it once per push); it is
   * not written to the Redis log, whose readers compute it again.
   */
  groupId?: string | undefined;
  families: MetricFamily[];
  /** PUT (replace the group) or POST (replace same-named families only). */
  replace: boolean;
  /** Request time, ms since epoch with sub-ms precision. */
  timeMs: number;
  /**
   * Protobuf families pushed without any metric. The reference stores them like any family, so a POST
   * removes the stored family of that name (a scrape omits empty families), and its gather still
   * compares their type and HELP with the gateway's own families.
   */
  emptyFamilies?: MetricFamily[];
  /**
   * Every family name of the push (of `families` and `emptyFamilies`), when the parser has them at hand:
   * a big push then holds its names at once, without building a set of a million names first.
   */
  names?: NameSet | undefined;
  /**
   * The push's X-Pushgateway-TTL and X-Pushgateway-Interval (src/lifecycle/push-headers.ts). The store
   * ignores them; they travel with the push (in the Redis log too) so that whatever applies it derives the
   * group's lifecycle from the write itself (docs/lifecycle.md, "With the Redis store").
   */
  lifecycle?: PushLifecycle | undefined;
}

/** Name → type of the gateway's own metrics, which pushed families must not contradict. */
export type OwnFamilyTypes = ReadonlyMap<string, MetricType>;

export interface StoreOptions {
  checkConsistency: boolean;
  utf8Names: boolean;
  ownTypes: OwnFamilyTypes;
  /** Own families a pushed family of the same name must repeat the HELP of (name → HELP). */
  ownStrictHelp?: ReadonlyMap<string, string>;
}

/** One family of a group as persisted: see MemoryStore.exportState(). */
export interface StoredFamily {
  family: MetricFamily;
  lastPushMs: number;
  /** Order among the groups holding this family name: the smallest is the oldest holder. */
  rank: number;
}

export interface StoredGroup {
  labels: GroupingLabels;
  families: StoredFamily[];
}

/** The pushed families' exposition text: names in exposition order and each family's cached pieces. */
export interface Exposition {
  names: string[];
  pieces: Piece[][];
}

/**
 * Pushes of more work than this (series, each label one more) are applied in slices (pushSliced); a few
 * ms of work at most in one go.
 */
export const SLICED_PUSH_SERIES = 4096;

function* hasTimestamps(families: MetricFamily[]): Steps<boolean> {
  for (let i = 0; i < families.length; i++) {
    for (const m of families[i]!.metrics) if (m.timestampMs !== undefined) return true;
    if (i % 1024 === 1023) yield;
  }
  return false;
}

/** The work a push makes, in series, a label counting as one more (one series of 100,000 labels is big). */
function pushWork(req: PushRequest): number {
  let n = 0;
  for (const f of req.families) {
    for (const m of f.metrics) n += 1 + m.labels.length;
    if (n > SLICED_PUSH_SERIES) break;
  }
  return n;
}

function pushedNames(req: PushRequest): Set<string> {
  const names = new Set<string>();
  for (const f of req.families) names.add(f.name);
  if (req.emptyFamilies !== undefined) for (const f of req.emptyFamilies) names.add(f.name);
  return names;
}

/** Series checked between two yields of the whole-store check (--push.disable-consistency-check). */
const CHECKED_PER_STEP = 1024;

/** Chunks rendered between two yields of a big scrape: 2 × 512 series, about a millisecond. */
const WALK_ROUNDS = 8;
/** In a walker's set of changed families: the store was wiped or replaced, everything changed. */
const WIPED = '\u0000wiped';

function* piecesOf(names: readonly string[], taken: ReadonlyMap<string, Piece[]>): Steps<Piece[][]> {
  const pieces = new Array<Piece[]>(names.length);
  for (let i = 0; i < names.length; i++) {
    pieces[i] = taken.get(names[i]!)!;
    if (i % 4096 === 4095) yield;
  }
  return pieces;
}
const CHUNKS_PER_SLICE = 2;

/** A group too big to detach in one go (more than SLICED_PUSH_SERIES families or series). */
function isBigGroup(group: Group): boolean {
  if (group.families.size > SLICED_PUSH_SERIES) return true;
  let series = 0;
  for (const gf of group.families.values()) series += gf.series.length;
  return series > SLICED_PUSH_SERIES;
}

export class MemoryStore {
  private groupsById = new Map<string, Group>();
  private families = new Map<string, FamilyIndex>();
  private readonly opts: StoreOptions;
  private readonly names = new FamilyNames();
  private rendered: { version: number; exposition: Exposition } | null = null;
  private checked: { version: number; problems: string[] } | null = null;
  private readonly listeners: Array<() => void> = [];
  private readonly order = new WriteOrder();
  /** For each reader walking the store in slices: the families changed since it began (WIPED: all). */
  private readonly walkers = new Set<Set<string>>();
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
    // Group families carry their rank (FamilyIndex keeps it) and are replaced, never changed, once
    // stored: the capture is a copy of references, cheap enough to take in one go at 100k groups.
    const out: StoredGroup[] = new Array<StoredGroup>(this.groupsById.size);
    let i = 0;
    for (const group of this.groupsById.values())
      out[i++] = { labels: group.labels, families: [...group.families.values()] };
    return out;
  }

  /** Replaces the whole content with an exported state (the persistence file at start). */
  restore(groups: StoredGroup[]): void {
    runSync(this.restoreSteps(groups));
  }

  /**
   * restore() in slices, for a replica's mirror restoring a Redis snapshot of 100k groups while it keeps
   * answering scrapes and health checks. The new state is built beside the old one, which readers go on
   * seeing, and swapped in at the end in one step: no reader sees a half-restored store. The caller must be
   * the store's only writer meanwhile (a mirror's log reader is).
   */
  async restoreSliced(groups: StoredGroup[], slicer = new Slicer()): Promise<void> {
    await this.settledNow();
    await runSliced(this.restoreSteps(groups), slicer);
  }

  private *restoreSteps(groups: StoredGroup[]): Steps<void> {
    const groupsById = new Map<string, Group>();
    const families = new Map<string, FamilyIndex>();
    const names: string[] = [];
    const attach: Array<{ group: Group; gf: GroupFamily; rank: number }> = [];
    for (const sg of groups) {
      const id = groupIdFor(sg.labels);
      const group = new Group(id, sg.labels);
      const shared = new Map(group.timestampLabels.map((l) => [`${l.name}\xff${l.value}`, l]));
      for (const sf of sg.families) {
        const f = sf.family;
        for (const m of f.metrics)
          m.labels = m.labels.map((l) => shared.get(`${l.name}\xff${l.value}`) ?? internPair(l));
        const gf = restoredFamily(group, f, sf.lastPushMs);
        group.families.set(f.name, gf);
        attach.push({ group, gf, rank: sf.rank });
      }
      groupsById.set(id, group);
      yield;
    }
    yield* sortSteps(attach, (a, b) => a.rank - b.rank);
    for (let i = 0; i < attach.length; i++) {
      const { group, gf } = attach[i]!;
      let idx = families.get(gf.family.name);
      if (idx === undefined) {
        idx = new FamilyIndex(gf.family.name, this.opts.checkConsistency);
        families.set(gf.family.name, idx);
        names.push(gf.family.name);
      }
      idx.add(group, gf);
      if (i % 256 === 255) yield;
    }
    this.groupsById = groupsById;
    this.families = families;
    for (const touched of this.walkers) touched.add(WIPED);
    this.names.reset(names);
    this.changed();
  }

  get groupCount(): number {
    return this.groupsById.size;
  }

  groups(): IterableIterator<Group> {
    return this.groupsById.values();
  }

  /** Every group as it is now (see Group.snapshot), in store order. */
  snapshotGroups(): GroupView[] {
    const out: GroupView[] = [];
    for (const g of this.groupsById.values()) out.push(g.snapshot());
    return out;
  }

  /**
   * snapshotGroups() without copying a big group's families in one go: every group as it was at one
   * point in time (once no big write is half-way through its commit), copied in slices.
   */
  async snapshotGroupsAsync(slicer = new Slicer()): Promise<GroupView[]> {
    await this.settledNow();
    const groups = [...this.groupsById.values()];
    const logs = groups.map((g) => g.families.watch());
    return runSliced(snapshotSteps(groups, logs), slicer);
  }

  /** settled(), and still so when the caller resumes (a write waiting for the commit may start its own). */
  async settledNow(): Promise<void> {
    do await this.settled();
    while (this.committing);
  }

  getGroup(labels: GroupingLabels): Group | undefined {
    return this.groupsById.get(groupIdFor(labels));
  }

  /** getGroup() by the group's id (groupIdFor of its labels). */
  groupById(id: string): Group | undefined {
    return this.groupsById.get(id);
  }

  /** Applies a push in one go, or records its failure and returns why it was rejected. */
  push(req: PushRequest): ConsistencyError | undefined {
    return runSync(this.pushSteps(req));
  }

  /**
   * push() as the HTTP path does it. A push of a few thousand series is applied in one go (well under a
   * slice), once no big write that arrived earlier holds its group or names. A bigger one is sanitised,
   * checked and committed in slices with the event loop served in between (other clients' health checks
   * and pushes), yet all or nothing and in order: write-order.ts holds its group and names meanwhile, and
   * readers wait while it commits (settled()).
   */
  async pushSliced(req: PushRequest, slicer = new Slicer()): Promise<ConsistencyError | undefined> {
    const id = req.groupId ?? groupIdFor(req.labels);
    const pushed = req.names ?? pushedNames(req);
    // A PUT also removes the families of its group that it does not push.
    const names = req.replace ? withGroupFamilies(pushed, () => this.groupsById.get(id)?.families) : pushed;
    if (pushWork(req) <= SLICED_PUSH_SERIES) return this.order.small(id, names, () => this.push(req));
    // Held from the call on, so the writes called after it wait for it where they touch the same things.
    return this.order.exclusive(id, names, () => runSliced(this.pushSteps(req), slicer));
  }

  /** Resolves when no big write is half-way through its commit: what readers see is then one state. */
  settled(): Promise<void> {
    return this.order.settled();
  }

  /** Is a big write half-way through its commit (a reader that paused must start again)? */
  get committing(): boolean {
    return this.order.committing;
  }

  private *pushSteps(req: PushRequest): Steps<ConsistencyError | undefined> {
    const id = req.groupId ?? groupIdFor(req.labels);
    const existing = this.groupsById.get(id);
    // A grouping key with bytes that are not UTF-8 (only a URL can carry them) fails the reference's check
    // on every metric of the group; it also records the failure in a group under that key, which then
    // breaks every scrape and checked push. Ours answers the same 400 and stores nothing.
    const invalidKey = groupingKeyHasInvalidUtf8(req.labels);
    if (yield* hasTimestamps(req.families)) {
      const problems = ['pushed metrics must not have timestamps'];
      return invalidKey ? new ConsistencyError(problems) : this.fail(id, req, problems);
    }
    const fresh = existing ?? new Group(id, req.labels);
    const pushed = withoutOverriddenTimestamps(req.families, existing);
    const families = new Array<SanitizedFamily>(pushed.length);
    for (let i = 0; i < families.length; i++) {
      families[i] = yield* sanitizeFamily(pushed[i]!, fresh);
      yield;
    }
    if (invalidKey) return new ConsistencyError(invalidKeyProblems(families, fresh));
    const unchanged =
      this.opts.checkConsistency &&
      existing !== undefined &&
      req.emptyFamilies === undefined &&
      (yield* sameShape(existing, families, this.opts.ownStrictHelp));
    if (this.opts.checkConsistency && !unchanged) {
      const problems = yield* this.check(existing, families, req.replace, fresh);
      if (req.emptyFamilies !== undefined) problems.push(...this.checkEmptyFamilies(req.emptyFamilies));
      if (problems.length > 0) return this.fail(id, req, problems);
    }
    this.order.commitStarted();
    try {
      yield* this.commit(existing ?? this.adoptGroup(fresh), families, req, unchanged);
    } finally {
      this.order.commitEnded();
    }
    return undefined;
  }

  /** The checked push applied; readers wait meanwhile when it is sliced. */
  private *commit(group: Group, families: SanitizedFamily[], req: PushRequest, unchanged: boolean): Steps<void> {
    if (req.replace) {
      // Families the push sets again are replaced in place by setFamily (no re-sort, no dead entries).
      const pushedNames = new Set<string>();
      for (let i = 0; i < families.length; i++) {
        pushedNames.add(families[i]!.family.name);
        if (i % 1024 === 1023) yield;
      }
      for (const name of [...group.families.keys()]) {
        if (name !== PUSH_TIME && name !== PUSH_FAILURE_TIME && !pushedNames.has(name)) {
          yield* this.removeFamily(group, name);
          yield;
        }
      }
    }
    if (!req.replace && req.emptyFamilies !== undefined) {
      for (const { name } of req.emptyFamilies) {
        if (name !== PUSH_TIME && name !== PUSH_FAILURE_TIME && group.families.has(name))
          yield* this.removeFamily(group, name);
      }
    }
    for (const f of families) {
      if (f.family.name !== PUSH_TIME) yield* this.setFamily(group, f, req.timeMs, unchanged);
      yield;
    }
    runSync(this.setFamily(group, timestampFamily(group, PUSH_TIME, req.timeMs / 1000), req.timeMs));
    if (!group.families.has(PUSH_FAILURE_TIME)) {
      runSync(this.setFamily(group, timestampFamily(group, PUSH_FAILURE_TIME, 0), req.timeMs));
    }
    this.changed();
  }

  /** Removes a group entirely (a no-op for an unknown key, as in the reference). */
  deleteGroup(labels: GroupingLabels): boolean {
    const group = this.groupsById.get(groupIdFor(labels));
    if (group === undefined) return false;
    this.dropGroup(group);
    this.changed();
    return true;
  }

  /**
   * deleteGroup() as the HTTP path does it: after the writes that arrived earlier and touch the group or
   * its families; a group of many series is detached in slices, readers waiting meanwhile.
   */
  async deleteSliced(labels: GroupingLabels, slicer = new Slicer()): Promise<boolean> {
    const id = groupIdFor(labels);
    const group = this.groupsById.get(id);
    // The group's families when asked name what the delete touches: earlier writes still waiting may change
    // them (or create the group) before it runs. No copy of a million names is needed.
    const names = withGroupFamilies(new Set(), () => this.groupsById.get(id)?.families);
    if (group === undefined) return this.order.small(id, names, () => this.deleteGroup(labels));
    if (!isBigGroup(group)) return this.order.small(id, names, () => this.deleteGroup(labels));
    return this.order.exclusive(id, names, () => runSliced(this.deleteSteps(id), slicer));
  }

  /**
   * Deletes several groups, by id, as one write (the expiry's batches, lifecycle/expire-write.ts): after
   * every write that arrived earlier and before every later one, with `still(i)` asked for each group as
   * the batch runs, and one change notification for the batch. The groups are detached in slices, readers
   * waiting meanwhile: the groups of one job hold the same families, so a batch that empties the store's
   * big families makes all of them compact their series lists or shrink their maps at the same group,
   * about 10 ms each at 100k groups (issue 12's bench x paused 110-230 ms in one go). `ids` may be steps
   * that compute them, run inside the write (its place in the write order is taken at the call, not once
   * 100k ids are computed). Resolves with whether each group was deleted.
   */
  deleteMany(
    ids: readonly string[] | (() => Steps<readonly string[]>),
    still: (i: number) => boolean,
    slicer = new Slicer(),
  ): Promise<boolean[]> {
    return this.order.everything(async () => {
      this.order.commitStarted();
      try {
        const list = typeof ids === 'function' ? await runSliced(ids(), slicer) : ids;
        return await runSliced(this.deleteManySteps(list, still), slicer);
      } finally {
        this.order.commitEnded();
      }
    });
  }

  private *deleteManySteps(ids: readonly string[], still: (i: number) => boolean): Steps<boolean[]> {
    const out = new Array<boolean>(ids.length).fill(false);
    let any = false;
    try {
      for (let i = 0; i < ids.length; i++) {
        if (i % 1024 === 1023) yield;
        const group = this.groupsById.get(ids[i]!);
        if (group === undefined || !still(i)) continue;
        yield* this.dropGroupSteps(group);
        out[i] = any = true;
      }
    } finally {
      if (any) this.changed();
    }
    return out;
  }

  private *deleteSteps(id: string): Steps<boolean> {
    const group = this.groupsById.get(id);
    if (group === undefined) return false;
    this.order.commitStarted();
    try {
      yield* this.dropGroupSteps(group);
      this.changed();
    } finally {
      this.order.commitEnded();
    }
    return true;
  }

  /** wipe() after every write that arrived earlier, and before every write that arrives later. */
  wipeInOrder(): Promise<number> {
    return this.order.everything(() => this.wipe());
  }

  /** Removes every group; O(groups + series). Returns how many groups there were. */
  wipe(): number {
    const n = this.groupsById.size;
    this.groupsById.clear();
    this.families.clear();
    for (const touched of this.walkers) touched.add(WIPED);
    this.names.reset();
    this.changed();
    return n;
  }

  /** Pushed families as text 0.0.4 pieces, in exposition order; unchanged pieces are reused. */
  exposition(): Exposition {
    if (this.rendered?.version === this.version) return this.rendered.exposition;
    const names = this.familyNames();
    const pieces = names.map((n) => this.families.get(n)!.pieces());
    const exposition = { names, pieces };
    this.rendered = { version: this.version, exposition };
    return exposition;
  }

  /** The pushed families' text 0.0.4 as one string (tests, debugging). */
  renderText(): string {
    return Buffer.concat(
      this.exposition()
        .pieces.flat()
        .map((p) => p.text),
    ).toString('utf8');
  }

  /**
   * exposition() without blocking the event loop for the whole store: names are sorted and chunks
   * rendered a slice at a time with the event loop served in between, so health checks and pushes are
   * answered during a big scrape. Writes may land meanwhile: the families they change are noted, and
   * once the walk is done those are taken again, until a round ends with nothing changed, so the result
   * is one state of the store (the one at its end) without starting over on every small push. After a
   * few rounds, the last one holds writes off while it takes what is left (lastRound).
   */
  async expositionAsync(slicer = new Slicer()): Promise<Exposition> {
    await this.settled();
    if (this.rendered?.version === this.version) return this.rendered.exposition;
    const touched = new Set<string>();
    this.walkers.add(touched);
    try {
      const taken = new Map<string, Piece[]>();
      let todo: Iterable<string> = await runSliced(this.familyNamesSteps(), slicer);
      for (let round = 0; ; round++) {
        if (round >= WALK_ROUNDS) return await this.lastRound(todo, touched, taken, slicer);
        const spoilt = new Set<string>();
        await runSliced(this.takePieces(todo, taken, spoilt), slicer);
        if (spoilt.size > 0) return await this.lastRound(spoilt, touched, taken, slicer);
        if (this.committing || touched.size > 0) {
          await this.settled();
          if (touched.has(WIPED)) {
            taken.clear();
            todo = this.familyNames();
          } else {
            todo = [...touched];
          }
          touched.clear();
          continue;
        }
        const version = this.version;
        const names = await runSliced(this.familyNamesSteps(), slicer);
        const pieces = await runSliced(piecesOf(names, taken), slicer);
        if (touched.size > 0 || this.committing) {
          todo = [...touched];
          touched.clear();
          continue;
        }
        const exposition = { names, pieces };
        this.rendered = { version, exposition };
        return exposition;
      }
    } finally {
      this.walkers.delete(touched);
    }
  }

  /**
   * The walk's last round (after WALK_ROUNDS, or at once when writes keep spoiling a family's layout), with
   * writes held off as by a wipe (they wait for it, in arrival order), so it ends: what changed during the
   * previous rounds, then the assembly, still in slices. Taking them in one go instead held the event loop
   * for 100-180 ms when new groups kept joining families of 100k series during a scrape (each join makes
   * the family sort its series again; issue 12's bench x).
   */
  private lastRound(
    todo: Iterable<string>,
    touched: Set<string>,
    taken: Map<string, Piece[]>,
    slicer: Slicer,
  ): Promise<Exposition> {
    return this.order.everything(async () => {
      let names: Iterable<string>;
      if (touched.has(WIPED)) {
        taken.clear();
        names = this.familyNames();
      } else {
        names = new Set([...todo, ...touched]);
      }
      touched.clear();
      await runSliced(this.takePieces(names, taken), slicer);
      const version = this.version;
      const all = await runSliced(this.familyNamesSteps(), slicer);
      const exposition = { names: all, pieces: await runSliced(piecesOf(all, taken), slicer) };
      this.rendered = { version, exposition };
      return exposition;
    });
  }

  /**
   * Renders what is not cached yet of the named families (those still there) and takes their pieces. With
   * `spoilt` (writes going on), a family whose layout writes keep spoiling is left out and named there.
   */
  private *takePieces(names: Iterable<string>, taken: Map<string, Piece[]>, spoilt?: Set<string>): Steps<void> {
    for (const name of names) {
      const idx = this.families.get(name);
      if (idx === undefined) {
        taken.delete(name);
        continue;
      }
      if (!idx.laidOut && !(yield* idx.layoutSteps(spoilt !== undefined))) {
        spoilt!.add(name);
        yield;
        continue;
      }
      while (idx.renderSome(CHUNKS_PER_SLICE) === CHUNKS_PER_SLICE) yield;
      taken.set(name, idx.pieces());
      yield;
    }
  }

  /** The stored series of one family in exposition order (for merging with own series). */
  familyIndex(name: string): FamilyIndex | undefined {
    return this.families.get(name);
  }

  /** The stored family names in exposition order. */
  familyNames(): string[] {
    return this.names.get(this.hasFamily);
  }

  /** familyNames() as steps, for readers that pause. */
  familyNamesSteps(): Steps<string[]> {
    return this.names.steps(this.hasFamily);
  }

  private readonly hasFamily = (name: string): boolean => this.families.has(name);

  /**
   * Every consistency problem of the whole store, as a scrape of the reference would report them.
   * Only needed with --push.disable-consistency-check: checked pushes keep the store consistent.
   */
  problems(): string[] {
    if (this.checked?.version === this.version) return this.checked.problems;
    const problems = this.opts.checkConsistency ? [] : runSync(this.fullCheckSteps(() => false))!;
    this.checked = { version: this.version, problems };
    return problems;
  }

  /**
   * problems() for the scrape: the whole store is walked in slices, so the first scrape after a change
   * to a store of a million families does not hold the event loop. A write landing meanwhile spoils the
   * walk, which starts again; after three tries it is done in one go. Cached per version like problems().
   */
  async problemsAsync(slicer = new Slicer()): Promise<string[]> {
    for (let attempt = 0; attempt < 3 && !this.opts.checkConsistency; attempt++) {
      await this.settledNow();
      if (this.checked?.version === this.version) return this.checked.problems;
      const version = this.version;
      const problems = await runSliced(
        this.fullCheckSteps(() => this.version !== version || this.committing),
        slicer,
      );
      if (problems !== undefined && this.version === version && !this.committing) {
        this.checked = { version, problems };
        return problems;
      }
    }
    await this.settledNow();
    return this.problems();
  }

  /** Every problem of the store, or undefined as soon as `stale()` says a write has changed it. */
  private *fullCheckSteps(stale: () => boolean): Steps<string[] | undefined> {
    const problems: string[] = [];
    const types = new Map<string, MetricType>(this.opts.ownTypes);
    const seen = new Set<string>();
    let since = 0;
    for (const group of this.groupsById.values()) {
      for (const [name, gf] of group.families) {
        const f = gf.family;
        const ownHelp = this.opts.ownStrictHelp?.get(name);
        if (ownHelp !== undefined && (f.help ?? '') !== ownHelp) {
          problems.push(ownHelpClash(name, f.help ?? '', ownHelp));
          continue;
        }
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
          // A pause between two series: the maps' iterators stay valid, and a change is seen by stale().
          if (++since === CHECKED_PER_STEP) {
            since = 0;
            yield;
            if (stale()) return undefined;
          }
          const m = f.metrics[i]!;
          const labelProblem = checkMetricLabels(name, m, f.type, this.opts.utf8Names);
          if (labelProblem !== undefined) {
            problems.push(labelProblem);
            continue;
          }
          if (known !== undefined && known !== f.type) {
            problems.push(typeClash(name, m, f.type, known));
            continue;
          }
          const key = `${name}\xff${gf.series[i]!.inner}`;
          if (seen.has(key)) problems.push(duplicateSeries(name, m, f.type));
          seen.add(key);
        }
      }
    }
    return problems;
  }

  /** Families without metrics meet only the gather's own-family HELP and type comparison. */
  private checkEmptyFamilies(empty: MetricFamily[]): string[] {
    const problems: string[] = [];
    for (const f of empty) {
      const ownHelp = this.opts.ownStrictHelp?.get(f.name);
      if (ownHelp !== undefined && (f.help ?? '') !== ownHelp) {
        problems.push(ownHelpClash(f.name, f.help ?? '', ownHelp));
        continue;
      }
      const own = this.opts.ownTypes.get(f.name);
      if (own !== undefined && own !== f.type) problems.push(ownTypeClash(f.name, f.type, own));
    }
    return problems;
  }

  /** The incremental check of one push against the rest of the store. */
  private *check(
    group: Group | undefined,
    families: SanitizedFamily[],
    replace: boolean,
    fresh: Group,
  ): Steps<string[]> {
    const problems: string[] = [];
    const pushed = new Map<string, MetricFamily>();
    for (let i = 0; i < families.length; i++) {
      pushed.set(families[i]!.family.name, families[i]!.family);
      if (i % 1024 === 1023) yield;
    }
    const toCheck = families.slice();
    if (group === undefined) {
      toCheck.push(timestampFamily(fresh, PUSH_TIME, 0));
      if (!pushed.has(PUSH_FAILURE_TIME)) toCheck.push(timestampFamily(fresh, PUSH_FAILURE_TIME, 0));
    }
    if (toCheck.length > 1)
      yield* sortSteps(toCheck, (a, b) => (a.family.name < b.family.name ? -1 : a.family.name > b.family.name ? 1 : 0));
    const checkedNames = new Set<string>();
    const outsideType = (n: string): MetricType | undefined => {
      const own = this.opts.ownTypes.get(n);
      if (own !== undefined) return own;
      const idx = this.families.get(n);
      // Members other than the pushed group itself.
      const pushedGroup = group !== undefined && idx?.members.has(group) === true ? 1 : 0;
      if (idx !== undefined && idx.members.size > pushedGroup) return idx.type;
      if (group !== undefined && !replace && !pushed.has(n)) return group.families.get(n)?.family.type;
      return undefined;
    };
    const typeOf = (n: string): MetricType | undefined => (checkedNames.has(n) ? pushed.get(n)?.type : outsideType(n));
    for (const sf of toCheck) {
      yield;
      const f = sf.family;
      const inners = yield* innersSteps(sf, fresh);
      const name = f.name;
      const type = name === PUSH_TIME ? 'GAUGE' : f.type;
      const ownHelp = this.opts.ownStrictHelp?.get(name);
      if (ownHelp !== undefined && (f.help ?? '') !== ownHelp) {
        problems.push(ownHelpClash(name, f.help ?? '', ownHelp));
        continue;
      }
      const own = this.opts.ownTypes.get(name);
      if (own !== undefined && own !== type) {
        problems.push(ownTypeClash(name, type, own));
        continue;
      }
      const idx = this.families.get(name);
      const otherType =
        idx === undefined
          ? undefined
          : group === undefined
            ? idx.type !== type
              ? idx.type
              : undefined
            : idx.othersWithOtherType(type, group);
      const collision = suffixCollision(name, type, typeOf);
      if (collision !== undefined) problems.push(collision);
      checkedNames.add(name);
      const metrics = f.metrics;
      // A set only when the family has several series: one series cannot repeat itself.
      const inPush = metrics.length > 1 ? new Set<string>() : undefined;
      for (let i = 0; i < metrics.length; i++) {
        if (i % 512 === 511) yield;
        const m = metrics[i]!;
        const labelProblem = checkMetricLabels(name, m, type, this.opts.utf8Names);
        if (labelProblem !== undefined) {
          problems.push(labelProblem);
          continue;
        }
        if (!payloadMatches(m, type)) {
          problems.push(typeClash(name, m, type, type));
          continue;
        }
        if (otherType !== undefined) {
          problems.push(typeClash(name, m, type, otherType));
          continue;
        }
        const inner = inners[i]!;
        if (inPush?.has(inner) === true || idx?.otherSeries(inner, group) !== undefined) {
          problems.push(duplicateSeries(name, m, type));
        }
        inPush?.add(inner);
      }
    }
    return problems;
  }

  private fail(id: string, req: PushRequest, problems: string[]): ConsistencyError {
    const group = this.groupsById.get(id) ?? this.createGroup(id, req.labels);
    runSync(this.setFamily(group, timestampFamily(group, PUSH_FAILURE_TIME, req.timeMs / 1000), req.timeMs));
    if (!group.families.has(PUSH_TIME))
      runSync(this.setFamily(group, timestampFamily(group, PUSH_TIME, 0), req.timeMs));
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
    runSync(this.dropGroupSteps(group));
  }

  /** Takes a group's families out of the family index, one at a time, then the group out of the store. */
  private *dropGroupSteps(group: Group): Steps<void> {
    for (const name of [...group.families.keys()]) {
      yield* this.detach(group, name);
      yield;
    }
    this.groupsById.delete(group.id);
  }

  /** Tells the readers walking the store (expositionAsync) that a family changed. */
  private touch(name: string): void {
    for (const touched of this.walkers) touched.add(name);
  }

  private *removeFamily(group: Group, name: string): Steps<void> {
    yield* this.detach(group, name);
    group.families.delete(name);
  }

  /** Takes a group's family out of the family index, in slices when it holds many series. */
  private *detach(group: Group, name: string): Steps<void> {
    const idx = this.families.get(name);
    if (idx === undefined) return;
    this.touch(name);
    yield* idx.removeSteps(group);
    if (idx.empty) {
      this.families.delete(name);
      this.names.remove();
    }
  }

  /** `sameSeriesKnown`: sameShape() has already found the stored series equal to the pushed ones. */
  private *setFamily(
    group: Group,
    sanitized: SanitizedFamily,
    lastPushMs: number,
    sameSeriesKnown = false,
  ): Steps<void> {
    const family = sanitized.family;
    // Share the name and HELP strings of the family index, or copy them: the parsed ones are slices of
    // the request body (V8 sliced strings), and one kept would keep the whole body alive.
    const known = this.families.get(family.name);
    const help = known?.help;
    family.name = known !== undefined ? known.name : copyString(family.name);
    if (family.help !== undefined) family.help = family.help === help ? help : copyString(family.help);
    const metrics = family.metrics;
    const gf: GroupFamily = { family, lastPushMs, series: [], rank: 0 };
    const old = group.families.get(family.name);
    group.families.set(family.name, gf);
    let idx = known;
    this.touch(family.name);
    if (old !== undefined && idx !== undefined && (sameSeriesKnown || sameSeries(old.series, metrics))) {
      idx.replaceInPlace(group, gf);
      return;
    }
    if (old !== undefined) yield* this.detach(group, family.name);
    idx = this.families.get(family.name);
    if (idx === undefined) {
      idx = new FamilyIndex(family.name, this.opts.checkConsistency);
      this.families.set(family.name, idx);
      this.names.add(idx.name);
    }
    const type = family.type;
    const inners = yield* innersSteps(sanitized, group);
    const series = new Array<SeriesEntry>(metrics.length);
    for (let i = 0; i < metrics.length; i++) {
      series[i] = { inner: inners[i]!, metric: metrics[i]!, type, group, dead: false, pos: 0 };
      if ((i & 4095) === 4095) yield;
    }
    gf.series = series;
    yield* idx.addSteps(group, gf);
  }
}

function* snapshotSteps(groups: Group[], logs: SnapshotLog[]): Steps<GroupView[]> {
  const out = new Array<GroupView>(groups.length);
  try {
    for (let i = 0; i < groups.length; i++) {
      out[i] = yield* groups[i]!.snapshotSteps(logs[i]!);
      if (i % 256 === 255) yield;
    }
  } finally {
    // A snapshot given up half-way (its reader failed) must not leave the other groups recording.
    for (let i = 0; i < groups.length; i++) groups[i]!.families.unwatch(logs[i]!);
  }
  return out;
}

/** A family of a restored group with its series, not yet attached to the family index. */
function restoredFamily(group: Group, family: MetricFamily, lastPushMs: number): GroupFamily {
  const type = family.type;
  const series = family.metrics.map(
    (metric): SeriesEntry => ({
      inner: flat(renderLabelInner(metric.labels)),
      metric,
      type,
      group,
      dead: false,
      pos: 0,
    }),
  );
  return { family, lastPushMs, series, rank: 0 };
}

/**
 * A re-push that only changes values: every pushed family is already in the group with the same type and
 * exactly the same series. The store was consistent before, and such a push changes no name, type or
 * label set, so it cannot make it inconsistent (removing a PUT's other families cannot either); only
 * each metric's payload has to match its type. The common case of a job pushing again skips the check.
 */
function* sameShape(
  group: Group,
  families: SanitizedFamily[],
  ownStrictHelp: ReadonlyMap<string, string> | undefined,
): Steps<boolean> {
  for (const { family } of families) {
    yield;
    if (family.name === PUSH_TIME || family.name === PUSH_FAILURE_TIME) return false;
    // The HELP of these must match the gateway's own, and HELP is not part of the shape.
    if (ownStrictHelp?.has(family.name) === true) return false;
    const old = group.families.get(family.name);
    if (old === undefined || old.family.type !== family.type || !sameSeries(old.series, family.metrics)) return false;
    for (const m of family.metrics) if (!payloadMatches(m, family.type)) return false;
  }
  return true;
}

/**
 * Do the metrics have exactly the label sets of the stored series, in order? Compared pair by pair,
 * which is the same as comparing series keys (sorted labels, injective rendering) without rendering;
 * grouping and interned pairs are mostly the very same objects.
 */
function sameSeries(old: SeriesEntry[], metrics: Metric[]): boolean {
  if (old.length !== metrics.length) return false;
  for (let i = 0; i < old.length; i++) {
    const a = old[i]!.metric.labels;
    const b = metrics[i]!.labels;
    if (a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) {
      const x = a[k]!;
      const y = b[k]!;
      if (x !== y && (x.name !== y.name || x.value !== y.value)) return false;
    }
  }
  return true;
}

/** One problem per metric of the group a push with a non-UTF-8 grouping key would create. */
function invalidKeyProblems(families: SanitizedFamily[], group: Group): string[] {
  const all = families.map((f) => f.family);
  all.push(timestampFamily(group, PUSH_TIME, 0).family);
  if (!all.some((f) => f.name === PUSH_FAILURE_TIME)) all.push(timestampFamily(group, PUSH_FAILURE_TIME, 0).family);
  const problems: string[] = [];
  for (const f of all) {
    for (const m of f.metrics) {
      const problem = invalidUtf8LabelValue(f.name, m, f.type);
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}

function timestampFamily(group: Group, name: string, seconds: number): SanitizedFamily {
  return {
    family: {
      name,
      help: name === PUSH_TIME ? PUSH_TIME_HELP : PUSH_FAILURE_TIME_HELP,
      type: 'GAUGE',
      metrics: [{ labels: group.timestampLabels, value: seconds }],
    },
    inners: [group.timestampInner],
  };
}
