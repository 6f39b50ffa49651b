/**
 * Reads the credentials of an `Authorization: Basic …` header as Go's Request.BasicAuth does, since that is
 * what the reference's exporter-toolkit gate reads: the scheme name matched without regard to ASCII case,
 * exactly one space after it, standard base64 with its padding (no URL-safe alphabet, no missing `=`), and
 * the decoded text split at its first `:` (so a password may hold `:`, a user name may not).
 */

export interface BasicCredentials {
  /** The user name; undefined when its bytes are not UTF-8 (no configured name can then match). */
  user: string | undefined;
  /** The password; undefined when its bytes are not UTF-8 (our bcrypt takes text, see compatibility.md). */
  password: string | undefined;
}

const PREFIX = 'basic ';
/**
 * Go's base64.StdEncoding: groups of four, `=` padding only at the end (it skips \r and \n, which a
 * header value cannot hold). Unused bits in the last group are not checked, by Go nor by Buffer.
 */
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const COLON = 0x3a;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The header's credentials, or null when the header is absent or not Basic credentials Go would accept. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | null {
  if (header === undefined || header.length < PREFIX.length) return null;
  if (header.slice(0, PREFIX.length).toLowerCase() !== PREFIX) return null;
  const encoded = header.slice(PREFIX.length);
  if (!STD_BASE64.test(encoded)) return null;
  const decoded = Buffer.from(encoded, 'base64');
  const colon = decoded.indexOf(COLON);
  if (colon < 0) return null;
  return { user: utf8Text(decoded.subarray(0, colon)), password: utf8Text(decoded.subarray(colon + 1)) };
}

function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
