/**
 * Rate limit for log lines a client can cause (rejected pushes): at most `linesPerWindow` lines per
 * client per window; the rest are counted, and when the window ends one line reports how many were
 * suppressed. Without it, a job retrying a bad push in a loop fills the disk with the same line, and a
 * hostile client can drown everyone else's log lines.
 *
 * Windows start at a client's first line. A window with suppressed lines is closed by a timer at its
 * end (unref'd: it never keeps the process alive); other windows simply expire and are replaced at the
 * client's next line, or swept when the table is full. The table is bounded: beyond `maxClients`
 * concurrent windows, new clients share one window under the key `OVERFLOW_CLIENT`.
 */
import type { LogLevel } from '../config.js';

export const OVERFLOW_CLIENT = 'other clients';

const SEVERITY: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface PerClientLogLimitOptions {
  linesPerWindow: number;
  windowMs: number;
  /** Bound of the table of open windows. */
  maxClients?: number;
  /** Monotonic milliseconds; performance.now by default. */
  now?: () => number;
}

/** Called once per window that suppressed lines: who, how many, and the most severe level suppressed. */
export type SuppressedReport = (client: string, suppressed: number, level: LogLevel) => void;

interface Window {
  start: number;
  lines: number;
  suppressed: number;
  level: LogLevel;
  timer?: NodeJS.Timeout;
}

export class PerClientLogLimit {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;
  private readonly maxClients: number;

  constructor(
    private readonly opts: PerClientLogLimitOptions,
    private readonly report: SuppressedReport,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.maxClients = opts.maxClients ?? 10_000;
  }

  /** True when a line of `level` caused by `client` may be written now; false when it is suppressed. */
  admit(client: string, level: LogLevel): boolean {
    const t = this.now();
    let w = this.windows.get(client);
    if (w !== undefined && t - w.start >= this.opts.windowMs) {
      this.close(client, w);
      w = undefined;
    }
    if (w === undefined) {
      if (client !== OVERFLOW_CLIENT && this.windows.size >= this.maxClients) {
        this.closeEnded();
        // The shared window is the one entry allowed beyond the bound.
        if (this.windows.size >= this.maxClients) return this.admit(OVERFLOW_CLIENT, level);
      }
      w = { start: t, lines: 0, suppressed: 0, level };
      this.windows.set(client, w);
    }
    if (w.lines < this.opts.linesPerWindow) {
      w.lines++;
      return true;
    }
    if (w.suppressed === 0 || SEVERITY[level] > SEVERITY[w.level]) w.level = level;
    if (w.suppressed === 0) {
      const window = w;
      window.timer = setTimeout(
        () => {
          if (this.windows.get(client) === window) this.close(client, window);
        },
        Math.max(0, w.start + this.opts.windowMs - t),
      ).unref();
    }
    w.suppressed++;
    return false;
  }

  /** Closes every window that has ended, reporting what each suppressed. */
  closeEnded(): void {
    const t = this.now();
    for (const [client, w] of this.windows) {
      if (t - w.start >= this.opts.windowMs) this.close(client, w);
    }
  }

  /** Closes every window now (at shutdown), reporting what each suppressed. */
  closeAll(): void {
    for (const [client, w] of this.windows) this.close(client, w);
  }

  private close(client: string, w: Window): void {
    if (w.timer !== undefined) clearTimeout(w.timer);
    this.windows.delete(client);
    if (w.suppressed > 0) this.report(client, w.suppressed, w.level);
  }
}
