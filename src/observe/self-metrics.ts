/**
 * The gateway's own metrics: pushgateway_* as the reference exposes them, process_* like client_golang's
 * process collector, and nodejs_* in place of go_*. They are produced in the one metric model so they
 * merge with pushed families and take part in the consistency check exactly like the reference's.
 * Process gauges are sampled at most once per second so a repeated scrape can be served from cache.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MetricFamily, MetricType } from '../model/metric.js';
import { VERSION, REVISION, BRANCH } from '../version.js';

export const OWN_TYPES: ReadonlyMap<string, MetricType> = new Map<string, MetricType>([
  ['nodejs_eventloop_lag_seconds', 'GAUGE'],
  ['nodejs_eventloop_lag_max_seconds', 'GAUGE'],
  ['nodejs_external_memory_bytes', 'GAUGE'],
  ['nodejs_heap_size_total_bytes', 'GAUGE'],
  ['nodejs_heap_size_used_bytes', 'GAUGE'],
  ['nodejs_version_info', 'GAUGE'],
  ['process_cpu_seconds_total', 'COUNTER'],
  ['process_max_fds', 'GAUGE'],
  ['process_network_receive_bytes_total', 'COUNTER'],
  ['process_network_transmit_bytes_total', 'COUNTER'],
  ['process_open_fds', 'GAUGE'],
  ['process_resident_memory_bytes', 'GAUGE'],
  ['process_start_time_seconds', 'GAUGE'],
  ['process_virtual_memory_bytes', 'GAUGE'],
  ['process_virtual_memory_max_bytes', 'GAUGE'],
  ['pushgateway_build_info', 'GAUGE'],
  ['pushgateway_group_up', 'GAUGE'],
  ['pushgateway_groups_expired_total', 'COUNTER'],
  ['pushgateway_http_push_duration_seconds', 'SUMMARY'],
  ['pushgateway_http_push_size_bytes', 'SUMMARY'],
  ['pushgateway_http_requests_total', 'COUNTER'],
  ['pushgateway_push_rejections_total', 'COUNTER'],
  // Only with the Redis store (store/redis/redis-writer.ts).
  ['pushgateway_store_log_entries_applied_total', 'COUNTER'],
  ['pushgateway_store_log_last_applied_timestamp_seconds', 'GAUGE'],
  ['pushgateway_store_replication_lag_entries', 'GAUGE'],
  ['pushgateway_store_snapshot_restores_total', 'COUNTER'],
  ['pushgateway_store_snapshots_written_total', 'COUNTER'],
  ['pushgateway_store_up', 'GAUGE'],
]);

const REQUESTS_HELP = 'Total HTTP requests processed by the Pushgateway, excluding scrapes.';
const DURATION_HELP = 'HTTP request duration for pushes to the Pushgateway.';
const SIZE_HELP = 'HTTP request size for pushes to the Pushgateway.';
const REJECTIONS_HELP =
  'Pushes refused by a limit of this gateway (not in the reference), by the limit: ' +
  'memory_limit (--store.memory-limit, 507), body_memory_limit (--push.body-memory-limit, 503), ' +
  'sample_limit, label_limit, ' +
  'label_name_length_limit, label_value_length_limit (the --push.*-limit flags, 400).';

const EXPIRED_HELP =
  'Groups deleted because their last successful push was older than their TTL (--push.group-ttl or ' +
  'X-Pushgateway-TTL; not in the reference).';

/**
 * Own families whose HELP a pushed family of the same name must repeat exactly. The reference replaces
 * the HELP of a pushed family only for the own families that exist when its store is created (build
 * info, go_*, process_*); its HTTP vectors appear later, so for them client_golang's Gatherers.Gather
 * reports `has help "…" but should have "…"`, at push time or, before their first observation, at every
 * scrape afterwards. Ours rejects the push either way.
 */
export const OWN_STRICT_HELP: ReadonlyMap<string, string> = new Map([
  ['pushgateway_http_push_duration_seconds', DURATION_HELP],
  ['pushgateway_http_push_size_bytes', SIZE_HELP],
  ['pushgateway_http_requests_total', REQUESTS_HELP],
]);

const QUANTILES = [0.1, 0.5, 0.9];
const WINDOW_MS = 10 * 60 * 1000; // client_golang's default summary MaxAge
const RESERVOIR = 512;

/** A summary over a sliding 10-minute window of the most recent observations. */
class WindowSummary {
  private readonly values: number[] = [];
  private readonly times: number[] = [];
  private next = 0;
  count = 0;
  sum = 0;

  observe(v: number, now: number): void {
    this.count++;
    this.sum += v;
    if (this.values.length < RESERVOIR) {
      this.values.push(v);
      this.times.push(now);
    } else {
      this.values[this.next] = v;
      this.times[this.next] = now;
      this.next = (this.next + 1) % RESERVOIR;
    }
  }

  quantiles(now: number): { quantile: number; value: number }[] {
    const live = this.values.filter((_, i) => now - this.times[i]! <= WINDOW_MS).sort((a, b) => a - b);
    return QUANTILES.map((q) => ({
      quantile: q,
      value: live.length === 0 ? NaN : live[Math.min(live.length - 1, Math.floor(q * live.length))]!,
    }));
  }
}

export class SelfMetrics {
  private readonly requests = new Map<string, { code: string; handler: string; method: string; n: number }>();
  private readonly durations = new Map<string, WindowSummary>();
  private readonly sizes = new Map<string, WindowSummary>();
  private readonly rejections = new Map<string, number>();
  /** Groups expired; exposed from the start with --push.group-ttl, else after the first expiry. */
  private expired = 0;
  private expiryEnabled = false;
  private readonly startTime = Date.now() / 1000;
  private readonly lag = monitorEventLoopDelay({ resolution: 20 });
  private processSample: { at: number; families: MetricFamily[] } | null = null;
  private maxFds: number | undefined;
  /** Changes whenever a counted event happens; part of the scrape cache key. */
  version = 0;
  /** Families of other parts (the Redis store's), collected with ours; sampled like the process's. */
  private readonly collectors: Array<() => MetricFamily[]> = [];

  constructor() {
    this.lag.enable();
  }

  countRequest(code: number, handler: string, method: string): void {
    const key = `${code}\xff${handler}\xff${method}`;
    const entry = this.requests.get(key);
    if (entry !== undefined) entry.n++;
    else this.requests.set(key, { code: String(code), handler, method: method.toLowerCase(), n: 1 });
    this.version++;
  }

  observePush(method: string, seconds: number, sizeBytes: number): void {
    const m = method.toLowerCase();
    const now = Date.now();
    let d = this.durations.get(m);
    if (d === undefined) this.durations.set(m, (d = new WindowSummary()));
    d.observe(seconds, now);
    let s = this.sizes.get(m);
    if (s === undefined) this.sizes.set(m, (s = new WindowSummary()));
    s.observe(sizeBytes, now);
    this.version++;
  }

  /** A push refused by one of our limits; `reason` names the limit (memory_limit, sample_limit, …). */
  countRejection(reason: string): void {
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
    this.version++;
  }

  /** Adds families collected at every scrape (at most once a second, like the process gauges). */
  addCollector(collect: () => MetricFamily[]): void {
    this.collectors.push(collect);
    this.version++;
  }

  /** --push.group-ttl is set: pushgateway_groups_expired_total is exposed from the start, at 0. */
  enableExpiryCounter(): void {
    this.expiryEnabled = true;
    this.version++;
  }

  countExpired(n: number): void {
    this.expired += n;
    this.version++;
  }

  get expiredCount(): number {
    return this.expired;
  }

  /** Refusals counted so far for a reason (tests, logs). */
  rejectionCount(reason: string): number {
    return this.rejections.get(reason) ?? 0;
  }

  /** Seconds bucket of the process sample: the scrape cache is valid while it does not change. */
  sampleEpoch(now = Date.now()): number {
    return Math.floor(now / 1000);
  }

  /** Own families, sorted by name. Vector metrics appear only after their first observation. */
  collect(now = Date.now()): MetricFamily[] {
    const families: MetricFamily[] = [...this.processFamilies(now)];
    families.push({
      name: 'pushgateway_build_info',
      help:
        'Constant 1, labelled with the version, revision and branch this gateway was built from and the ' +
        'runtime it runs on.',
      type: 'GAUGE',
      metrics: [
        {
          labels: [
            { name: 'branch', value: BRANCH },
            { name: 'goarch', value: goArch() },
            { name: 'goos', value: process.platform },
            { name: 'goversion', value: `node${process.versions.node}` },
            { name: 'revision', value: REVISION },
            { name: 'tags', value: 'nodejs' },
            { name: 'version', value: VERSION },
          ],
          value: 1,
        },
      ],
    });
    if (this.requests.size > 0) {
      families.push({
        name: 'pushgateway_http_requests_total',
        help: REQUESTS_HELP,
        type: 'COUNTER',
        // client_golang sorts a family's series by label values; code, handler, method is that order.
        metrics: [...this.requests.values()]
          .sort((a, b) => compareTuples([a.code, a.handler, a.method], [b.code, b.handler, b.method]))
          .map((r) => ({
            labels: [
              { name: 'code', value: r.code },
              { name: 'handler', value: r.handler },
              { name: 'method', value: r.method },
            ],
            value: r.n,
          })),
      });
    }
    if (this.durations.size > 0) {
      families.push(summaryFamily('pushgateway_http_push_duration_seconds', DURATION_HELP, this.durations, now));
      families.push(summaryFamily('pushgateway_http_push_size_bytes', SIZE_HELP, this.sizes, now));
    }
    if (this.rejections.size > 0) {
      families.push({
        name: 'pushgateway_push_rejections_total',
        help: REJECTIONS_HELP,
        type: 'COUNTER',
        metrics: [...this.rejections.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([reason, n]) => ({ labels: [{ name: 'reason', value: reason }], value: n })),
      });
    }
    for (const collect of this.collectors) families.push(...collect());
    if (this.expiryEnabled || this.expired > 0) {
      families.push({
        name: 'pushgateway_groups_expired_total',
        help: EXPIRED_HELP,
        type: 'COUNTER',
        metrics: [{ labels: [], value: this.expired }],
      });
    }
    return families.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private processFamilies(now: number): MetricFamily[] {
    if (this.processSample !== null && Math.floor(this.processSample.at / 1000) === Math.floor(now / 1000)) {
      return this.processSample.families;
    }
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const { vsize, openFds } = readProc();
    this.maxFds ??= readMaxFds();
    const gauge = (name: string, help: string, value: number): MetricFamily => ({
      name,
      help,
      type: 'GAUGE',
      metrics: [{ labels: [], value }],
    });
    const families: MetricFamily[] = [
      gauge(
        'nodejs_eventloop_lag_seconds',
        'Mean event loop delay in seconds over the last sampling period.',
        Number.isFinite(this.lag.mean) ? this.lag.mean / 1e9 : 0,
      ),
      // The longest pause since the last sample: what a stall costs the other clients (prom-client's name).
      gauge(
        'nodejs_eventloop_lag_max_seconds',
        'Maximum event loop delay in seconds over the last sampling period.',
        this.lag.count > 0 ? this.lag.max / 1e9 : 0,
      ),
      gauge(
        'nodejs_external_memory_bytes',
        'Memory used by C++ objects bound to JavaScript objects, in bytes.',
        mem.external,
      ),
      gauge('nodejs_heap_size_total_bytes', 'Total size of the V8 heap in bytes.', mem.heapTotal),
      gauge('nodejs_heap_size_used_bytes', 'Used size of the V8 heap in bytes.', mem.heapUsed),
      {
        name: 'nodejs_version_info',
        help: 'Node.js version info.',
        type: 'GAUGE',
        metrics: [
          {
            labels: [
              { name: 'major', value: process.versions.node.split('.')[0]! },
              { name: 'minor', value: process.versions.node.split('.')[1]! },
              { name: 'patch', value: process.versions.node.split('.')[2]! },
              { name: 'version', value: process.version },
            ],
            value: 1,
          },
        ],
      },
      {
        name: 'process_cpu_seconds_total',
        help: 'Total user and system CPU time spent in seconds.',
        type: 'COUNTER',
        metrics: [{ labels: [], value: (cpu.user + cpu.system) / 1e6 }],
      },
    ];
    if (this.maxFds !== undefined) {
      families.push(gauge('process_max_fds', 'Maximum number of open file descriptors.', this.maxFds));
    }
    const net = readNetOctets();
    if (net !== undefined) {
      const counter = (name: string, help: string, value: number): MetricFamily => ({
        name,
        help,
        type: 'COUNTER',
        metrics: [{ labels: [], value }],
      });
      families.push(
        counter(
          'process_network_receive_bytes_total',
          'Number of bytes received by the process over the network.',
          net.in,
        ),
      );
      families.push(
        counter(
          'process_network_transmit_bytes_total',
          'Number of bytes sent by the process over the network.',
          net.out,
        ),
      );
    }
    if (openFds !== undefined) families.push(gauge('process_open_fds', 'Number of open file descriptors.', openFds));
    families.push(gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss));
    families.push(
      gauge(
        'process_start_time_seconds',
        'Start time of the process since unix epoch in seconds.',
        Math.floor(this.startTime),
      ),
    );
    if (vsize !== undefined)
      families.push(gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', vsize));
    families.push(
      gauge('process_virtual_memory_max_bytes', 'Maximum amount of virtual memory available in bytes.', -1),
    );
    this.lag.reset();
    this.processSample = { at: now, families };
    return families;
  }
}

function summaryFamily(name: string, help: string, byMethod: Map<string, WindowSummary>, now: number): MetricFamily {
  return {
    name,
    help,
    type: 'SUMMARY',
    metrics: [...byMethod.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([method, s]) => ({
        labels: [{ name: 'method', value: method }],
        summary: { sampleCount: s.count, sampleSum: s.sum, quantiles: s.quantiles(now) },
      })),
  };
}

function compareTuples(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
}

function readProc(): { vsize?: number; openFds?: number } {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { vsize: Number(fields[20]), openFds: readdirSync('/proc/self/fd').length };
  } catch {
    return {};
  }
}

/**
 * client_golang 1.20+ (the reference 1.11's process collector) on Linux: IpExt InOctets and OutOctets of
 * /proc/<pid>/net/netstat. Left out when the file cannot be read, as Go does.
 */
function readNetOctets(): { in: number; out: number } | undefined {
  try {
    const lines = readFileSync('/proc/self/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('IpExt:'));
    if (lines.length < 2) return undefined;
    const names = lines[0]!.split(' ');
    const values = lines[1]!.split(' ');
    const field = (n: string): number => {
      const i = names.indexOf(n);
      return i < 0 ? 0 : Number(values[i]);
    };
    return { in: field('InOctets'), out: field('OutOctets') };
  } catch {
    return undefined;
  }
}

function readMaxFds(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}
