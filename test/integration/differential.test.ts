/**
 * Differential test: every case of the table in test/helpers/differential-cases.ts is replayed against
 * the Debian reference Pushgateway 1.5.1 and against ours; status codes, Allow/Location headers,
 * bodies (consistency errors by prefix) and the case's part of /metrics must match. Cases listed in
 * KNOWN_DIFFERENCES are held to the stated expectation for ours instead, and reported.
 *
 * Set PGW_DIFF_OURS=reference to run the reference against itself (validates the harness).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CASES,
  KNOWN_DIFFERENCES,
  compareTranscripts,
  expandCase,
  replayCase,
  type ExpandedCase,
} from '../helpers/differential-cases.js';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';

const selfCheck = process.env.PGW_DIFF_OURS === 'reference';
const startSubject = (): Promise<RunningGateway> => (selfCheck ? startReference() : startOurs());

async function runCase(ref: RunningGateway, ours: RunningGateway, dc: ExpandedCase): Promise<void> {
  const [r, o] = await Promise.all([replayCase(ref.url, dc), replayCase(ours.url, dc)]);
  const diffs = compareTranscripts(r, o, dc.unstableErrorDetail !== undefined);
  const known = selfCheck ? undefined : KNOWN_DIFFERENCES[dc.name];
  if (known === undefined) {
    assert.deepEqual(diffs, [], `${dc.name} differs from the reference:\n${diffs.join('\n')}`);
    return;
  }
  const problems = known.checkOurs(o, dc, r);
  assert.deepEqual(
    problems,
    [],
    `${dc.name} (known difference: ${known.reason}) misses our expectation:\n${problems.join('\n')}`,
  );
  console.log(
    diffs.length === 0
      ? `# known difference ${dc.name} no longer differs; remove it from KNOWN_DIFFERENCES`
      : `# known difference ${dc.name}: ${known.reason}\n#   ${diffs.join('\n#   ')}`,
  );
}

describe('differential: reference 1.5.1 vs ours', { skip: referenceSkipReason() }, () => {
  let ref: RunningGateway | undefined;
  let ours: RunningGateway | undefined;

  before(async () => {
    [ref, ours] = await Promise.all([startReference(), startSubject()]);
  });
  after(async () => {
    await Promise.all([ref?.stop(), ours?.stop()]);
  });

  it('the case table is large, uniquely named and its known differences exist', () => {
    assert.ok(CASES.length >= 100, `only ${CASES.length} cases`);
    const names = CASES.map((dc) => dc.name);
    assert.equal(new Set(names).size, names.length, 'duplicate case names');
    for (const name of Object.keys(KNOWN_DIFFERENCES)) assert.ok(names.includes(name), `unknown case ${name}`);
  });

  CASES.forEach((raw, index) => {
    const dc = expandCase(raw, index);
    it(dc.name, async () => {
      if (dc.isolated === undefined) return runCase(ref!, ours!, dc);
      // This case would poison the shared reference, so it gets a pair of its own.
      const [iref, iours] = await Promise.all([startReference(), startSubject()]);
      try {
        await runCase(iref, iours, dc);
      } finally {
        await Promise.all([iref.stop(), iours.stop()]);
      }
    });
  });
});
