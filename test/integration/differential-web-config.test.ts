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
import { skipUnlessProgram } from '../helpers/skip.js';
import { startWithWebConfig, type WebConfigGateway } from '../helpers/web-config-servers.js';

const selfCheck = process.env.PGW_DIFF_OURS === 'reference';

/**
 * `<case> / <probe>` → what ours does instead (matched against the observation lines joined by ` | `),
 * and why; each is a row of docs/compatibility.md ("TLS handshake outcomes").
 */
const KNOWN_DIFFERENCES: Record<string, { reason: string; ours: RegExp }> = {};

const PLAIN_HTTP_REASON =
  'Go answers plain HTTP on a TLS port with 400 "Client sent an HTTP request to an HTTPS server."; ' +
  'node:tls drops the connection';
// A destroyed socket shows as a close, or as a reset when the client's request was already on its way.
const CLOSED_REASON =
  'the policy is checked after the handshake (node:tls cannot ask OpenSSL for it) and the socket is ' +
  'destroyed: no alert, where Go sends "bad certificate"';
const UNVERIFIED_REASON =
  'node:tls verifies the certificate after the handshake and destroys the socket: no alert, where Go sends ' +
  '"bad certificate"';
const NO_CERT_REASON = 'OpenSSL refuses a missing certificate with its own alert, Go with "bad certificate"';
for (const policy of [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
]) {
  KNOWN_DIFFERENCES[`client_auth_type ${policy} / plain HTTP to the TLS port`] = {
    reason: PLAIN_HTTP_REASON,
    ours: /^closed$/,
  };
}
for (const creds of ['credentials', 'no credentials']) {
  Object.assign(KNOWN_DIFFERENCES, {
    [`client_auth_type RequireAnyClientCert / no cert, ${creds}`]: {
      reason: CLOSED_REASON,
      ours: /^(closed|reset) after handshake$/,
    },
    [`client_auth_type VerifyClientCertIfGiven / stranger cert, ${creds}`]: {
      reason: UNVERIFIED_REASON,
      ours: /^(closed|reset) after handshake$/,
    },
  });
  for (const dc of ['client_auth_type RequireAndVerifyClientCert', 'HTTP/2 client, RequireAndVerifyClientCert']) {
    Object.assign(KNOWN_DIFFERENCES, {
      [`${dc} / no cert, ${creds}`]: { reason: NO_CERT_REASON, ours: /^alert certificate required after handshake$/ },
      [`${dc} / stranger cert, ${creds}`]: { reason: UNVERIFIED_REASON, ours: /^(closed|reset) after handshake$/ },
    });
  }
}
Object.assign(KNOWN_DIFFERENCES, {
  'max_version TLS12 with RequireAndVerifyClientCert / no cert, TLS 1.2': {
    reason: NO_CERT_REASON,
    ours: /^alert handshake failure in handshake$/,
  },
  // The socket is destroyed while the client still waits for the server's Finished: reset or close.
  'max_version TLS12 with RequireAndVerifyClientCert / stranger cert, TLS 1.2': {
    reason: UNVERIFIED_REASON,
    ours: /^(reset|closed) in handshake$/,
  },
});

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

const skip = skipUnlessProgram('openssl', 'apt-get install -y openssl') || referenceSkipReason();

describe('differential: --web.config.file on reference 1.5.1 vs ours', { skip }, () => {
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
    it(dc.name, async () => {
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
          const same = known === undefined ? JSON.stringify(o) === JSON.stringify(r) : known.ours.test(o.join(' | '));
          if (!same) {
            problems.push(`${probe.name}:\n    reference: ${r.join(' | ')}\n    ours:      ${o.join(' | ')}`);
          } else if (known === undefined && probe.expect !== undefined && !probe.expect.test(o[0]!)) {
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
