/**
 * A WebConfigSource that follows --web.config.file while the gateway runs. The toolkit re-reads the file
 * (and its certificate and key) on every request and handshake; we re-read on change instead:
 *
 * - `fs.watch` on the folder of the config file and of every file it names (cert_file, key_file,
 *   client_ca_file), and, because watchers miss changes on some filesystems, a stat (inode, size, mtime)
 *   of those files at most once per `statIntervalMs`, started by `current()` (so an idle gateway stats
 *   nothing). `current()` itself only tests a flag an unref'd timer sets: no I/O, no clock, no promise.
 * - A change is read asynchronously and compared with the exact text the loader read last time; only if
 *   some file's text differs is `loadWebConfig` run. It is synchronous and reads the files again (a few kB,
 *   one YAML parse and one certificate/key check), once per change that settled, never inside `current()`.
 * - A good change hands out a new WebConfig object (logged at info, "web config reloaded"); a touch or a
 *   rewrite with the same text keeps the same object. A bad change is logged at error with
 *   PGW_ERR_WEB_CONFIG and the last good config keeps serving. A change that turns TLS on or off compared
 *   with the start cannot apply to listeners already open: it is logged, held back whole (users and
 *   headers included, so that no half of a file meant for the other mode applies), and applies at restart.
 *
 * Watchers and timers never keep the process alive; `close()` stops them (the gateway's stop()).
 */
import { type FSWatcher, readFileSync, type Stats, statSync, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UnexpectedError, WebConfigError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import { loadWebConfig } from './load.js';
import { readFailure } from './tls-material.js';
import type { WebConfig } from './web-config.js';
import type { WebConfigSource } from './web-config-source.js';

export interface WebConfigReloaderOptions {
  /** Least time between two stat checks started by current(); 1 s. */
  statIntervalMs?: number;
  /**
   * Quiet time after a watcher event (or after a file's mtime) before the files are read: a file written
   * in several steps is read once, whole. 100 ms.
   */
  settleMs?: number;
  /** Watch folders with fs.watch (default); off, only the stat checks see changes (tests of that path). */
  watch?: boolean;
}

/** One file as a load attempt found it: its stat signature, and its text if it could be read. */
interface Seen {
  signature: string;
  text?: string;
}

type Files = Map<string, Seen>;

/** The config in force and the text of every file it was loaded from. */
interface Good {
  config: WebConfig;
  files: Files;
}

type Held = 'invalid' | 'needs restart' | null;

const DEFAULTS = { statIntervalMs: 1000, settleMs: 100, watch: true };

export class WebConfigReloader implements WebConfigSource {
  private good: Good;
  /**
   * The files the latest load attempt read (good or bad: the config in force's own files when it was the
   * good one), each with its stat signature last seen and the text the attempt read.
   */
  private attempt: Files;
  /** For each watched folder, the names in it that matter (events about other files are ignored). */
  private readonly watchedNames = new Map<string, Set<string>>();
  private held: Held = null;
  private readonly tlsAtStart: boolean;
  private readonly opts: Required<WebConfigReloaderOptions>;
  /** Set by the stat timer: the next current() starts a stat check. */
  private statDue = false;
  private statTimer: NodeJS.Timeout | undefined;
  private readonly watchers = new Map<string, FSWatcher>();
  private settleTimer: NodeJS.Timeout | undefined;
  /** Whether the check the settle timer will run must read the files even if their stat is unchanged. */
  private settleForce = false;
  private running: Promise<void> | null = null;
  /** A check was asked for while one ran: run one more after it, forced if any of the asks was. */
  private again: { force: boolean } | null = null;
  private closed = false;

  /** Loads `file` now (throws WebConfigError on a bad file, as at start) and starts following it. */
  static open(file: string, logger: Logger, opts: WebConfigReloaderOptions = {}): WebConfigReloader {
    const files: Files = new Map();
    const config = loadWebConfig(file, recordingReader(files));
    return new WebConfigReloader(file, { config, files }, logger, { ...DEFAULTS, ...opts });
  }

  private constructor(
    private readonly file: string,
    good: Good,
    private readonly logger: Logger,
    opts: Required<WebConfigReloaderOptions>,
  ) {
    this.good = good;
    this.attempt = good.files;
    this.tlsAtStart = good.config.tlsServerConfig !== undefined;
    this.opts = opts;
    this.armStatTimer();
    this.updateWatchers();
  }

  current(): WebConfig {
    // The one cost on the request path: a boolean test (a clock read would cost ten times the rest).
    if (this.statDue) {
      this.statDue = false;
      this.run(false);
      this.armStatTimer();
    }
    return this.good.config;
  }

  /**
   * Makes the next current() after `statIntervalMs` start a stat check: one timer at a time, and none once
   * it has fired until a request comes, so an idle gateway neither stats nor wakes up.
   */
  private armStatTimer(): void {
    if (this.closed) return;
    this.statTimer = setTimeout(() => {
      this.statDue = true;
    }, this.opts.statIntervalMs);
    this.statTimer.unref();
  }

  /**
   * Reads the files now, whatever their stat says, and resolves once the result is in force (or logged).
   * For tests that must show an absence (a touch that changes nothing), without waiting on a clock.
   */
  checkNow(): Promise<void> {
    this.run(true);
    return this.idle();
  }

  /** Stops the watchers and timers; current() keeps answering the last good config. */
  close(): void {
    this.closed = true;
    this.statDue = false;
    clearTimeout(this.statTimer);
    clearTimeout(this.settleTimer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** After the settle time, check; watcher events restart the wait, so a burst of writes is read once. */
  private schedule(force: boolean): void {
    if (this.closed) return;
    clearTimeout(this.settleTimer);
    this.settleForce ||= force;
    this.settleTimer = setTimeout(() => {
      const forced = this.settleForce;
      this.settleForce = false;
      this.run(forced);
    }, this.opts.settleMs);
    this.settleTimer.unref();
  }

  /** One check at a time; asks that come meanwhile fold into one more check after it. */
  private run(force: boolean): void {
    if (this.closed) return;
    if (this.running !== null) {
      this.again = { force: force || (this.again?.force ?? false) };
      return;
    }
    this.running = this.check(force)
      .catch((err: unknown) => {
        // A bug in the checking itself: logged, the config in force stays.
        this.logger.error('error checking the web config file', { file: this.file, err, code: 'PGW_ERR_UNEXPECTED' });
      })
      .finally(() => {
        this.running = null;
        const again = this.again;
        this.again = null;
        if (again !== null) this.run(again.force);
      });
  }

  private async check(force: boolean): Promise<void> {
    const signatures = new Map<string, string>();
    await Promise.all([...this.attempt.keys()].map(async (f) => signatures.set(f, await signatureOf(f))));
    if (this.closed) return;
    const changed = [...signatures].filter(([f, sig]) => this.attempt.get(f)?.signature !== sig).map(([, s]) => s);
    if (!force && changed.length === 0) return;
    // A file modified a moment ago may still be being written: look again once it has been quiet.
    // (An mtime in the future, from a skewed clock, is not waited for.)
    if (!force && changed.some((sig) => inRange(Date.now() - mtimeOf(sig), 0, this.opts.settleMs))) {
      this.schedule(false);
      return;
    }
    if (await sameTexts(this.attempt)) {
      // The text the latest attempt read (a touch, the same bytes rewritten, a bad file left as bad as it
      // was): its outcome stands, logged once.
      for (const [f, sig] of signatures) this.attempt.get(f)!.signature = sig;
      return;
    }
    if (this.held !== null && (await sameTexts(this.good.files))) {
      // A bad or held-back change undone: the config in force is the file's again.
      this.attempt = this.good.files;
      this.held = null;
      this.logger.info('web config file is back to the config in force', { file: this.file });
      return;
    }
    if (this.closed) return;
    this.load();
    this.updateWatchers();
  }

  /** Runs the loader (synchronous, a few kB) and puts the outcome in force or in the log. */
  private load(): void {
    const files: Files = new Map();
    let config: WebConfig;
    try {
      config = loadWebConfig(this.file, recordingReader(files));
    } catch (err) {
      this.attempt = files;
      this.held = 'invalid';
      const failure = err instanceof WebConfigError ? err : new UnexpectedError(err);
      this.logger.error('error reloading the web config file; the last good config keeps serving', {
        file: this.file,
        err: failure.message,
        code: failure.code,
      });
      return;
    }
    this.attempt = files;
    if ((config.tlsServerConfig !== undefined) !== this.tlsAtStart) {
      this.held = 'needs restart';
      this.logger.error(
        `the web config file now turns TLS ${this.tlsAtStart ? 'off' : 'on'}, which needs a restart; ` +
          'until then the config in force keeps serving, unchanged',
        { file: this.file, code: 'PGW_ERR_WEB_CONFIG' },
      );
      return;
    }
    this.good = { config, files };
    this.held = null;
    this.logger.info('web config reloaded', {
      file: this.file,
      users: Object.keys(config.basicAuthUsers).length,
      headers: Object.keys(config.headers).length,
    });
  }

  /**
   * Whether a watcher event in `dir` is about a file the config depends on: one of its names, an event
   * without a name, or a name starting with `..` (Kubernetes swaps a `..data` symlink to update a
   * mounted ConfigMap or Secret, and the files seen through it change without an event of their own).
   */
  private matters(dir: string, name: string | Buffer | null): boolean {
    if (name === null) return true;
    const n = name.toString();
    return n.startsWith('..') || (this.watchedNames.get(dir)?.has(n) ?? false);
  }

  /** Watches the folders of the files and of the config in force; stops watching the others. */
  private updateWatchers(): void {
    if (this.closed || !this.opts.watch) return;
    this.watchedNames.clear();
    for (const f of [...this.attempt.keys(), ...this.good.files.keys()]) {
      const names = this.watchedNames.get(path.dirname(f)) ?? new Set();
      this.watchedNames.set(path.dirname(f), names.add(path.basename(f)));
    }
    for (const [dir, w] of this.watchers) {
      if (!this.watchedNames.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of this.watchedNames.keys()) {
      if (this.watchers.has(dir)) continue;
      let w: FSWatcher;
      try {
        // persistent: false: the watcher does not keep the process alive.
        w = watch(dir, { persistent: false }, (_event, name) => {
          if (this.matters(dir, name)) this.schedule(true);
        });
      } catch (err) {
        // A folder that is gone or not watchable: the stat checks still see changes, within a second.
        this.logger.debug('cannot watch a folder of the web config; stat checks only', {
          dir,
          err: readFailure(err),
        });
        continue;
      }
      w.on('error', (err) => {
        this.logger.debug('web config folder watcher failed; stat checks only', { dir, err: readFailure(err) });
        w.close();
        if (this.watchers.get(dir) === w) this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    }
  }
}

/**
 * Whether every file still holds the text recorded for it (a file that could not be read then must still
 * be unreadable).
 */
async function sameTexts(files: Files): Promise<boolean> {
  const same = await Promise.all(
    [...files].map(async ([f, seen]) => {
      let text: string | undefined;
      try {
        text = await readFile(f, 'utf8');
      } catch {
        text = undefined;
      }
      return text === seen.text;
    }),
  );
  return same.every(Boolean);
}

/** A reader for loadWebConfig that records each file's stat signature (taken before the read) and text. */
function recordingReader(into: Files): (file: string) => string {
  return (file) => {
    // Stat first: a write after it shows as a changed signature at the next check, never as a missed one.
    const seen: Seen = { signature: signatureFromSync(file) };
    into.set(file, seen);
    seen.text = readFileSync(file, 'utf8');
    return seen.text;
  };
}

/** Inode, size and mtime: an atomic rename changes the inode, an in-place write the size or the mtime. */
function signature(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function inRange(x: number, low: number, high: number): boolean {
  return x >= low && x < high;
}

function mtimeOf(sig: string): number {
  const mtime = Number(sig.split(':')[2]);
  return Number.isFinite(mtime) ? mtime : 0;
}

function failed(err: unknown): string {
  return `absent:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
}

function signatureFromSync(file: string): string {
  try {
    return signature(statSync(file));
  } catch (err) {
    return failed(err);
  }
}

async function signatureOf(file: string): Promise<string> {
  try {
    return signature(await stat(file));
  } catch (err) {
    return failed(err);
  }
}
