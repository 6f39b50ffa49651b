/**
 * Differential fuzzing of the text parser against Go's (fuzz/go-differential.ts): a few thousand
 * generated and mutated bodies through parseTextBody and through Debian's prometheus/common
 * expfmt.TextParser. Every disagreement must be one docs/compatibility.md explains (mostly the gap
 * between Debian's version and the v0.69 our parser follows); a new one fails the test. Skips loudly
 * when Go or the Debian packages are missing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDifferential, goHarness, runDifferential } from '../../fuzz/go-differential.js';

const harness = goHarness();
const skip = 'skip' in harness ? harness.skip : false;
if (skip !== false) console.warn(`\n*** ${skip} ***\n`);

describe('text parser against Go expfmt on fuzzed bodies', { skip }, () => {
  it('agrees on accept/reject and on the parsed model, up to the known differences', { timeout: 300_000 }, async () => {
    // A fixed seed, so CI is repeatable; `npm run fuzz` (random seeds) is where new differences are found.
    const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 20261201;
    const r = await runDifferential({ seed, inputs: 4000 });
    assert.ok(!('skip' in r));
    const report = formatDifferential(r);
    assert.ok(r.bothAccept > 100 && r.bothReject > 100, `the inputs must reach both verdicts\n${report}`);
    assert.equal(r.newFindings, 0, `disagreements no known difference explains (seed ${seed}):\n${report}`);
  });
});
