/**
 * Scenario t (issue 10, "Cost"): what TLS and basic auth from --web.config.file cost, with both sides
 * started on the same web config file:
 *   push rows — row a's workload (checked PUT of a 10-metric body to 10k groups round robin from an empty
 *     store, wrk, 50 keep-alive connections, a fresh gateway per run) over plain HTTP, over HTTPS, over
 *     HTTPS with basic auth, and over plain HTTP with basic auth. One user with a cost-10 bcrypt hash and the
 *     same credentials on every request: both sides cache the check, so only the first request pays bcrypt.
 *   scrape rows — repeated GET /metrics of 10k groups × 10 metrics (nothing changed between scrapes),
 *     plain and gzip, p50 / p99, over a keep-alive HTTPS agent and over plain HTTP, no auth.
 * The CA and server certificate are made at run time (test/helpers/certificates.ts, openssl, ECDSA
 * P-256); wrk and Node offer no ALPN here, so both sides serve HTTP/1.1 over TLS. The reference gets its 10k
 * groups as in sized.ts (an unchecked instance persists them to a file, the checked one under test starts
 * from it); ours is loaded through the connection under test.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { makeTestCertificates } from '../test/helpers/certificates.js';
import { SIDES, startGatewayWith, startReferenceOnFile, type Access, type Gateway, type Side } from './gateways.js';
import { keepAliveAgent, request, runLoad, type BenchRequest } from './load.js';
import { missing, cell, type Cell, type Row } from './report.js';
import { countingScrape } from './sized.js';
import { percentile, sampleLoop, type SampleBudget } from './stats.js';
import { CONCURRENCY, GROUPS, throughputSpecs, wrkCell } from './throughput.js';
import { pushToGroup } from './workload.js';
import { runWrk, type WrkResult } from './wrk.js';
import { authCpuRounds, medianCost } from './auth-cpu.js';

/** The store size of the scrape rows (the issue's "a scrape of 10k groups"). */
export const SCRAPE_GROUPS = 10_000;

const USER = 'bench';
const PASSWORD = 'bench-password';
const BCRYPT_COST = 10;

type Setup = 'http' | 'tls' | 'tls_auth' | 'auth';

const SETUP_LABEL: Record<Setup, string> = {
  http: 'plain HTTP',
  tls: 'HTTPS',
  tls_auth: 'HTTPS + basic auth',
  auth: 'plain HTTP + basic auth',
};

export interface TlsCostOptions {
  windowMs: number;
  rounds: number;
  scrapeBudget: SampleBudget;
  loadCapMs: number;
  tmpDir: string;
  log: (msg: string) => void;
}

interface Fixture {
  dir: string;
  tlsText: string;
  authText: string;
  ca: string;
  authorization: string;
  /** Per setup: the gateway flags (the web config file, when there is one) and how to reach it. */
  flags: Record<Setup, string[]>;
  access: Record<Setup, Access>;
}

/** Certificates, a bcrypt hash and the three web config files, in a temp directory. */
function makeFixture(): Fixture {
  const certs = makeTestCertificates('pgw-bench-tls-');
  const tls = `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n`;
  const auth = `basic_auth_users:\n  ${USER}: ${bcrypt.hashSync(PASSWORD, BCRYPT_COST)}\n`;
  const file = (name: string, text: string): string[] => {
    const p = path.join(certs.dir, name);
    writeFileSync(p, text);
    return [`--web.config.file=${p}`];
  };
  const ca = readFileSync(certs.caCert, 'utf8');
  const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  return {
    dir: certs.dir,
    tlsText: tls,
    authText: tls + auth,
    ca,
    authorization,
    flags: {
      http: [],
      tls: file('tls.yml', tls),
      tls_auth: file('tls-auth.yml', tls + auth),
      auth: file('auth.yml', auth),
    },
    access: { http: {}, tls: { ca }, tls_auth: { ca, authorization }, auth: { authorization } },
  };
}

/**
 * Rounds of the basic-auth row: windows with the same config swing ±40 % in CPU per push on this shared
 * 2-core machine, so the median of 5 paired rounds still moved by several percent between runs.
 */
const AUTH_ROUNDS = 9;

/** The basic-auth cost as CPU per push on one gateway, alternating rounds (auth-cpu.ts). */
async function authCpuRow(fx: Fixture, o: TlsCostOptions): Promise<Row> {
  const file = path.join(fx.dir, 'switched.yml');
  writeFileSync(file, fx.tlsText);
  const what = 't: basic auth (cached), CPU per checked push over HTTPS, with vs without';
  const label = `${what}, median of ${AUTH_ROUNDS} rounds`;
  const base = { id: 't', key: 't.auth_cpu', label, unit: '%', better: 'lower' as const, reference: missing('–') };
  let gw: Gateway | undefined;
  try {
    gw = await startGatewayWith('ours', [`--web.config.file=${file}`], { ca: fx.ca });
    const rounds = await authCpuRounds({ gw, file, ...fx, windowMs: o.windowMs, rounds: AUTH_ROUNDS });
    const note = rounds.map((r) => `${r.withoutUs.toFixed(0)}→${r.withUs.toFixed(0)} µs`).join(', ');
    return { ...base, ours: cell([medianCost(rounds) * 100], `(${note})`) };
  } catch (err) {
    return { ...base, ours: missing(why(err)) };
  } finally {
    await gw?.kill();
  }
}

/** First line of an error, short enough for a table cell. */
function why(err: unknown): string {
  const first = (err as Error).message.split('\n').find((l) => l.trim() !== '') ?? String(err);
  // A refused start reads "node exited with 1: pushgateway: error: <reason>": the reason is what matters.
  const short = first.replace(/^\S+ exited with (\d+): (pushgateway: error: )?/, 'exit $1: ');
  return `error: ${short.length > 90 ? `${short.slice(0, 87)}...` : short}`;
}

const PUSH_SETUPS: readonly Setup[] = ['http', 'tls', 'tls_auth', 'auth'];

export interface TlsCostResult {
  rows: Row[];
  push: Record<Setup, Record<Side, WrkResult[]>>;
  scrape: Record<string, Partial<Record<Side, number[]>>>;
}

async function pushRuns(fx: Fixture, setup: Setup, o: TlsCostOptions): Promise<Record<Side, WrkResult[] | string>> {
  const a = throughputSpecs().find((s) => s.id === 'a')!;
  const runs: Record<Side, WrkResult[] | string> = { ours: [], reference: [] };
  for (let round = 0; round < o.rounds; round++) {
    for (const side of SIDES) {
      const done = runs[side];
      if (typeof done === 'string') continue;
      let gw: Gateway | undefined;
      try {
        gw = await startGatewayWith(side, [...a.flags, ...fx.flags[setup]], fx.access[setup]);
        const auth = fx.access[setup].authorization;
        const r = await runWrk(gw.url, {
          ...a.load,
          ...(auth === undefined ? {} : { authorization: auth }),
          connections: CONCURRENCY,
          durationMs: o.windowMs,
        });
        done.push(r);
        o.log(
          `  t ${setup} ${side}: ${r.perSecond.toFixed(0)} req/s (${r.requests} in ${r.seconds.toFixed(1)} s` +
            `${r.errors > 0 ? `, ${r.errors} errors` : ''})`,
        );
      } catch (err) {
        runs[side] = why(err);
        o.log(`  t ${setup} ${side}: ${runs[side]}`);
      } finally {
        await gw?.kill();
      }
    }
  }
  return runs;
}

const GET_METRICS: BenchRequest = { method: 'GET', path: '/metrics' };
const GET_METRICS_GZIP: BenchRequest = { method: 'GET', path: '/metrics', headers: { 'Accept-Encoding': 'gzip' } };

/** Repeated scrapes, plain then gzip, on one keep-alive connection (its handshake done by a first scrape). */
async function scrapes(
  gw: Gateway,
  access: Access,
  budget: SampleBudget,
): Promise<{ plain: number[]; gzip: number[] }> {
  const base = new URL(gw.url);
  const agent = keepAliveAgent(1, access.ca);
  try {
    const first = await countingScrape(base, agent);
    if (first.groups < SCRAPE_GROUPS) throw new Error(`scrape saw ${first.groups} groups, not ${SCRAPE_GROUPS}`);
    const once = async (req: BenchRequest): Promise<number> => {
      const res = await request(base, agent, req);
      if (res.status !== 200) throw new Error(`scrape: HTTP ${res.status}`);
      return res.ms;
    };
    const plain = await sampleLoop(budget, () => once(GET_METRICS));
    await once(GET_METRICS_GZIP);
    const gzip = await sampleLoop(budget, () => once(GET_METRICS_GZIP));
    return { plain, gzip };
  } finally {
    agent.destroy();
  }
}

type ScrapeSide = Partial<Record<'tls' | 'http', { plain: number[]; gzip: number[] } | string>>;

async function loadOurs(gw: Gateway, access: Access, capMs: number): Promise<void> {
  const r = await runLoad(new URL(gw.url), {
    concurrency: CONCURRENCY,
    durationMs: capMs,
    maxRequests: SCRAPE_GROUPS,
    expect: [200],
    make: (i) => pushToGroup('PUT', `i${i}`, i),
    ...(access.ca === undefined ? {} : { ca: access.ca }),
  });
  if (r.errors > 0) throw new Error(`loading: ${r.errors} failed pushes, first: ${r.firstError}`);
  if (r.requests < SCRAPE_GROUPS) throw new Error(`loading took > ${capMs / 1000} s`);
}

async function oursScrapes(fx: Fixture, o: TlsCostOptions): Promise<ScrapeSide> {
  const out: ScrapeSide = {};
  for (const setup of ['tls', 'http'] as const) {
    let gw: Gateway | undefined;
    try {
      gw = await startGatewayWith('ours', fx.flags[setup], fx.access[setup]);
      await loadOurs(gw, fx.access[setup], o.loadCapMs);
      out[setup] = await scrapes(gw, fx.access[setup], o.scrapeBudget);
      o.log(`  t scrape ${setup} ours: done`);
    } catch (err) {
      out[setup] = why(err);
      o.log(`  t scrape ${setup} ours: ${out[setup]}`);
    } finally {
      await gw?.kill();
    }
  }
  return out;
}

async function referenceScrapes(fx: Fixture, o: TlsCostOptions): Promise<ScrapeSide> {
  const out: ScrapeSide = {};
  const file = path.join(o.tmpDir, `reference-bench-tls-${process.pid}.db`);
  rmSync(file, { force: true });
  try {
    const loader = await startReferenceOnFile(file, ['--push.disable-consistency-check'], 300_000);
    try {
      const r = await runLoad(new URL(loader.url), {
        concurrency: CONCURRENCY,
        durationMs: o.loadCapMs,
        maxRequests: SCRAPE_GROUPS,
        expect: [202],
        make: (i) => pushToGroup('PUT', `i${i}`, i),
      });
      if (r.errors > 0 || r.requests < SCRAPE_GROUPS) throw new Error(`loading: ${r.firstError ?? 'too slow'}`);
    } finally {
      await loader.shutdown(300_000); // SIGTERM writes the file
    }
    for (const setup of ['tls', 'http'] as const) {
      let gw: Gateway | undefined;
      try {
        gw = await startReferenceOnFile(file, fx.flags[setup], 300_000, fx.access[setup]);
        out[setup] = await scrapes(gw, fx.access[setup], o.scrapeBudget);
        o.log(`  t scrape ${setup} reference: done`);
      } catch (err) {
        out[setup] = why(err);
        o.log(`  t scrape ${setup} reference: ${out[setup]}`);
      } finally {
        await gw?.kill(); // SIGKILL leaves the file as loaded for the next setup
      }
    }
  } catch (err) {
    for (const setup of ['tls', 'http'] as const) out[setup] ??= why(err);
  } finally {
    rmSync(file, { force: true });
  }
  return out;
}

function pushCell(runs: WrkResult[] | string): Cell {
  if (typeof runs === 'string') return missing(runs);
  return runs.length > 0 ? wrkCell(runs) : missing('n/a');
}

function latencyCell(s: ScrapeSide, setup: 'tls' | 'http', kind: 'plain' | 'gzip', max: number): Cell {
  const v = s[setup];
  if (v === undefined) return missing('not run');
  if (typeof v === 'string') return missing(v);
  const xs = v[kind];
  return cell([percentile(xs, 0.5), percentile(xs, 0.99)], xs.length < max ? `(n=${xs.length})` : undefined);
}

/** Runs scenario t on both sides and returns its rows (keys t.push.<setup>, t.scrape.<setup>_<kind>.10000). */
export async function runTlsCost(o: TlsCostOptions): Promise<TlsCostResult> {
  const fx = makeFixture();
  try {
    const rows: Row[] = [];
    const push = {} as TlsCostResult['push'];
    for (const setup of PUSH_SETUPS) {
      o.log(`scenario t: pushes, ${SETUP_LABEL[setup]}`);
      const runs = await pushRuns(fx, setup, o);
      push[setup] = {
        ours: typeof runs.ours === 'string' ? [] : runs.ours,
        reference: typeof runs.reference === 'string' ? [] : runs.reference,
      };
      rows.push({
        id: 't',
        key: `t.push.${setup}`,
        label: `t: row a (checked PUT, ${GROUPS / 1000}k groups, ${CONCURRENCY} conns) over ${SETUP_LABEL[setup]}`,
        unit: 'req/s',
        better: 'higher',
        ours: pushCell(runs.ours),
        reference: pushCell(runs.reference),
      });
    }
    o.log('scenario t: basic auth, CPU per push with and without it on one gateway');
    rows.push(await authCpuRow(fx, o));
    o.log('scenario t: scrapes of 10k groups, ours');
    const ours = await oursScrapes(fx, o);
    o.log('scenario t: scrapes of 10k groups, reference');
    const reference = await referenceScrapes(fx, o);
    const scrape: TlsCostResult['scrape'] = {};
    for (const setup of ['tls', 'http'] as const) {
      for (const kind of ['plain', 'gzip'] as const) {
        const pick = (s: ScrapeSide): number[] | undefined => {
          const v = s[setup];
          return typeof v === 'object' ? v[kind] : undefined;
        };
        const raw: Partial<Record<Side, number[]>> = {};
        const po = pick(ours);
        const pr = pick(reference);
        if (po !== undefined) raw.ours = po;
        if (pr !== undefined) raw.reference = pr;
        scrape[`${setup}_${kind}`] = raw;
        rows.push({
          id: 't',
          key: `t.scrape.${setup}_${kind}.${SCRAPE_GROUPS}`,
          label: `t: repeated scrape of ${SCRAPE_GROUPS / 1000}k groups over ${SETUP_LABEL[setup]}, ${kind}`,
          unit: 'ms',
          better: 'lower',
          ours: latencyCell(ours, setup, kind, o.scrapeBudget.max),
          reference: latencyCell(reference, setup, kind, o.scrapeBudget.max),
        });
      }
    }
    return { rows, push, scrape };
  } finally {
    rmSync(fx.dir, { recursive: true, force: true });
  }
}
