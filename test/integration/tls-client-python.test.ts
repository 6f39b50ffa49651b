/**
 * The real Python prometheus_client (Debian 0.16) over TLS to a gateway that wants a CA-signed client
 * certificate and basic auth: push_to_gateway, pushadd_to_gateway and delete_from_gateway with a handler
 * made of the client's tls_auth_handler (ssl context with CA and client certificate) plus the basic-auth
 * header (test/clients/python_push.py), read back with a scrape. Without credentials the client raises on
 * the 401; without a client certificate the connection fails. Run against the reference and ours.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { needsProgram, run } from '../clients/gateway-target.js';
import {
  lazyTlsGateway,
  samplesOf,
  scrapeTls,
  TLS_PASSWORD,
  TLS_USER,
  tlsTargets,
  type TlsGateway,
} from '../clients/tls-target.js';
import { PROJECT_ROOT } from '../helpers/servers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(PROJECT_ROOT, 'test/clients/python_push.py');
const missing = await needsProgram(
  [PYTHON, '-c', 'import prometheus_client'],
  `Python module prometheus_client for ${PYTHON}`,
  'apt-get install -y python3-prometheus-client',
);

interface OpResult {
  ok: boolean;
  error?: string;
}

async function python(
  t: TlsGateway,
  ops: unknown[],
  opts: { cert?: boolean; auth?: boolean } = {},
): Promise<OpResult[]> {
  const { cert = true, auth = true } = opts;
  const tls = {
    ca: t.certs.caCert,
    cert: cert ? t.certs.clientCert : null,
    key: cert ? t.certs.clientKey : null,
    user: auth ? TLS_USER : null,
    password: auth ? TLS_PASSWORD : null,
  };
  const res = await run(PYTHON, [SCRIPT, JSON.stringify({ gateway: t.url, tls, ops })]);
  assert.equal(res.code, 0, `python_push.py failed:\n${res.stderr}`);
  return res.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OpResult);
}

for (const target of tlsTargets()) {
  describe(`Python prometheus_client over TLS with a client certificate and basic auth: ${target.kind}`, () => {
    const options = missing === false ? target.options : { skip: missing };
    const gateway = lazyTlsGateway(target.kind);
    after(() => gateway.stop());

    it('push_to_gateway, pushadd_to_gateway and delete_from_gateway go through', options, async () => {
      const t = await gateway.get();
      const gauge = (name: string, set: number) => ({ type: 'gauge', name, set });
      const results = await python(t, [
        { op: 'push', job: 'py_tls', grouping_key: { instance: 'a' }, metrics: [gauge('py_tls_g', 1.5)] },
        { op: 'pushadd', job: 'py_tls', grouping_key: { instance: 'a' }, metrics: [gauge('py_tls_added', 2)] },
        { op: 'push', job: 'py_tls', grouping_key: { instance: 'gone' }, metrics: [gauge('py_tls_g', 9)] },
        { op: 'delete', job: 'py_tls', grouping_key: { instance: 'gone' } },
        // a checked push after the delete: the reference applies deletes after answering (FIFO queue)
        { op: 'push', job: 'py_tls_barrier', metrics: [] },
      ]);
      assert.deepEqual(results, Array(5).fill({ ok: true }));
      const text = await scrapeTls(t);
      assert.deepEqual(samplesOf(text, 'py_tls_'), [
        'py_tls_added{instance="a",job="py_tls"} 2',
        'py_tls_g{instance="a",job="py_tls"} 1.5',
      ]);
    });

    it('without credentials the client raises on the 401', options, async () => {
      const t = await gateway.get();
      const results = await python(t, [{ op: 'push', job: 'py_tls_noauth', metrics: [] }], { auth: false });
      assert.deepEqual(results, [{ ok: false, error: 'HTTPError: HTTP Error 401: Unauthorized' }]);
    });

    it('without a client certificate the connection fails before any answer', options, async () => {
      const t = await gateway.get();
      const [r] = await python(t, [{ op: 'push', job: 'py_tls_nocert', metrics: [] }], { cert: false });
      assert.equal(r!.ok, false);
      // urllib wraps the TLS alert (or the reset right after it) in a URLError; no HTTP status at all.
      assert.match(r!.error ?? '', /^(URLError|SSLError|ConnectionResetError|RemoteDisconnected)/);
      assert.doesNotMatch(r!.error ?? '', /HTTP Error/);
    });
  });
}
