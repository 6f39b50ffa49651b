/**
 * What one page of the UI shows: the filter, sort, "failed only" and page number read from the query
 * string (`?q=&sort=&failed=1&page=`), applied on the server to the groups' snapshots, so they work
 * across pages and without JavaScript; and the pagination links, which keep the other parameters. A page
 * holds at most PAGE_SIZE groups: a store of 10,000 groups is never rendered as one page.
 */
import { PUSH_TIME, type GroupView } from '../../store/group.js';
import { htmlEscape } from '../respond.js';
import { sortSteps, type Steps } from '../../slicer.js';

/** Groups a page holds. */
export const PAGE_SIZE = 100;

export type SortOrder = 'job' | 'oldest' | 'newest';

export interface PageQuery {
  /** The filter as typed (trimmed), for the input box and the links. */
  text: string;
  /** The filter, trimmed and lower-cased: a substring of a label name or value or a metric name. */
  q: string;
  sort: SortOrder;
  failedOnly: boolean;
  /** 1-based, as asked; clamped to the last page when rendering. */
  page: number;
}

/** The query of a request URL (path and query, as `req.url`); anything unknown or malformed is the default. */
export function parsePageQuery(url: string | undefined): PageQuery {
  const i = url === undefined ? -1 : url.indexOf('?');
  const p = new URLSearchParams(i < 0 ? '' : url!.slice(i + 1));
  const sort = p.get('sort');
  const page = Number(p.get('page') ?? '1');
  const text = (p.get('q') ?? '').trim();
  return {
    text,
    q: text.toLowerCase(),
    sort: sort === 'oldest' || sort === 'newest' ? sort : 'job',
    failedOnly: p.get('failed') === '1',
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
  };
}

/** Whether the query narrows the groups (then the page does not hold the whole store). */
export function filters(query: PageQuery): boolean {
  return query.q !== '' || query.failedOnly;
}

/** As the script's filter (ui-script.ts): a case-insensitive substring of a label name or value or a metric name. */
function matches(g: GroupView, query: PageQuery): boolean {
  if (query.failedOnly && g.lastPushSuccessful) return false;
  const q = query.q;
  if (q === '') return true;
  for (const [k, v] of Object.entries(g.labels)) {
    if (k.toLowerCase().includes(q) || v.toLowerCase().includes(q)) return true;
  }
  for (const name of g.families.keys()) if (name.toLowerCase().includes(q)) return true;
  return false;
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A group with what it is sorted by, read once. */
interface Keyed {
  g: GroupView;
  job: string;
  pushTime: number;
}

/** As the script's sort: by job, or by the last successful push; ties by the group's key. */
function comparator(sort: SortOrder): (a: Keyed, b: Keyed) => number {
  if (sort === 'job') return (a, b) => compareStrings(a.job, b.job) || compareStrings(a.g.id, b.g.id);
  const sign = sort === 'oldest' ? 1 : -1;
  return (a, b) => sign * (a.pushTime - b.pushTime) || compareStrings(a.g.id, b.g.id);
}

export interface PageSlice {
  /** The groups of this page, in order. */
  groups: GroupView[];
  /** Groups matching the query, on all pages. */
  matching: number;
  /** The page shown (the asked one clamped to 1..pages) and the number of pages (at least 1). */
  page: number;
  pages: number;
}

/** Groups filtered between two yields. */
const FILTER_STEP = 2048;

/**
 * The groups of the page asked for, as steps (filter and sort yield, so 100k groups do not hold the event
 * loop). Only the page's groups are rendered afterwards.
 */
export function* pageOfSteps(all: GroupView[], query: PageQuery): Steps<PageSlice> {
  const keyed: Keyed[] = [];
  const narrow = filters(query);
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (!narrow || matches(g, query)) keyed.push({ g, job: g.labels.job ?? '', pushTime: g.gaugeValue(PUSH_TIME) });
    if (i % FILTER_STEP === FILTER_STEP - 1) yield;
  }
  const sorted = yield* sortSteps(keyed, comparator(query.sort));
  const pages = Math.max(1, Math.ceil(sorted.length / PAGE_SIZE));
  const page = Math.min(query.page, pages);
  return {
    groups: sorted.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((k) => k.g),
    matching: sorted.length,
    page,
    pages,
  };
}

/** The query string of `page` with the other parameters kept (relative: it resolves against the page). */
export function pageHref(query: PageQuery, page: number): string {
  const p = new URLSearchParams();
  if (query.text !== '') p.set('q', query.text);
  if (query.sort !== 'job') p.set('sort', query.sort);
  if (query.failedOnly) p.set('failed', '1');
  if (page > 1) p.set('page', String(page));
  const s = p.toString();
  return s === '' ? '?' : `?${s}`;
}

/** The page links: first, previous, a window of numbers around this one, next, last. '' for a single page. */
export function paginationNav(query: PageQuery, slice: PageSlice): string {
  if (slice.pages <= 1) return '';
  const { page, pages } = slice;
  const link = (n: number, text: string, rel = ''): string =>
    n === page
      ? `<span class="page current" aria-current="page">${text}</span>`
      : `<a class="page" href="${htmlEscape(pageHref(query, n))}"${rel}>${text}</a>`;
  const parts: string[] = [];
  if (page > 1) parts.push(link(1, '&laquo; first'), link(page - 1, '&lsaquo; previous', ' rel="prev"'));
  const from = Math.max(1, page - 3);
  const to = Math.min(pages, page + 3);
  if (from > 1) parts.push('<span class="gap">&hellip;</span>');
  for (let n = from; n <= to; n++) parts.push(link(n, String(n)));
  if (to < pages) parts.push('<span class="gap">&hellip;</span>');
  if (page < pages) parts.push(link(page + 1, 'next &rsaquo;', ' rel="next"'), link(pages, 'last &raquo;'));
  return `<nav class="pages" aria-label="Pages of groups">${parts.join(' ')}</nav>\n`;
}
