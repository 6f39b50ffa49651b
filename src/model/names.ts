/**
 * Metric and label name rules. Legacy rules are what the reference applies unless
 * --push.enable-utf8-names is given (prometheus/common model.IsValidLegacyMetricName and friends).
 */

function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95; // a-z A-Z _
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `[a-zA-Z_:][a-zA-Z0-9_:]*` */
export function isValidLegacyMetricName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isAlpha(c) || c === 58 || (i > 0 && isDigit(c)))) return false;
  }
  return true;
}

/** `[a-zA-Z_][a-zA-Z0-9_]*` */
export function isValidLegacyLabelName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isAlpha(c) || (i > 0 && isDigit(c)))) return false;
  }
  return true;
}

/** A UTF-8 name is any non-empty string: ours come from UTF-8 decoding, so they are well-formed. */
export function isValidUtf8Name(name: string): boolean {
  return name.length > 0;
}
