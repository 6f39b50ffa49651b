/**
 * The soak's load: pushers (text, protobuf delimited, gzip-compressed text; PUT and POST), deleters,
 * scrapers (plain and gzip) and JSON API readers running concurrently against one gateway, and the ledger
 * of every group's last acknowledged operation that the end check compares the gateway's state with.
 * Operations on one group never overlap (a group is taken by one worker at a time), so "the last
 * acknowledged operation" of a group is well defined while all groups are hit concurrently.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { MetricFamily } from '../src/model/metric.js';
import { PROTOBUF_DELIMITED_CONTENT_TYPE, encodeDelimited } from '../src/format/protobuf.js';
import { send } from './soak-http.js';

export type PushFormat = 'text' | 'protobuf' | 'gzip';

/** What a group should hold: the last acknowledged push, or nothing after a delete. */
export type LastOp =
  | { kind: 'push'; seq: number; format: PushFormat; sentAtS: number; ackedAtS: number }
  | { kind: 'delete' };

export interface GroupSlot {
  busy: boolean;
  seq: number;
  /** undefined: never touched. */
  last?: LastOp;
  /** Its last operation failed: the state is unknown (and the run fails anyway). */
  unknown: boolean;
}

export interface Counts {
  pushes: number;
  deletes: number;
  scrapes: number;
  apiReads: number;
  /** Every failed operation, with what was answered. The first few are kept in `examples`. */
  failures: number;
  examples: string[];
}

export const JOB = 'soak';
export const SERIES_PER_PUSH = 10;
export const BUCKETS = [0.1, 1, 10];

/** The families of push number `seq` into group `g`; the same names and types for every format. */
export function pushFamilies(format: PushFormat, seq: number): MetricFamily[] {
  return [
    {
      name: 'soak_value',
      help: 'Sequence number of the last push.',
      type: 'GAUGE',
      metrics: [{ labels: [{ name: 'format', value: format }], value: seq }],
    },
    {
      name: 'soak_requests_total',
      help: 'Series per push.',
      type: 'COUNTER',
      metrics: Array.from({ length: SERIES_PER_PUSH }, (_, i) => ({
        labels: [{ name: 'i', value: String(i) }],
        value: seq + i,
      })),
    },
    {
      name: 'soak_latency_seconds',
      help: 'A classic histogram.',
      type: 'HISTOGRAM',
      metrics: [
        {
          labels: [],
          histogram: {
            sampleCount: 3 * seq,
            sampleSum: seq / 2,
            buckets: BUCKETS.map((upperBound, i) => ({ upperBound, cumulativeCount: (i + 1) * seq })),
          },
        },
      ],
    },
  ];
}

function pushText(format: PushFormat, seq: number): string {
  const lines = [
    '# HELP soak_value Sequence number of the last push.',
    '# TYPE soak_value gauge',
    `soak_value{format="${format}"} ${seq}`,
    '# HELP soak_requests_total Series per push.',
    '# TYPE soak_requests_total counter',
    ...Array.from({ length: SERIES_PER_PUSH }, (_, i) => `soak_requests_total{i="${i}"} ${seq + i}`),
    '# HELP soak_latency_seconds A classic histogram.',
    '# TYPE soak_latency_seconds histogram',
    ...BUCKETS.map((le, i) => `soak_latency_seconds_bucket{le="${le}"} ${(i + 1) * seq}`),
    `soak_latency_seconds_bucket{le="+Inf"} ${3 * seq}`,
    `soak_latency_seconds_sum ${seq / 2}`,
    `soak_latency_seconds_count ${3 * seq}`,
  ];
  return `${lines.join('\n')}\n`;
}

function pushRequest(format: PushFormat, seq: number): { headers: Record<string, string>; body: Buffer } {
  if (format === 'protobuf') {
    return {
      headers: { 'Content-Type': PROTOBUF_DELIMITED_CONTENT_TYPE },
      body: encodeDelimited(pushFamilies(format, seq)),
    };
  }
  const text = Buffer.from(pushText(format, seq));
  if (format === 'gzip')
    return {
      headers: { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Encoding': 'gzip' },
      body: gzipSync(text),
    };
  return { headers: { 'Content-Type': 'text/plain; version=0.0.4' }, body: text };
}

export function groupPath(g: number): string {
  return `/metrics/job/${JOB}/g/${g}`;
}

export class Traffic {
  readonly slots: GroupSlot[];
  readonly counts: Counts = { pushes: 0, deletes: 0, scrapes: 0, apiReads: 0, failures: 0, examples: [] };
  /** Largest nodejs_eventloop_lag_seconds (the gateway's mean delay per sampling period) seen in scrapes. */
  maxServerLagS = 0;
  private stopping = false;

  constructor(
    private readonly url: string,
    groups: number,
    private readonly pauseMs: number,
  ) {
    this.slots = Array.from({ length: groups }, (): GroupSlot => ({ busy: false, seq: 0, unknown: false }));
  }

  private fail(what: string): void {
    this.counts.failures++;
    if (this.counts.examples.length < 10) this.counts.examples.push(what);
  }

  /** Takes a random free group, or undefined when several tries found none free. */
  private take(): number | undefined {
    for (let tries = 0; tries < 8; tries++) {
      const g = Math.floor(Math.random() * this.slots.length);
      if (!this.slots[g]!.busy) {
        this.slots[g]!.busy = true;
        return g;
      }
    }
    return undefined;
  }

  private async push(format: PushFormat): Promise<void> {
    const g = this.take();
    if (g === undefined) return;
    const slot = this.slots[g]!;
    const seq = ++slot.seq;
    const { headers, body } = pushRequest(format, seq);
    const method = Math.random() < 0.5 ? 'PUT' : 'POST';
    const sentAtS = Date.now() / 1000;
    try {
      const res = await send(this.url + groupPath(g), method, headers, body);
      if (res.status !== 200) throw new Error(`${res.status} ${res.body.toString().slice(0, 200)}`);
      slot.last = { kind: 'push', seq, format, sentAtS, ackedAtS: Date.now() / 1000 };
      slot.unknown = false;
      this.counts.pushes++;
    } catch (err) {
      slot.unknown = true;
      this.fail(`${method} ${format} push to group ${g}: ${(err as Error).message}`);
    } finally {
      slot.busy = false;
    }
  }

  private async remove(): Promise<void> {
    const g = this.take();
    if (g === undefined) return;
    const slot = this.slots[g]!;
    try {
      const res = await send(this.url + groupPath(g), 'DELETE');
      if (res.status !== 202) throw new Error(`${res.status} ${res.body.toString().slice(0, 200)}`);
      slot.last = { kind: 'delete' };
      slot.unknown = false;
      this.counts.deletes++;
    } catch (err) {
      slot.unknown = true;
      this.fail(`DELETE group ${g}: ${(err as Error).message}`);
    } finally {
      slot.busy = false;
    }
  }

  private async scrape(gzip: boolean): Promise<void> {
    try {
      const res = await send(`${this.url}/metrics`, 'GET', gzip ? { 'Accept-Encoding': 'gzip' } : {});
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      const encoded = res.headers['content-encoding'] === 'gzip';
      if (encoded !== gzip)
        throw new Error(
          `Content-Encoding ${String(res.headers['content-encoding'])} for a ${gzip ? 'gzip' : 'plain'} scrape`,
        );
      const text = (encoded ? gunzipSync(res.body) : res.body).toString();
      const lag = /^nodejs_eventloop_lag_seconds (\S+)$/m.exec(text);
      if (lag === null) throw new Error('no nodejs_eventloop_lag_seconds in the scrape');
      this.maxServerLagS = Math.max(this.maxServerLagS, Number(lag[1]));
      this.counts.scrapes++;
    } catch (err) {
      this.fail(`${gzip ? 'gzip' : 'plain'} scrape: ${(err as Error).message}`);
    }
  }

  private async readApi(): Promise<void> {
    try {
      const res = await send(`${this.url}/api/v1/metrics`, 'GET');
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      const json = JSON.parse(res.body.toString()) as { status?: string; data?: unknown[] };
      if (json.status !== 'success' || !Array.isArray(json.data)) throw new Error('not a success answer');
      this.counts.apiReads++;
    } catch (err) {
      this.fail(`GET /api/v1/metrics: ${(err as Error).message}`);
    }
  }

  private async loop(op: () => Promise<void>): Promise<void> {
    while (!this.stopping) {
      await op();
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  /** Starts every worker; resolves once stop() was called and every operation in flight finished. */
  run(): Promise<void> {
    const workers: Array<() => Promise<void>> = [
      () => this.push('text'),
      () => this.push('text'),
      () => this.push('text'),
      () => this.push('protobuf'),
      () => this.push('protobuf'),
      () => this.push('gzip'),
      () => this.push('gzip'),
      () => this.remove(),
      () => this.scrape(false),
      () => this.scrape(true),
      () => this.readApi(),
    ];
    return Promise.all(workers.map((w) => this.loop(w))).then(() => undefined);
  }

  stop(): void {
    this.stopping = true;
  }
}
