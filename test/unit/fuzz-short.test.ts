/**
 * The short fuzz run of `npm test`: about 20 seconds of generated and mutated inputs through every fuzz
 * target in-process (fuzz/), failing on a non-catalogued exception or an accepted output that breaks its
 * target's properties. An input slower than the fuzzer's limit is a wall-clock verdict, which a loaded
 * machine can give any input: it is printed here, not asserted (`npm run fuzz` counts it as a finding, and
 * the bench measures speed). The seed is fixed unless FUZZ_SEED is set, and is printed with every finding
 * so the run can be repeated (`npm run fuzz -- --target=T --seed=S --index=I` replays one input); failing
 * inputs are saved under .tmp/fuzz-findings/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findingCount, formatReport, runFuzz } from '../../fuzz/fuzz.js';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 20);

describe('short fuzz run over every target', () => {
  it(`${SECONDS} s of inputs: no crash, every accepted output well-formed`, {
    timeout: (SECONDS + 120) * 1000,
  }, async (t) => {
    // A fixed seed, so CI is repeatable; `npm run fuzz` (random seeds) is where new findings come from.
    const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 20261201;
    const stats = await runFuzz({ seed, inputs: Number.MAX_SAFE_INTEGER, seconds: SECONDS });
    const report = formatReport(stats, seed);
    assert.ok(
      stats.every((s) => s.inputs > 0),
      `a target ran no input\n${report}`,
    );
    assert.equal(findingCount(stats, new Set(['crash', 'property'])), 0, `fuzz findings (seed ${seed}):\n${report}`);
    const slow = findingCount(stats, new Set(['slow']));
    if (slow > 0) t.diagnostic(`${slow} kind(s) of slow input on this run (not asserted):\n${report}`);
  });
});
