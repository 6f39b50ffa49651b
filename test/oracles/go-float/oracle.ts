/**
 * Runs the Go strconv oracle (main.go beside this file) so float tests can compare against real Go.
 * Returns undefined when no Go toolchain is installed; callers then skip loudly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type OracleMode = 'format' | 'parse' | 'uint64' | 'int64';

let binary: string | null | undefined;

function sourcePath(): string | undefined {
  // Compiled to dist/test/oracles/go-float/; the Go source stays in test/oracles/go-float/.
  for (const rel of ['./main.go', '../../../../test/oracles/go-float/main.go']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

function build(): string | null {
  const src = sourcePath();
  if (src === undefined) return null;
  const dir = mkdtempSync(join(tmpdir(), 'go-float-oracle-'));
  const out = join(dir, 'gofloat');
  const env = { ...process.env, GO111MODULE: 'off', GOCACHE: join(dir, 'cache'), GOPATH: join(dir, 'gopath') };
  const r = spawnSync('go', ['build', '-o', out, src], { env, encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return null;
  return out;
}

/** Feeds one input per line to the oracle and returns one output line per input, or undefined. */
export function runGoFloatOracle(mode: OracleMode, inputs: string[]): string[] | undefined {
  if (binary === undefined) binary = build();
  if (binary === null) return undefined;
  const r = spawnSync(binary, [mode], { input: `${inputs.join('\n')}\n`, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`go oracle failed: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  lines.pop();
  return lines;
}

/** Hex bit pattern of a double, as the oracle's "format" and "uint64" modes read it. */
export function float64Bits(v: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

/** The double with the given hex bit pattern. */
export function float64FromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}
