/**
 * A scrape body as a list of immutable pieces (a family's header, or one chunk's series: docs/design.md),
 * and its gzip built from per-piece compressed blocks.
 *
 * Each piece is compressed on its own as raw deflate ending in a full flush (byte-aligned, dictionary
 * reset, not final), so compressed pieces can be cached and concatenated: gzip header + the pieces'
 * blocks + one final empty block + CRC-32 and length of the whole text is one ordinary gzip member,
 * as pigz builds them. After a job re-pushes one group, a scrape recompresses only the few pieces that
 * changed instead of the whole body. Measured on 10k groups × 10 metrics (8.5 MB of text, a piece per
 * chunk of 512 series): the gzip is 2.5 % larger than compressing the body in one go.
 */
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { Steps } from '../slicer.js';

const deflateRawAsync = promisify(deflateRaw);

/** Go's compress/gzip.DefaultCompression is zlib level 6, as the reference uses. */
const LEVEL = 6;
/** ID1 ID2, CM=deflate, no flags, no mtime, XFL 0, OS unknown: the header Go's gzip.Writer writes. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
const FINAL_BLOCK = deflateRawSync(Buffer.alloc(0));

export class Piece {
  readonly text: Buffer;
  private deflated: Buffer | Promise<Buffer> | null = null;
  private crcValue = -1;

  constructor(text: Buffer | string) {
    this.text = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  }

  /** CRC-32 of the text, computed once. */
  get crc(): number {
    if (this.crcValue < 0) this.crcValue = crc32(this.text) >>> 0;
    return this.crcValue;
  }

  /** The piece as a non-final raw deflate block sequence; computed once, on the libuv thread pool. */
  deflate(): Buffer | Promise<Buffer> {
    if (this.deflated === null) {
      const p = deflateRawAsync(this.text, { level: LEVEL, finishFlush: constants.Z_FULL_FLUSH });
      this.deflated = p;
      void p.then(
        (b) => {
          this.deflated = b;
        },
        () => {
          this.deflated = null;
        },
      );
    }
    return this.deflated;
  }
}

/** Pieces joined into buffers of about this size for writing: a million tiny writes cost seconds. */
const WRITE_BUFFER = 64 * 1024;

/** The pieces' text as buffers of at least WRITE_BUFFER bytes (big pieces as they are), built in steps. */
export function* joinedText(pieces: readonly Piece[]): Steps<Buffer[]> {
  const out: Buffer[] = [];
  let run: Buffer[] = [];
  let runBytes = 0;
  for (let i = 0; i < pieces.length; i++) {
    const t = pieces[i]!.text;
    if (t.length >= WRITE_BUFFER && run.length === 0) {
      out.push(t);
      continue;
    }
    run.push(t);
    runBytes += t.length;
    if (runBytes >= WRITE_BUFFER) {
      out.push(run.length === 1 ? run[0]! : Buffer.concat(run, runBytes));
      run = [];
      runBytes = 0;
      yield;
    }
  }
  if (run.length > 0) out.push(run.length === 1 ? run[0]! : Buffer.concat(run, runBytes));
  return out;
}

/** Total length in bytes of the pieces' text. */
export function textLength(pieces: readonly Piece[]): number {
  let n = 0;
  for (const p of pieces) n += p.text.length;
  return n;
}

/** One gzip member for the concatenated text of `pieces`, as a list of buffers to write in order. */
export async function gzipPieces(pieces: readonly Piece[]): Promise<Buffer[]> {
  const blocks = await Promise.all(pieces.map((p) => p.deflate()));
  // Combined from the pieces' cached CRCs: after a re-push only the new pieces' bytes are read.
  let crc = 0;
  let size = 0;
  for (const p of pieces) {
    crc = crc32Combine(crc, p.crc, p.text.length);
    size += p.text.length;
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  return [GZIP_HEADER, ...blocks, FINAL_BLOCK, trailer];
}

// CRC-32 combination (zlib's crc32_combine): the CRC of A+B from crc(A), crc(B) and B's length, by
// multiplying crc(A) with x^(8·len(B)) modulo the CRC polynomial (reflected bit order, as zlib).
const POLY = 0xedb88320;

function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod p(x). */
const X2N: number[] = [0x40000000];
for (let k = 1; k < 32; k++) X2N.push(multModP(X2N[k - 1]!, X2N[k - 1]!));

/** x^(n·2^k) mod p(x). */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000;
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  return (multModP(x2nModP(len2, 3), crc1) ^ crc2) >>> 0;
}
