/**
 * Float and integer conversions that behave like Go's strconv, because the reference Pushgateway's wire
 * formats are produced and parsed by Go: sample values in the text exposition and the JSON API are
 * written with `strconv.FormatFloat(v, 'g', -1, 64)`, and pushed text values are read with
 * `strconv.ParseFloat` / `strconv.ParseInt`. JavaScript's own Number()/String() differ on both sides
 * (exponent thresholds, `inf`/`nan`, hex, whitespace), so they are only used for the digit work.
 */

/**
 * Go `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest digits that round-trip (the same digits
 * JavaScript picks), in exponent form iff the decimal exponent is < -4 or >= 6, where the exponent has a
 * sign and at least two digits ("1e+06", "1.5e-05"). NaN, +Inf, -Inf and -0 are spelled the Go way.
 */
export function formatGoFloat(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return formatNonZero(v);
}

/**
 * The text exposition writer's variant: Go's encoder special-cases 0, 1, -1, NaN and ±Inf before
 * calling FormatFloat, and because -0 == 0 in Go it prints negative zero as "0".
 */
export function formatFloat(v: number): string {
  if (v === 0) return '0';
  return formatNonZero(v);
}

function formatNonZero(v: number): string {
  const abs = v < 0 ? -v : v;
  // Go's %g keeps plain notation for exponents -4..5, which is exactly [1e-4, 1e6). JavaScript's
  // String() uses plain notation for the whole of [1e-7, 1e21) with the same shortest digits, so
  // inside our narrower window it already matches byte for byte. (The boundaries are safe: the
  // shortest digits of a double below 1e-4 or at/above 1e6 can never print as if inside it.)
  if (abs >= 1e-4 && abs < 1e6) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  if (abs === Infinity) return v > 0 ? '+Inf' : '-Inf';
  // Outside the window Go always uses exponent form; toExponential() without an argument yields the
  // shortest round-trip digits, only the exponent needs Go's two-digit minimum.
  const s = v.toExponential();
  const e = s.indexOf('e');
  if (s.length - e === 3) return `${s.slice(0, e + 2)}0${s.slice(e + 2)}`;
  return s;
}

/** ASCII-only case-insensitive comparison of s[from..] with a lowercase word, as Go's `special` does. */
function restEqualsIgnoreCase(s: string, from: number, word: string): boolean {
  if (s.length - from !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    let c = s.charCodeAt(from + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * What the Go text parser accepts as a sample value, quantile or bucket bound: strconv.ParseFloat
 * syntax after rejecting any 'p', 'P' or '_' (so no hex floats, no digit separators). Accepted: optional
 * sign, digits with at most one '.', at least one digit, optional exponent with at least one digit;
 * "inf"/"infinity" (any case, optional sign) and "nan" (any case, no sign). Values that overflow to
 * ±Inf are a range error in Go and rejected here too; underflow to zero is not an error in Go.
 * Returns undefined where Go returns an error.
 */
export function parseGoFloat(s: string): number | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  let i = 0;
  let c = s.charCodeAt(0);
  const signed = c === 43 /* + */ || c === 45; /* - */
  if (signed) {
    if (n === 1) return undefined;
    i = 1;
    c = s.charCodeAt(1);
  }
  if (c === 105 || c === 73 /* i I */) {
    if (restEqualsIgnoreCase(s, i, 'inf') || restEqualsIgnoreCase(s, i, 'infinity')) {
      return s.charCodeAt(0) === 45 ? -Infinity : Infinity;
    }
    return undefined;
  }
  if (c === 110 || c === 78 /* n N */) {
    return !signed && restEqualsIgnoreCase(s, i, 'nan') ? NaN : undefined;
  }
  if (!isDecimalFloat(s, i)) return undefined;
  const v = Number(s);
  return v === Infinity || v === -Infinity ? undefined : v;
}

/** digits [ '.' digits ] with at least one digit overall, then optional e/E [sign] digits, to the end. */
function isDecimalFloat(s: string, i: number): boolean {
  const n = s.length;
  let digits = 0;
  let dot = false;
  let c = 0;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && !dot) dot = true;
    else break;
  }
  if (digits === 0) return false;
  if (i === n) return true;
  if (c !== 101 && c !== 69) return false;
  i++;
  if (i < n) {
    c = s.charCodeAt(i);
    if (c === 43 || c === 45) i++;
  }
  if (i === n) return false;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Go strconv.ParseInt(s, 10, 64), used for sample timestamps (milliseconds): optional sign, then
 * decimal digits only, within int64. Values beyond 2^53 lose precision as a number, which is harmless
 * because pushes carrying timestamps are rejected anyway. Returns undefined where Go errs.
 */
export function parseGoInt64(s: string): number | undefined {
  const n = s.length;
  let i = 0;
  if (n > 0) {
    const c = s.charCodeAt(0);
    if (c === 43 || c === 45) i = 1;
  }
  if (i === n) return undefined;
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  if (n - i <= 15) return Number(s) + 0; // + 0 turns "-0" into 0, as Go integers have no negative zero
  const big = BigInt(s);
  if (big > INT64_MAX || big < INT64_MIN) return undefined;
  return Number(big);
}

const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * Go's `uint64(f)` conversion as compiled for amd64 (the reference's release platform), used where the
 * text parser stores a summary's `_count` without any range check. Negative values wrap around
 * modulo 2^64; NaN, values below -2^63, values at or above 2^64 and ±Inf all become 2^63.
 * The result is a number, so wrapped values above 2^53 are approximations of the exact uint64.
 */
export function goFloatToUint64(v: number): number {
  if (Number.isNaN(v) || v < -TWO_63) return TWO_63;
  if (v >= TWO_64) return TWO_63;
  const t = Math.trunc(v);
  if (t < 0) return TWO_64 + t;
  return t === 0 ? 0 : t;
}

/** True if Go's `float64(uint64(v)) == v` holds on amd64: v is an integer in [0, 2^64) (or -0). */
export function isExactUint64(v: number): boolean {
  return v >= 0 && v < TWO_64 && Math.floor(v) === v;
}
