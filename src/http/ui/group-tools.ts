/**
 * Per-group helpers of the UI page: the age of the last push as a short text ("3 min ago"), computed
 * when the page is rendered, and the copyable curl commands that push to a group and delete it, over the
 * group's `@base64` push URL (delete-url.ts), so they reach exactly that group whatever its values hold.
 */
import { htmlEscape } from '../respond.js';

/** "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago"; a negative age (clock skew) is "just now". */
export function pushAge(ageMs: number): string {
  const s = Math.floor(ageMs / 1000);
  if (s < 1) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A POSIX shell single-quoted word: a `'` inside becomes `'\''`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** The push command (one sample read from stdin) and the delete command for a group's absolute URL. */
export function curlCommandTexts(url: string): { push: string; delete: string } {
  const q = shellQuote(url);
  return { push: `echo 'metric 1' | curl --data-binary @- ${q}`, delete: `curl -X DELETE ${q}` };
}

/** The commands as a collapsed <details> block, each in a <pre> to select and copy. */
export function curlCommands(url: string): string {
  const c = curlCommandTexts(url);
  return (
    '<details class="curl"><summary>curl</summary>' +
    `<p>Push:</p><pre class="curl-push">${htmlEscape(c.push)}</pre>` +
    `<p>Delete:</p><pre class="curl-delete">${htmlEscape(c.delete)}</pre></details>\n`
  );
}
