/**
 * loadWebConfig against the exporter-toolkit v0.14.0's own verdicts: one case of ours for each of its
 * web/testdata files (same idea, our YAML, certificates made here), accepted where it accepts and refused
 * where it refuses, the refusal naming the key at fault. Then what the toolkit's files do not cover:
 * strictness (repeated keys, types), paths, hashes, the defaults, and the name tables the TLS step uses.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { WebConfigError } from '../../src/errors.js';
import { loadWebConfig } from '../../src/web-config/load.js';
import { CIPHER_SUITES, CURVES, TLS_VERSIONS } from '../../src/web-config/tls-names.js';
import type { WebConfig } from '../../src/web-config/web-config.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates.js';

let certs: TestCertificates;
let n = 0;

/** Writes `yaml` beside the certificates (so relative names resolve to them) and loads it. */
function load(yaml: string): WebConfig {
  const file = path.join(certs.dir, `web-${++n}.yml`);
  writeFileSync(file, yaml);
  return loadWebConfig(file);
}

/** Asserts a refusal: a WebConfigError, exit status 1, naming `key` and matching `reason`. */
function refused(yaml: string, key: string | undefined, reason: RegExp): void {
  assert.throws(
    () => load(yaml),
    (err: unknown) => {
      assert.ok(err instanceof WebConfigError, String(err));
      assert.equal(err.exitStatus, 1);
      assert.equal(err.code, 'PGW_ERR_WEB_CONFIG');
      assert.equal(err.key, key, err.message);
      if (key !== undefined) assert.ok(err.message.includes(`: ${key}: `), err.message);
      assert.match(err.message, reason);
      return true;
    },
  );
}

/** A PEM text as a YAML block scalar under a key indented by two. */
function block(pem: string): string {
  return `|\n${pem
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;
}

const FILES = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';
// Made-up hashes of bcrypt's shape (this test checks their form, not a password).
const HASH = (v: string, cost = '10') => `$2${v}$${cost}$${'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.'}`;
const USERS = `basic_auth_users:\n  alice: ${HASH('y', '12')}\n  bob: ${HASH('y', '18')}\n  carol: ${HASH('y')}\n`;

before(() => {
  certs = makeTestCertificates('pgw-webconfig-');
  writeFileSync(path.join(certs.dir, 'empty-ca.pem'), '');
  mkdirSync(path.join(certs.dir, 'a-directory'));
});
after(() => rmSync(certs.dir, { recursive: true, force: true }));

// The YAML files in the toolkit v0.14.0's web/testdata: each has its case below.
const TOOLKIT_FILES = [
  'tls_config_noAuth.requireandverifyclientcert.good.yml',
  'tls_config_noAuth.requireanyclientcert.good.yml',
  'tls_config_noAuth.requireanyclientcertkeyinline.good.yml',
  'web_config_auth_clientCAs_invalid.bad.yml',
  'web_config_auth_clientCAs_missing.bad.yml',
  'web_config_auth_client_san.bad.yaml',
  'web_config_auth_client_san.good.yaml',
  'web_config_auth_user_list_invalid.bad.yml',
  'web_config_empty.yml',
  'web_config_headers.good.yml',
  'web_config_headers_content_type_options.bad.yml',
  'web_config_headers_extra_header.bad.yml',
  'web_config_headers_frame_options.bad.yml',
  'web_config_junk.yml',
  'web_config_junk_key.yml',
  'web_config_noAuth.bad.yml',
  'web_config_noAuth.good.blocking.yml',
  'web_config_noAuth.good.yml',
  'web_config_noAuth_allCiphers.good.yml',
  'web_config_noAuth_allCurves.good.yml',
  'web_config_noAuth_certPath_empty.bad.yml',
  'web_config_noAuth_certPath_invalid.bad.yml',
  'web_config_noAuth_certPath_keyPath_empty.bad.yml',
  'web_config_noAuth_certPath_keyPath_invalid.bad.yml',
  'web_config_noAuth_cert_empty.bad.yml',
  'web_config_noAuth_inventedCiphers.bad.yml',
  'web_config_noAuth_inventedCurves.bad.yml',
  'web_config_noAuth_keyPath_empty.bad.yml',
  'web_config_noAuth_keyPath_invalid.bad.yml',
  'web_config_noAuth_key_empty.bad.yml',
  'web_config_noAuth_noHTTP2.good.yml',
  'web_config_noAuth_noHTTP2Cipher.bad.yml',
  'web_config_noAuth_someCiphers.good.yml',
  'web_config_noAuth_someCiphers_noOrder.good.yml',
  'web_config_noAuth_someCurves.good.yml',
  'web_config_noAuth_tlsInline.good.yml',
  'web_config_noAuth_wrongTLSVersion.bad.yml',
  'web_config_users.good.yml',
  'web_config_users_noTLS.good.yml',
];
const covered: string[] = [];

describe('the toolkit v0.14.0 files it accepts, ours accepted', () => {
  const accepted: [string, () => string, ((c: WebConfig) => void)?][] = [
    [
      'tls_config_noAuth.requireandverifyclientcert.good.yml',
      () => `${FILES}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`,
      (c) => {
        assert.equal(c.tlsServerConfig?.clientAuthType, 'RequireAndVerifyClientCert');
        assert.equal(c.tlsServerConfig?.clientCaFile, certs.caCert);
      },
    ],
    ['tls_config_noAuth.requireanyclientcert.good.yml', () => `${FILES}  client_auth_type: RequireAnyClientCert\n`],
    [
      'tls_config_noAuth.requireanyclientcertkeyinline.good.yml',
      () =>
        `tls_server_config:\n  cert_file: server.crt\n  key: ${block(certs.pem.serverKey)}` +
        '  client_auth_type: "RequireAnyClientCert"\n',
      (c) => assert.equal(c.tlsServerConfig?.key, certs.pem.serverKey),
    ],
    // The toolkit's "bad" here fails at the handshake (no CA: self-made client certificates do not verify).
    [
      'web_config_auth_clientCAs_missing.bad.yml (a handshake verdict)',
      () => `${FILES}  client_auth_type: RequireAndVerifyClientCert\n`,
    ],
    // Likewise: the client certificate's SANs are not among those allowed, found at the handshake.
    [
      'web_config_auth_client_san.bad.yaml (a handshake verdict)',
      () =>
        `${FILES}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n` +
        '  client_allowed_sans:\n    - "bad"\n',
    ],
    [
      'web_config_auth_client_san.good.yaml',
      () =>
        `${FILES}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n` +
        '  client_allowed_sans: [one, test3, two]\n',
      (c) => assert.deepEqual(c.tlsServerConfig?.clientAllowedSans, ['one', 'test3', 'two']),
    ],
    ['web_config_empty.yml', () => '', (c) => assert.deepEqual(c, { http2: true, headers: {}, basicAuthUsers: {} })],
    [
      'web_config_headers.good.yml',
      () =>
        'http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n' +
        '    Strict-Transport-Security: max-age=63072000\n    X-Content-Type-Options: nosniff\n' +
        '    X-XSS-Protection: 0\n    Content-Security-Policy: "default-src \'none\'"\n',
      (c) => {
        assert.equal(c.tlsServerConfig, undefined);
        assert.deepEqual(c.headers, {
          'X-Frame-Options': 'sameorigin',
          'Strict-Transport-Security': 'max-age=63072000',
          'X-Content-Type-Options': 'nosniff',
          'X-XSS-Protection': '0',
          'Content-Security-Policy': "default-src 'none'",
        });
      },
    ],
    ['web_config_noAuth.good.blocking.yml', () => `${FILES}  client_auth_type: RequireAndVerifyClientCert\n`],
    [
      'web_config_noAuth.good.yml',
      () => `${FILES}  client_auth_type: VerifyClientCertIfGiven\n`,
      (c) =>
        assert.deepEqual(c.tlsServerConfig, {
          certFile: certs.serverCert,
          keyFile: certs.serverKey,
          clientAuthType: 'VerifyClientCertIfGiven',
          clientAllowedSans: [],
          minVersion: 'TLS12',
          cipherSuites: [],
          curvePreferences: [],
          preferServerCipherSuites: true,
        }),
    ],
    [
      'web_config_noAuth_allCiphers.good.yml',
      () =>
        `${FILES}  cipher_suites:\n${Object.keys(CIPHER_SUITES)
          .map((c) => `  - ${c}\n`)
          .join('')}`,
      (c) => assert.equal(c.tlsServerConfig?.cipherSuites.length, Object.keys(CIPHER_SUITES).length),
    ],
    [
      'web_config_noAuth_allCurves.good.yml',
      () => `${FILES}  curve_preferences: [X25519, CurveP521, CurveP384, CurveP256]\n`,
      (c) => assert.deepEqual(c.tlsServerConfig?.curvePreferences, ['X25519', 'CurveP521', 'CurveP384', 'CurveP256']),
    ],
    [
      'web_config_noAuth_noHTTP2.good.yml',
      () =>
        `${FILES}  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n  max_version: TLS12\n` +
        'http_server_config:\n  http2: false\n',
      (c) => {
        assert.equal(c.http2, false);
        assert.equal(c.tlsServerConfig?.maxVersion, 'TLS12');
      },
    ],
    [
      'web_config_noAuth_someCiphers.good.yml',
      () =>
        `${FILES}  cipher_suites:\n  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n` +
        '  - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n  min_version: TLS12\n  max_version: TLS12\n',
    ],
    [
      'web_config_noAuth_someCiphers_noOrder.good.yml',
      () =>
        `${FILES}  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, ` +
        'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  prefer_server_cipher_suites: false\n',
      (c) => assert.equal(c.tlsServerConfig?.preferServerCipherSuites, false),
    ],
    [
      'web_config_noAuth_someCurves.good.yml',
      () => `${FILES}  min_version: TLS13\n  curve_preferences:\n  - CurveP384\n`,
      (c) => assert.equal(c.tlsServerConfig?.minVersion, 'TLS13'),
    ],
    [
      'web_config_noAuth_tlsInline.good.yml',
      () => `tls_server_config:\n  cert: ${block(certs.pem.serverCert)}  key: ${block(certs.pem.serverKey)}`,
      (c) => assert.equal(c.tlsServerConfig?.cert, certs.pem.serverCert),
    ],
    [
      'web_config_users.good.yml',
      () => `${FILES}${USERS}`,
      (c) => assert.deepEqual(Object.keys(c.basicAuthUsers), ['alice', 'bob', 'carol']),
    ],
    [
      'web_config_users_noTLS.good.yml',
      () => USERS,
      (c) => {
        assert.equal(c.tlsServerConfig, undefined);
        assert.equal(c.basicAuthUsers.carol, HASH('y'));
      },
    ],
  ];
  for (const [name, yaml, check] of accepted) {
    covered.push(name.split(' ')[0]!);
    it(name, () => {
      const config = load(yaml());
      check?.(config);
    });
  }
});

describe('the toolkit v0.14.0 files it refuses, ours refused, naming the key', () => {
  const cases: [string, () => string, string | undefined, RegExp][] = [
    [
      'web_config_auth_clientCAs_invalid.bad.yml',
      () => `${FILES}  client_ca_file: no-such-ca.pem\n`,
      'tls_server_config.client_ca_file',
      /cannot read .*no-such-ca\.pem: no such file \(ENOENT\)/,
    ],
    [
      'web_config_auth_user_list_invalid.bad.yml',
      () => `${FILES}basic_auth_users:\n  joe: secret\n`,
      'basic_auth_users.joe',
      /not a bcrypt hash/,
    ],
    [
      'web_config_headers_content_type_options.bad.yml',
      () => 'http_server_config:\n  headers:\n    X-Content-Type-Options: sniff-away\n',
      'http_server_config.headers.X-Content-Type-Options',
      /invalid value "sniff-away"; expected one of: nosniff/,
    ],
    [
      'web_config_headers_extra_header.bad.yml',
      () => 'http_server_config:\n  headers:\n    Server: ours\n',
      'http_server_config.headers.Server',
      /can not be configured/,
    ],
    [
      'web_config_headers_frame_options.bad.yml',
      () => 'http_server_config:\n  headers:\n    X-Frame-Options: allow\n',
      'http_server_config.headers.X-Frame-Options',
      /expected one of: deny, sameorigin/,
    ],
    [
      'web_config_junk.yml',
      () => 'Lorem ipsum dolor\nsit amet consectetur\nadipiscing elit\n',
      undefined,
      /expected a map of keys, got "Lorem ipsum/,
    ],
    [
      'web_config_junk_key.yml',
      () => 'tls_server_config:\n  key_fiel: server.key\n',
      'tls_server_config.key_fiel',
      /unknown key \(line 2\); known keys here: cert, key/,
    ],
    [
      'web_config_noAuth.bad.yml',
      () => `${FILES}  client_ca_file: empty-ca.pem\n`,
      'tls_server_config.client_ca_file',
      /without a client auth policy/,
    ],
    [
      'web_config_noAuth_certPath_empty.bad.yml',
      () => 'tls_server_config:\n  cert_file: ""\n  key_file: server.key\n',
      'tls_server_config.cert_file',
      /missing one of cert or cert_file/,
    ],
    [
      'web_config_noAuth_certPath_invalid.bad.yml',
      () => 'tls_server_config:\n  cert_file: nowhere.crt\n  key_file: server.key\n',
      'tls_server_config.cert_file',
      /cannot read .*nowhere\.crt: no such file/,
    ],
    [
      'web_config_noAuth_certPath_keyPath_empty.bad.yml',
      () => 'tls_server_config:\n  cert_file: ""\n  key_file: ""\n  client_auth_type: Sometimes\n',
      'tls_server_config.cert_file',
      /missing one of cert or cert_file/,
    ],
    [
      'web_config_noAuth_certPath_keyPath_invalid.bad.yml',
      () => 'tls_server_config:\n  cert_file: nowhere.crt\n  key_file: nowhere.key\n',
      'tls_server_config.cert_file',
      /cannot read/,
    ],
    [
      'web_config_noAuth_cert_empty.bad.yml',
      () => 'tls_server_config:\n  cert: ""\n  key_file: server.key\n',
      'tls_server_config.cert_file',
      /missing one of cert or cert_file/,
    ],
    [
      'web_config_noAuth_inventedCiphers.bad.yml',
      () => `${FILES}  cipher_suites:\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_ECDHE_RSA_WITH_ROT13_SHA1\n`,
      'tls_server_config.cipher_suites[1]',
      /unknown cipher suite "TLS_ECDHE_RSA_WITH_ROT13_SHA1"/,
    ],
    [
      'web_config_noAuth_inventedCurves.bad.yml',
      () => `${FILES}  curve_preferences: [CurveP512]\n`,
      'tls_server_config.curve_preferences[0]',
      /unknown curve "CurveP512"; known: CurveP256/,
    ],
    [
      'web_config_noAuth_keyPath_empty.bad.yml',
      () => 'tls_server_config:\n  cert_file: server.crt\n  key_file: ""\n',
      'tls_server_config.key_file',
      /missing one of key or key_file/,
    ],
    // The certificate is read first, so a missing one is what is named even when the key is missing too.
    [
      'web_config_noAuth_keyPath_invalid.bad.yml',
      () => 'tls_server_config:\n  cert_file: server.cert\n  key_file: nowhere.key\n',
      'tls_server_config.cert_file',
      /cannot read .*server\.cert/,
    ],
    [
      'web_config_noAuth_key_empty.bad.yml',
      () => 'tls_server_config:\n  cert_file: server.crt\n  key: ""\n',
      'tls_server_config.key_file',
      /missing one of key or key_file/,
    ],
    // Go's net/http refuses HTTP/2 over TLS 1.2 without its mandatory cipher suite; the toolkit fails at start.
    [
      'web_config_noAuth_noHTTP2Cipher.bad.yml',
      () => `${FILES}  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n  max_version: TLS12\n`,
      'tls_server_config.cipher_suites',
      /HTTP\/2 needs TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/,
    ],
    [
      'web_config_noAuth_wrongTLSVersion.bad.yml',
      () => `${FILES}  min_version: TLS1.3\n`,
      'tls_server_config.min_version',
      /unknown TLS version "TLS1\.3" \(line 4\); known: TLS10, TLS11, TLS12, TLS13/,
    ],
  ];
  for (const [name, yaml, key, reason] of cases) {
    covered.push(name);
    it(name, () => refused(yaml(), key, reason));
  }
});

it("has a case for each of the toolkit's files, and no other", () => {
  assert.deepEqual([...covered].sort(), [...TOOLKIT_FILES].sort());
});

describe('strict reading, beyond the toolkit files', () => {
  it('refuses a key given twice, at any level', () => {
    refused('basic_auth_users: {}\nbasic_auth_users: {}\n', 'basic_auth_users', /key given twice \(line 2\)/);
    refused(`${FILES}  key_file: server.key\n`, 'tls_server_config.key_file', /key given twice/);
    refused(`basic_auth_users:\n  al: ${HASH('b')}\n  al: ${HASH('b')}\n`, 'basic_auth_users.al', /twice/);
  });
  it('refuses unknown keys in every section, and the keys of later toolkits', () => {
    refused('http_server_config:\n  http3: true\n', 'http_server_config.http3', /unknown key/);
    refused(
      'rate_limit:\n  interval: 1s\n',
      'rate_limit',
      /unknown key \(line 1\); known keys here: tls_server_config/,
    );
  });
  it('refuses values of the wrong type', () => {
    refused('basic_auth_users:\n  - alice\n', 'basic_auth_users', /expected a map of keys, got a list/);
    refused('http_server_config:\n  http2: maybe\n', 'http_server_config.http2', /expected true or false, got "maybe"/);
    refused('http_server_config:\n  http2: "false"\n', 'http_server_config.http2', /expected true or false/);
    refused(
      `${FILES}  cipher_suites: TLS_AES_128_GCM_SHA256\n`,
      'tls_server_config.cipher_suites',
      /expected a list, got "TLS_AES_128_GCM_SHA256"/,
    );
    refused(
      'tls_server_config:\n  cert_file: [a, b]\n',
      'tls_server_config.cert_file',
      /expected a string, got a list/,
    );
    refused('tls_server_config: yes\n', 'tls_server_config', /expected a map of keys/);
  });
  it('refuses a file that is not YAML, cannot be read, or is a directory', () => {
    refused('tls_server_config: [\n', undefined, /not valid YAML \(line 2\): /);
    refused(
      'basic_auth_users: {}\n---\nbasic_auth_users: {}\n',
      undefined,
      /not valid YAML \(line 2\): several YAML documents in one file; give one/,
    );
    assert.throws(
      () => loadWebConfig(path.join(certs.dir, 'absent.yml')),
      (e: unknown) =>
        e instanceof WebConfigError &&
        e.key === undefined &&
        /cannot read the file: no such file \(ENOENT\)/.test(e.message),
    );
    assert.throws(
      () => loadWebConfig(path.join(certs.dir, 'a-directory')),
      (e: unknown) => e instanceof WebConfigError && /EISDIR/.test(e.message),
    );
  });
  it('reads YAML 1.1 booleans, nulls as defaults, plain scalars as written', () => {
    const c = load(
      'http_server_config:\n  http2: off\n  headers:\n    X-XSS-Protection: 1; mode=block\n' +
        'tls_server_config:\n  min_version:\n',
    );
    assert.equal(c.http2, false);
    assert.equal(c.headers['X-XSS-Protection'], '1; mode=block');
    assert.equal(load('http_server_config:\n  http2: Yes\n').http2, true);
    assert.deepEqual(load('tls_server_config: ~\nhttp_server_config:\nbasic_auth_users:\n'), {
      http2: true,
      headers: {},
      basicAuthUsers: {},
    });
  });
  it('follows aliases', () => {
    const c = load(`basic_auth_users:\n  a: &h ${HASH('a')}\n  b: *h\n`);
    assert.equal(c.basicAuthUsers.b, HASH('a'));
  });
});

describe('TLS settings, beyond the toolkit files', () => {
  it('needs cert or key settings to turn TLS on: versions, ciphers or curves alone do not', () => {
    const c = load('tls_server_config:\n  min_version: TLS13\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n');
    assert.equal(c.tlsServerConfig, undefined);
  });
  it('still checks cipher and curve names when TLS stays off', () => {
    refused('tls_server_config:\n  curve_preferences: [P-256]\n', 'tls_server_config.curve_preferences[0]', /unknown/);
  });
  it("resolves relative paths against the config file's folder; keeps absolute ones", () => {
    const sub = path.join(certs.dir, 'sub');
    mkdirSync(sub, { recursive: true });
    const file = path.join(sub, 'web.yml');
    writeFileSync(file, `tls_server_config:\n  cert_file: ../server.crt\n  key_file: ${certs.serverKey}\n`);
    const c = loadWebConfig(file);
    assert.equal(c.tlsServerConfig?.certFile, certs.serverCert);
    assert.equal(c.tlsServerConfig?.keyFile, certs.serverKey);
  });
  it('refuses a file and an inline value for the same thing', () => {
    refused(`${FILES}  cert: ${block(certs.pem.serverCert)}`, 'tls_server_config.cert', /set together with cert_file/);
    refused(
      `${FILES}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n` +
        `  client_ca: ${block(certs.pem.caCert)}`,
      'tls_server_config.client_ca',
      /together with client_ca_file/,
    );
  });
  it("refuses a key that is not the certificate's, and PEM that does not parse", () => {
    refused(
      'tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n',
      'tls_server_config.key_file',
      /does not belong to the certificate/,
    );
    refused(
      'tls_server_config:\n  cert: not a certificate\n  key_file: server.key\n',
      'tls_server_config.cert',
      /not a PEM certificate/,
    );
    refused(
      'tls_server_config:\n  cert_file: server.crt\n  key: "-----BEGIN PRIVATE KEY-----"\n',
      'tls_server_config.key',
      /not a PEM private key/,
    );
  });
  it('takes every client_auth_type, the older RequireClientCert too, and refuses others', () => {
    for (const policy of [
      'NoClientCert',
      'RequestClientCert',
      'RequireAnyClientCert',
      'VerifyClientCertIfGiven',
      'RequireAndVerifyClientCert',
    ]) {
      assert.equal(load(`${FILES}  client_auth_type: ${policy}\n`).tlsServerConfig?.clientAuthType, policy);
    }
    assert.equal(
      load(`${FILES}  client_auth_type: RequireClientCert\n`).tlsServerConfig?.clientAuthType,
      'RequireAnyClientCert',
    );
    refused(
      `${FILES}  client_auth_type: requireandverifyclientcert\n`,
      'tls_server_config.client_auth_type',
      /unknown client_auth_type "requireandverifyclientcert"; known: NoClientCert, RequestClientCert/,
    );
  });
  it('refuses an inline client CA without a policy, and allowed SANs without one', () => {
    refused(`${FILES}  client_ca: ${block(certs.pem.caCert)}`, 'tls_server_config.client_ca', /client auth policy/);
    refused(
      `${FILES}  client_allowed_sans: [localhost]\n`,
      'tls_server_config.client_allowed_sans',
      /allowed SANs are configured without a client auth policy/,
    );
  });
  it('refuses a min_version above max_version', () => {
    refused(`${FILES}  max_version: TLS11\n`, 'tls_server_config.min_version', /TLS12 is above max_version TLS11/);
  });
  it('asks for the HTTP/2 cipher only over TLS 1.2 with HTTP/2 on', () => {
    const only256 = '  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n';
    assert.ok(load(`${FILES}${only256}  min_version: TLS13\n`).tlsServerConfig);
    assert.ok(load(`${FILES}${only256}http_server_config:\n  http2: false\n`).tlsServerConfig);
  });
});

describe('basic_auth_users hashes', () => {
  it('takes $2a$, $2b$ and $2y$ with costs 04 to 31', () => {
    const c = load(
      `basic_auth_users:\n  a: ${HASH('a', '04')}\n  b: ${HASH('b', '31')}\n` + `  "__proto__": ${HASH('y')}\n`,
    );
    assert.deepEqual(Object.keys(c.basicAuthUsers), ['a', 'b', '__proto__']);
    assert.equal(Object.getPrototypeOf(c.basicAuthUsers), Object.prototype);
  });
  it('refuses other versions, costs and lengths, and names the user, not the hash', () => {
    for (const bad of [HASH('x'), HASH('a', '03'), HASH('a', '32'), HASH('a').slice(0, 59), `${HASH('a')}x`, '']) {
      assert.throws(
        () => load(`basic_auth_users:\n  eve: "${bad}"\n`),
        (e: unknown) => {
          assert.ok(e instanceof WebConfigError);
          assert.equal(e.key, 'basic_auth_users.eve');
          if (bad !== '') assert.ok(!e.message.includes(bad), 'the hash stays out of the message');
          return true;
        },
      );
    }
  });
});

describe('name tables for the TLS step', () => {
  it("maps every cipher suite to one this Node's OpenSSL knows", () => {
    const known = new Set(tls.getCiphers().map((c) => c.toUpperCase()));
    for (const [go, openssl] of Object.entries(CIPHER_SUITES)) assert.ok(known.has(openssl), `${go} -> ${openssl}`);
  });
  it('maps every curve to a group node:tls takes', () => {
    assert.doesNotThrow(() => tls.createSecureContext({ ecdhCurve: Object.values(CURVES).join(':') }));
    assert.deepEqual(Object.values(TLS_VERSIONS), ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
  });
});
