/**
 * The real Go client (client_golang's push package, Debian 1.14, built offline by the test) over TLS to a
 * gateway that wants a CA-signed client certificate and basic auth:
 * push.New(url, job).BasicAuth(user, password).Client(&http.Client{Transport: &http.Transport{
 * TLSClientConfig: <CA pool and client certificate>}}) (test/clients/go-tls-push). Push, Add and Delete
 * go through and are read back; without BasicAuth the client reports the 401; without the certificate the
 * request fails in TLS. Run against the reference and ours.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goProgram, runGoPusher } from '../clients/go-client.js';
import {
  lazyTlsGateway,
  samplesOf,
  scrapeTls,
  TLS_PASSWORD,
  TLS_USER,
  tlsTargets,
  type TlsGateway,
} from '../clients/tls-target.js';

const go = goProgram('go-tls-push');

function goPush(t: TlsGateway, mode: string, instance: string, opts: { cert?: boolean; auth?: boolean } = {}) {
  const { cert = true, auth = true } = opts;
  return runGoPusher((go as { binary: string }).binary, [
    mode,
    t.url,
    'go_tls',
    instance,
    t.certs.caCert,
    cert ? t.certs.clientCert : '-',
    cert ? t.certs.clientKey : '-',
    auth ? TLS_USER : '-',
    TLS_PASSWORD,
  ]);
}

for (const target of tlsTargets()) {
  describe(`Go client_golang push over TLS with a client certificate and basic auth: ${target.kind}`, () => {
    const options = 'skip' in go ? { skip: go.skip } : target.options;
    const gateway = lazyTlsGateway(target.kind);
    after(() => gateway.stop());

    it('Push, Add and Delete succeed and the scrape shows the result', options, async () => {
      const t = await gateway.get();
      for (const [mode, instance] of [
        ['push', 'a'],
        ['add', 'a'],
        ['push', 'gone'],
        ['delete', 'gone'],
        // a checked push after the delete: the reference applies deletes after answering (FIFO queue)
        ['push', 'barrier'],
      ] as const) {
        const r = await goPush(t, mode, instance);
        assert.equal(r.status, 0, `${mode} ${instance}: ${r.stderr}`);
      }
      assert.deepEqual(samplesOf(await scrapeTls(t), 'go_tls_'), [
        'go_tls_added{instance="a",job="go_tls"} 8',
        'go_tls_value{instance="a",job="go_tls"} 7',
        'go_tls_value{instance="barrier",job="go_tls"} 7',
      ]);
    });

    it('without BasicAuth the client reports the 401', options, async () => {
      const t = await gateway.get();
      const r = await goPush(t, 'push', 'noauth', { auth: false });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /unexpected status code 401/);
    });

    it('without a client certificate the request fails in TLS, with no status', options, async () => {
      const t = await gateway.get();
      const r = await goPush(t, 'push', 'nocert', { cert: false });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /tls: |remote error|connection reset/);
      assert.doesNotMatch(r.stderr, /status code/);
    });
  });
}
