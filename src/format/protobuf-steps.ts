/**
 * A family's delimited protobuf as steps, a chunk of metrics at a time, so a family of a million series
 * is encoded in slices. The bytes are writeFamilyDelimited's: a MetricFamily message is its fields one
 * after the other (name, help, type, each metric, unit, as protobuf.ts writes them), so the fields of a
 * chunk are those of a family of just that chunk, less the name and type fields it starts with.
 */
import type { MetricFamily } from '../model/metric.js';
import { ProtobufWriter, writeFamilyDelimited } from './protobuf.js';
import type { Steps } from '../slicer.js';

/** Metrics encoded between two yields. */
export const METRICS_PER_CHUNK = 512;

/**
 * writeFamilyDelimited(f) as parts. `prepare` turns a family of some of f's metrics into the family to
 * encode (the scrape's name escaping), applied to each chunk so that no step maps every metric.
 */
export function* familyDelimitedSteps(f: MetricFamily, prepare: (part: MetricFamily) => MetricFamily): Steps<Buffer[]> {
  if (f.metrics.length <= METRICS_PER_CHUNK) return [delimited(prepare(f))];
  const base = prepare({ ...f, metrics: [] });
  const named = { name: base.name, type: base.type, metrics: [] };
  const unnamed = fieldsOf({ name: '', type: base.type, metrics: [] }).length;
  const body: Buffer[] = [fieldsOf({ ...named, ...(base.help === undefined ? {} : { help: base.help }) })];
  for (let lo = 0; lo < f.metrics.length; lo += METRICS_PER_CHUNK) {
    const chunk = prepare({ ...f, metrics: f.metrics.slice(lo, lo + METRICS_PER_CHUNK) });
    body.push(fieldsOf({ name: '', type: base.type, metrics: chunk.metrics }).subarray(unnamed));
    yield;
  }
  if (base.unit !== undefined)
    body.push(fieldsOf({ name: '', type: base.type, metrics: [], unit: base.unit }).subarray(unnamed));
  let length = 0;
  for (const b of body) length += b.length;
  const w = new ProtobufWriter();
  w.varint(length);
  return [w.finish(), ...body];
}

function delimited(f: MetricFamily): Buffer {
  const w = new ProtobufWriter();
  writeFamilyDelimited(w, f);
  return w.finish();
}

/** The message's fields without the length in front. */
function fieldsOf(f: MetricFamily): Buffer {
  const buf = delimited(f);
  let i = 0;
  while ((buf[i]! & 0x80) !== 0) i++;
  return buf.subarray(i + 1);
}
