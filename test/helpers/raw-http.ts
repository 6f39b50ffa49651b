/**
 * Raw HTTP/1.1 over a net.Socket, for inputs a well-behaved client cannot send: smuggling patterns,
 * bare LF, obs-fold, bytes Node's http client refuses in a URL, half-sent headers.
 */
import { connect, type Socket } from 'node:net';

export interface RawReply {
  /** Every status code found at the start of a response in what the server sent (two = two responses). */
  statuses: number[];
  text: string;
}

/**
 * Sends `bytes` and collects what comes back until the server closes the connection or `quietMs` pass
 * without data after the first byte arrived (or `maxMs` in all).
 */
export function rawExchange(port: number, bytes: Buffer | string,
  opts: { quietMs?: number; maxMs?: number } = {}): Promise<RawReply> {
  const quietMs = opts.quietMs ?? 300;
  const maxMs = opts.maxMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let quiet: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(quiet);
      clearTimeout(overall);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, text });
    };
    const overall = setTimeout(finish, maxMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A server that answers early and closes may reset a connection we are still writing to.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish();
      else reject(err);
    });
    socket.write(bytes);
  });
}

/** Opens a connection and sends `bytes` without completing the request; the caller destroys it. */
export function openPartial(port: number, bytes: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes, () => resolve(socket)));
    socket.on('error', reject);
  });
}
