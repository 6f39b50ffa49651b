/**
 * freePort() never hands one port to two servers: not twice in a process, not to two test processes
 * at once, and never from the kernel's ephemeral range (where a client socket could take it meanwhile).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { PROJECT_ROOT, freePort } from '../helpers/servers.js';

const HELPERS = pathToFileURL(path.join(PROJECT_ROOT, 'dist/test/helpers/servers.js')).href;

interface Other {
  ports: Promise<number[]>;
  release(): Promise<void>;
}

/**
 * Another process that takes `n` ports and keeps its reservations until released (a port a finished
 * process held may rightly be handed out again).
 */
function anotherProcess(n: number): Other {
  const script = `const { freePort } = await import(${JSON.stringify(HELPERS)});
    const ports = []; for (let i = 0; i < ${n}; i++) ports.push(await freePort());
    console.log(JSON.stringify(ports));
    process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    }),
  );
  let out = '';
  const ports = new Promise<number[]>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.endsWith('\n')) resolve(JSON.parse(out) as number[]);
    });
    void exited.then(() => reject(new Error(`exited before answering: ${out}`)));
  });
  return {
    ports,
    release: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

it('hands out distinct ports, below the ephemeral range, in this process and across processes', async () => {
  const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const others = [anotherProcess(150), anotherProcess(150)];
  const mine: number[] = [];
  let all: number[];
  try {
    for (let i = 0; i < 150; i++) mine.push(await freePort());
    all = [...mine, ...(await Promise.all(others.map((o) => o.ports))).flat()];
  } finally {
    await Promise.all(others.map((o) => o.release()));
  }
  assert.equal(all.length, 450);
  assert.equal(new Set(all).size, all.length, 'a port was handed out twice');
  for (const port of all) assert.ok(port >= 1024 && port < ephemeralLow!, `port ${port}`);
});
