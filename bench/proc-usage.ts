// What the harness reads of another process (the peer, the exporter run as `s3prober run`) from
// /proc: CPU time and memory. Figures only.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: what /proc/<pid>/stat counts in on Linux

/** User and system CPU seconds of a process so far. */
export function cpuTimesOf(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name may hold spaces: fields count from after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND }; // utime, stime (fields 14, 15)
}

/** User + system CPU seconds of a process so far. */
export function cpuSecondsOf(pid: number): number {
  const t = cpuTimesOf(pid);
  return t.user + t.system;
}

export interface MemoryOf { rssMb: number; peakRssMb: number; anonMb: number }

/** Resident memory now, its high-water mark, and the anonymous part (heap, malloc, stacks). */
export function memoryOf(pid: number): MemoryOf {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024 };
}
