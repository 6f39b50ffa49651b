/**
 * Differential test of --web.config.file: each case of test/helpers/differential-web-config.ts starts the
 * Debian reference 1.5.1 and ours with the same file (same certificates, made here) and sends both the same
 * probes; what a client can tell (handshake outcome, status, WWW-Authenticate, configured headers, 401
 * body) must match. Probes in KNOWN_DIFFERENCES are held to the stated outcome for ours instead (the
 * reasons are in docs/compatibility.md) and reported.
 *
 * PGW_DIFF_OURS=reference runs the reference against itself (checks that the outcomes are stable).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates.js';
import { caseYaml, runProbe, WEB_CONFIG_CASES, type WebConfigCase } from '../helpers/differential-web-config.js';
import { referenceSkipReason } from '../helpers/servers.js';
import { OURS_SERVES_TLS, startWithWebConfig, type WebConfigGateway } from '../helpers/web-config-servers.js';

const selfCheck = process.env.PGW_DIFF_OURS === 'reference';

/** `<case> / <probe>` → what ours answers instead of the reference's outcome, and why. */
const KNOWN_DIFFERENCES: Record<string, { reason: string; ours: string[] }> = {};

/** Starts both with the case's file; when one fails to start, the other is stopped before the error. */
async function pair(dc: WebConfigCase, certs: TestCertificates): Promise<[WebConfigGateway, WebConfigGateway]> {
  const yaml = caseYaml(dc);
  const started = await Promise.allSettled([
    startWithWebConfig('reference', yaml, { dir: certs.dir }),
    startWithWebConfig(selfCheck ? 'reference' : 'ours', yaml, { dir: certs.dir }),
  ]);
  const [ref, ours] = started;
  if (ref.status === 'fulfilled' && ours.status === 'fulfilled') return [ref.value, ours.value];
  await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  throw started.find((s) => s.status === 'rejected')!.reason;
}

describe('differential: --web.config.file on reference 1.5.1 vs ours', { skip: referenceSkipReason() }, () => {
  let certs: TestCertificates;
  before(() => {
    certs = makeTestCertificates('pgw-diff-webcfg-');
  });
  after(() => {
    if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('every known difference names a probe of the table', () => {
    const names = WEB_CONFIG_CASES.flatMap((dc) => dc.probes.map((p) => `${dc.name} / ${p.name}`));
    assert.equal(new Set(names).size, names.length, 'duplicate probe names');
    for (const name of Object.keys(KNOWN_DIFFERENCES)) assert.ok(names.includes(name), `unknown probe ${name}`);
  });

  for (const dc of WEB_CONFIG_CASES) {
    const todo = dc.tls !== undefined && !selfCheck && !OURS_SERVES_TLS ? 'ours does not serve TLS yet' : undefined;
    it(dc.name, todo === undefined ? {} : { todo }, async () => {
      const [ref, ours] = await pair(dc, certs);
      const problems: string[] = [];
      try {
        for (const probe of dc.probes) {
          const name = `${dc.name} / ${probe.name}`;
          // One after the other: pushes in a case build on each other, and outcomes stay readable.
          const r = await runProbe(ref.url, probe, certs);
          const o = await runProbe(ours.url, probe, certs);
          if (probe.expect !== undefined && !probe.expect.test(r[0]!)) {
            problems.push(`${probe.name}: the reference's ${r[0]} does not match ${probe.expect}`);
          }
          const known = selfCheck ? undefined : KNOWN_DIFFERENCES[name];
          const want = known === undefined ? r : known.ours;
          if (JSON.stringify(o) !== JSON.stringify(want)) {
            problems.push(`${probe.name}:\n    reference: ${r.join(' | ')}\n    ours:      ${o.join(' | ')}`);
          } else if (probe.expect !== undefined && !probe.expect.test(o[0]!)) {
            problems.push(`${probe.name}: ours ${o[0]} does not match ${probe.expect}`);
          } else if (known !== undefined) {
            console.log(`# known difference ${name}: ${known.reason}\n#   reference: ${r.join(' | ')}`);
          }
        }
      } finally {
        await Promise.all([ref.stop(), ours.stop()]);
      }
      assert.deepEqual(problems, [], `${dc.name} differs:\n${problems.join('\n')}`);
    });
  }
});
