/**
 * What one fuzz target is: how it makes an input from a seeded generator, how it runs it through the
 * code under test, and which properties an accepted output must have. The harness (harness.ts) treats a
 * GatewayError thrown by `exec` as a catalogued rejection; any other exception from `exec`, any
 * exception from `check`, and any input over the time limit is a finding.
 */
import type { Rng } from './prng.js';
import type { Corpus } from './seeds.js';

export interface Target<I, O> {
  name: string;
  /** Share of the full run's inputs (relative to the other targets). */
  weight: number;
  /** Prepares the target's seeds once per process. */
  init(corpus: Corpus): void;
  generate(rng: Rng): I;
  /** The code under test: a GatewayError is a rejection, anything else thrown is a crash. */
  exec(input: I): O | Promise<O>;
  /** Properties of an accepted output; throws (anything) when one does not hold. */
  check(input: I, output: O): void | Promise<void>;
  /** Bytes of the input, for the slowest list. */
  size(input: I): number;
  /** The input as a file (saved under .tmp/fuzz-findings/) and a one-line description of it. */
  save(input: I): { bytes: Buffer; note: string };
}

/** A property of an accepted output that does not hold. */
export class PropertyViolation extends Error {
  override name = 'PropertyViolation';
}

export function expect(cond: boolean, what: string): void {
  if (!cond) throw new PropertyViolation(what);
}

/** Any target: its methods are bivariant in I and O, so every Target<I, O> is one. */
export type AnyTarget = Target<unknown, unknown>;
