/**
 * The worker thread serial-bcrypt.ts runs bcrypt in: it hashes a password with a stored hash's cost and
 * salt and sends the result back, one message at a time, in the order they came (so one check at a time).
 * A thread because bcryptjs is plain JavaScript: even its asynchronous form runs its rounds in slices of up
 * to 100 ms on the calling thread, which held /-/healthy for 160 ms at the median during a burst of new
 * credentials (bench/basic-auth-stall.ts).
 */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface BcryptJob {
  id: number;
  password: string;
  /** `$2?$NN$` and the salt: the first 29 characters of a stored hash. */
  setting: string;
}

export interface BcryptResult {
  id: number;
  /** The whole hash bcrypt computed, or null when the setting is not one bcrypt can use. */
  computed: string | null;
}

parentPort?.on('message', (job: BcryptJob) => {
  let computed: string | null;
  try {
    computed = bcrypt.hashSync(job.password, job.setting);
  } catch {
    computed = null;
  }
  parentPort?.postMessage({ id: job.id, computed } satisfies BcryptResult);
});
