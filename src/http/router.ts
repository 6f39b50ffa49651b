/**
 * Routing as the reference's Go stack does it, which real clients depend on:
 *  - net/http decodes the path once (so `%2F` becomes a separator, `+` stays a plus);
 *  - ServeMux cleans `//`, `.` and `..` with a 301 to the cleaned path, for every method;
 *  - httprouter matches per method, redirects a toggled trailing slash (301 for GET, 307 otherwise) and
 *    case-insensitive fixes, answers OPTIONS and 405 with an `Allow` header, else 404.
 */

import { decodeBytesKeepingInvalid, escapedByte } from '../model/raw-bytes.js';

export type Params = Record<string, string>;

export interface Route<H> {
  method: string;
  /** The ServeMux subtree root this route is mounted under (see addSubtree), or undefined for the main router. */
  subtree: string | undefined;
  /** Static segments, `:name` for one segment, `*name` (last) for the rest of the path incl. its `/`. */
  pattern: string;
  handler: H;
}

export type RouteResult<H> =
  | { kind: 'match'; handler: H; params: Params; path: string }
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'options'; allow: string }
  | { kind: 'method-not-allowed'; allow: string }
  | { kind: 'not-found' }
  | { kind: 'bad-request' };

/**
 * Go's url unescape for paths: `%XX` to bytes (must be valid hex), the bytes read as UTF-8. Invalid UTF-8
 * (`%FF`) is kept byte for byte as lone surrogates (model/raw-bytes.ts), as Go's byte strings keep it.
 */
export function decodePath(raw: string): string | undefined {
  if (raw.indexOf('%') < 0) return raw;
  const bytes = Buffer.from(raw, 'utf8');
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 37) {
      out[n++] = b;
      continue;
    }
    const hi = hexVal(bytes[i + 1]);
    const lo = hexVal(bytes[i + 2]);
    if (hi < 0 || lo < 0) return undefined;
    out[n++] = hi * 16 + lo;
    i += 2;
  }
  return decodeBytesKeepingInvalid(out.subarray(0, n));
}

function hexVal(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 65 && b <= 70) return b - 55;
  if (b >= 97 && b <= 102) return b - 87;
  return -1;
}

const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

/** Go's url.URL.EscapedPath for a decoded path: unreserved and `$&+,/:;=@` stay, the rest is %XX. */
export function escapePath(p: string): string {
  let out = '';
  for (const ch of p) {
    if (ch.length === 1 && PATH_SAFE.test(ch)) {
      out += ch;
      continue;
    }
    const kept = escapedByte(ch.charCodeAt(0));
    if (kept >= 0) {
      out += `%${kept.toString(16).toUpperCase()}`;
      continue;
    }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's path.Clean (lexical: `//`, `.`, `..`). */
function goPathClean(p: string): string {
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = (rooted ? '/' : '') + out.join('/');
  return joined === '' ? (rooted ? '/' : '.') : joined;
}

/** ServeMux's cleanPath: path.Clean but keeping one trailing slash. */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  if (!p.startsWith('/')) p = `/${p}`;
  let np = goPathClean(p);
  if (p.endsWith('/') && np !== '/') {
    np = p.length === np.length + 1 && p.startsWith(np) ? p : `${np}/`;
  }
  return np;
}

/** Go's path.Join for two parts, used for the telemetry path under a route prefix. */
export function joinPath(a: string, b: string): string {
  return goPathClean(`${a}/${b}`);
}

function matchPattern(pattern: string, path: string, foldCase = false): Params | undefined {
  const params: Params = {};
  let pi = 0;
  let i = 0;
  while (pi < pattern.length) {
    const c = pattern[pi]!;
    if (c === ':' || c === '*') {
      let end = pi + 1;
      while (end < pattern.length && pattern[end] !== '/' && pattern[end] !== '*') end++;
      const name = pattern.slice(pi + 1, end);
      if (c === '*') {
        params[name] = path.slice(i);
        return params;
      }
      let segEnd = path.indexOf('/', i);
      if (segEnd < 0) segEnd = path.length;
      if (segEnd === i) return undefined;
      params[name] = path.slice(i, segEnd);
      i = segEnd;
      pi = end;
      continue;
    }
    // Static run up to the next parameter.
    let end = pi;
    while (end < pattern.length && pattern[end] !== ':' && pattern[end] !== '*') end++;
    const lit = pattern.slice(pi, end);
    const got = path.slice(i, i + lit.length);
    if (foldCase ? got.toLowerCase() !== lit.toLowerCase() : got !== lit) return undefined;
    // A catch-all needs its leading slash in the value: the pattern `/x/*rest` matches `/x` + `/...`.
    i += lit.length;
    pi = end;
  }
  return i === path.length ? params : undefined;
}

/** Rebuilds a path from a pattern and case-folded params (for the case-insensitive redirect). */
function fillPattern(pattern: string, path: string): string | undefined {
  const params = matchPattern(pattern, path, true);
  if (params === undefined) return undefined;
  return pattern.replace(/[:*]([^/*]+)/g, (_, name: string) => params[name]!);
}

/**
 * A route that collides with one the router holds: httprouter panics at registration ("a handle is already
 * registered for path", "wildcard route conflicts"); the command line turns it into a ConfigError.
 */
export class RouteConflict extends Error {
  constructor(
    readonly pattern: string,
    readonly held: string,
  ) {
    super(`route ${pattern} collides with ${held}`);
    this.name = 'RouteConflict';
  }
}

export class Router<H> {
  private readonly byMethod = new Map<string, Route<H>[]>();
  private readonly subtrees: string[] = [];

  /**
   * A ServeMux subtree (`/api/v1/`): its root without the slash is redirected to it, any method. The
   * reference mounts its API router with http.StripPrefix, so that router's own redirects (trailing
   * slash, case) point to the path without the subtree root: `GET /api/v1/status/` → `/status`.
   * Routes added with this root as their `subtree` form that separate router: a path under the root is
   * matched (and redirected, and given an Allow list) against them only, any other path against the
   * main routes only, as the ServeMux hands each request to exactly one of the two.
   */
  addSubtree(root: string): void {
    this.subtrees.push(root);
  }

  private routerRedirect(path: string, status: number, location: string): RouteResult<H> {
    for (const root of this.subtrees) {
      const base = root.slice(0, -1);
      if (path.startsWith(root) && location.startsWith(base))
        return { kind: 'redirect', status, location: location.slice(base.length) };
    }
    return { kind: 'redirect', status, location };
  }

  /** Adds a route; throws RouteConflict when it collides with one held for the same method (see heldOver). */
  add(method: string, pattern: string, handler: H, subtree?: string): void {
    // httprouter's catch-all includes the slash before it: store `/a/*rest` as `/a` + `*rest`.
    const stored = pattern.replace(/\/\*([^/]+)$/, '*$1');
    const held = this.heldOver(method, pattern, subtree);
    if (held !== undefined) throw new RouteConflict(pattern, held);
    let list = this.byMethod.get(method);
    if (list === undefined) this.byMethod.set(method, (list = []));
    list.push({ method, subtree, pattern: stored, handler });
  }

  /**
   * The pattern of a held route of this method (and subtree) that `pattern` would collide with, as
   * httprouter sees it: the same pattern, or one below the other's catch-all (`/static/x` under
   * `/static/*filepath`). Conflicts between `:param` segments and static ones are not checked: no two
   * routes of the reference's table have them.
   */
  heldOver(method: string, pattern: string, subtree?: string): string | undefined {
    const stored = pattern.replace(/\/\*([^/]+)$/, '*$1');
    const below = (path: string, catchAll: string): boolean => {
      const star = catchAll.indexOf('*');
      return star >= 0 && path.startsWith(`${catchAll.slice(0, star)}/`);
    };
    const route = this.routes(method, subtree).find(
      (r) => r.pattern === stored || below(stored, r.pattern) || below(r.pattern, stored),
    );
    return route?.pattern.replace(/\*([^/]+)$/, '/*$1');
  }

  /** Another router with the same routes and subtrees, each handler replaced by `fn(handler)`. */
  map<H2>(fn: (handler: H) => H2): Router<H2> {
    const out = new Router<H2>();
    out.subtrees.push(...this.subtrees);
    for (const [method, routes] of this.byMethod) {
      out.byMethod.set(
        method,
        routes.map((r) => ({ ...r, handler: fn(r.handler) })),
      );
    }
    return out;
  }

  /** The routes of one method in one router (the main one, or a subtree's). */
  private routes(method: string, subtree: string | undefined): Route<H>[] {
    return (this.byMethod.get(method) ?? []).filter((r) => r.subtree === subtree);
  }

  private lookup(
    method: string,
    path: string,
    subtree: string | undefined,
  ): { route: Route<H>; params: Params } | undefined {
    for (const route of this.routes(method, subtree)) {
      const params = matchPattern(route.pattern, path);
      if (
        params !== undefined &&
        (!route.pattern.includes('*') || params[route.pattern.slice(route.pattern.indexOf('*') + 1)]!.startsWith('/'))
      ) {
        return { route, params };
      }
    }
    return undefined;
  }

  private allowed(path: string, except: string, subtree: string | undefined): string {
    const methods: string[] = [];
    for (const method of this.byMethod.keys()) {
      if (method === except || method === 'OPTIONS') continue;
      if (this.lookup(method, path, subtree) !== undefined) methods.push(method);
    }
    if (methods.length === 0) return '';
    methods.push('OPTIONS');
    return methods.sort().join(', ');
  }

  /** Routes a request given its raw URL (path and query as received). */
  route(method: string, rawUrl: string): RouteResult<H> {
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q);
    const path = decodePath(rawPath);
    if (path === undefined) return { kind: 'bad-request' };
    const cleaned = cleanPath(path);
    if (cleaned !== path && method !== 'CONNECT') {
      return { kind: 'redirect', status: 301, location: escapePath(cleaned) + query };
    }
    if (this.subtrees.includes(`${path}/`)) {
      return { kind: 'redirect', status: 301, location: escapePath(`${path}/`) + query };
    }
    // ServeMux: the longest registered subtree root the path starts with, else the main router.
    let subtree: string | undefined;
    for (const root of this.subtrees) if (path.startsWith(root) && root.length > (subtree?.length ?? 0)) subtree = root;
    const found = this.lookup(method, path, subtree);
    if (found !== undefined) return { kind: 'match', handler: found.route.handler, params: found.params, path };
    const candidates = this.routes(method, subtree);
    if (candidates.length > 0 && path !== '/') {
      const code = method === 'GET' ? 301 : 307;
      const toggled = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
      if (this.lookup(method, toggled, subtree) !== undefined || this.isWildcardParent(candidates, path)) {
        return this.routerRedirect(path, code, escapePath(toggled) + query);
      }
      for (const route of candidates) {
        const fixed = fillPattern(route.pattern, path);
        if (fixed !== undefined && fixed !== path) return this.routerRedirect(path, code, escapePath(fixed) + query);
      }
    }
    if (method === 'OPTIONS') {
      const allow = this.allowed(path, 'OPTIONS', subtree);
      if (allow !== '') return { kind: 'options', allow };
    } else {
      const allow = this.allowed(path, method, subtree);
      if (allow !== '') return { kind: 'method-not-allowed', allow };
    }
    return { kind: 'not-found' };
  }

  /**
   * httprouter recommends a trailing-slash redirect for `/a/` when `/a/:param` is registered, even
   * though `/a` itself is no route (`PUT /metrics/job/` → 307 to `/metrics/job`).
   */
  private isWildcardParent(routes: Route<H>[], path: string): boolean {
    if (!path.endsWith('/')) return false;
    return routes.some((r) => r.pattern.startsWith(path) && r.pattern[path.length] === ':');
  }
}
