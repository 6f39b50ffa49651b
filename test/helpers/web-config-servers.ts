/**
 * Starts a real gateway, ours or the Debian reference, with a `--web.config.file` written by the test.
 * Such a gateway may answer only over TLS, only with credentials or only to a client certificate, so it is
 * ready when its port accepts a TCP connection (not when /-/healthy says 200, as servers.ts waits for).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, OUR_CLI, ourNodeFlags, REFERENCE_BIN, stopChild, type RunningGateway } from './servers.js';

export type GatewayKind = 'ours' | 'reference';

export interface WebConfigGateway extends RunningGateway {
  kind: GatewayKind;
  /** The web config file it was started with. */
  configFile: string;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Writes `yaml` as web.yml into `dir` (a fresh temp directory when absent, so relative certificate
 * names resolve against the directory holding them) and starts the gateway with it on a free port.
 * The URL is https:// when the file has a tls_server_config.
 */
export async function startWithWebConfig(
  kind: GatewayKind,
  yaml: string,
  opts: { dir?: string; args?: string[] } = {},
): Promise<WebConfigGateway> {
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'pgw-webcfg-'));
  const configFile = path.join(dir, `web-${kind}-${process.hrtime.bigint()}.yml`);
  writeFileSync(configFile, yaml);
  const port = await freePort();
  const common = [`--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${configFile}`, ...(opts.args ?? [])];
  const [cmd, args] =
    kind === 'ours'
      ? [process.execPath, [...ourNodeFlags(), OUR_CLI, ...common]]
      : [REFERENCE_BIN, ['--persistence.file=', ...common]];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}:\n${out}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not listen on ${port} within 15 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const scheme = /^tls_server_config\s*:/m.test(yaml) ? 'https' : 'http';
  return {
    kind,
    configFile,
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    process: child,
    output: () => out,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => stopChild(child, signal),
  };
}

/** A web config, as YAML lines, for the common shape of these tests: TLS, users and headers. */
export function webConfigYaml(parts: {
  tls?: Record<string, string | string[]>;
  users?: Record<string, string>;
  headers?: Record<string, string>;
}): string {
  const lines: string[] = [];
  const block = (name: string, entries: Record<string, string | string[]>, indent: string) => {
    lines.push(`${indent}${name}:`);
    for (const [k, v] of Object.entries(entries)) {
      if (Array.isArray(v)) lines.push(`${indent}  ${k}:`, ...v.map((x) => `${indent}    - ${JSON.stringify(x)}`));
      else lines.push(`${indent}  ${k}: ${JSON.stringify(v)}`);
    }
  };
  if (parts.tls !== undefined) block('tls_server_config', parts.tls, '');
  if (parts.users !== undefined) block('basic_auth_users', parts.users, '');
  if (parts.headers !== undefined) {
    lines.push('http_server_config:');
    block('headers', parts.headers, '  ');
  }
  return `${lines.join('\n')}\n`;
}
