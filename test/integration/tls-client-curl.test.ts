/**
 * curl over TLS to a gateway that wants a client certificate signed by its CA and basic auth: a push and
 * a delete with --cacert, --cert/--key and -u go through and are read back; without the certificate the
 * handshake fails, without -u the answer is 401 with WWW-Authenticate, and a CA curl does not know fails
 * its verification of the server. Run against the reference (the oracle) and ours.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../clients/gateway-target.js';
import {
  lazyTlsGateway,
  samplesOf,
  scrapeTls,
  TLS_HEADER,
  TLS_PASSWORD,
  TLS_USER,
  tlsTargets,
  type TlsGateway,
} from '../clients/tls-target.js';
import { skipUnlessProgram } from '../helpers/skip.js';

const curlSkip = skipUnlessProgram('curl', 'apt-get install -y curl');

/** curl with the CA, the client certificate and the credentials, minus what `drop` names. */
function curl(t: TlsGateway, args: string[], drop: Array<'cert' | 'auth' | 'ca'> = []) {
  const tls = [
    ...(drop.includes('ca') ? [] : ['--cacert', t.certs.caCert]),
    ...(drop.includes('cert') ? [] : ['--cert', t.certs.clientCert, '--key', t.certs.clientKey]),
    ...(drop.includes('auth') ? [] : ['-u', `${TLS_USER}:${TLS_PASSWORD}`]),
  ];
  // -sS: errors on stderr; -D -: response headers on stdout before the body; bounded by --max-time.
  return run('curl', ['-sS', '--max-time', '10', '-D', '-', ...tls, ...args]);
}

for (const target of tlsTargets()) {
  describe(`curl over TLS with a client certificate and basic auth: ${target.kind}`, () => {
    const options = curlSkip === false ? target.options : { skip: curlSkip };
    const gateway = lazyTlsGateway(target.kind);
    after(() => gateway.stop());

    it('pushes with --data-binary and deletes with -X DELETE; the scrape shows both', options, async () => {
      const t = await gateway.get();
      const url = `${t.url}/metrics/job/curl_tls/instance/i1`;
      const push = await curl(t, ['--data-binary', '# TYPE curl_tls_value gauge\ncurl_tls_value 42\n', url]);
      assert.equal(push.code, 0, push.stderr);
      assert.match(push.stdout, /^HTTP\/[12](?:\.[01])? 200/);
      assert.match(push.stdout, new RegExp(`^${TLS_HEADER[0]}: ${TLS_HEADER[1]}\r$`, 'mi'));
      assert.deepEqual(samplesOf(await scrapeTls(t), 'curl_tls_value'), [
        'curl_tls_value{instance="i1",job="curl_tls"} 42',
      ]);
      const del = await curl(t, ['-X', 'DELETE', url]);
      assert.equal(del.code, 0, del.stderr);
      assert.match(del.stdout, /^HTTP\/[12](?:\.[01])? 202/);
      // The reference applies a DELETE after answering 202; a checked push waits for it (FIFO).
      const barrier = await curl(t, ['--data-binary', '', `${t.url}/metrics/job/barrier`]);
      assert.equal(barrier.code, 0, barrier.stderr);
      assert.deepEqual(samplesOf(await scrapeTls(t), 'curl_tls_value'), []);
    });

    it('without -u the answer is 401 with WWW-Authenticate: Basic and the configured header', options, async () => {
      const t = await gateway.get();
      const r = await curl(t, [`${t.url}/metrics`], ['auth']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^HTTP\/[12](?:\.[01])? 401/);
      assert.match(r.stdout, /^www-authenticate: Basic\r$/im);
      assert.match(r.stdout, new RegExp(`^${TLS_HEADER[0]}: ${TLS_HEADER[1]}\r$`, 'mi'));
    });

    it('without --cert the connection fails (no answer at all)', options, async () => {
      const t = await gateway.get();
      const r = await curl(t, [`${t.url}/metrics`], ['cert']);
      // As the refusal races curl's request (TLS 1.3: the server checks the certificate after the client's
      // handshake is done): 35 the handshake failed, 55 sending failed, 56 receiving failed.
      assert.ok([35, 55, 56].includes(r.code ?? 0), `curl exit ${r.code}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /^HTTP/);
    });

    it('without --cacert curl refuses the server certificate (exit 60)', options, async () => {
      const t = await gateway.get();
      const r = await curl(t, [`${t.url}/metrics`], ['ca']);
      assert.equal(r.code, 60, r.stderr);
    });
  });
}
