/**
 * Ours, not the reference's (issue 12, docs/lifecycle.md): `GET /api/v1/groups?match[]=<selector>` lists the
 * groups whose grouping labels a series selector matches (several match[] OR-ed, none = every group) with
 * their lifecycle (last push and failure, TTL and expiry, declared interval, up state), and, behind
 * --web.enable-admin-api, `DELETE /api/v1/admin/groups?match[]=…` deletes the matching groups as one store
 * write (StoreWriter.deleteGroups). Both answer in the /api/v1 envelope; a bad or missing selector is a 400
 * in its error form, and so is a write the store refused (a 503 from an unreachable Redis).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GroupingLabels } from '../model/grouping-key.js';
import { parseSelector, selectsAny, type Selector } from '../model/selector.js';
import type { StoreReader } from '../store/store-reader.js';
import { PUSH_FAILURE_TIME, PUSH_TIME, type GroupView } from '../store/group.js';
import type { GroupLifecycle } from '../lifecycle/group-lifecycle.js';
import { goJsonString, goJsonStringMap } from '../format/go-json.js';
import { Slicer, filterSteps, runSliced, type Steps } from '../slicer.js';
import { HttpError, MatchRequiredError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import { sendJsonPieces, setCors } from './api.js';
import { sendPieces } from './respond.js';

export interface GroupsApiDeps {
  store: StoreReader;
  lifecycle: GroupLifecycle;
  /** Deletes the groups as one write (StoreWriter.deleteGroups); resolves with how many there were. */
  deleteGroups: (groups: readonly GroupingLabels[]) => Promise<number>;
  logger: Logger;
}

/** The match[] parameters of the request's query, parsed; throws SelectorError for a bad one. */
export function selectorsOf(req: IncomingMessage): Selector[] {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  if (q < 0) return [];
  return new URLSearchParams(url.slice(q + 1)).getAll('match[]').map(parseSelector);
}

/**
 * The /api/v1 error envelope: `{"status":"error","error":"…","code":"PGW_ERR_…"}` with the error's status
 * and headers (a 503's Retry-After).
 */
export function sendApiError(res: ServerResponse, err: HttpError): number {
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  const body = `{"status":"error","error":${goJsonString(err.message)},"code":${goJsonString(err.code)}}`;
  sendPieces(res, err.status, { 'Content-Type': 'application/json' }, [Buffer.from(body, 'utf8')]);
  return err.status;
}

/** RFC 3339 in UTC with milliseconds (what JavaScript's Date and Python's fromisoformat read), null for never. */
const time = (ms: number): string => (ms > 0 ? `"${new Date(ms).toISOString()}"` : 'null');
const seconds = (ms: number | undefined): string => (ms === undefined ? 'null' : String(ms / 1000));

/** One entry of GET /api/v1/groups; field names documented in docs/lifecycle.md. */
export function groupEntryJson(g: GroupView, lifecycle: GroupLifecycle, now: number): string {
  const s = lifecycle.stateOf(g.labels);
  const lastPush = s?.lastSuccessMs ?? g.gaugeValue(PUSH_TIME) * 1000;
  const lastFailure = s?.lastFailureMs ?? g.gaugeValue(PUSH_FAILURE_TIME) * 1000;
  const ttl = lifecycle.ttlOf(s);
  const expires = lifecycle.expiresAt(s);
  const up = lifecycle.up(s, now);
  return (
    `{"labels":${goJsonStringMap(g.labels)}` +
    `,"last_push_time":${time(lastPush)}` +
    `,"last_push_successful":${lastFailure <= lastPush}` +
    `,"last_failure_time":${time(lastFailure)}` +
    `,"ttl_seconds":${ttl / 1000}` +
    `,"ttl_source":${s?.ttlMs !== undefined ? '"header"' : '"flag"'}` +
    `,"expires_at":${expires === undefined ? 'null' : time(expires)}` +
    `,"expires_in_seconds":${expires === undefined ? 'null' : String(Math.max(0, expires - now) / 1000)}` +
    `,"interval_seconds":${seconds(s?.intervalMs)}` +
    `,"up":${up === undefined ? 'null' : String(up)}` +
    `,"overdue":${lifecycle.overdue(s, now)}}`
  );
}

function* groupsJsonSteps(groups: GroupView[], lifecycle: GroupLifecycle, now: number): Steps<Buffer[]> {
  const out: Buffer[] = [];
  let chunk = '[';
  for (let i = 0; i < groups.length; i++) {
    chunk += (i === 0 ? '' : ',') + groupEntryJson(groups[i]!, lifecycle, now);
    if (i % 512 === 511) {
      out.push(Buffer.from(chunk, 'utf8'));
      chunk = '';
      yield;
    }
  }
  out.push(Buffer.from(`${chunk}]`, 'utf8'));
  return out;
}

/** The groups the selectors match, looked at in slices (matching 100k groups took 100 ms in one go). */
function matching(store: StoreReader, selectors: readonly Selector[]): Promise<GroupView[]> {
  return runSliced(
    filterSteps(store.groups(), (g) => selectsAny(selectors, g.labels)),
    new Slicer(),
  );
}

/** GET /api/v1/groups. */
export async function handleGroups(deps: GroupsApiDeps, req: IncomingMessage, res: ServerResponse): Promise<number> {
  setCors(res);
  let selectors: Selector[];
  try {
    selectors = selectorsOf(req);
  } catch (err) {
    if (err instanceof HttpError) return sendApiError(res, err);
    throw err;
  }
  await deps.store.settledNow();
  const groups = await matching(deps.store, selectors);
  sendJsonPieces(res, await runSliced(groupsJsonSteps(groups, deps.lifecycle, deps.lifecycle.now()), new Slicer()));
  return 200;
}

/**
 * DELETE /api/v1/admin/groups: the groups matching on this replica's store when the request is served,
 * deleted as one write, ordered after the writes called before it (a group a later write creates stays).
 */
export async function handleDeleteGroups(
  deps: GroupsApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<number> {
  setCors(res);
  req.resume();
  let selectors: Selector[];
  try {
    selectors = selectorsOf(req);
    if (selectors.length === 0) throw new MatchRequiredError();
  } catch (err) {
    if (err instanceof HttpError) return sendApiError(res, err);
    throw err;
  }
  await deps.store.settledNow();
  const match = selectors.map((s) => s.text).join(' or ');
  let deleted: number;
  try {
    deleted = await deps.deleteGroups((await matching(deps.store, selectors)).map((g) => g.labels));
  } catch (err) {
    // A replicated writer may refuse it (PGW_ERR_STORE_UNAVAILABLE): answered with its status, not 500.
    if (!(err instanceof HttpError)) throw err;
    deps.logger.warn('delete by selector not stored', { match, code: err.code, err: err.message });
    return sendApiError(res, err);
  }
  deps.logger.info('deleted groups by selector via the admin API', { match, groups: deleted });
  sendJsonPieces(res, [Buffer.from(`{"deleted":${deleted}}`, 'utf8')]);
  return 200;
}
