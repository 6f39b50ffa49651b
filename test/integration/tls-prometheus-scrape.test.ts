/**
 * A real Prometheus (Debian's 2.42) scrapes a gateway that wants TLS with a CA-signed client certificate
 * and basic auth: `scheme: https`, `basic_auth` and `tls_config` (ca_file, cert_file, key_file). A pushed
 * series comes back through Prometheus's query API with its pushed labels, and `up` is 1. A second
 * Prometheus without the client certificate sees the target down. Run against the reference and ours.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  eventually,
  prometheusSkipReason,
  startPrometheus,
  stopPrometheus,
  targetHealth,
  type Prom,
} from '../clients/prometheus-server.js';
import {
  lazyTlsGateway,
  TLS_PASSWORD,
  TLS_USER,
  tlsRequest,
  tlsTargets,
  type TlsGateway,
} from '../clients/tls-target.js';

const skip = prometheusSkipReason();

/** The scrape config lines for the gateway's TLS and auth; without the client certificate if `cert` is false. */
function tlsScrapeConfig(t: TlsGateway, cert = true): string[] {
  return [
    '    scheme: https',
    '    basic_auth:',
    `      username: ${JSON.stringify(TLS_USER)}`,
    `      password: ${JSON.stringify(TLS_PASSWORD)}`,
    '    tls_config:',
    `      ca_file: ${JSON.stringify(t.certs.caCert)}`,
    ...(cert
      ? [
          `      cert_file: ${JSON.stringify(t.certs.clientCert)}`,
          `      key_file: ${JSON.stringify(t.certs.clientKey)}`,
        ]
      : []),
  ];
}

/** Polls Prometheus's view of its one target until it has been scraped (health no longer unknown). */
async function scrapedHealth(p: Prom): Promise<{ health: string; lastError: string }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const t = await targetHealth(p);
      if (t !== undefined && t.health !== 'unknown') return t;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the target was never scraped:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const target of tlsTargets()) {
  describe(`Prometheus scrapes over TLS with a client certificate and basic auth: ${target.kind}`, () => {
    const options = skip === false ? target.options : { skip };
    const gateway = lazyTlsGateway(target.kind);
    const proms: Prom[] = [];
    after(async () => {
      await Promise.all(proms.map((p) => stopPrometheus(p)));
      await gateway.stop();
    });

    it('the pushed series is read back through the query API, up is 1', options, async () => {
      const t = await gateway.get();
      const push = await tlsRequest(t, {
        method: 'PUT',
        path: '/metrics/job/tls_backup/instance/db1',
        body: '# TYPE tls_backup_bytes gauge\ntls_backup_bytes{kind="full"} 1234\n',
      });
      assert.equal(push.answer?.status, 200, push.failure ?? push.answer?.body);
      const prom = await startPrometheus(`127.0.0.1:${t.gw.port}`, [], tlsScrapeConfig(t));
      proms.push(prom);
      const [s] = await eventually(prom, 'tls_backup_bytes');
      assert.deepEqual(s!.metric, { __name__: 'tls_backup_bytes', job: 'tls_backup', instance: 'db1', kind: 'full' });
      assert.equal(s!.value[1], '1234');
      const [up] = await eventually(prom, 'up{job="pushgateway"}');
      assert.equal(up!.value[1], '1');
    });

    it('without the client certificate the target is down, with a TLS error', options, async () => {
      const t = await gateway.get();
      const prom = await startPrometheus(`127.0.0.1:${t.gw.port}`, [], tlsScrapeConfig(t, false));
      proms.push(prom);
      const health = await scrapedHealth(prom);
      assert.equal(health.health, 'down');
      // Ours refuses a TLS 1.3 client without a certificate by closing once the handshake is done
      // (docs/compatibility.md), so Prometheus sees an alert, an EOF, a reset or a broken pipe on its write.
      assert.match(health.lastError, /tls|remote error|EOF|connection reset|broken pipe/i);
      const [up] = await eventually(prom, 'up{job="pushgateway"}');
      assert.equal(up!.value[1], '0');
    });
  });
}
