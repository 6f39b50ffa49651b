/**
 * The absolute URL the UI's curl commands start with: --web.external-url when set (that is the address
 * users reach the gateway at, behind a proxy too), else the scheme of the connection, the request's Host
 * header and --web.route-prefix. Without a Host header (HTTP/1.0) the listener's own address is used.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Config } from '../../config.js';

export function absoluteBase(req: IncomingMessage, config: Pick<Config, 'externalUrl' | 'routePrefix'>): string {
  if (config.externalUrl !== '') return config.externalUrl.replace(/\/+$/, '');
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const local = req.socket.localAddress ?? '127.0.0.1';
  const host =
    req.headers.host ??
    (local.includes(':') ? `[${local}]:${req.socket.localPort}` : `${local}:${req.socket.localPort}`);
  const prefix = config.routePrefix === '/' ? '' : config.routePrefix;
  return `${scheme}://${host}${prefix}`;
}
