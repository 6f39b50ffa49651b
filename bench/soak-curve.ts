/**
 * The soak's resource curve: the gateway's resident set (VmRSS) and open descriptors (/proc/<pid>/fd)
 * sampled every few seconds, printed as sparklines and a short table, and judged flat or not after warm-up.
 * Flat means the last third's maximum is within a tolerance of the second third's maximum: the first
 * third is warm-up (V8 growing its heap to the working set, the store filling up).
 */
import { readdirSync } from 'node:fs';
import { rssBytes } from './gateways.js';

export interface Point {
  atS: number;
  rss: number;
  fds: number;
}

export function samplePoint(pid: number, startedMs: number): Point {
  return { atS: (Date.now() - startedMs) / 1000, rss: rssBytes(pid), fds: readdirSync(`/proc/${pid}/fd`).length };
}

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => BARS[hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]).join('');
}

export interface Verdict {
  flat: boolean;
  text: string;
}

/** Flat when max(last third) ≤ max(second third) × (1 + relative) + absolute. */
export function judgeFlat(
  what: string,
  values: number[],
  relative: number,
  absolute: number,
  unit: (v: number) => string,
): Verdict {
  if (values.length < 6)
    return { flat: false, text: `${what}: only ${values.length} samples, too few to judge (run longer)` };
  const third = Math.floor(values.length / 3);
  const second = Math.max(...values.slice(third, 2 * third));
  const last = Math.max(...values.slice(2 * third));
  const bound = second * (1 + relative) + absolute;
  const flat = last <= bound;
  return {
    flat,
    text:
      `${what}: max of the second third ${unit(second)}, of the last third ${unit(last)}, bound ${unit(bound)}` +
      ` (+${(relative * 100).toFixed(0)}% +${unit(absolute)}) → ${flat ? 'FLAT' : 'GROWING'}`,
  };
}

export const mib = (v: number): string => `${(v / 1048576).toFixed(1)} MiB`;

/** Sparklines of both curves and a table of at most `rows` evenly spaced samples. */
export function renderCurve(points: Point[], rows = 12): string {
  const out = [
    `RSS  ${sparkline(points.map((p) => p.rss))}  ${mib(Math.min(...points.map((p) => p.rss)))} .. ` +
      `${mib(Math.max(...points.map((p) => p.rss)))}`,
    `fds  ${sparkline(points.map((p) => p.fds))}  ${Math.min(...points.map((p) => p.fds))} .. ` +
      `${Math.max(...points.map((p) => p.fds))}`,
    '',
    '     t (s)    RSS (MiB)   open fds',
  ];
  const step = Math.max(1, Math.ceil(points.length / rows));
  for (let i = 0; i < points.length; i += step) {
    const p = points[i]!;
    out.push(
      `${p.atS.toFixed(0).padStart(10)} ${(p.rss / 1048576).toFixed(1).padStart(12)} ${String(p.fds).padStart(10)}`,
    );
  }
  const lastP = points[points.length - 1]!;
  if ((points.length - 1) % step !== 0)
    out.push(
      `${lastP.atS.toFixed(0).padStart(10)} ${(lastP.rss / 1048576).toFixed(1).padStart(12)} ` +
        `${String(lastP.fds).padStart(10)}`,
    );
  return out.join('\n');
}
