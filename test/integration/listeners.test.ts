/**
 * Where the gateway listens: several --web.listen-address at once (one store behind all of them), and
 * --web.systemd-socket, where it serves on sockets inherited from systemd (LISTEN_FDS/LISTEN_PID, from
 * file descriptor 3). The activation is reproduced for real: a listening socket is opened here, passed
 * as fd 3, and LISTEN_PID is set to the child's own pid by a shell that then execs node.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { listenBacklog } from '../../src/http/listen-backlog.js';
import { createServer, type Server } from 'node:net';
import { OUR_CLI, freePort, startOurs, startOursWith } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';

async function listeningSocket(backlog?: number): Promise<{ server: Server; port: number; fd: number }> {
  const server = createServer();
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', ...(backlog === undefined ? {} : { backlog }) }, resolve),
  );
  const port = (server.address() as { port: number }).port;
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  assert.ok(Number.isInteger(fd) && fd > 2, 'no file descriptor for the listening socket');
  return { server, port, fd };
}

/**
 * The backlog of the LISTEN socket on a loopback port, as `ss` shows it (Send-Q of a listening socket is
 * its backlog); undefined when iproute2 is missing.
 */
function listenQueue(port: number): number | undefined {
  const r = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8', timeout: 5_000 });
  if (r.error !== undefined) return undefined;
  const fields = r.stdout.trim().split(/\s+/);
  assert.equal(fields[0], 'LISTEN', `ss output: ${r.stdout}`);
  return Number(fields[2]);
}

const ssSkip = skipUnlessProgram('ss', 'apt-get install -y iproute2');

describe('listen backlog', () => {
  // Go listens with the kernel's somaxconn; Node would use 511.
  it('every --web.listen-address listens with somaxconn as its backlog', { skip: ssSkip }, async () => {
    const second = await freePort();
    const gw = await startOurs([`--web.listen-address=127.0.0.1:${second}`]);
    try {
      const want = listenBacklog();
      assert.notEqual(want, 511, "this machine's somaxconn is 511: the test cannot tell ours from Node's default");
      assert.equal(listenQueue(gw.port), want);
      assert.equal(listenQueue(second), want);
    } finally {
      await gw.stop();
    }
  });

  it('an inherited systemd socket gets the same backlog (Node issues listen() on it again)', {
    skip: ssSkip,
  }, async () => {
    const { server, port, fd } = await listeningSocket(7);
    assert.equal(listenQueue(port), 7);
    const script = `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`;
    const gw = await startOursWith('/bin/sh', ['-c', script, process.execPath, OUR_CLI, '--web.systemd-socket'], port, {
      extraFds: [fd],
      afterSpawn: () => server.close(),
    });
    try {
      assert.equal(listenQueue(port), listenBacklog());
    } finally {
      await gw.stop();
    }
  });
});

describe('listeners', () => {
  it('several --web.listen-address serve the same store', async () => {
    const second = await freePort();
    const gw = await startOurs([`--web.listen-address=127.0.0.1:${second}`]);
    try {
      const put = await fetch(`${gw.url}/metrics/job/multi`, { method: 'PUT', body: 'm 1\n' });
      assert.equal(put.status, 200);
      const other = await (await fetch(`http://127.0.0.1:${second}/metrics`)).text();
      assert.match(other, /^m\{instance="",job="multi"\} 1$/m);
      assert.match(gw.output(), new RegExp(`listening on" address=127\\.0\\.0\\.1:${second}`));
    } finally {
      await gw.stop();
    }
  });

  it('--web.systemd-socket serves on the inherited socket and ignores --web.listen-address', async () => {
    const { server, port, fd } = await listeningSocket();
    const unused = await freePort();
    const script = `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`;
    const gw = await startOursWith(
      '/bin/sh',
      ['-c', script, process.execPath, OUR_CLI, '--web.systemd-socket', `--web.listen-address=127.0.0.1:${unused}`],
      port,
      // The child holds its own copy of the socket once spawned; ours must not accept anything.
      { extraFds: [fd], afterSpawn: () => server.close() },
    );
    try {
      assert.equal((await fetch(`${gw.url}/metrics/job/activated`, { method: 'PUT', body: 'm 1\n' })).status, 200);
      assert.match(await (await fetch(`${gw.url}/metrics`)).text(), /job="activated"/);
      assert.match(gw.output(), /listening on a systemd socket" fd=3/);
      await assert.rejects(fetch(`http://127.0.0.1:${unused}/-/healthy`));
      const status = JSON.parse(await (await fetch(`${gw.url}/api/v1/status`)).text()) as {
        data: { flags: Record<string, string> };
      };
      assert.equal(status.data.flags['web.systemd-socket'], 'true');
    } finally {
      await gw.stop();
    }
  });

  it(
    '--web.systemd-socket serves on every inherited socket (LISTEN_FDS=2: fds 3 and 4), one store behind ' + 'both',
    async () => {
      const [a, b] = [await listeningSocket(), await listeningSocket()];
      const script = `LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" "$@"`;
      const gw = await startOursWith(
        '/bin/sh',
        ['-c', script, process.execPath, OUR_CLI, '--web.systemd-socket'],
        a.port,
        {
          extraFds: [a.fd, b.fd],
          afterSpawn: () => {
            a.server.close();
            b.server.close();
          },
        },
      );
      try {
        assert.equal(
          (await fetch(`http://127.0.0.1:${b.port}/metrics/job/second`, { method: 'PUT', body: 'm 2\n' })).status,
          200,
        );
        assert.match(
          await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text(),
          /^m\{instance="",job="second"\} 2$/m,
        );
        assert.match(gw.output(), /listening on a systemd socket" fd=3/);
        assert.match(gw.output(), /listening on a systemd socket" fd=4/);
      } finally {
        await gw.stop();
      }
    },
  );

  it('--web.systemd-socket without sockets from systemd is a clear error at start', () => {
    const env = { ...process.env };
    delete env.LISTEN_PID;
    delete env.LISTEN_FDS;
    const r = spawnSync(process.execPath, [OUR_CLI, '--web.systemd-socket'], {
      encoding: 'utf8',
      timeout: 10_000,
      env,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /no socket activation file descriptors found/);
    const other = spawnSync(process.execPath, [OUR_CLI, '--web.systemd-socket'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { ...env, LISTEN_PID: '1', LISTEN_FDS: '1' },
    });
    assert.equal(other.status, 1, other.stderr);
    assert.match(other.stderr, /LISTEN_PID=1 is not this process/);
  });
});
