/**
 * prom-client 15's Pushgateway over TLS to a gateway that wants a CA-signed client certificate and basic
 * auth: the request options carry an https.Agent with the CA, the client certificate and key, and
 * `auth: 'user:password'` (Node's own basic auth). push, pushAdd and delete go through and are read back;
 * without `auth` the promise rejects with the 401; with an agent lacking the certificate the connection
 * fails. Run against the reference and ours.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { Gauge, Pushgateway, Registry } from 'prom-client';
import {
  lazyTlsGateway,
  samplesOf,
  scrapeTls,
  TLS_PASSWORD,
  TLS_USER,
  tlsTargets,
  type TlsGateway,
} from '../clients/tls-target.js';

function oneGauge(name: string, value: number): Registry {
  const registry = new Registry();
  new Gauge({ name, help: `${name} help`, registers: [registry] }).set(value);
  return registry;
}

/** A Pushgateway client for `registry`, with the agent and credentials unless left out. */
function client(t: TlsGateway, registry: Registry, opts: { cert?: boolean; auth?: boolean } = {}): Pushgateway<never> {
  const { cert = true, auth = true } = opts;
  const agent = new https.Agent({
    ca: t.certs.pem.caCert,
    ...(cert ? { cert: t.certs.pem.clientCert, key: t.certs.pem.clientKey } : {}),
    keepAlive: false,
  });
  return new Pushgateway(
    t.url,
    { agent, timeout: 10_000, ...(auth ? { auth: `${TLS_USER}:${TLS_PASSWORD}` } : {}) },
    registry,
  );
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected the promise to reject');
}

for (const target of tlsTargets()) {
  describe(`prom-client Pushgateway over TLS with a client certificate and basic auth: ${target.kind}`, () => {
    const gateway = lazyTlsGateway(target.kind);
    after(() => gateway.stop());

    it(
      'push, pushAdd and delete resolve with 200/200/202 and the scrape shows the result',
      target.options,
      async () => {
        const t = await gateway.get();
        const first = await client(t, oneGauge('pc_tls_g', 1)).push({
          jobName: 'pc_tls',
          groupings: { instance: 'a' },
        });
        assert.equal((first.resp as { statusCode?: number }).statusCode, 200);
        const added = await client(t, oneGauge('pc_tls_added', 2)).pushAdd({
          jobName: 'pc_tls',
          groupings: { instance: 'a' },
        });
        assert.equal((added.resp as { statusCode?: number }).statusCode, 200);
        await client(t, oneGauge('pc_tls_g', 9)).push({ jobName: 'pc_tls', groupings: { instance: 'gone' } });
        const del = await client(t, new Registry()).delete({ jobName: 'pc_tls', groupings: { instance: 'gone' } });
        assert.equal((del.resp as { statusCode?: number }).statusCode, 202);
        // a checked push after the delete: the reference applies deletes after answering (FIFO queue)
        await client(t, new Registry()).push({ jobName: 'pc_tls_barrier' });
        assert.deepEqual(samplesOf(await scrapeTls(t), 'pc_tls_'), [
          'pc_tls_added{instance="a",job="pc_tls"} 2',
          'pc_tls_g{instance="a",job="pc_tls"} 1',
        ]);
      },
    );

    it('without auth the promise rejects with the 401', target.options, async () => {
      const t = await gateway.get();
      const err = await rejection(client(t, oneGauge('pc_tls_x', 1), { auth: false }).push({ jobName: 'pc_tls_x' }));
      assert.equal(err.message, 'push failed with status 401, Unauthorized\n');
    });

    it(
      'without the client certificate the promise rejects with a TLS error, not a status',
      target.options,
      async () => {
        const t = await gateway.get();
        const err = await rejection(client(t, oneGauge('pc_tls_y', 1), { cert: false }).push({ jobName: 'pc_tls_y' }));
        assert.match((err as NodeJS.ErrnoException).code ?? '', /^(ERR_SSL_|EPROTO|ECONNRESET)/, err.message);
      },
    );
  });
}
