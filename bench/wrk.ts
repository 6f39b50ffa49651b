/**
 * Closed-loop HTTP load from wrk (Debian's `wrk`, C, one thread). A load generator written in Node
 * tops out near 14k req/s on this 2-core machine (GET /-/healthy), below what either gateway can serve,
 * so the throughput rows would measure the generator; wrk drives ~50k req/s on the same machine and
 * leaves the gateway most of a core. Requests come from a generated Lua script: a fixed method, body
 * and Content-Type, and a path that is either fixed or `<prefix><n>` with n counting up from 1
 * (wrapping after `cycle`, when given), and optionally one fixed Authorization header. An https:// base is
 * served over TLS (Debian's wrk links OpenSSL; it does not verify the certificate), one handshake per
 * connection, then keep-alive.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const WRK_BIN = '/usr/bin/wrk';

export interface WrkLoad {
  method: 'GET' | 'PUT' | 'POST';
  /** A fixed path, or a prefix to which the request counter is appended. */
  path: string;
  counter?: { cycle?: number };
  body?: Buffer;
  contentType?: string;
  /** The same Authorization header value on every request (basic auth, cached by the gateway after the first). */
  authorization?: string;
  connections: number;
  durationMs: number;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Responses outside 2xx/3xx plus socket errors. */
  errors: number;
  firstError?: string;
}

/** Installs wrk from Debian if it is missing (the bench runs as root on the CI machine kind). */
export function ensureWrk(): void {
  if (spawnSync(WRK_BIN, ['--version']).error === undefined) return;
  const apt = spawnSync(
    'sh',
    ['-c', 'apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk)'],
    { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
  );
  if (apt.status !== 0 || spawnSync(WRK_BIN, ['--version']).error !== undefined) {
    throw new Error(`${WRK_BIN} is missing and could not be installed (apt-get install -y wrk)`);
  }
}

function lua(load: WrkLoad, bodyFile: string | undefined): string {
  // A JSON string literal is a valid Lua string literal here (ASCII).
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    bodyFile === undefined
      ? 'local body = nil'
      : `local f = assert(io.open(${q(bodyFile)}, "rb")); local body = f:read("*a"); f:close()`,
    `local headers = {}`,
    load.contentType === undefined ? '' : `headers["Content-Type"] = ${q(load.contentType)}`,
    load.authorization === undefined ? '' : `headers["Authorization"] = ${q(load.authorization)}`,
  ];
  if (load.counter === undefined) {
    // Built on first use: at load time wrk.headers has no Host yet, and a request without one is a 400.
    lines.push(
      'local req = nil',
      `request = function() if req == nil then req = wrk.format(${q(load.method)}, ${q(load.path)}, ` +
        `headers, body) end return req end`,
    );
  } else {
    const cycle = load.counter.cycle ?? 0;
    lines.push(
      'local n = 0',
      'request = function()',
      '  n = n + 1',
      cycle > 0 ? `  if n > ${cycle} then n = 1 end` : '',
      `  return wrk.format(${q(load.method)}, ${q(load.path)} .. tostring(n), headers, body)`,
      'end',
    );
  }
  return `${lines.filter((l) => l !== '').join('\n')}\n`;
}

function parse(out: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  if (total === null) throw new Error(`wrk printed no summary:\n${out}`);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[total[3] as 'us' | 'ms' | 's' | 'm'];
  const requests = Number(total[1]);
  const seconds = Number(total[2]) * unit;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock === null ? 0 : sock.slice(1).reduce((n, x) => n + Number(x), 0);
  const errors = non2xx + socketErrors;
  const firstError =
    errors === 0
      ? undefined
      : [non2xx > 0 ? `${non2xx} non-2xx responses` : '', sock !== null && socketErrors > 0 ? sock[0] : '']
          .filter(Boolean)
          .join(', ');
  return {
    requests,
    seconds,
    perSecond: requests / seconds,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Runs wrk against `base` with one thread; resolves with its counts. */
export async function runWrk(base: string, load: WrkLoad): Promise<WrkResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgts-wrk-'));
  try {
    let bodyFile: string | undefined;
    if (load.body !== undefined) {
      bodyFile = path.join(dir, 'body');
      writeFileSync(bodyFile, load.body);
    }
    const script = path.join(dir, 'load.lua');
    writeFileSync(script, lua(load, bodyFile));
    const args = [
      '-t1',
      `-c${load.connections}`,
      `-d${Math.max(1, Math.round(load.durationMs / 1000))}s`,
      '--timeout',
      '60s',
      '-s',
      script,
      base,
    ];
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(WRK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}:\n${text}`))));
    });
    return parse(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
