/**
 * The two lifecycle request headers of a push (docs/lifecycle.md): `X-Pushgateway-TTL: <duration>` (how long
 * the group lives after its last successful push; `0` = never) and `X-Pushgateway-Interval: <duration>` (how
 * often the group is expected to push, for pushgateway_group_up). Durations in Go's syntax, as every flag's.
 * A bad value is refused with a 400 naming the header before the body is read, so nothing is stored.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseDurationNs } from '../config.js';
import { GatewayError, LifecycleHeaderError } from '../errors.js';

export const TTL_HEADER = 'X-Pushgateway-TTL';
export const INTERVAL_HEADER = 'X-Pushgateway-Interval';

/** What a push declared; a field is absent when its header was. */
export interface PushLifecycle {
  /** ms; 0 = never expire. */
  ttlMs?: number;
  /** ms, above 0. */
  intervalMs?: number;
}

/** What a push without either header declared. */
export const NO_LIFECYCLE: PushLifecycle = Object.freeze({});

/**
 * Values already parsed, per header: jobs send the same few durations on every push, and Go's duration
 * syntax costs a few µs to parse with BigInt arithmetic (a CPU profile of TTL'd pushes showed it beside the
 * lifecycle itself). Emptied when full, so any client's stream of distinct values keeps it bounded.
 */
const PARSED_MAX = 256;
const parsed = new Map<string, Map<string, number>>();

/** Node joins a header sent twice with ", ": such a value is refused as not one duration. */
function parseHeader(name: string, raw: string | string[] | undefined, zeroAllowed: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  let known = parsed.get(name);
  if (known === undefined) parsed.set(name, (known = new Map()));
  const hit = known.get(value);
  if (hit !== undefined) return hit;
  const ms = parseValue(name, value, zeroAllowed);
  if (known.size >= PARSED_MAX) known.clear();
  known.set(value, ms);
  return ms;
}

function parseValue(name: string, value: string, zeroAllowed: boolean): number {
  let ns: bigint;
  try {
    ns = parseDurationNs(value.trim());
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    throw new LifecycleHeaderError(name, value, err.message);
  }
  if (ns < 0n) throw new LifecycleHeaderError(name, value, 'the duration is negative');
  if (ns === 0n && !zeroAllowed) throw new LifecycleHeaderError(name, value, 'the interval must be above 0');
  return Number(ns) / 1e6;
}

/** The push's lifecycle headers; throws LifecycleHeaderError for a bad one. */
export function parsePushLifecycle(headers: IncomingHttpHeaders): PushLifecycle {
  const ttl = headers['x-pushgateway-ttl'];
  const interval = headers['x-pushgateway-interval'];
  if (ttl === undefined && interval === undefined) return NO_LIFECYCLE;
  const out: PushLifecycle = {};
  const ttlMs = parseHeader(TTL_HEADER, ttl, true);
  if (ttlMs !== undefined) out.ttlMs = ttlMs;
  const intervalMs = parseHeader(INTERVAL_HEADER, interval, false);
  if (intervalMs !== undefined) out.intervalMs = intervalMs;
  return out;
}
