/**
 * The plain server-rendered status page at `/` and `/status`: every group with its labels, last push
 * time and outcome, and its families. (The full interactive UI comes in a later issue.)
 */
import type { StoreReader } from '../../store/store-reader.js';
import { PUSH_FAILURE_TIME, PUSH_TIME, type GroupView } from '../../store/group.js';
import { Slicer, runSliced, sortSteps, type Steps } from '../../slicer.js';
import { TextParts } from '../text-parts.js';
import { htmlEscape } from '../respond.js';
import { VERSION } from '../../version.js';

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
  '.failed{color:#b00}table{border-collapse:collapse}td{border:1px solid #ccc;padding:.2em .5em}';

export async function renderStatusPage(
  store: StoreReader,
  startedAt: Date,
  flags: Record<string, string>,
  slicer = new Slicer(),
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
  pieces.push(...(await runSliced(groupSectionsSteps(groups), slicer)));
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

function* groupSectionsSteps(groups: GroupView[]): Steps<Buffer[]> {
  const out = new TextParts();
  for (let i = 0; i < groups.length; i++) {
    if (i > 0) out.add('\n');
    yield* groupSectionSteps(groups[i]!, out);
    yield;
  }
  return out.finish();
}

/** Families listed between two yields. */
const FAMILIES_PER_STEP = 512;

function* groupSectionSteps(g: GroupView, out: TextParts): Steps<void> {
  const labels = Object.keys(g.labels)
    .sort((a, b) => (a === 'job' ? -1 : b === 'job' ? 1 : a < b ? -1 : 1))
    .map((n) => `<span class="label">${htmlEscape(n)}="${htmlEscape(g.labels[n]!)}"</span>`)
    .join(' ');
  const failed = g.lastPushSuccessful ? '' : ' <strong class="failed">Last push failed!</strong>';
  out.add(
    `<section class="group"><h3>${labels}${failed}</h3>` +
      `<p>Last push: ${isoTime(g.gaugeValue(PUSH_TIME))}; last failure: ` +
      `${isoTime(g.gaugeValue(PUSH_FAILURE_TIME))}</p><ul>`,
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
