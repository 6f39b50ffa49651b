/**
 * The push API URL of a group as the UI's "Delete group" button calls it: every value in the `@base64`
 * form (URL-safe alphabet, no padding), so values with `/` and empty values (written `=`, which the
 * router decodes to the empty string) survive the path, as the reference's page does. A label name that is
 * not a legacy name goes in the `U__` form the router unescapes with --push.enable-utf8-names.
 */
import { escapeName } from '../../model/names.js';

function b64(value: string): string {
  const s = Buffer.from(value, 'utf8').toString('base64url');
  return s === '' ? '=' : s;
}

/** `<base>/metrics/job@base64/<job>/<name>@base64/<value>…`, the other labels by name. */
export function groupPushUrl(base: string, labels: Readonly<Record<string, string>>): string {
  let url = `${base}/metrics/job@base64/${b64(labels.job ?? '')}`;
  for (const name of Object.keys(labels).sort()) {
    if (name === 'job') continue;
    url += `/${encodeURIComponent(escapeName(name, 'values'))}@base64/${b64(labels[name]!)}`;
  }
  return url;
}
