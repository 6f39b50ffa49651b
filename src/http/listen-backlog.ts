/**
 * The listen backlog, as Go's net package chooses it: the kernel's net.core.somaxconn (4096 on current
 * Linux) instead of Node's fixed 511. With 511, 5,000 clients connecting at once overflowed the accept
 * queue (the kernel drops SYNs, clients retry after a second) and took 5–6 s; the reference took ~1 s.
 */
import { readFileSync } from 'node:fs';

export const SOMAXCONN_PATH = '/proc/sys/net/core/somaxconn';
/** Node's default, used when the kernel does not say (not Linux, /proc not mounted). */
export const FALLBACK_BACKLOG = 511;
/** The kernel kept the backlog in 16 bits before Linux 4.1; Go caps there too on such kernels. */
export const MAX_BACKLOG = 65535;

/** The backlog for new listeners: somaxconn from `path`, else FALLBACK_BACKLOG; at most MAX_BACKLOG. */
export function listenBacklog(path = SOMAXCONN_PATH): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return FALLBACK_BACKLOG;
  }
  const field = text.trim().split(/\s+/, 1)[0] ?? '';
  if (!/^\d+$/.test(field)) return FALLBACK_BACKLOG;
  const n = Number(field);
  if (n === 0) return FALLBACK_BACKLOG;
  return Math.min(n, MAX_BACKLOG);
}
