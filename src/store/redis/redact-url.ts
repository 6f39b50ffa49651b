/** A Redis URL as logs, the status page and /api/v1/status may show it: the password masked. */
export function redactUrl(url: string): string {
  if (url === '') return '';
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = 'xxxxx';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
