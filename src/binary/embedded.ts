/**
 * What the single-executable build (scripts/build-binary.js) writes into its bundle, because the files the
 * modules read next to dist/src/ do not exist inside one executable: the build information and the bcrypt
 * worker's source (a Worker cannot start from a file path that is not on disk). The bundler replaces the
 * global below with a literal (esbuild `define`); compiled by tsc alone, it is undefined and the modules
 * read their files as before.
 */
export interface Embedded {
  /** dist/src/build-info.json as the build stamped it. */
  buildInfo: Record<string, unknown>;
  /** src/http/bcrypt-worker.ts bundled with bcryptjs into one CommonJS script, for `new Worker(…, {eval})`. */
  bcryptWorkerSource: string;
}

declare const __PUSHGATEWAY_EMBEDDED__: Embedded | undefined;

export const EMBEDDED: Embedded | undefined =
  typeof __PUSHGATEWAY_EMBEDDED__ === 'undefined' ? undefined : __PUSHGATEWAY_EMBEDDED__;
