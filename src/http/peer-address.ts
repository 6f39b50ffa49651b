/**
 * The client address of a connection, for log lines. Node asks the kernel (getpeername) on first use
 * and caches the answer, but cannot tell once the peer has reset the connection; so every accepted
 * socket is asked at once, and log lines read the remembered answer. A client that resets before the
 * gateway even accepts the connection is beyond reach (libuv accepts without asking for the peer, and
 * getpeername then fails): its lines say `unknown`, never `undefined:undefined`.
 */
import type { Socket } from 'node:net';

export const UNKNOWN_PEER = 'unknown';

interface Peer {
  ip: string;
  address: string;
}

const PEERS = new WeakMap<Socket, Peer>();

/** Asks the kernel for the peer of a freshly accepted socket; call from the server's 'connection' event. */
export function rememberPeer(socket: Socket): Peer {
  let peer = PEERS.get(socket);
  if (peer !== undefined) return peer;
  const ip = socket.remoteAddress;
  const port = socket.remotePort;
  if (ip === undefined || port === undefined) return { ip: UNKNOWN_PEER, address: UNKNOWN_PEER };
  peer = { ip, address: socket.remoteFamily === 'IPv6' ? `[${ip}]:${port}` : `${ip}:${port}` };
  PEERS.set(socket, peer);
  return peer;
}

/** `ip:port` (`[ip]:port` for IPv6) as Go's RemoteAddr prints it, or `unknown`. */
export function peerAddress(socket: Socket): string {
  return rememberPeer(socket).address;
}

/** The peer's IP alone (the key rate limits use), or `unknown`. */
export function peerIp(socket: Socket): string {
  return rememberPeer(socket).ip;
}
