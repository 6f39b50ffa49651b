/**
 * systemd socket activation (--web.systemd-socket), as sd_listen_fds(3) and the reference's
 * exporter-toolkit (coreos/go-systemd activation) read it: LISTEN_PID must be our pid, LISTEN_FDS says
 * how many sockets were passed, starting at file descriptor 3. The variables are removed afterwards so
 * child processes do not take the sockets for theirs.
 */
import { SystemdSocketError } from '../errors.js';

export const SD_LISTEN_FDS_START = 3;

export function systemdListenFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number[] {
  const pidText = env.LISTEN_PID;
  const countText = env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (pidText === undefined || countText === undefined) {
    throw new SystemdSocketError(
      '--web.systemd-socket: no socket activation file descriptors found ' +
        '(LISTEN_PID/LISTEN_FDS are not set; start the gateway from a systemd .socket unit)',
    );
  }
  if (!/^\d+$/.test(pidText) || Number(pidText) !== pid) {
    throw new SystemdSocketError(
      `--web.systemd-socket: LISTEN_PID=${pidText} is not this process (${pid}); ` +
        'the sockets are meant for another process',
    );
  }
  if (!/^\d+$/.test(countText) || Number(countText) < 1) {
    throw new SystemdSocketError(
      `--web.systemd-socket: no socket activation file descriptors found (LISTEN_FDS=${countText})`,
    );
  }
  const n = Number(countText);
  return Array.from({ length: n }, (_, i) => SD_LISTEN_FDS_START + i);
}
