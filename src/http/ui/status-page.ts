/**
 * The server-rendered UI at `/` and `/status`, the reference's page rebuilt: a Metrics tab with one
 * panel per group (label badges, job first; "Last push failed!"; its families with HELP, TYPE, last push
 * time and every series with its value), and for a group with a lifecycle (docs/lifecycle.md) its TTL,
 * time to expiry and up state, overdue groups marked; a Status tab (start time, build information,
 * flags); a Help link. Each group also shows the age of its last push and copyable curl commands
 * (group-tools.ts). A page holds at most PAGE_SIZE groups, filtered, sorted and paged on the server from
 * the query string (page-query.ts). Panels are <details> elements, so reading needs no JavaScript; the
 * script (ui-script.ts) adds the delete buttons' confirmation, remembers what is expanded, and runs the
 * filter, sort, "failed only" and stale controls over the panels' data attributes.
 */
import type { StoreReader } from '../../store/store-reader.js';
import { PUSH_FAILURE_TIME, PUSH_TIME, type GroupView } from '../../store/group.js';
import { Slicer, runSliced, sortSteps, type Steps } from '../../slicer.js';
import {
  PAGE_SIZE,
  filters,
  pageOfSteps,
  paginationNav,
  parsePageQuery,
  type PageQuery,
  type PageSlice,
  type SortOrder,
} from './page-query.js';
import { TextParts } from '../text-parts.js';
import { htmlEscape } from '../respond.js';
import { REVISION, VERSION } from '../../version.js';
import { formatDuration } from '../../config.js';
import type { GroupLifecycle } from '../../lifecycle/group-lifecycle.js';
import { labelBadge, seriesRow } from './metric-values.js';
import { groupPushUrl } from './delete-url.js';
import { curlCommands, pushAge } from './group-tools.js';

/** What the page needs beyond the store; the defaults render a page without links to a prefix. */
export interface PageOptions {
  /** The path prefix the browser sees (the external URL's path), '' for relative links. */
  externalPathPrefix?: string;
  /** --web.enable-admin-api: shows "Delete all N groups". */
  enableAdminApi?: boolean;
  /** The build information table of the Status tab. */
  buildInfo?: Record<string, string>;
  /** The absolute URL the push API is reached at (no trailing slash), for the copyable curl commands. */
  absoluteBase?: string;
  /** The clock for "N min ago" (ms since the epoch); Date.now by default. */
  nowMs?: number;
  /** Filter, sort, "failed only" and page, from the query string (page-query.ts); the first page of all by default. */
  query?: PageQuery;
}

/**
 * Filter, sort, "failed only" and the stale threshold. The first three are a GET form the server applies
 * (page-query.ts), so they work across pages and without JavaScript; the script (ui-script.ts) applies
 * them at once in the page when it holds the whole store, and submits the form otherwise. The stale
 * threshold only marks panels: it needs the script and is shown by it.
 */
function toolsForm(query: PageQuery): string {
  const option = (value: SortOrder, text: string): string =>
    `<option value="${value}"${query.sort === value ? ' selected' : ''}>${text}</option>`;
  return (
    '<form id="tools" class="tools" method="get" role="search">' +
    `<input type="search" id="filter" name="q" value="${htmlEscape(query.text)}" ` +
    'placeholder="Filter: label name or value, metric name" ' +
    'aria-label="Filter groups by label name or value or metric name">' +
    `<label>Sort <select id="sort" name="sort">${option('job', 'by job')}` +
    `${option('oldest', 'by age, oldest push first')}` +
    `${option('newest', 'by age, newest push first')}</select></label>` +
    `<label><input type="checkbox" id="failed-only" name="failed" value="1"${query.failedOnly ? ' checked' : ''}>` +
    ' failed only</label>' +
    '<label class="needs-js">Stale after <input type="number" id="stale-minutes" min="0" step="1" size="5" ' +
    'aria-label="Stale after this many minutes without a push"> min</label>' +
    '<button type="submit" id="apply">Apply</button>' +
    '<span id="shown" aria-live="polite"></span></form>\n'
  );
}

/** "Groups 101–200 of 10000" (with "matching" under a filter); '' when the page shows the whole store. */
function pageInfo(query: PageQuery, slice: PageSlice, total: number): string {
  if (slice.pages <= 1 && !filters(query)) return '';
  const first = slice.matching === 0 ? 0 : (slice.page - 1) * PAGE_SIZE + 1;
  const last = (slice.page - 1) * PAGE_SIZE + slice.groups.length;
  const of = filters(query) ? `${slice.matching} matching (of ${total})` : String(total);
  return `<p id="page-info">Groups ${first}&ndash;${last} of ${of}, page ${slice.page} of ${slice.pages}</p>\n`;
}

const HELP_URL = 'https://github.com/prometheus/pushgateway/blob/master/README.md';

function isoTime(seconds: number): string {
  return seconds === 0 ? 'never' : new Date(seconds * 1000).toISOString();
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function tableRows(m: Record<string, string>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `<tr><th scope="row">${htmlEscape(k)}</th><td>${htmlEscape(m[k]!)}</td></tr>`)
    .join('');
}

/**
 * One page of the UI as pieces to write in order: at most PAGE_SIZE groups (page-query.ts), so a big
 * store is never rendered whole. Groups are taken as they are when the request comes (snapshots taken in
 * slices) and rendered a slice at a time with the event loop served in between, so a page over one group
 * of a million families does not hold up health checks and pushes.
 */
export async function renderStatusPage(
  store: StoreReader,
  startedAt: Date,
  flags: Record<string, string>,
  slicer = new Slicer(),
  lifecycle?: GroupLifecycle,
  options: PageOptions = {},
): Promise<Buffer[]> {
  const all = await store.snapshotGroupsAsync(slicer);
  const query = options.query ?? parsePageQuery(undefined);
  const slice = await runSliced(pageOfSteps(all, query), slicer);
  const groups = slice.groups;
  // As the reference: the external URL's path, else relative to the page (which sits at the prefix root).
  const rawBase = options.externalPathPrefix || '.';
  const base = htmlEscape(rawBase);
  const v = encodeURIComponent(REVISION || VERSION);
  const n = all.length;
  const count = `${n} group${n === 1 ? '' : 's'}`;
  const wipe = options.enableAdminApi
    ? `<p><button type="button" id="wipe" class="danger needs-js" data-url="${base}/api/v1/admin/wipe"` +
      `${n === 0 ? ' disabled' : ''}>Delete all ${n} groups</button></p>\n`
    : '';
  // The script filters and sorts in the page only when it holds every group; otherwise it submits the form.
  const live = slice.pages === 1 && !filters(query);
  const nav = paginationNav(query, slice);
  const pieces: Buffer[] = [
    Buffer.from(
      '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Pushgateway</title>\n' +
        `<link rel="icon" href="${base}/static/favicon.svg?v=${v}" type="image/svg+xml">\n` +
        `<link rel="stylesheet" href="${base}/static/ui.css?v=${v}">\n` +
        `<script src="${base}/static/ui.js?v=${v}" defer></script>\n` +
        '</head><body>\n' +
        `<nav><a class="brand" href="${base}/">Pushgateway</a><a href="#metrics">Metrics</a>` +
        `<a href="#status">Status</a><a href="${HELP_URL}">Help</a></nav>\n` +
        '<main>\n<section id="metrics" class="tab"><h2>Metrics</h2>\n' +
        `<p id="group-count">${count}</p>\n${wipe}${toolsForm(query)}${pageInfo(query, slice, n)}${nav}` +
        `<div id="groups" data-total="${n}" data-live="${live ? '1' : '0'}">\n`,
      'utf8',
    ),
  ];
  const tools: ToolContext = { absoluteBase: options.absoluteBase ?? '', nowMs: options.nowMs ?? Date.now() };
  pieces.push(...(await runSliced(groupSectionsSteps(groups, lifecycle, rawBase, tools), slicer)));
  pieces.push(
    Buffer.from(
      `\n</div>\n${nav}</section>\n<section id="status" class="tab"><h2>Status</h2>\n` +
        `<p>Started: ${htmlEscape(startedAt.toISOString())} &middot; version ${htmlEscape(VERSION)}</p>\n` +
        `<h3>Build information</h3>\n<table class="build">${tableRows(options.buildInfo ?? { version: VERSION })}` +
        '</table>\n' +
        `<h3>Startup flags</h3>\n<table class="flags">${tableRows(flags)}</table>\n` +
        '</section>\n</main>\n</body></html>\n',
      'utf8',
    ),
  );
  return pieces;
}

function* groupSectionsSteps(
  groups: GroupView[],
  lifecycle: GroupLifecycle | undefined,
  base: string,
  tools: ToolContext,
): Steps<Buffer[]> {
  const out = new TextParts();
  const now = lifecycle?.now() ?? 0;
  for (let i = 0; i < groups.length; i++) {
    if (i > 0) out.add('\n');
    yield* groupSectionSteps(groups[i]!, out, lifecycle, now, base, tools);
    yield;
  }
  return out.finish();
}

/** What the per-group tools (age, curl commands) need from the request. */
interface ToolContext {
  absoluteBase: string;
  nowMs: number;
}

/** Series (or families) rendered between two yields. */
const ROWS_PER_STEP = 512;

/** TTL, time to expiry and up state of a group with a lifecycle; '' for one without (the page as before). */
function lifecycleLine(g: GroupView, lifecycle: GroupLifecycle | undefined, now: number): string {
  const s = lifecycle?.stateOf(g.labels);
  if (lifecycle === undefined || s === undefined) return '';
  const parts: string[] = [];
  const ttl = lifecycle.ttlOf(s);
  const expires = lifecycle.expiresAt(s);
  parts.push(`TTL: ${ttl > 0 ? formatDuration(ttl) : 'never'}`);
  if (expires !== undefined) {
    parts.push(
      `expires in ${formatDuration(Math.max(0, Math.round((expires - now) / 1000) * 1000))} ` +
        `(${new Date(expires).toISOString()})`,
    );
  }
  const up = lifecycle.up(s, now);
  if (up !== undefined) {
    parts.push(`interval: ${formatDuration(s.intervalMs!)}`);
    parts.push(`up: ${up ? '1' : '<strong class="failed">0</strong>'}`);
  }
  if (lifecycle.overdue(s, now)) parts.push('<strong class="failed">Overdue!</strong>');
  return `<p class="lifecycle">${parts.join('; ')}</p>`;
}

function* groupSectionSteps(
  g: GroupView,
  out: TextParts,
  lifecycle: GroupLifecycle | undefined,
  now: number,
  base: string,
  tools: ToolContext,
): Steps<void> {
  const overdue = lifecycle?.overdue(lifecycle.stateOf(g.labels), now) === true;
  const names = Object.keys(g.labels).sort((a, b) => (a === 'job' ? -1 : b === 'job' ? 1 : compareStrings(a, b)));
  const labels = names.map((n) => labelBadge(n, g.labels[n]!)).join(' ');
  const groupText = `{${names.map((n) => `${n}="${g.labels[n]!}"`).join(', ')}}`;
  const failed = g.lastPushSuccessful ? '' : ' <strong class="failed">Last push failed!</strong>';
  const key = htmlEscape(g.id);
  const pushSeconds = g.gaugeValue(PUSH_TIME);
  const pushMs = Math.round(pushSeconds * 1000);
  // What the script's filter, sort, "failed only" and stale marking work on (ui-script.ts).
  const data =
    ` data-labels="${htmlEscape(JSON.stringify(g.labels))}" data-push-ms="${pushMs}"` +
    ` data-failed="${g.lastPushSuccessful ? '0' : '1'}" data-metrics="${htmlEscape([...g.families.keys()].join(' '))}"`;
  const age =
    pushSeconds === 0
      ? '<span class="age">never pushed</span>'
      : `<span class="age" title="${new Date(pushMs).toISOString()}">${pushAge(tools.nowMs - pushMs)}</span>`;
  const curl = curlCommands(tools.absoluteBase + groupPushUrl('', g.labels));
  out.add(
    `<details class="group${overdue ? ' overdue' : ''}" data-key="${key}"${data}><summary>${labels}${failed}` +
      `<span class="when">last push: ${age}</span></summary>\n<div class="group-body">` +
      `<p>Last push: ${isoTime(g.gaugeValue(PUSH_TIME))}; last failure: ` +
      `${isoTime(g.gaugeValue(PUSH_FAILURE_TIME))}</p>${lifecycleLine(g, lifecycle, now)}` +
      '<p><button type="button" class="delete-group danger needs-js" ' +
      `data-url="${htmlEscape(groupPushUrl(base, g.labels))}"` +
      ` data-group="${htmlEscape(groupText)}">Delete group</button></p>\n${curl}`,
  );
  const families = yield* sortSteps([...g.families.keys()], compareStrings);
  let rows = 0;
  for (const name of families) {
    const gf = g.families.get(name)!;
    const f = gf.family;
    const help = f.help === undefined ? '' : `<span class="badge help">HELP: ${htmlEscape(f.help)}</span>`;
    out.add(
      `<details class="family" data-key="${key}&#10;${htmlEscape(name)}"><summary><code>${htmlEscape(name)}</code>` +
        `${help}<span class="badge type">TYPE: ${htmlEscape(f.type.toLowerCase())}</span>` +
        `<span class="when">last pushed: ${new Date(gf.lastPushMs).toISOString()}</span></summary>\n` +
        '<table class="series"><thead><tr><th>Labels</th><th>Value</th></tr></thead><tbody>\n',
    );
    for (const m of f.metrics) {
      out.add(`${seriesRow(f, m)}\n`);
      if (++rows % ROWS_PER_STEP === 0) yield;
    }
    out.add('</tbody></table></details>\n');
    if (++rows % ROWS_PER_STEP === 0) yield;
  }
  out.add('</div></details>');
}
