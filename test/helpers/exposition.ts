/**
 * Normalisation and comparison utilities for differential tests against the reference Pushgateway.
 * They turn a text exposition into the part a test case owns (its own families and grouping jobs),
 * mask push timestamps, and reduce consistency-error bodies to what is stable across Go versions:
 * the reference renders metrics inside those errors with protobuf text whose spacing changed between
 * 1.5.1 and 1.11 (client_golang's Gatherers.Gather consistency errors), so only the prefix up to the first `{` of each
 * problem counts.
 */

/** One family of a text exposition: its name and every line (HELP, TYPE, samples) in output order. */
export interface ExpositionFamily {
  name: string;
  lines: string[];
}

/** Families whose samples are the gateways' own instrumentation, different by nature between servers. */
export const OWN_FAMILY_PREFIXES = ['go_', 'process_', 'pushgateway_', 'nodejs_'] as const;

/** The per-group synthetic gauges whose values are wall-clock times. */
export const TIME_FAMILIES = new Set(['push_time_seconds', 'push_failure_time_seconds']);

const CONSISTENCY_PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: ';

/** The metric name a sample line starts with (up to `{` or the first blank). */
export function sampleName(line: string): string {
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x20 || c === 0x09) break;
    i++;
  }
  return line.slice(0, i);
}

/** Splits a text exposition into families, keyed by the name on their HELP/TYPE lines. */
export function parseFamilies(text: string): ExpositionFamily[] {
  const families: ExpositionFamily[] = [];
  let current: ExpositionFamily | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let name: string;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      name = line.slice(7).split(' ', 1)[0]!;
    } else if (line.startsWith('#')) {
      continue;
    } else {
      // A sample keeps the family it follows; summaries/histograms add suffixes to that name.
      name = current?.name ?? sampleName(line);
    }
    if (current === undefined || current.name !== name) {
      current = { name, lines: [] };
      families.push(current);
    }
    current.lines.push(line);
  }
  return families;
}

/** The unescaped value of label `name` in a sample line, or undefined when the label is absent. */
export function labelValue(line: string, name: string): string | undefined {
  const open = line.indexOf('{');
  if (open < 0) return undefined;
  let i = open + 1;
  while (i < line.length && line[i] !== '}') {
    const eq = line.indexOf('=', i);
    if (eq < 0) return undefined;
    const label = line.slice(i, eq).trim();
    let j = eq + 2; // skip `="`
    let value = '';
    while (j < line.length && line[j] !== '"') {
      if (line[j] === '\\') {
        const next = line[j + 1];
        value += next === 'n' ? '\n' : next;
        j += 2;
      } else {
        value += line[j];
        j++;
      }
    }
    if (label === name) return value;
    i = j + 1;
    if (line[i] === ',') i++;
  }
  return undefined;
}

/** Replaces a non-zero push timestamp value by `<time>`, keeping `0` (a group that never succeeded). */
export function maskTimeValue(line: string): string {
  const sp = line.lastIndexOf(' ');
  const value = line.slice(sp + 1);
  return value === '0' ? line : `${line.slice(0, sp + 1)}<time>`;
}

export interface NormaliseOptions {
  /** Families kept whole (every series belongs to the case), e.g. the case's own metric prefix. */
  ownsFamily: (name: string) => boolean;
  /** Shared families (timestamps, own metrics a case pushes into) are kept only for these jobs. */
  ownsJob: (job: string) => boolean;
  /** Extra shared family names the case pushes into (normally dropped as own instrumentation). */
  sharedFamilies?: readonly string[];
  /** Families whose HELP line is left out because the reference picks it non-deterministically. */
  dropHelp?: readonly string[];
}

function isOwnInstrumentation(name: string): boolean {
  return OWN_FAMILY_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * The part of an exposition a case owns, with push times masked. Whole families matching `ownsFamily`
 * are kept as they are; the timestamp families and `sharedFamilies` keep only the case's jobs' samples.
 */
export function normaliseExposition(text: string, opts: NormaliseOptions): string {
  const shared = new Set([...TIME_FAMILIES, ...(opts.sharedFamilies ?? [])]);
  const dropHelp = new Set(opts.dropHelp ?? []);
  const out: string[] = [];
  for (const fam of parseFamilies(text)) {
    const isShared = shared.has(fam.name);
    if (!isShared && (isOwnInstrumentation(fam.name) || !opts.ownsFamily(fam.name))) continue;
    const meta: string[] = [];
    const samples: string[] = [];
    for (const line of fam.lines) {
      if (line.startsWith('# ')) {
        if (!(line.startsWith('# HELP ') && dropHelp.has(fam.name))) meta.push(line);
        continue;
      }
      if (isShared) {
        const job = labelValue(line, 'job');
        if (job === undefined || !opts.ownsJob(job)) continue;
      }
      samples.push(TIME_FAMILIES.has(fam.name) ? maskTimeValue(line) : line);
    }
    if (samples.length > 0) out.push(...meta, ...samples);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Content-Type of a scrape without the `escaping=underscores` parameter 1.11 adds and 1.5.1 lacks. */
export function normaliseContentType(ct: string | undefined): string {
  if (ct === undefined) return '';
  return ct
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '' && p !== 'escaping=underscores')
    .join('; ');
}

// A suffix collision is reported from whichever side the reference happened to gather first (Go map
// order), e.g. `collected metric named "s_count" collides with previously collected summary named "s"`
// or `collected histogram or summary named "s" collides with previously collected metric named "s_count"`.
const COLLISION_PLAIN_FIRST =
  /^collected metric named (".*") collides with previously collected (?:summary|histogram) named (".*")$/;
const COLLISION_COMPOSITE_FIRST = new RegExp(
  /^collected (?:histogram or summary|histogram|summary) named (".*") collides with /.source +
    /previously collected metric named (".*")$/.source,
);

/**
 * One consistency problem reduced to what is stable: the prefix through the first `{` when there is
 * one, and suffix collisions in one canonical direction.
 */
export function problemPrefix(problem: string): string {
  const plain = COLLISION_PLAIN_FIRST.exec(problem);
  if (plain !== null) return `suffix collision of ${plain[1]} with ${plain[2]}`;
  const composite = COLLISION_COMPOSITE_FIRST.exec(problem);
  if (composite !== null) return `suffix collision of ${composite[2]} with ${composite[1]}`;
  const brace = problem.indexOf('{');
  return brace < 0 ? problem : problem.slice(0, brace + 1);
}

/**
 * A comparable signature of a response body. Consistency errors become the header plus the sorted
 * list of problem prefixes (the reference reports several problems in map order); other bodies are
 * returned unchanged.
 */
export function bodySignature(body: string): string {
  if (!body.startsWith(CONSISTENCY_PREFIX)) return body;
  let rest = body.slice(CONSISTENCY_PREFIX.length);
  if (rest.endsWith('\n')) rest = rest.slice(0, -1);
  const multi = /^(\d+) error\(s\) occurred:\n/.exec(rest);
  if (multi === null) return `${CONSISTENCY_PREFIX}${problemPrefix(rest)}\n`;
  const problems = rest
    .slice(multi[0].length)
    .split('\n* ')
    .map((p) => problemPrefix(p.replace(/^\* /, '')));
  problems.sort();
  return `${CONSISTENCY_PREFIX}${multi[1]} error(s) occurred:\n* ${problems.join('\n* ')}\n`;
}

/** A consistency-error body cut after its fixed prefix; any other body unchanged. */
export function consistencyHead(body: string): string {
  return body.startsWith(CONSISTENCY_PREFIX) ? CONSISTENCY_PREFIX : body;
}

/** A short line-oriented diff: the first differing line with two lines of context from each side. */
export function shortDiff(expected: string, actual: string, maxLines = 12): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 2);
  const show = (lines: string[], tag: string) =>
    lines
      .slice(from, from + maxLines)
      .map((l, k) => `${from + k === i ? '>' : ' '}${tag} ${JSON.stringify(l)}`)
      .join('\n');
  return `first difference at line ${i + 1}\n${show(a, 'ref ')}\n${show(b, 'ours')}`;
}

// ---------------------------------------------------------------------------------------------------
// Transcripts of a replayed case and their comparison

export interface StepResult {
  status: number;
  allow?: string;
  location?: string;
  contentType?: string;
  contentEncoding?: string;
  /** Body bytes (gunzipped if Content-Encoding says gzip) as latin1, one char per byte: byte-exact. */
  body: string;
  /** Set when the request failed at the transport level (e.g. the server hung and we timed out). */
  error?: string;
}

export interface ScrapeResult {
  afterStep: number;
  status: number;
  contentType: string;
  contentEncoding: string;
  /** The case's part of the exposition, push times masked (see normaliseExposition). */
  exposition: string;
}

export interface CaseTranscript {
  steps: StepResult[];
  scrapes: ScrapeResult[];
}

function compareStep(i: number, ref: StepResult, ours: StepResult, unstableDetail: boolean): string[] {
  const diffs: string[] = [];
  const tag = `step ${i + 1}`;
  if (ref.error !== undefined || ours.error !== undefined) {
    diffs.push(`${tag}: transport error ref=${ref.error ?? 'none'} ours=${ours.error ?? 'none'}`);
  }
  if (ref.status !== ours.status) diffs.push(`${tag}: status ref=${ref.status} ours=${ours.status}`);
  for (const h of ['allow', 'location'] as const) {
    if (ref[h] !== ours[h])
      diffs.push(`${tag}: ${h} header ref=${JSON.stringify(ref[h])} ours=${JSON.stringify(ours[h])}`);
  }
  if ((ref.body !== '' || ours.body !== '') && ref.contentType !== ours.contentType) {
    diffs.push(`${tag}: content-type ref=${JSON.stringify(ref.contentType)} ours=${JSON.stringify(ours.contentType)}`);
  }
  const signature = unstableDetail ? consistencyHead : bodySignature;
  const rb = signature(ref.body);
  const ob = signature(ours.body);
  if (rb !== ob) diffs.push(`${tag}: body ref=${JSON.stringify(rb)} ours=${JSON.stringify(ob)}`);
  return diffs;
}

function compareScrape(ref: ScrapeResult, ours: ScrapeResult): string[] {
  const diffs: string[] = [];
  const tag = `scrape after step ${ref.afterStep + 1}`;
  if (ref.status !== ours.status) diffs.push(`${tag}: status ref=${ref.status} ours=${ours.status}`);
  for (const h of ['contentType', 'contentEncoding'] as const) {
    if (ref[h] !== ours[h]) diffs.push(`${tag}: ${h} ref=${JSON.stringify(ref[h])} ours=${JSON.stringify(ours[h])}`);
  }
  if (ref.exposition !== ours.exposition) {
    diffs.push(`${tag}: exposition differs, ${shortDiff(ref.exposition, ours.exposition)}`);
  }
  return diffs;
}

/**
 * Every difference between two transcripts of the same case, one human-readable line (or block) each.
 * `unstable` compares consistency-error bodies by their fixed prefix only.
 */
export function compareTranscripts(ref: CaseTranscript, ours: CaseTranscript, unstable = false): string[] {
  const diffs: string[] = [];
  for (const [i, r] of ref.steps.entries()) diffs.push(...compareStep(i, r, ours.steps[i]!, unstable));
  for (const [i, r] of ref.scrapes.entries()) diffs.push(...compareScrape(r, ours.scrapes[i]!));
  return diffs;
}
