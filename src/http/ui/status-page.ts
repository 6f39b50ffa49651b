/**
 * The plain server-rendered status page at `/` and `/status`: every group with its labels, last push
 * time and outcome, and its families. (The full interactive UI comes in a later issue.)
 */
import type { MemoryStore } from '../../store/store.js';
import { PUSH_FAILURE_TIME, PUSH_TIME, type GroupView } from '../../store/group.js';
import { SLICE_MS, renderInSlices } from '../event-loop.js';
import { htmlEscape } from '../respond.js';
import { VERSION } from '../../version.js';

function isoTime(seconds: number): string {
  return seconds === 0 ? 'never' : new Date(seconds * 1000).toISOString();
}

/**
 * The page as pieces to write in order. Groups are taken as they are when the request comes (snapshots)
 * and rendered a few milliseconds at a time with `pause()` in between, so a page over 100k groups does
 * not hold up health checks and pushes.
 */
export async function renderStatusPage(store: MemoryStore, startedAt: Date, flags: Record<string, string>,
  pause: () => Promise<void> = async () => {}, sliceMs = SLICE_MS): Promise<Buffer[]> {
  await store.settled();
  const groups = store.snapshotGroups().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const flagRows = Object.keys(flags).sort().map((k) => `<tr><td>${htmlEscape(k)}</td><td>${htmlEscape(flags[k]!)}</td></tr>`).join('');
  const pieces: Buffer[] = [Buffer.from(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Pushgateway</title>
<style>body{font-family:sans-serif;margin:2em}.label{background:#eef;border-radius:3px;padding:0 .3em;margin-right:.3em;font-weight:normal}.failed{color:#b00}table{border-collapse:collapse}td{border:1px solid #ccc;padding:.2em .5em}</style>
</head><body>
<h1>Pushgateway</h1>
<h2>Metrics</h2>
<p>${groups.length} group${groups.length === 1 ? '' : 's'}</p>
`, 'utf8')];
  pieces.push(...await renderInSlices(groups, groupSection, '\n', pause, sliceMs));
  pieces.push(Buffer.from(`
<h2>Status</h2>
<p>Started: ${htmlEscape(startedAt.toISOString())} &middot; version ${htmlEscape(VERSION)}</p>
<table>${flagRows}</table>
</body></html>
`, 'utf8'));
  return pieces;
}

function groupSection(g: GroupView): string {
  const labels = Object.keys(g.labels).sort((a, b) => (a === 'job' ? -1 : b === 'job' ? 1 : a < b ? -1 : 1))
    .map((n) => `<span class="label">${htmlEscape(n)}="${htmlEscape(g.labels[n]!)}"</span>`).join(' ');
  const families = [...g.families.keys()].sort()
    .map((n) => `<li><code>${htmlEscape(n)}</code> <small>${htmlEscape(g.families.get(n)!.family.type.toLowerCase())}, last pushed ${new Date(g.families.get(n)!.lastPushMs).toISOString()}</small></li>`)
    .join('');
  const failed = g.lastPushSuccessful ? '' : ' <strong class="failed">Last push failed!</strong>';
  return `<section class="group"><h3>${labels}${failed}</h3>` +
    `<p>Last push: ${isoTime(g.gaugeValue(PUSH_TIME))}; last failure: ${isoTime(g.gaugeValue(PUSH_FAILURE_TIME))}</p>` +
    `<ul>${families}</ul></section>`;
}
