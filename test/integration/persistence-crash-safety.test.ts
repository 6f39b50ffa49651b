/**
 * Crash safety of --persistence.file: the gateway persists continuously (interval 0) under a steady
 * push load and is killed with SIGKILL at a random moment, many times over. Every restart must load a
 * complete snapshot of some earlier state: the state right after one particular acknowledged push,
 * never a mix, never a load error, and never older than the snapshot loaded at the previous start.
 *
 * Pushes are sequential and deterministic: push number s replaces group `g<s mod G>` with M series
 * all valued s. So the state after push K is fully known: group j holds the last s <= K with
 * s = j (mod G). The loaded state is checked against the state for its largest value.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOurs, type RunningGateway } from '../helpers/servers.js';

const GROUPS = 40;
const SERIES = 150;
const MIN_ROUNDS = 12;
const MAX_ROUNDS = 40;
/** Rounds whose kill must have interrupted a write (a temp file was left) before we stop. */
const MIN_INTERRUPTED = 3;

function body(seq: number): string {
  let s = '# TYPE crash_value gauge\n';
  for (let k = 0; k < SERIES; k++) s += `crash_value{k="${k}",padding="${'x'.repeat(40)}"} ${seq}\n`;
  return s;
}

/** job → the set of values its series show in /metrics. */
async function loadedState(gw: RunningGateway): Promise<Map<string, { values: Set<number>; series: number }>> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const state = new Map<string, { values: Set<number>; series: number }>();
  for (const m of text.matchAll(/^crash_value\{[^}]*job="(g\d+)"[^}]*\} (\S+)$/gm)) {
    let e = state.get(m[1]!);
    if (e === undefined) state.set(m[1]!, (e = { values: new Set(), series: 0 }));
    e.values.add(Number(m[2]));
    e.series++;
  }
  return state;
}

/** The value each group must hold right after push number k (groups never pushed are absent). */
function expectedAfter(k: number): Map<string, number> {
  const want = new Map<string, number>();
  for (let j = 0; j < GROUPS; j++) {
    const s = k - ((((k - j) % GROUPS) + GROUPS) % GROUPS);
    if (s >= 0) want.set(`g${j}`, s);
  }
  return want;
}

it('SIGKILL at random moments while persisting under load: every restart loads a complete earlier snapshot', {
  timeout: 180_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-crash-'));
  const file = path.join(dir, 'metrics.store');
  const flags = [`--persistence.file=${file}`, '--persistence.interval=0s'];
  let previousMax = -1;
  let highestSent = -1;
  let nextSeq = 0;
  let interrupted = 0;
  let rounds = 0;
  for (; rounds < MAX_ROUNDS && (rounds < MIN_ROUNDS || interrupted < MIN_INTERRUPTED); rounds++) {
    const gw = await startOurs(flags);
    try {
      const out = gw.output();
      assert.doesNotMatch(out, /could not load|level=error/, `round ${rounds}: ${out}`);
      assert.deepEqual(
        readdirSync(dir).filter((n) => n !== 'metrics.store'),
        [],
        `round ${rounds}: leftovers after start`,
      );
      // The loaded state is exactly the state after one push.
      const state = await loadedState(gw);
      let max = -1;
      for (const [job, e] of state) {
        assert.equal(e.values.size, 1, `round ${rounds}: group ${job} mixes values ${[...e.values].join(',')}`);
        assert.equal(e.series, SERIES, `round ${rounds}: group ${job} has ${e.series} series`);
        max = Math.max(max, [...e.values][0]!);
      }
      const got = new Map([...state].map(([job, e]) => [job, [...e.values][0]!]));
      assert.deepEqual(got, expectedAfter(max), `round ${rounds}: not the state after push ${max}`);
      assert.ok(max >= previousMax, `round ${rounds}: loaded push ${max}, older than the ${previousMax} loaded before`);
      assert.ok(max <= highestSent, `round ${rounds}: loaded push ${max}, which was never sent`);
      previousMax = max;
      nextSeq = max + 1;

      // Push sequentially until a random moment, then SIGKILL.
      const killAfterMs = 30 + Math.floor(Math.random() * 400);
      let killed = false;
      const pusher = (async () => {
        while (!killed) {
          const seq = nextSeq;
          highestSent = seq;
          try {
            const res = await fetch(`${gw.url}/metrics/job/g${seq % GROUPS}`, { method: 'PUT', body: body(seq) });
            await res.arrayBuffer();
            if (res.status !== 200) throw new Error(`push ${seq}: HTTP ${res.status}`);
          } catch (err) {
            if (killed) return;
            const cause = (err as { cause?: unknown }).cause;
            throw new Error(
              `round ${rounds}, push ${seq}: ${String(err)}${cause === undefined ? '' : ` (${String(cause)})`}\n` +
                `gateway exit ${gw.process.exitCode ?? gw.process.signalCode ?? 'none'}, ` +
                `output:\n${gw.output().slice(-3000)}`,
            );
          }
          nextSeq = seq + 1;
        }
      })();
      await new Promise((r) => setTimeout(r, killAfterMs));
      killed = true;
      gw.process.kill('SIGKILL');
      await pusher;
      await gw.stop();
      if (readdirSync(dir).some((n) => n.includes('.tmp-'))) interrupted++;
      // Pushes after the last persisted one are lost with the process; the next round continues the
      // sequence from whatever the restart loads, so the expected states stay well defined.
    } finally {
      await gw.stop('SIGKILL');
    }
  }
  t.diagnostic(`${rounds} rounds, ${interrupted} kills interrupted a write, last snapshot held push ${previousMax}`);
  assert.ok(
    interrupted >= MIN_INTERRUPTED,
    `only ${interrupted} of ${rounds} kills landed during a write; the test did not exercise interrupted writes`,
  );
});
