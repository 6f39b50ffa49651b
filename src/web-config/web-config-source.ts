/**
 * Where the serving code gets the --web.config.file in force: `current()` on every request and every TLS
 * handshake. A reloading source hands out a new WebConfig object after each successful reload and the same
 * object otherwise, so a consumer that derives something costly from it (the basic-auth table, a TLS secure
 * context) rebuilds only when the object's identity changes.
 */
import type { WebConfig } from './web-config.js';

export interface WebConfigSource {
  /** The config in force now. Cheap: called per request and per handshake. */
  current(): WebConfig;
  /** Stops following the file, if the source does (the gateway's stop() calls it). */
  close?(): void;
}

/** A source that never changes: a file read once at start, or a test's literal config. */
export function fixedWebConfig(config: WebConfig): WebConfigSource {
  return { current: () => config };
}

/**
 * Derives a value from the current config and keeps it until the config object changes: `derive` runs
 * once per config, not per call.
 */
export function derivedFrom<T>(source: WebConfigSource, derive: (config: WebConfig) => T): () => T {
  let seen: WebConfig | undefined;
  let value: T | undefined;
  return () => {
    const config = source.current();
    if (config !== seen) {
      value = derive(config);
      seen = config;
    }
    return value as T;
  };
}
