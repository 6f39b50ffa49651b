/**
 * The protobuf wire format, both ways: a Reader over one message's bytes (varints, fixed-width numbers,
 * length-delimited fields, skipping unknown fields and groups) and a Writer that appends fields to a
 * growable buffer. They know wire types and field numbers, not messages: the MetricFamily decoder and
 * encoder (protobuf-decode.ts, protobuf-encode.ts) are built on them.
 */
import { isUtf8 } from 'node:buffer';
import { ProtobufParseError } from '../errors.js';

export const TWO_32 = 4294967296;
/** Above this the high word of a uint64 no longer fits a double exactly (2^53 = 2^21 * 2^32). */
export const SAFE_HIGH_WORD = 0x200000;

export const WT_VARINT = 0;
export const WT_FIXED64 = 1;
export const WT_BYTES = 2;
export const WT_START_GROUP = 3;
export const WT_END_GROUP = 4;
export const WT_FIXED32 = 5;

/** A cursor over one message's bytes. Errors name the message kind being read. */
export class Reader {
  pos: number;
  /** The last varint read, as two unsigned 32-bit words. */
  lo = 0;
  hi = 0;

  constructor(
    readonly buf: Buffer,
    start: number,
    public end: number,
    readonly what: string,
  ) {
    this.pos = start;
  }

  fail(detail: string): never {
    throw new ProtobufParseError(`invalid ${this.what}: ${detail}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint of up to 10 bytes into lo/hi. */
  varint(): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = buf[this.pos++]!;
      if (shift < 28) {
        lo |= (b & 0x7f) << shift;
      } else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else {
        if (i === 9 && b > 1) this.fail('varint overflows 64 bits');
        hi |= (b & 0x7f) << (shift - 32);
      }
      shift += 7;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('varint longer than 10 bytes');
  }

  uint32(): number {
    this.varint();
    return this.lo;
  }

  /** A uint64: a number when it is exact, a bigint above 2^53. */
  uint64(): number | bigint {
    this.varint();
    if (this.hi < SAFE_HIGH_WORD) return this.hi * TWO_32 + this.lo;
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** An int64 that must be exactly representable (timestamps). */
  int64(field: string): number {
    this.varint();
    const v = BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(`${field} ${v} is outside the range this gateway stores exactly (±2^53)`);
    }
    return Number(v);
  }

  int32(): number {
    this.varint();
    return this.lo | 0;
  }

  sint32(): number {
    this.varint();
    const v = this.lo;
    return (v >>> 1) ^ -(v & 1);
  }

  /** A zig-zag sint64 that must be exactly representable (native histogram deltas). */
  sint64(field: string): number {
    this.varint();
    if (this.hi < SAFE_HIGH_WORD) {
      const u = this.hi * TWO_32 + this.lo;
      // u is even for non-negative values: u / 2; odd for negative ones: -(u + 1) / 2.
      return this.lo & 1 ? -(u - 1) / 2 - 1 : u / 2;
    }
    const u = (BigInt(this.hi) << 32n) | BigInt(this.lo);
    const v = (u >> 1n) ^ -(u & 1n);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
    this.fail(`${field} ${v} is outside the range this gateway stores exactly (±2^53)`);
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** The bounds of a length-delimited field's payload; advances past it. */
  bytes(): [number, number] {
    this.varint();
    if (this.hi !== 0 || this.lo > this.end - this.pos) this.fail('truncated length-delimited field');
    const start = this.pos;
    this.pos += this.lo;
    return [start, this.pos];
  }

  string(field: string): string {
    const [start, end] = this.bytes();
    const buf = this.buf;
    // Names and label values are short and mostly ASCII: decode those in JS, without native calls.
    if (end - start <= 64) {
      let s = '';
      let i = start;
      for (; i < end; i++) {
        const b = buf[i]!;
        if (b >= 0x80) break;
        s += String.fromCharCode(b);
      }
      if (i === end) return s;
    }
    const raw = buf.subarray(start, end);
    if (!isUtf8(raw)) this.fail(`${field} is not valid UTF-8`);
    return raw.toString('utf8');
  }

  sub(what: string): Reader {
    const [start, end] = this.bytes();
    return new Reader(this.buf, start, end, what);
  }

  /** Reads a tag; returns the field number and leaves the wire type in `wireType`. */
  wireType = 0;
  tag(): number {
    const t = this.uint32();
    const field = t >>> 3;
    this.wireType = t & 7;
    if (field === 0 || this.hi !== 0) this.fail('invalid field number');
    return field;
  }

  /**
   * Skips the value of a field with the given wire type, groups included as Go does. Groups nest without
   * a limit in the reference (1.5.1 accepts 1,000,000 levels), so they are skipped with an explicit stack
   * of open group numbers instead of recursion: a deep push costs memory in proportion to its body (at
   * least one byte per level), never the call stack.
   */
  skip(wireType: number, field: number): void {
    if (wireType !== WT_START_GROUP) {
      this.skipScalar(wireType, field);
      return;
    }
    const open: number[] = [field];
    while (open.length > 0) {
      const inner = open[open.length - 1]!;
      if (this.done) this.fail(`unterminated group in field ${inner}`);
      const f = this.tag();
      const wt = this.wireType;
      if (wt === WT_END_GROUP) {
        if (f !== inner) this.fail(`mismatched end of group ${f} in field ${inner}`);
        open.pop();
      } else if (wt === WT_START_GROUP) {
        open.push(f);
      } else {
        this.skipScalar(wt, f);
      }
    }
  }

  /** Skips a value that is not a group. */
  private skipScalar(wireType: number, field: number): void {
    switch (wireType) {
      case WT_VARINT:
        this.varint();
        return;
      case WT_FIXED64:
        this.advance(8);
        return;
      case WT_BYTES:
        this.bytes();
        return;
      case WT_FIXED32:
        this.advance(4);
        return;
      default:
        this.fail(`invalid wire type ${wireType} in field ${field}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.fail('truncated fixed-size field');
    this.pos += n;
  }

  /**
   * A repeated scalar that may arrive unpacked (one tag per value) or packed (one length-delimited run).
   * `read` reads one value; returns false when the wire type fits neither form (then the caller skips).
   */
  repeated(scalarWireType: number, out: number[], read: () => number): boolean {
    if (this.wireType === scalarWireType) {
      out.push(read());
      return true;
    }
    if (this.wireType !== WT_BYTES) return false;
    const [start, end] = this.bytes();
    const saved = this.pos;
    const savedEnd = this.end;
    this.pos = start;
    this.end = end;
    try {
      while (this.pos < end) out.push(read());
    } finally {
      this.pos = saved;
      this.end = savedEnd;
    }
    return true;
  }
}

/** A growable byte buffer with protobuf primitives; nested messages are length-prefixed in place. */
export class ProtobufWriter {
  private buf = Buffer.allocUnsafe(4096);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint of a non-negative integer up to 2^64-1 (number up to 2^53, or bigint). */
  varint(v: number | bigint): void {
    this.ensure(10);
    if (typeof v === 'number' && v < 0x80000000) {
      let x = v >>> 0;
      while (x >= 0x80) {
        this.buf[this.pos++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      this.buf[this.pos++] = x;
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  double(field: number, v: number): void {
    this.tag(field, WT_FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  uint(field: number, v: number | bigint): void {
    this.tag(field, WT_VARINT);
    this.varint(v);
  }

  /** int32/int64: negative values as 10-byte two's complement. */
  int(field: number, v: number): void {
    this.tag(field, WT_VARINT);
    this.varint(v >= 0 ? v : BigInt.asUintN(64, BigInt(v)));
  }

  sint(field: number, v: number): void {
    this.tag(field, WT_VARINT);
    const big = BigInt(v);
    this.varint(v >= 0 && v < 0x40000000 ? v * 2 : (big << 1n) ^ (big >> 63n));
  }

  string(field: number, s: string): void {
    this.tag(field, WT_BYTES);
    const n = s.length;
    if (n < 0x80) {
      // Short ASCII strings (nearly all names and label values) are copied in JS, without native calls.
      this.ensure(n * 3 + 1);
      const buf = this.buf;
      const lenAt = this.pos;
      let p = lenAt + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[lenAt] = n;
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Starts a length-delimited field: one byte is reserved for the length, moved later if longer. */
  begin(field?: number): number {
    if (field !== undefined) this.tag(field, WT_BYTES);
    this.ensure(1);
    return this.pos++;
  }

  end(start: number): void {
    const len = this.pos - start - 1;
    if (len < 0x80) {
      this.buf[start] = len;
      return;
    }
    let n = 1;
    for (let x = len; x >= 0x80; x >>>= 7) n++;
    this.ensure(n - 1);
    this.buf.copyWithin(start + n, start + 1, this.pos);
    this.pos += n - 1;
    let x = len;
    let p = start;
    while (x >= 0x80) {
      this.buf[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[p] = x;
  }

  get length(): number {
    return this.pos;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
