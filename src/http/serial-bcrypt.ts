/**
 * bcrypt checks run one at a time, as exporter-toolkit runs them under a mutex (a check costs tens of
 * milliseconds of CPU at the usual cost 10), and off the event loop: they run in one worker thread
 * (bcrypt-worker.ts), started at the first check, which takes its jobs in order. Requests that need no
 * bcrypt are served meanwhile.
 */
import { timingSafeEqual } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { EMBEDDED } from '../binary/embedded.js';
import type { BcryptJob, BcryptResult } from './bcrypt-worker.js';

/** `$2?$NN$` and the 22-character salt: what bcrypt hashes the password with. */
const SETTING_LENGTH = 29;
const HASH_LENGTH = 60;

interface Pending {
  hash: string;
  resolve: (match: boolean) => void;
  reject: (err: Error) => void;
}

export class SerialBcrypt {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  /** Checks queued or running. */
  get queued(): number {
    return this.pending.size;
  }

  /** Whether `password` hashes to `hash`; false for a hash bcrypt cannot use. Checks run in call order. */
  matches(password: string, hash: string): Promise<boolean> {
    if (hash.length !== HASH_LENGTH) return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const worker = this.start();
      if (this.pending.size === 0) worker.ref(); // a check in flight keeps the process alive; an idle checker not
      this.pending.set(id, { hash, resolve, reject });
      worker.postMessage({ id, password, setting: hash.slice(0, SETTING_LENGTH) } satisfies BcryptJob);
    });
  }

  /** Stops the worker; checks still queued fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // Inside the single executable there is no bcrypt-worker.js on disk: the bundle carries its source.
    const worker =
      EMBEDDED === undefined
        ? new Worker(new URL('./bcrypt-worker.js', import.meta.url))
        : new Worker(EMBEDDED.bcryptWorkerSource, { eval: true });
    worker.on('message', (result: BcryptResult) => {
      const job = this.pending.get(result.id);
      if (job === undefined) return;
      this.pending.delete(result.id);
      if (this.pending.size === 0) worker.unref();
      job.resolve(result.computed !== null && sameHash(job.hash, result.computed));
    });
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const job of this.pending.values()) job.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`bcrypt worker exited with code ${code}`)));
    // After the listeners, since adding a 'message' listener refs the port again; matches() refs it.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/**
 * Go's CompareHashAndPassword recomputes the hash from the stored cost and salt and compares only the 31
 * characters after the salt, in constant time. Comparing whole strings (bcryptjs's compare()) would fail a
 * salt with non-zero unused bits, which bcryptjs writes back canonical, where Go succeeds.
 */
function sameHash(stored: string, computed: string): boolean {
  const want = Buffer.from(stored.slice(SETTING_LENGTH));
  const got = Buffer.from(computed.slice(SETTING_LENGTH));
  return want.length === got.length && timingSafeEqual(want, got);
}
