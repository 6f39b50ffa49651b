/**
 * Protobuf-aware mutations. A byte flip inside a length-delimited stream mostly breaks the outer length
 * and is refused at the first frame; to reach the decoder's inner paths, a body is read as a tree of
 * fields (a length-delimited field that parses as a message is a subtree), one node is changed (its
 * varint set to an edge value, its tag or wire type changed, a field dropped, repeated or borrowed from
 * another seed, its bytes mutated), and the tree is written back with every length fixed up. Raw varint
 * and tag edits, group nests and broken lengths are applied to the bytes as they are, too.
 */
import type { Rng } from './prng.js';
import { mutate, type MutateOptions } from './mutate.js';
import { ProtobufWriter } from '../src/format/protobuf-wire.js';

interface Field {
  tag: number;
  wire: number;
  /** varint value (wire 0) */
  varint?: bigint;
  /** raw payload (wires 1, 2, 5) */
  bytes?: Buffer;
  /** the payload read as a message (wire 2), when it parses as one */
  sub?: Field[];
}

function readVarint(b: Buffer, pos: number): [bigint, number] | undefined {
  let v = 0n;
  for (let shift = 0n, i = pos; i < b.length && shift < 70n; i++, shift += 7n) {
    v |= BigInt(b[i]! & 0x7f) << shift;
    if ((b[i]! & 0x80) === 0) return [v, i + 1];
  }
  return undefined;
}

function parseMessage(b: Buffer, depth: number): Field[] | undefined {
  const out: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const key = readVarint(b, pos);
    if (key === undefined || key[0] === 0n || key[0] > 0xffffffffn) return undefined;
    pos = key[1];
    const tag = Number(key[0] >> 3n);
    const wire = Number(key[0] & 7n);
    if (wire === 0) {
      const v = readVarint(b, pos);
      if (v === undefined) return undefined;
      out.push({ tag, wire, varint: v[0] });
      pos = v[1];
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > b.length) return undefined;
      out.push({ tag, wire, bytes: b.subarray(pos, pos + n) });
      pos += n;
    } else if (wire === 2) {
      const len = readVarint(b, pos);
      if (len === undefined || Number(len[0]) > b.length - len[1]) return undefined;
      const payload = b.subarray(len[1], len[1] + Number(len[0]));
      const sub = depth < 8 && payload.length > 0 ? parseMessage(payload, depth + 1) : undefined;
      out.push({ tag, wire, bytes: payload, ...(sub === undefined ? {} : { sub }) });
      pos = len[1] + Number(len[0]);
    } else {
      return undefined; // groups: left to the raw mutations
    }
  }
  return out;
}

/** The gateway's own varint writer (it takes the value modulo 2^64, as the wire does). */
function varint(v: bigint): Buffer {
  const w = new ProtobufWriter();
  w.varint(v);
  return w.finish();
}

function writeMessage(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    parts.push(varint((BigInt(f.tag) << 3n) | BigInt(f.wire)));
    if (f.wire === 0) parts.push(varint(f.varint ?? 0n));
    else if (f.wire === 2) {
      const payload = f.sub !== undefined ? writeMessage(f.sub) : (f.bytes ?? Buffer.alloc(0));
      parts.push(varint(BigInt(payload.length)), payload);
    } else parts.push(f.bytes ?? Buffer.alloc(f.wire === 1 ? 8 : 4));
  }
  return Buffer.concat(parts);
}

/** A delimited stream's frames, each read as a message; undefined when the stream does not parse. */
function parseStream(b: Buffer): Field[][] | undefined {
  const frames: Field[][] = [];
  let pos = 0;
  while (pos < b.length) {
    const len = readVarint(b, pos);
    if (len === undefined || Number(len[0]) > b.length - len[1]) return undefined;
    const msg = parseMessage(b.subarray(len[1], len[1] + Number(len[0])), 0);
    if (msg === undefined) return undefined;
    frames.push(msg);
    pos = len[1] + Number(len[0]);
  }
  return frames;
}

function writeStream(frames: Field[][]): Buffer {
  return Buffer.concat(
    frames.flatMap((f) => {
      const m = writeMessage(f);
      return [varint(BigInt(m.length)), m];
    }),
  );
}

const EDGE_VARINTS = [
  0n,
  1n,
  2n,
  5n,
  127n,
  128n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
  -1n,
  -(2n ** 63n),
];

function cloneField(f: Field): Field {
  return {
    ...f,
    ...(f.bytes === undefined ? {} : { bytes: Buffer.from(f.bytes) }),
    ...(f.sub === undefined ? {} : { sub: f.sub.map(cloneField) }),
  };
}

/** Every field of the tree with the list holding it (so a mutation can drop, repeat or replace it). */
function allFields(fields: Field[], acc: Array<[Field[], number]> = []): Array<[Field[], number]> {
  fields.forEach((f, i) => {
    acc.push([fields, i]);
    if (f.sub !== undefined) allFields(f.sub, acc);
  });
  return acc;
}

function mutateTree(rng: Rng, frames: Field[][], donors: Field[][][], o: MutateOptions): void {
  if (frames.length === 0 || rng.chance(0.1)) {
    // Whole frames: drop, repeat, or borrow one from another seed.
    const donor = donors.length > 0 ? rng.pick(donors) : [];
    if (rng.chance(0.5) && donor.length > 0)
      frames.splice(rng.int(frames.length + 1), 0, rng.pick(donor).map(cloneField));
    else if (frames.length > 0 && rng.chance(0.5)) frames.splice(rng.int(frames.length), 1);
    else if (frames.length > 0) frames.push(rng.pick(frames).map(cloneField));
    return;
  }
  const nodes = allFields(rng.pick(frames));
  if (nodes.length === 0) return;
  const [list, i] = rng.pick(nodes);
  const f = list[i]!;
  switch (rng.int(9)) {
    case 0:
      list.splice(i, 1);
      break;
    case 1:
      list.splice(i, 0, ...Array.from({ length: rng.chance(0.1) ? rng.range(2, 2000) : 2 }, () => cloneField(f)));
      break;
    case 2:
      f.tag = rng.chance(0.7) ? rng.range(1, 20) : rng.pick([0, 536870911, 19000, 1 << 20]);
      break;
    case 3: {
      // same tag, another wire type: the payload no longer fits what the schema wants
      const wire = rng.pick([0, 1, 2, 5]);
      if (wire !== f.wire) {
        f.wire = wire;
        delete f.sub;
        f.varint = rng.pick(EDGE_VARINTS);
        f.bytes = Buffer.alloc(wire === 1 ? 8 : wire === 5 ? 4 : rng.int(10), rng.int(256));
      }
      break;
    }
    case 4:
      if (f.wire === 0) f.varint = rng.pick(EDGE_VARINTS);
      else if (f.bytes !== undefined && f.sub === undefined) f.bytes = mutate(rng, f.bytes, o);
      break;
    case 5:
      if (f.wire === 1) f.bytes = rng.pick(DOUBLES);
      break;
    case 6: {
      // a field borrowed from another seed
      const donor = donors.length > 0 ? allFields(rng.pick(rng.pick(donors))) : [];
      if (donor.length > 0) {
        const [dl, di] = rng.pick(donor);
        list.splice(i, 0, cloneField(dl[di]!));
      }
      break;
    }
    case 7:
      if (f.sub !== undefined) {
        delete f.sub;
        f.bytes = mutate(rng, f.bytes ?? Buffer.alloc(0), o);
      }
      break;
    default:
      if (f.sub !== undefined) f.sub.reverse(); // field order: repeated fields out of order, last-wins scalars
  }
}

function f64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
}
const DOUBLES = [NaN, Infinity, -Infinity, -0, 0, 1, 0.5, 2 ** 53, 2 ** 64, 1e308, 5e-324, -1].map(f64);

/** Nested start-group tags (unknown fields), optionally closed: the decoder's recursion bound. */
function groupNest(rng: Rng, depth: number, closed: boolean): Buffer {
  const tag = rng.range(6, 15);
  const start = (tag << 3) | 3;
  const end = (tag << 3) | 4;
  const head = Buffer.alloc(depth, start);
  return closed ? Buffer.concat([head, Buffer.alloc(depth, end)]) : head;
}

/** Raw edits on the bytes: a varint or tag written anywhere, group nests, a broken length prefix. */
function mutateRaw(rng: Rng, b: Buffer, o: MutateOptions): Buffer {
  const p = rng.int(b.length + 1);
  switch (rng.int(5)) {
    case 0:
      return Buffer.concat([b.subarray(0, p), varint(rng.pick(EDGE_VARINTS)), b.subarray(p)]);
    case 1:
      return Buffer.concat([b.subarray(0, p), Buffer.from([(rng.range(1, 15) << 3) | rng.int(8)]), b.subarray(p)]);
    case 2: {
      // a frame whose body is a group nest (the body's outer length fixed up)
      const depth = rng.chance(0.05) ? rng.range(1000, 20000) : rng.range(1, 100);
      const body = groupNest(rng, depth, rng.chance(0.5));
      return Buffer.concat([b, varint(BigInt(body.length)), body]);
    }
    case 3:
      return Buffer.concat([varint(rng.pick(EDGE_VARINTS)), b]); // a huge or odd length first
    default:
      return mutate(rng, b, o);
  }
}

/** One protobuf-aware mutation of a delimited body, with `donors` as other seeds' parsed frames. */
export function mutateProtobuf(rng: Rng, body: Buffer, donors: Field[][][], o: MutateOptions): Buffer {
  if (rng.chance(0.7)) {
    const frames = parseStream(body);
    if (frames !== undefined) {
      const n = rng.chance(0.6) ? 1 : rng.range(2, 5);
      for (let k = 0; k < n; k++) mutateTree(rng, frames, donors, o);
      const out = writeStream(frames);
      return out.length > o.maxBytes ? out.subarray(0, o.maxBytes) : out;
    }
  }
  const out = mutateRaw(rng, body, o);
  return out.length > o.maxBytes ? out.subarray(0, o.maxBytes) : out;
}

/** Parsed frames of each seed that parses, for splicing fields between seeds. */
export function protobufDonors(seeds: readonly Buffer[]): Field[][][] {
  return seeds.map(parseStream).filter((f): f is Field[][] => f !== undefined);
}

export type { Field };
