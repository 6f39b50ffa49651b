/**
 * URL path ⇄ grouping key, as the reference's push and delete handlers do it: the job segment (plain or
 * `job@base64`), then name/value pairs where a name may end in `@base64` and, with UTF-8 names enabled,
 * start with the `U__` value-escaping prefix. The path arrives already percent-decoded by the router.
 */
import { GroupingKeyError } from '../errors.js';
import { goQuote } from './go-quote.js';
import { isValidLegacyLabelName, isValidUtf8Name } from './names.js';
import { decodeBytesKeepingInvalid, hasInvalidUtf8 } from './raw-bytes.js';

export type GroupingLabels = Record<string, string>;

const B64_URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64_URL.length; i++) B64_INDEX[B64_URL.charCodeAt(i)] = i;

type Base64Result = { ok: true; value: string } | { ok: false; partial: string; error: string };

/**
 * Decodes like the reference: strip every trailing `=`, then Go's RawURLEncoding (URL-safe alphabet,
 * no padding, `\r`/`\n` skipped). On error the bytes of the complete 4-character groups decoded so far
 * are reported, as Go's DecodeString returns them.
 */
export function decodeBase64Url(raw: string): Base64Result {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 61) end--;
  const bytes: number[] = [];
  let quantum: number[] = [];
  let quantumStart = 0;
  for (let i = 0; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c === 10 || c === 13) continue;
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) return { ok: false, partial: bytesToString(bytes), error: `illegal base64 data at input byte ${i}` };
    if (quantum.length === 0) quantumStart = i;
    quantum.push(v);
    if (quantum.length === 4) {
      const n = (quantum[0]! << 18) | (quantum[1]! << 12) | (quantum[2]! << 6) | quantum[3]!;
      bytes.push((n >> 16) & 255, (n >> 8) & 255, n & 255);
      quantum = [];
    }
  }
  if (quantum.length === 1) {
    return { ok: false, partial: bytesToString(bytes), error: `illegal base64 data at input byte ${quantumStart}` };
  }
  if (quantum.length >= 2) {
    const n = (quantum[0]! << 18) | (quantum[1]! << 12) | ((quantum[2] ?? 0) << 6);
    bytes.push((n >> 16) & 255);
    if (quantum.length === 3) bytes.push((n >> 8) & 255);
  }
  return { ok: true, value: bytesToString(bytes) };
}

function bytesToString(bytes: number[]): string {
  return decodeBytesKeepingInvalid(Buffer.from(bytes));
}

/**
 * `U__` value-encoding unescaping (prometheus/common model.UnescapeName with ValueEncodingEscaping):
 * `__` is `_`, `_<hex>_` is that code point. A malformed name is returned unchanged.
 */
export function unescapeValueEncodedName(name: string): string {
  if (!name.startsWith('U__')) return name;
  let out = '';
  const s = name.slice(3);
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== '_') {
      out += ch;
      continue;
    }
    if (s[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const close = s.indexOf('_', i + 1);
    const hex = close < 0 ? '' : s.slice(i + 1, close);
    if (hex.length === 0 || hex.length > 6 || !/^[0-9a-fA-F]+$/.test(hex)) return name;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return name;
    out += String.fromCodePoint(cp);
    i = close;
  }
  return out;
}

export interface GroupingKeyOptions {
  utf8Names: boolean;
}

/**
 * Builds the grouping labels from the route's job segment and label remainder (which starts with `/`
 * when present). Throws GroupingKeyError with the reference's message texts.
 */
export function parseGroupingKey(
  jobSegment: string,
  jobIsBase64: boolean,
  labelPath: string,
  opts: GroupingKeyOptions,
): GroupingLabels {
  let job = jobSegment;
  if (jobIsBase64) {
    const d = decodeBase64Url(jobSegment);
    if (!d.ok) throw new GroupingKeyError(`invalid base64 encoding in job name ${goQuote(d.partial)}: ${d.error}`);
    job = d.value;
  }
  const labels = splitLabels(labelPath, opts);
  if (job === '') throw new GroupingKeyError('job name is required');
  labels.job = job;
  return labels;
}

function splitLabels(labelPath: string, opts: GroupingKeyOptions): GroupingLabels {
  const result: GroupingLabels = Object.create(null) as GroupingLabels;
  if (labelPath.length <= 1) return result;
  const parts = labelPath.slice(1).split('/');
  if (parts.length % 2 !== 0) {
    throw new GroupingKeyError(`odd number of components in label string ${goQuote(labelPath)}`);
  }
  for (let i = 0; i < parts.length; i += 2) {
    let name = parts[i]!;
    let value = parts[i + 1]!;
    const isBase64 = name.endsWith('@base64');
    if (isBase64) name = name.slice(0, -'@base64'.length);
    const escapedName = name;
    if (opts.utf8Names) name = unescapeValueEncodedName(name);
    const valid = opts.utf8Names ? isValidUtf8Name(name) : isValidLegacyLabelName(name);
    if (!valid || escapedName.startsWith('__')) {
      throw new GroupingKeyError(`improper label name ${goQuote(escapedName)}`);
    }
    if (isBase64) {
      const d = decodeBase64Url(value);
      if (!d.ok) throw new GroupingKeyError(`invalid base64 encoding for label ${name}=${goQuote(value)}: ${d.error}`);
      value = d.value;
    }
    result[name] = value;
  }
  return result;
}

/**
 * True when a job or label value of the key holds bytes that are not UTF-8 (`%FF` in the path, or a
 * base64 value decoding to them). The reference accepts such a key and its consistency check then
 * rejects every metric of the group (`… has a label named "l" whose value is not utf8: "\xff"`).
 */
export function groupingKeyHasInvalidUtf8(labels: GroupingLabels): boolean {
  for (const name in labels) if (hasInvalidUtf8(labels[name]!)) return true;
  return false;
}

/** Canonical identity of a group: label names sorted, `name \xff value` joined by `\xff`. */
export function groupIdFor(labels: GroupingLabels): string {
  const names = Object.keys(labels).sort();
  let id = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) id += '\xff';
    id += `${names[i]}\xff${labels[names[i]!]}`;
  }
  return id;
}
