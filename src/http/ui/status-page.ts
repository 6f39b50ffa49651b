/**
 * The plain server-rendered status page at `/` and `/status`: every group with its labels, last push
 * time and outcome, and its families; for a group with a lifecycle (docs/lifecycle.md) its TTL, time to
 * expiry and up state, overdue groups marked. (The full interactive UI comes in a later issue.)
 */
import type { StoreReader } from '../../store/store-reader.js';
import { PUSH_FAILURE_TIME, PUSH_TIME, type GroupView } from '../../store/group.js';
import { Slicer, runSliced, sortSteps, type Steps } from '../../slicer.js';
import { TextParts } from '../text-parts.js';
import { htmlEscape } from '../respond.js';
import { VERSION } from '../../version.js';
import { formatDuration } from '../../config.js';
import type { GroupLifecycle } from '../../lifecycle/group-lifecycle.js';

function isoTime(seconds: number): string {
  return seconds === 0 ? 'never' : new Date(seconds * 1000).toISOString();
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The page as pieces to write in order. Groups are taken as they are when the request comes (snapshots
 * taken in slices) and rendered a slice at a time with the event loop served in between, so a page over
 * 100k groups or over one group of a million families does not hold up health checks and pushes.
 */
const STYLE =
  'body{font-family:sans-serif;margin:2em}' +
  '.label{background:#eef;border-radius:3px;padding:0 .3em;margin-right:.3em;font-weight:normal}' +
  '.failed{color:#b00}.overdue{border-left:4px solid #b00;padding-left:.5em}' +
  'table{border-collapse:collapse}td{border:1px solid #ccc;padding:.2em .5em}';

export async function renderStatusPage(
  store: StoreReader,
  startedAt: Date,
  flags: Record<string, string>,
  slicer = new Slicer(),
  lifecycle?: GroupLifecycle,
): Promise<Buffer[]> {
  const groups = await store.snapshotGroupsAsync(slicer);
  await runSliced(
    sortSteps(groups, (a, b) => compareStrings(a.id, b.id)),
    slicer,
  );
  const flagRows = Object.keys(flags)
    .sort()
    .map((k) => `<tr><td>${htmlEscape(k)}</td><td>${htmlEscape(flags[k]!)}</td></tr>`)
    .join('');
  const pieces: Buffer[] = [
    Buffer.from(
      `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Pushgateway</title>
<style>${STYLE}</style>
</head><body>
<h1>Pushgateway</h1>
<h2>Metrics</h2>
<p>${groups.length} group${groups.length === 1 ? '' : 's'}</p>
`,
      'utf8',
    ),
  ];
  pieces.push(...(await runSliced(groupSectionsSteps(groups, lifecycle), slicer)));
  pieces.push(
    Buffer.from(
      `
<h2>Status</h2>
<p>Started: ${htmlEscape(startedAt.toISOString())} &middot; version ${htmlEscape(VERSION)}</p>
<table>${flagRows}</table>
</body></html>
`,
      'utf8',
    ),
  );
  return pieces;
}

function* groupSectionsSteps(groups: GroupView[], lifecycle: GroupLifecycle | undefined): Steps<Buffer[]> {
  const out = new TextParts();
  const now = lifecycle?.now() ?? 0;
  for (let i = 0; i < groups.length; i++) {
    if (i > 0) out.add('\n');
    yield* groupSectionSteps(groups[i]!, out, lifecycle, now);
    yield;
  }
  return out.finish();
}

/** Families listed between two yields. */
const FAMILIES_PER_STEP = 512;

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
): Steps<void> {
  const overdue = lifecycle?.overdue(lifecycle.stateOf(g.labels), now) === true;
  const labels = Object.keys(g.labels)
    .sort((a, b) => (a === 'job' ? -1 : b === 'job' ? 1 : a < b ? -1 : 1))
    .map((n) => `<span class="label">${htmlEscape(n)}="${htmlEscape(g.labels[n]!)}"</span>`)
    .join(' ');
  const failed = g.lastPushSuccessful ? '' : ' <strong class="failed">Last push failed!</strong>';
  out.add(
    `<section class="group${overdue ? ' overdue' : ''}"><h3>${labels}${failed}</h3>` +
      `<p>Last push: ${isoTime(g.gaugeValue(PUSH_TIME))}; last failure: ` +
      `${isoTime(g.gaugeValue(PUSH_FAILURE_TIME))}</p>${lifecycleLine(g, lifecycle, now)}<ul>`,
  );
  const names = yield* sortSteps([...g.families.keys()], compareStrings);
  for (let i = 0; i < names.length; i++) {
    const gf = g.families.get(names[i]!)!;
    out.add(
      `<li><code>${htmlEscape(names[i]!)}</code> <small>${htmlEscape(gf.family.type.toLowerCase())}, last ` +
        `pushed ${new Date(gf.lastPushMs).toISOString()}</small></li>`,
    );
    if (i % FAMILIES_PER_STEP === FAMILIES_PER_STEP - 1) yield;
  }
  out.add('</ul></section>');
}
