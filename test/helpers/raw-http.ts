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
 * A request sent on the same connection once the first answer comes: its answer (a 404 with this body)
 * marks the end of everything the server made of the bytes before it (HTTP/1.1 answers in order), and
 * `Connection: close` has the server close right after it. So the absence of a second (smuggled) response
 * is proven by an event, not by a wait.
 */
const SENTINEL_PATH = '/raw-http-sentinel-404';
const SENTINEL = `GET ${SENTINEL_PATH} HTTP/1.1\r\nHost: sentinel\r\nConnection: close\r\n\r\n`;
const SENTINEL_ANSWER = /HTTP\/1\.[01] 404 [^\r]*\r\n(?:[^\r]*\r\n)*?\r\n404 page not found\n$/;

/**
 * Sends `bytes`, then a sentinel request, and collects what comes back until the server closes the
 * connection (after an error, or after answering the sentinel), or `maxMs` in all (a test failure bound,
 * never the proof of anything). The sentinel's answer, when the server got to it, is not in `statuses`.
 */
export function rawExchange(port: number, bytes: Buffer | string, opts: { maxMs?: number } = {}): Promise<RawReply> {
  const maxMs = opts.maxMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(overall);
      socket.destroy();
      let text = Buffer.concat(chunks).toString('latin1');
      const sentinel = SENTINEL_ANSWER.exec(text);
      if (sentinel !== null) text = text.slice(0, sentinel.index);
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, text });
    };
    const overall = setTimeout(finish, maxMs);
    socket.on('data', (c: Buffer) => {
      // Sent once the first answer is coming, not with the bytes: a server that closes after an error
      // while unread bytes wait would reset the connection, and the reset can lose its answer.
      if (chunks.length === 0) socket.write(SENTINEL, () => {});
      chunks.push(c);
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
