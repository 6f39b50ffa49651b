/**
 * A process's CPU time from /proc (utime + stime), for the bench rows that judge a cost by CPU per request
 * rather than by req/s: on a shared 2-core machine req/s swings with the neighbours' load, CPU per request
 * far less.
 */
import { readFileSync } from 'node:fs';

/** CPU time of a process so far, in ms (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
