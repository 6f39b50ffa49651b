/**
 * Shared plumbing for the real-client integration tests: which gateway they run against, running helper
 * programs, scraping GET /metrics and asserting exact series lines in the exposition.
 *
 * PGW_TARGET selects the gateway: `ours` (default, dist/src/cli.js), `reference` (Debian 1.5.1) or
 * `both`. The expectations were recorded from the reference, so `PGW_TARGET=both` re-checks them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { OUR_CLI, referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';
import { skipUnless } from '../helpers/skip.js';

export interface GatewayTarget {
  name: 'ours' | 'reference';
  start(): Promise<RunningGateway>;
  /** A reason to skip (already printed loudly), or false. */
  skip: string | false;
}

/** The gateways selected by PGW_TARGET, each with its own skip reason. */
export function gatewayTargets(): GatewayTarget[] {
  const wanted = process.env.PGW_TARGET ?? 'ours';
  const all: GatewayTarget[] = [];
  if (wanted === 'ours' || wanted === 'both') {
    all.push({
      name: 'ours',
      start: () => startOurs(),
      skip: skipUnless(existsSync(OUR_CLI), OUR_CLI, 'run npm run build'),
    });
  }
  if (wanted === 'reference' || wanted === 'both') {
    all.push({ name: 'reference', start: () => startReference(), skip: referenceSkipReason() });
  }
  if (all.length === 0) throw new Error(`PGW_TARGET must be ours, reference or both, not ${wanted}`);
  return all;
}

/** Skip reason when a program or Python module the test needs is absent, printed loudly, else false. */
export async function needsProgram(check: string[], what: string, install: string): Promise<string | false> {
  const res = await run(check[0]!, check.slice(1));
  return skipUnless(res.code === 0, what, install);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (bounded by a timeout) and collects its output; never rejects. */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr: err !== null && code === null ? `${stderr}\n${err.message}` : stderr });
    });
  });
}

/** GET /metrics of the gateway, asserting the scrape itself succeeded. */
export async function scrape(gw: RunningGateway): Promise<string> {
  const res = await fetch(`${gw.url}/metrics`);
  const text = await res.text();
  assert.equal(res.status, 200, `GET /metrics answered ${res.status}: ${text}`);
  return text;
}

/** The sample lines (no comments, no blank lines) of an exposition. */
export function sampleLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** Lines that are about one of the given metric names (samples, HELP and TYPE), for readable diffs. */
function linesAbout(text: string, expected: string[]): string {
  const names = new Set(expected.map(metricNameOf));
  return text
    .split('\n')
    .filter((l) => names.has(metricNameOf(l)))
    .join('\n');
}

function metricNameOf(line: string): string {
  if (line.startsWith('# ')) return line.split(' ')[2] ?? '';
  const end = line.search(/[{ ]/);
  return end < 0 ? line : line.slice(0, end);
}

/**
 * Asserts every expected line occurs verbatim in the exposition. A sample line ending in ` <now>` matches
 * any value that is a Unix time in seconds between `since` and now (push_time_seconds, Python `_created`).
 */
export function assertLines(text: string, expected: string[], since = 0): void {
  const lines = new Set(text.split('\n'));
  const missing = expected.filter((want) => !lineMatches(lines, want, since));
  if (missing.length === 0) return;
  assert.fail(`missing lines:\n${missing.join('\n')}\n--- related lines in /metrics:\n${linesAbout(text, missing)}`);
}

function lineMatches(lines: Set<string>, want: string, since: number): boolean {
  if (!want.endsWith(' <now>')) return lines.has(want);
  const prefix = want.slice(0, -'<now>'.length);
  const now = Date.now() / 1000 + 1;
  for (const line of lines) {
    if (!line.startsWith(prefix)) continue;
    const v = Number(line.slice(prefix.length));
    if (v >= since - 1 && v <= now) return true;
  }
  return false;
}

/**
 * Asserts the sample lines carrying all of the given label pairs are exactly `expected` (order ignored,
 * ` <now>` as in assertLines). This pins a whole group: nothing missing, nothing extra.
 */
export function assertGroupSamples(text: string, pairs: string[], expected: string[], since = 0): void {
  const actual = sampleLines(text).filter((l) => pairs.every((p) => l.includes(p)));
  const normalise = (l: string): string => (l.endsWith(' <now>') ? l.slice(0, -'<now>'.length) : l);
  const actualKeys = actual.map((l) => {
    const hit = expected.find((e) => e.endsWith(' <now>') && l.startsWith(normalise(e)));
    return hit ?? l;
  });
  assert.deepEqual([...actualKeys].sort(), [...expected].sort(), `samples with ${pairs.join(',')} differ`);
  assertLines(text, expected, since);
}

/** Asserts no sample line carries all of the given label pairs (the group is gone or was never stored). */
export function assertNoSamples(text: string, pairs: string[]): void {
  const found = sampleLines(text).filter((l) => pairs.every((p) => l.includes(p)));
  assert.deepEqual(found, [], `expected no samples with ${pairs.join(',')}`);
}
