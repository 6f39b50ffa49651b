/**
 * Bounded excerpts of client input for log lines. Error texts quote what was pushed (a 10 MB label name
 * comes back whole in a parse error), and a log line must not grow with the body: one bad push of
 * 10 MB wrote a 10.5 MB line. The response to the client keeps the full text; only logs are cut.
 */

/** How much of a client-controlled text one log field keeps (UTF-8 bytes). */
export const LOG_EXCERPT_BYTES = 512;

/**
 * `text` when it fits in `maxBytes` of UTF-8, else its longest prefix that does (never splitting a
 * character) followed by a note of how many bytes were cut.
 */
export function excerpt(text: string, maxBytes = LOG_EXCERPT_BYTES): string {
  // Fast path: no string of this many UTF-16 units can exceed the budget (at most 3 bytes per unit).
  if (text.length * 3 <= maxBytes) return text;
  const total = Buffer.byteLength(text);
  if (total <= maxBytes) return text;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length;
    const width = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + width > maxBytes) break;
    bytes += width;
    i += pair ? 2 : 1;
  }
  return `${text.slice(0, i)}… [${total - bytes} more bytes cut]`;
}
