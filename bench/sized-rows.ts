/**
 * Turns the two sides' store-size measurements into table rows (c, d, f, g), with p50 / p99 pairs for
 * latencies, the sample count when a side got fewer samples than the budget, and the reason a value
 * is missing.
 */
import { cell, missing, type Cell, type Direction, type Row } from './report.js';
import { mb, percentile, type SampleBudget } from './stats.js';
import { REFERENCE_E_MAX_SIZE, type SideResult, type SizeResult, type SizedPart } from './sized.js';
import { CONCURRENCY } from './throughput.js';

export function sizeLabel(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

type Pick = (r: SizeResult) => number[] | undefined;

function sideCell(side: SideResult, size: number, pick: Pick): Cell {
  const r = side.sizes.find((s) => s.size === size);
  if (r === undefined) return missing('not run');
  if (r.failed !== undefined) return missing(r.failed);
  const v = pick(r);
  if (v === undefined) return missing(r.error ?? 'n/a');
  return cell(v, r.error !== undefined ? `(${r.error})` : undefined);
}

/** [p50, p99] of samples, with "(n=3)" when fewer than the budget asked for. */
function latency(samples: number[] | undefined): number[] | undefined {
  if (samples === undefined || samples.length === 0) return undefined;
  return [percentile(samples, 0.5), percentile(samples, 0.99)];
}

function addNote(c: Cell, note: string | undefined): Cell {
  if (note === undefined || c.values.length === 0) return c;
  return { values: c.values, note: c.note === undefined ? note : `${c.note} ${note}` };
}

interface RowSpec {
  id: SizedPart;
  key: string;
  label: string;
  unit: string;
  better: Direction;
  pick: Pick;
  /** A remark for a measured cell, e.g. the sample count when the time budget cut it short. */
  note?: (r: SizeResult) => string | undefined;
}

function countNote(get: (r: SizeResult) => number[] | undefined, max: number): (r: SizeResult) => string | undefined {
  return (r) => {
    const n = get(r)?.length;
    return n !== undefined && n < max ? `(n=${n})` : undefined;
  };
}

function build(spec: RowSpec, ours: SideResult, ref: SideResult, size: number): Row {
  const one = (side: SideResult): Cell => {
    const c = sideCell(side, size, spec.pick);
    const r = side.sizes.find((s) => s.size === size);
    return spec.note === undefined || r === undefined ? c : addNote(c, spec.note(r));
  };
  return {
    id: spec.id,
    key: spec.key,
    label: spec.label,
    unit: spec.unit,
    better: spec.better,
    ours: one(ours),
    reference: one(ref),
  };
}

export function sizedRows(
  ours: SideResult,
  ref: SideResult,
  sizes: number[],
  parts: ReadonlySet<SizedPart>,
  scrape: SampleBudget,
  push: SampleBudget,
): Row[] {
  const rows: Row[] = [];
  const largest = sizes[sizes.length - 1]!;
  if (parts.has('c')) {
    for (const n of sizes) {
      const k = sizeLabel(n);
      const lat = (key: string, label: string, get: (r: SizeResult) => number[] | undefined): RowSpec => ({
        id: 'c',
        key: `c.${key}.${n}`,
        label: `c: ${label}, ${k} groups, p50 / p99`,
        unit: 'ms',
        better: 'lower',
        pick: (r) => latency(get(r)),
        note: countNote(get, scrape.max),
      });
      const specs: RowSpec[] = [
        {
          id: 'c',
          key: `c.first_scrape.${n}`,
          label: `c: first scrape after loading ${k} groups`,
          unit: 'ms',
          better: 'lower',
          pick: (r) => (r.firstScrapeMs === undefined ? undefined : [r.firstScrapeMs]),
        },
        {
          id: 'c',
          key: `c.first_scrape_gzip.${n}`,
          label: `c: first gzip scrape after that, ${k} groups`,
          unit: 'ms',
          better: 'lower',
          pick: (r) => (r.firstGzipScrapeMs === undefined ? undefined : [r.firstGzipScrapeMs]),
        },
        lat('after_write_plain', 'scrape after a re-push, plain', (r) => r.scrapeAfterWrite),
        lat('after_write_gzip', 'scrape after a re-push, gzip', (r) => r.gzipAfterWrite),
        lat('repeated_plain', 'repeated scrape, nothing changed, plain', (r) => r.repeated),
        lat('repeated_gzip', 'repeated scrape, nothing changed, gzip', (r) => r.repeatedGzip),
      ];
      for (const s of specs) rows.push(build(s, ours, ref, n));
    }
  }
  if (parts.has('d')) {
    const idle = (s: SideResult): Cell => (s.idleRss === undefined ? missing('n/a') : cell([mb(s.idleRss)]));
    rows.push({
      id: 'd',
      key: 'd.rss.idle',
      label: 'd: RSS idle',
      unit: 'MiB',
      better: 'lower',
      ours: idle(ours),
      reference: idle(ref),
    });
    for (const n of sizes) {
      const k = sizeLabel(n);
      rows.push(
        build(
          {
            id: 'd',
            key: `d.rss.loaded.${n}`,
            label: `d: RSS after loading ${k} groups`,
            unit: 'MiB',
            better: 'lower',
            pick: (r) => (r.rssAfterLoad === undefined ? undefined : [mb(r.rssAfterLoad)]),
          },
          ours,
          ref,
          n,
        ),
      );
      if (parts.has('c')) {
        rows.push(
          build(
            {
              id: 'd',
              key: `d.rss.scraped.${n}`,
              label: `d: RSS with ${k} groups after the scrapes`,
              unit: 'MiB',
              better: 'lower',
              pick: (r) => (r.rssAfterScrapes === undefined ? undefined : [mb(r.rssAfterScrapes)]),
            },
            ours,
            ref,
            n,
          ),
        );
      }
    }
  }
  if (parts.has('e')) {
    for (const n of sizes) {
      rows.push(
        build(
          {
            id: 'e',
            key: `e.req_per_s.${n}`,
            label: `e: checked PUT of new groups with ${sizeLabel(n)} groups stored, ${CONCURRENCY} conns`,
            unit: 'req/s',
            better: 'higher',
            pick: (r) => (r.newGroupPushes === undefined ? undefined : [r.newGroupPushes.perSecond]),
            note: (r) => {
              const p = r.newGroupPushes;
              if (p === undefined)
                return n > REFERENCE_E_MAX_SIZE
                  ? '(reference skipped: seconds per push at this size, see f)'
                  : undefined;
              return `(${p.requests} in the window${p.errors > 0 ? `, ${p.errors} errors: ${p.firstError}` : ''})`;
            },
          },
          ours,
          ref,
          n,
        ),
      );
    }
  }
  if (parts.has('f')) {
    for (const n of sizes) {
      rows.push(
        build(
          {
            id: 'f',
            key: `f.push.${n}`,
            label: `f: checked PUT of a new group at ${sizeLabel(n)} groups, sequential, p50 / p99`,
            unit: 'ms',
            better: 'lower',
            pick: (r) => latency(r.push),
            note: countNote((r) => r.push, push.max),
          },
          ours,
          ref,
          n,
        ),
      );
    }
  }
  if (parts.has('g')) {
    rows.push(
      build(
        {
          id: 'g',
          key: `g.healthy.${largest}`,
          label: `g: GET /-/healthy during a ${sizeLabel(largest)}-group scrape, p50 / max`,
          unit: 'ms',
          better: 'lower',
          pick: (r) =>
            r.health === undefined
              ? undefined
              : [percentile(r.health.latencies, 0.5), percentile(r.health.latencies, 1)],
          note: (r) =>
            r.health === undefined
              ? undefined
              : `(${r.health.latencies.length} probes in a ${r.health.scrapeMs.toFixed(0)} ms scrape)`,
        },
        ours,
        ref,
        largest,
      ),
    );
  }
  return rows;
}
