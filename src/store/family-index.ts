/**
 * Everything the store knows about one metric family name across all groups: which groups hold it,
 * how many with each type (for O(1) type-clash checks), a map of series keys (for duplicate checks),
 * and the series in the reference's exposition order (sorted lazily, once per scrape at most, and only
 * when membership changed), rendered as text a chunk (SERIES_PER_CHUNK series) at a time into cached
 * pieces (docs/design.md).
 */
import type { LabelPair, Metric, MetricFamily, MetricType } from '../model/metric.js';
import { renderHeader, renderSeries } from '../format/text-write.js';
import { Piece } from '../format/gzip-pieces.js';
import type { Group } from './group.js';
import { SmallMap } from './small-map.js';
import { runSync, sortSteps, type Steps } from '../slicer.js';

/** Series handled between two points where a sliced add or remove may pause (a power of two, minus one). */
const STEP_MASK = 4095;

/** One exposed series (a sample, or a summary/histogram with all its lines). */
export interface SeriesEntry {
  /** Rendered label text without braces: the series key, canonical because labels are sorted. */
  inner: string;
  metric: Metric;
  /** The type of the family the series was pushed in (groups may disagree without the consistency check). */
  type: MetricType;
  group: Group;
  dead: boolean;
  /** Index in exposition order; valid while the family's chunk layout is. */
  pos: number;
}

/** A family as stored in one group. */
export interface GroupFamily {
  family: MetricFamily;
  /** When a push last wrote this family (ms since epoch, sub-ms precision). */
  lastPushMs: number;
  series: SeriesEntry[];
  /**
   * Order in which the groups holding this family name came to hold it (smallest = oldest holder, whose
   * HELP and type are exposed); set by the family index, kept when a re-push replaces the family in place.
   */
  rank: number;
}

/**
 * Go's MetricSorter: fewer labels first, then label values position by position (names are not
 * compared; labels are sorted by name so positions line up for equal label sets).
 */
export function compareSeries(a: SeriesEntry, b: SeriesEntry): number {
  return compareLabelValues(a.metric.labels, b.metric.labels);
}

export function compareLabelValues(la: LabelPair[], lb: LabelPair[]): number {
  if (la.length !== lb.length) return la.length - lb.length;
  for (let i = 0; i < la.length; i++) {
    const va = la[i]!.value;
    const vb = lb[i]!.value;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return 0;
}

/**
 * Series per chunk; each chunk is rendered into one cached piece of exposition text. A re-push re-renders
 * (and, for gzip scrapes, recompresses) only the chunks holding its series; a change of membership re-lays
 * the family out into chunks.
 */
export const SERIES_PER_CHUNK = 512;

export class FamilyIndex {
  readonly name: string;
  /** Groups holding this family, in the order they first pushed it. */
  readonly members = new SmallMap<Group, GroupFamily>();
  /**
   * Members per type, made when a second group joins: with one member its type is the only one. Most
   * families of a gateway have one member, and the map was a part of what each of them cost.
   */
  private typeCounts: SmallMap<MetricType, number> | null = null;
  /**
   * Series key → entry, for the duplicate check of a push against the other groups' series; made the
   * first time a push asks with another group holding the family (otherSeries()), kept up to date since.
   * Not kept without the consistency check.
   */
  private seriesByKey: SmallMap<string, SeriesEntry> | null = null;
  private readonly trackSeries: boolean;
  /**
   * Every series in exposition order once settled. While one group holds the family this is that
   * group's own `series` array (`entriesShared`): never changed in place then, copied before a change.
   */
  private entries: SeriesEntry[] = NO_ENTRIES;
  private entriesShared = false;
  private sortDirty = false;
  private deadCount = 0;
  /** The rendered piece of each chunk; null = to be rendered. Meaningful only while layoutValid. */
  private chunks: (Piece | null)[] = NO_CHUNKS;
  private layoutValid = false;
  private header: Piece | null = null;
  private headerText = '';
  /** The next GroupFamily.rank to hand out. */
  private nextRank = 0;
  /** Increases whenever `entries` gains or loses series: a sort done in steps is installed only if unchanged. */
  private membership = 0;

  constructor(name: string, trackSeries = true) {
    this.name = name;
    this.trackSeries = trackSeries;
  }

  /** Type of the family as exposed: the type of its oldest member. */
  get type(): MetricType {
    return this.members.first()?.family.type ?? 'UNTYPED';
  }

  /** HELP as exposed: the oldest member's (the reference takes a random group's). */
  get help(): string | undefined {
    return this.members.first()?.family.help;
  }

  /** UNIT as exposed in protobuf: the oldest member's. */
  get unit(): string | undefined {
    return this.members.first()?.family.unit;
  }

  /** How many groups other than `except` hold this family with a type other than `type`. */
  othersWithOtherType(type: MetricType, except: Group): MetricType | undefined {
    if (this.typeCounts === null) {
      for (const [g, gf] of this.members) if (g !== except && gf.family.type !== type) return gf.family.type;
      return undefined;
    }
    const own = this.members.get(except)?.family.type;
    for (const [t, n] of this.typeCounts) {
      if (t === type) continue;
      if (n - (own === t ? 1 : 0) > 0) return t;
    }
    return undefined;
  }

  add(group: Group, gf: GroupFamily): void {
    runSync(this.addSteps(group, gf));
  }

  /** add() as steps: a family of a million series joining one that other groups hold is indexed in slices. */
  *addSteps(group: Group, gf: GroupFamily): Steps<void> {
    gf.rank = this.nextRank++;
    this.members.set(group, gf);
    if (this.typeCounts !== null) {
      this.typeCounts.set(gf.family.type, (this.typeCounts.get(gf.family.type) ?? 0) + 1);
    } else if (this.members.size > 1) {
      this.typeCounts = new SmallMap();
      for (const m of this.members.values())
        this.typeCounts.set(m.family.type, (this.typeCounts.get(m.family.type) ?? 0) + 1);
    }
    const byKey = this.seriesByKey;
    const series = gf.series;
    if (byKey !== null) {
      for (let i = 0; i < series.length; i++) {
        byKey.set(series[i]!.inner, series[i]!);
        if ((i & STEP_MASK) === STEP_MASK) yield;
      }
    }
    if (this.entries.length === 0) {
      // The only series: share the group's array (an array per family was a fifth of its cost).
      this.entries = series;
      this.entriesShared = true;
    } else {
      if (this.entriesShared) this.ownEntries();
      const entries = this.entries;
      for (let i = 0; i < series.length; i++) {
        entries.push(series[i]!);
        if ((i & STEP_MASK) === STEP_MASK) yield;
      }
    }
    this.sortDirty = true;
    this.layoutValid = false;
    this.membership++;
  }

  remove(group: Group): void {
    runSync(this.removeSteps(group));
  }

  /** remove() as steps: a group's family of a million series is let go of in slices. */
  *removeSteps(group: Group): Steps<void> {
    const gf = this.members.get(group);
    if (gf === undefined) return;
    this.members.delete(group);
    if (this.typeCounts !== null) {
      const n = (this.typeCounts.get(gf.family.type) ?? 1) - 1;
      if (n === 0) this.typeCounts.delete(gf.family.type);
      else this.typeCounts.set(gf.family.type, n);
    }
    const byKey = this.seriesByKey;
    const series = gf.series;
    for (let i = 0; i < series.length; i++) {
      const e = series[i]!;
      if (byKey !== null && byKey.get(e.inner) === e) byKey.delete(e.inner);
      e.dead = true;
      if ((i & STEP_MASK) === STEP_MASK) yield;
    }
    this.deadCount += gf.series.length;
    this.layoutValid = false;
    this.membership++;
    // Dead entries keep their series alive until the next scrape settles the list; compact earlier when
    // they outnumber the live ones, so memory stays bounded without scrapes (amortised O(1) per removal).
    if (this.deadCount > 1024 && this.deadCount > this.entries.length - this.deadCount) {
      this.entries = yield* liveSteps(this.entries);
      this.entriesShared = false;
      this.deadCount = 0;
    }
  }

  /**
   * The series of a group other than `group` (any group when undefined) with this series key. The map
   * is built the first time a push asks while another group holds the family.
   */
  otherSeries(inner: string, group: Group | undefined): SeriesEntry | undefined {
    if (!this.trackSeries) return undefined;
    if (this.seriesByKey === null) {
      if (this.members.size === 0 || (this.members.size === 1 && group !== undefined && this.members.has(group))) {
        return undefined;
      }
      const byKey = new SmallMap<string, SeriesEntry>();
      for (const gf of this.members.values()) for (const e of gf.series) byKey.set(e.inner, e);
      this.seriesByKey = byKey;
    }
    const e = this.seriesByKey.get(inner);
    return e !== undefined && e.group !== group ? e : undefined;
  }

  /** Makes `entries` the index's own array before a change in place. */
  private ownEntries(): void {
    this.entries = this.entries.slice();
    this.entriesShared = false;
  }

  /**
   * Replaces a member's family whose series have exactly the same label sets as before: the entries are
   * updated in place, so the sorted order stays valid and only their chunks are rendered again (the
   * common case of a job re-pushing its metrics).
   */
  replaceInPlace(group: Group, gf: GroupFamily): void {
    const old = this.members.get(group)!;
    const type = gf.family.type;
    if (old.family.type !== type && this.typeCounts !== null) {
      this.typeCounts.set(old.family.type, this.typeCounts.get(old.family.type)! - 1);
      if (this.typeCounts.get(old.family.type) === 0) this.typeCounts.delete(old.family.type);
      this.typeCounts.set(type, (this.typeCounts.get(type) ?? 0) + 1);
    }
    const metrics = gf.family.metrics;
    // The chunk list may have been handed out by pieces(): changed on a copy.
    const chunks = this.layoutValid ? this.chunks.slice() : this.chunks;
    for (let i = 0; i < old.series.length; i++) {
      const e = old.series[i]!;
      e.metric = metrics[i]!;
      e.type = type;
      if (this.layoutValid) chunks[(e.pos / SERIES_PER_CHUNK) | 0] = null;
    }
    this.chunks = chunks;
    gf.series = old.series;
    gf.rank = old.rank;
    this.members.set(group, gf);
  }

  get empty(): boolean {
    return this.members.size === 0;
  }

  /**
   * Renders up to `max` of the chunks the next pieces() call would render; returns how many it did.
   * Lets a big scrape be rendered in slices with the event loop served in between.
   */
  renderSome(max: number): number {
    this.layout();
    let done = 0;
    for (let c = 0; c < this.chunks.length && done < max; c++) {
      if (this.chunks[c] === null) {
        this.chunks[c] = this.renderChunk(c);
        done++;
      }
    }
    return done;
  }

  /** The family's exposition text: the HELP/TYPE header, then every live series in order, in pieces. */
  pieces(): Piece[] {
    this.layout();
    // One chunk (most families): header and series in one piece, which saves a piece, its buffer and the
    // header's text per family. The chunk is rendered again whenever the header could change: only a
    // push of its oldest member's series can change it, and those series are all in this chunk.
    // The list itself is returned (no array per family and scrape): chunks are changed on a copy.
    if (this.chunks.length === 1) {
      this.chunks[0] ??= this.renderChunk(0);
      return this.chunks as Piece[];
    }
    const header = renderHeader(this.name, this.help, this.type);
    if (this.header === null || this.headerText !== header) {
      this.header = new Piece(header);
      this.headerText = header;
    }
    const out: Piece[] = [this.header];
    for (let c = 0; c < this.chunks.length; c++) out.push((this.chunks[c] ??= this.renderChunk(c)));
    return out;
  }

  /** Live series in exposition order (for merging with the gateway's own series of the same name). */
  sortedEntries(): SeriesEntry[] {
    runSync(this.settleSteps());
    return this.entries;
  }

  /**
   * sortedEntries() as steps, for readers that pause: a family of a million series is sorted in slices.
   * The result is the entries in exposition order as they are when the steps end; keep it only until
   * the next pause (a write may change the family then).
   */
  *sortedEntriesSteps(): Steps<SeriesEntry[]> {
    yield* this.settleSteps();
    return this.entries;
  }

  /** Are the series sorted and laid out in chunks (layoutSteps() has nothing to do)? */
  get laidOut(): boolean {
    return this.layoutValid;
  }

  /**
   * Sorts and lays the series out in chunks, as steps (renderSome() and pieces() then do neither). Writes
   * to the family spoil an attempt; after a few, a caller that can `giveUp` (a scrape's walk while writes
   * go on) gets false and takes the family again with writes held off, when nothing can spoil it; any
   * other caller gets the rest in one go, so it ends.
   */
  *layoutSteps(giveUp = false): Steps<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (giveUp && attempt >= SPOILT_ATTEMPTS) return false;
      if (!(yield* this.settleSteps(giveUp))) return false;
      if (this.layoutValid) return true;
      const membership = this.membership;
      const entries = this.entries;
      const sliced = giveUp || attempt < SPOILT_ATTEMPTS;
      for (let i = 0; i < entries.length; i++) {
        entries[i]!.pos = i;
        if (sliced && i % LAID_OUT_PER_STEP === LAID_OUT_PER_STEP - 1) {
          yield;
          if (this.membership !== membership) break;
        }
      }
      if (this.membership !== membership) continue;
      if (this.layoutValid) return true; // another reader laid it out meanwhile, and may have rendered chunks
      this.chunks = new Array<Piece | null>(Math.ceil(entries.length / SERIES_PER_CHUNK)).fill(null);
      this.layoutValid = true;
      return true;
    }
  }

  private layout(): void {
    runSync(this.layoutSteps());
  }

  private renderChunk(c: number): Piece {
    const end = Math.min(this.entries.length, (c + 1) * SERIES_PER_CHUNK);
    let text = this.chunks.length === 1 ? renderHeader(this.name, this.help, this.type) : '';
    for (let i = c * SERIES_PER_CHUNK; i < end; i++) {
      const e = this.entries[i]!;
      text += renderSeries(this.name, e.type, e.metric, e.inner);
    }
    return new Piece(text);
  }

  /**
   * Drops dead entries and sorts the rest, in steps. The sort works on a copy, installed only if no
   * series came or went meanwhile (else it starts again from the newer entries); Array.prototype.sort
   * and sortSteps are both stable, so the order is the same as sorting in one go. After a few attempts
   * spoilt by writes: false if it may `giveUp`, else the rest in one go, so that it ends.
   */
  private *settleSteps(giveUp = false): Steps<boolean> {
    for (let attempt = 0; this.deadCount > 0 || this.sortDirty; attempt++) {
      if (giveUp && attempt >= SPOILT_ATTEMPTS) return false;
      const membership = this.membership;
      if (this.entries.length <= SORTED_IN_ONE_GO || attempt >= SPOILT_ATTEMPTS) {
        if (this.deadCount > 0) {
          this.entries = this.entries.filter((e) => !e.dead);
          this.entriesShared = false;
        }
        if (this.sortDirty && !isSorted(this.entries)) {
          if (this.entriesShared) this.ownEntries();
          this.entries.sort(compareSeries);
        }
        this.deadCount = 0;
        this.sortDirty = false;
        return true;
      }
      const live = this.deadCount > 0 ? yield* liveSteps(this.entries) : this.entries.slice();
      const dirty = this.sortDirty;
      if (dirty) yield* sortSteps(live, compareSeries);
      if (this.membership !== membership) continue;
      this.entries = live;
      this.entriesShared = false;
      this.deadCount = 0;
      if (dirty) this.sortDirty = false;
      return true;
    }
    return true;
  }
}

/** The entries not dead, in order, with a yield every few thousand. */
function* liveSteps(entries: SeriesEntry[]): Steps<SeriesEntry[]> {
  const live: SeriesEntry[] = [];
  for (let i = 0; i < entries.length; i++) {
    if (!entries[i]!.dead) live.push(entries[i]!);
    if ((i & STEP_MASK) === STEP_MASK) yield;
  }
  return live;
}

/**
 * Attempts of a sliced layout spoilt by writes to the family before an impatient caller gives up (they
 * used to be followed by one in one go, which held the event loop 100-180 ms for a family of 100k series
 * that new groups kept joining during a scrape: issue 12's bench x).
 */
const SPOILT_ATTEMPTS = 3;

const NO_ENTRIES: SeriesEntry[] = [];
const NO_CHUNKS: (Piece | null)[] = [];

/** Are the entries in exposition order already (one series, or a push in that order)? */
function isSorted(entries: SeriesEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (compareSeries(entries[i - 1]!, entries[i]!) > 0) return false;
  return true;
}

/** Families of up to this many series are sorted without pausing (a few ms at most). */
const SORTED_IN_ONE_GO = 4096;
/** Series positions set between two yields of layoutSteps(). */
const LAID_OUT_PER_STEP = 16_384;
