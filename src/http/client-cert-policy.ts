/**
 * The client-certificate checks node:tls cannot ask OpenSSL for, run once a handshake is done and before
 * any request is read: RequireAnyClientCert (a certificate is required but not verified),
 * VerifyClientCertIfGiven (a certificate sent must verify), and client_allowed_sans (the certificate must
 * carry one of the allowed names). RequireAndVerifyClientCert is OpenSSL's own (the handshake fails).
 */
import type { TLSSocket } from 'node:tls';
import type { TlsServerConfig } from '../web-config/web-config.js';

/** Why the connection must be closed, or undefined when it may serve requests. */
export function clientCertificateProblem(socket: TLSSocket, tls: TlsServerConfig): string | undefined {
  const cert = socket.getPeerX509Certificate();
  if (tls.clientAuthType === 'RequireAnyClientCert' && cert === undefined) return 'no client certificate sent';
  if (tls.clientAuthType === 'VerifyClientCertIfGiven' && cert !== undefined && !socket.authorized) {
    return `client certificate not verified: ${String(socket.authorizationError)}`;
  }
  if (tls.clientAllowedSans.length === 0) return undefined;
  // The toolkit's SAN check cannot run without a certificate (Go then fails the connection too).
  if (cert === undefined) return 'no client certificate sent (client_allowed_sans is set)';
  const names = subjectAltNames(cert.subjectAltName ?? '');
  if (names.some((n) => tls.clientAllowedSans.includes(n))) return undefined;
  return `no allowed SAN in the client certificate (has: ${names.length === 0 ? 'none' : names.join(', ')})`;
}

const KINDS: Readonly<Record<string, 'name' | 'ip'>> = { DNS: 'name', email: 'name', URI: 'name', 'IP Address': 'ip' };

/**
 * The DNS names, e-mail addresses, IP addresses and URIs of a subjectAltName string (`DNS:a, IP Address:…`;
 * Node quotes a value holding a comma or quote as a JSON string). IPv6 addresses are written as Go's
 * net.IP.String() writes them (compressed), since that is the form the toolkit compares.
 */
export function subjectAltNames(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const kind = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      end++;
      value = JSON.parse(text.slice(colon + 1, end)) as string;
    } else {
      end = text.indexOf(', ', colon);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    const what = KINDS[kind];
    if (what === 'name') out.push(value);
    else if (what === 'ip') out.push(value.includes(':') ? compressIpv6(value) : value);
    i = text.startsWith(', ', end) ? end + 2 : end;
  }
  return out;
}

function compressIpv6(ip: string): string {
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}
