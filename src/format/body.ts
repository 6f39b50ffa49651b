/**
 * Request bodies: reading with a size limit, and Content-Encoding as the reference's decodeRequest does
 * it — `gzip` and `snappy` (the framed stream format of golang/snappy's Reader, not the raw block format),
 * matched case-insensitively; any other value is ignored and the body read as is. The limit applies to
 * the decompressed size too, so a compression bomb is refused after at most `limit` bytes of output.
 */
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import snappy from 'snappyjs';
import { BodyError, BodyTooLargeError } from '../errors.js';
import type { BodyHold } from './body-budget.js';

const gunzipAsync = promisify(gunzip);

/**
 * Reads the whole body, refusing more than `limit` bytes (0 = unlimited) with 413, and, with a hold on the
 * in-flight budget, a body the budget has no room for with 503. A body with a Content-Length is read into
 * one buffer of that size (checked and reserved before the first byte is read); only a chunked body is
 * gathered in chunks and joined at the end. A refused body is read on and discarded, so the client gets
 * its answer and the connection stays usable.
 */
export function readBody(req: IncomingMessage, limit: number, hold?: BodyHold): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const refuse = (err: Error): void => {
      req.removeAllListeners('data');
      req.removeAllListeners('end');
      req.resume();
      reject(err);
    };
    const declared = contentLength(req);
    if (declared !== undefined) {
      if (limit > 0 && declared > limit) return refuse(new BodyTooLargeError(limit, false));
      try {
        hold?.setTotal(declared);
      } catch (err) {
        return refuse(err as Error);
      }
    }
    const whole = declared !== undefined && declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (whole !== undefined) {
        // The HTTP parser never delivers more than Content-Length bytes.
        c.copy(whole, size);
        size += c.length;
        return;
      }
      size += c.length;
      if (limit > 0 && size > limit) return refuse(new BodyTooLargeError(limit, false));
      try {
        hold?.setTotal(size);
      } catch (err) {
        return refuse(err as Error);
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (whole !== undefined) resolve(size === whole.length ? whole : whole.subarray(0, size));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    // A client that goes away before sending all of its body: Go's body reader reports io.ErrUnexpectedEOF,
    // a 400 push failure (counted and logged like one), not a server error.
    req.on('error', () => reject(new BodyError('unexpected EOF')));
  });
}

function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined || req.headers['transfer-encoding'] !== undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Undoes the request's Content-Encoding (gzip or snappy); other encodings are passed through untouched.
 * With a hold, the decoded bytes count against the in-flight budget too (beside the received ones).
 */
export async function decodeBody(
  contentEncoding: string | undefined,
  raw: Buffer,
  limit: number,
  hold?: BodyHold,
): Promise<Buffer> {
  const encoding = (contentEncoding ?? '').toLowerCase();
  if (encoding === 'gzip') return gunzipBody(raw, limit, hold);
  if (encoding === 'snappy') return unsnappyFramed(raw, limit, hold);
  return raw;
}

/** Deflate cannot expand data more than about 1032-fold: the most a gzip body of n bytes can decode to. */
const GZIP_MAX_RATIO = 1032;

async function gunzipBody(raw: Buffer, limit: number, hold: BodyHold | undefined): Promise<Buffer> {
  // Go's gzip.NewReader reads the 10-byte header first: nothing → EOF, a short read → unexpected EOF.
  if (raw.length === 0) throw new BodyError('EOF');
  if (raw.length < 10) throw new BodyError('unexpected EOF');
  // The output is bounded by the body limit and by what the in-flight budget can hold; reserve the
  // bound first (so concurrent decodes cannot overcommit), then keep what the output really took.
  let bound = Math.min(limit > 0 ? limit : Infinity, raw.length * GZIP_MAX_RATIO + 1024);
  let budgetBound = false;
  if (hold !== undefined) {
    const room = hold.room() - raw.length;
    if (room < bound) {
      if (room <= 0) throw hold.refusal();
      bound = room;
      budgetBound = true;
    }
    hold.setTotal(raw.length + bound);
  }
  try {
    const out = await gunzipAsync(raw, Number.isFinite(bound) ? { maxOutputLength: bound } : {});
    hold?.setTotal(raw.length + out.length);
    return out;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') {
      if (budgetBound && hold !== undefined) throw hold.refusal();
      throw new BodyTooLargeError(limit, true);
    }
    if (e.code === 'Z_DATA_ERROR' && (raw[0] !== 0x1f || raw[1] !== 0x8b)) throw new BodyError('gzip: invalid header');
    throw new BodyError(e.code === 'Z_BUF_ERROR' ? 'unexpected EOF' : goGzipMessage(e.message));
  }
}

/**
 * zlib's data errors in the words of Go's compress/gzip and compress/flate, which the reference reports:
 * a CRC or length mismatch is `gzip: invalid checksum`, a bad header (also of a second member after the
 * first) `gzip: invalid header`, anything else in the deflate data `flate: corrupt input` (Go adds
 * ` before offset N`, which zlib does not tell).
 */
export function goGzipMessage(zlibMessage: string): string {
  if (zlibMessage === 'incorrect data check' || zlibMessage === 'incorrect length check')
    return 'gzip: invalid checksum';
  if (/header|unknown compression method/.test(zlibMessage)) return 'gzip: invalid header';
  return 'flate: corrupt input';
}

// ---------------------------------------------------------------------------------------------------
// Snappy framing format (github.com/google/snappy framing_format.txt, golang/snappy Reader)

const STREAM_IDENTIFIER = Buffer.from('sNaPpY', 'latin1');
const CHUNK_COMPRESSED = 0x00;
const CHUNK_UNCOMPRESSED = 0x01;
const CHUNK_STREAM_IDENTIFIER = 0xff;
/** The largest decoded chunk the format allows. */
const MAX_BLOCK_SIZE = 65536;

function corrupt(detail: string): BodyError {
  return new BodyError(`snappy: corrupt input (${detail})`);
}

/**
 * Decodes a framed snappy stream: a stream identifier chunk first, then compressed (0x00) and
 * uncompressed (0x01) chunks carrying a masked CRC-32C of their decoded data, skippable chunks
 * (0x80–0xfe) ignored, reserved unskippable ones (0x02–0x7f) refused. An empty body is an empty stream.
 */
export function unsnappyFramed(raw: Buffer, limit: number, hold?: BodyHold): Buffer {
  const out: Buffer[] = [];
  let size = 0;
  let pos = 0;
  let sawIdentifier = false;
  while (pos < raw.length) {
    if (pos + 4 > raw.length) throw new BodyError('unexpected EOF');
    const type = raw[pos]!;
    const len = raw[pos + 1]! | (raw[pos + 2]! << 8) | (raw[pos + 3]! << 16);
    pos += 4;
    // golang/snappy checks the first chunk's type before reading its body.
    if (!sawIdentifier && type !== CHUNK_STREAM_IDENTIFIER) throw corrupt('missing stream identifier');
    if (pos + len > raw.length) throw new BodyError('unexpected EOF');
    const chunk = raw.subarray(pos, pos + len);
    pos += len;
    if (type === CHUNK_STREAM_IDENTIFIER) {
      if (!chunk.equals(STREAM_IDENTIFIER)) throw corrupt('bad stream identifier');
      sawIdentifier = true;
      continue;
    }
    if (type === CHUNK_COMPRESSED || type === CHUNK_UNCOMPRESSED) {
      if (len < 4) throw corrupt('chunk shorter than its checksum');
      const expected = chunk.readUInt32LE(0);
      let data: Buffer;
      if (type === CHUNK_UNCOMPRESSED) {
        data = chunk.subarray(4);
        if (data.length > MAX_BLOCK_SIZE) throw corrupt('uncompressed chunk larger than 64 KiB');
      } else {
        try {
          data = snappy.uncompress(chunk.subarray(4), MAX_BLOCK_SIZE);
        } catch (err) {
          throw corrupt((err as Error).message);
        }
      }
      if (maskedCrc32c(data) !== expected) throw corrupt('checksum mismatch');
      size += data.length;
      if (limit > 0 && size > limit) throw new BodyTooLargeError(limit, true);
      hold?.setTotal(raw.length + size);
      out.push(data);
      continue;
    }
    if (type < 0x80) throw new BodyError(`snappy: unsupported input (reserved chunk type 0x${type.toString(16)})`);
    // 0x80–0xfd (reserved skippable) and 0xfe (padding): ignored.
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

/** Encodes a framed snappy stream (for tests and clients of this module). */
export function snappyFramed(data: Buffer, compress = true): Buffer {
  const parts: Buffer[] = [chunkHeader(CHUNK_STREAM_IDENTIFIER, STREAM_IDENTIFIER.length), STREAM_IDENTIFIER];
  for (let i = 0; i < data.length; i += MAX_BLOCK_SIZE) {
    const block = data.subarray(i, i + MAX_BLOCK_SIZE);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(maskedCrc32c(block), 0);
    const payload = compress ? Buffer.from(snappy.compress(block)) : block;
    parts.push(chunkHeader(compress ? CHUNK_COMPRESSED : CHUNK_UNCOMPRESSED, payload.length + 4), crc, payload);
  }
  return Buffer.concat(parts);
}

function chunkHeader(type: number, len: number): Buffer {
  return Buffer.from([type, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff]);
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli). */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The framing format's checksum: the CRC rotated right by 15 bits plus a constant. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
