/**
 * JSON as Go's encoding/json writes it, for the /api/v1 responses that clean-up tools parse byte-wise:
 * object keys of maps sorted (byte order), struct fields in declaration order, HTML-sensitive characters
 * and U+2028/U+2029 escaped as \u003c \u003e \u0026 \u2028 \u2029, no whitespace. Times are Go's
 * time.Time MarshalJSON: RFC 3339 with up to nine fractional digits, trailing zeros trimmed, and the
 * local offset (or Z).
 */

/** A JSON string literal as Go escapes it. */
export function goJsonString(s: string): string {
  const js = JSON.stringify(s);
  if (!/[<>&\u2028\u2029]/.test(js)) return js;
  return js.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's map encoding: keys sorted by their UTF-8 bytes (the same as code point order). */
export function goJsonMap(entries: Iterable<[string, string]>): string {
  const list = [...entries].sort((a, b) => compareUtf8(a[0], b[0]));
  return `{${list.map(([k, v]) => `${goJsonString(k)}:${v}`).join(',')}}`;
}

/** A map[string]string. */
export function goJsonStringMap(m: Record<string, string>): string {
  return goJsonMap(Object.entries(m).map(([k, v]) => [k, goJsonString(v)]));
}

/** Compares strings by code point, which is UTF-8 byte order (JS `<` compares UTF-16 code units). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/**
 * Go's time.Time.MarshalJSON for a time in milliseconds since the epoch (fractional milliseconds carry
 * the sub-millisecond digits), in the process's local time zone.
 */
export function goJsonTime(ms: number): string {
  let whole = Math.floor(ms);
  let nanos = Math.round((ms - whole) * 1e6);
  if (nanos >= 1e6) {
    whole += 1;
    nanos -= 1e6;
  }
  const d = new Date(whole);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(whole + offsetMin * 60_000);
  const frac = (pad(local.getUTCMilliseconds(), 3) + pad(nanos, 6)).replace(/0+$/, '');
  const zone =
    offsetMin === 0
      ? 'Z'
      : `${(offsetMin > 0 ? '+' : '-') + pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return (
    '"' +
    pad(local.getUTCFullYear(), 4) +
    '-' +
    pad(local.getUTCMonth() + 1) +
    '-' +
    pad(local.getUTCDate()) +
    'T' +
    pad(local.getUTCHours()) +
    ':' +
    pad(local.getUTCMinutes()) +
    ':' +
    pad(local.getUTCSeconds()) +
    (frac === '' ? '' : `.${frac}`) +
    zone +
    '"'
  );
}
