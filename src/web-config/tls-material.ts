/**
 * The certificate, key and client CA a tls_server_config names, read from their files or taken inline,
 * and checked as the toolkit checks them at start: the files must be readable, the certificate and key
 * must parse and belong together. The TLS listener calls this again on a reload.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TlsServerConfig } from './web-config.js';

/** PEM text ready for node:tls's cert / key / ca options. */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** Absent when no client CA is configured. */
  ca?: string;
}

/**
 * How the loader reads a file as text: readFileSync by default; the reloader passes one that also
 * records what it read, so it can tell later whether anything the config depends on has changed.
 */
export type ReadText = (path: string) => string;

export const readUtf8: ReadText = (path) => readFileSync(path, 'utf8');

/** A fault of one key: the loader names the key and the reason. */
export class TlsMaterialError extends Error {
  readonly key: string;
  constructor(key: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.key = key;
  }
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
};

/** Why a file could not be read, short: `no such file (ENOENT)`. */
export function readFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === undefined) return e.message;
  return ERRNO_WORDS[e.code] === undefined ? e.code : `${ERRNO_WORDS[e.code]} (${e.code})`;
}

function readPem(path: string, key: string, read: ReadText): string {
  try {
    return read(path);
  } catch (err) {
    throw new TlsMaterialError(key, `cannot read ${path}: ${readFailure(err)}`, { cause: err });
  }
}

/** Reads and checks the certificate and key (and the client CA's file, if one is named). */
export function readTlsMaterial(tls: TlsServerConfig, read: ReadText = readUtf8): TlsMaterial {
  const certKey = tls.certFile !== undefined ? 'tls_server_config.cert_file' : 'tls_server_config.cert';
  const keyKey = tls.keyFile !== undefined ? 'tls_server_config.key_file' : 'tls_server_config.key';
  const cert = tls.certFile !== undefined ? readPem(tls.certFile, certKey, read) : (tls.cert ?? '');
  const key = tls.keyFile !== undefined ? readPem(tls.keyFile, keyKey, read) : (tls.key ?? '');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new TlsMaterialError(certKey, `not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsMaterialError(keyKey, `not a PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsMaterialError(keyKey, `the private key does not belong to the certificate of ${certKey}`);
  }
  const material: TlsMaterial = { cert, key };
  // Like the toolkit, a CA file is only read here: one holding no certificate is not refused (no client
  // certificate then verifies).
  if (tls.clientCaFile !== undefined) material.ca = readPem(tls.clientCaFile, 'tls_server_config.client_ca_file', read);
  else if (tls.clientCa !== undefined) material.ca = tls.clientCa;
  return material;
}
