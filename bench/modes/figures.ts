// What a worker reads of its own process: CPU, memory, open fds, event-loop delay.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export const ms = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
export const msAll = (xs: number[]) => xs.map((x) => x * 1000);
export const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
export const mb = (bytes: number) => bytes / 1048576;
export const fdCount = () => readdirSync('/proc/self/fd').length;
/** Where the RSS goes: V8 heap, off-heap (Buffers), the rest is code, stacks, allocator slack. */
export const memory = () => {
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapTotalMb: mb(m.heapTotal), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
};
export const peakRssMb = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

const ELD_RESOLUTION_MS = 10;
/** An event-loop delay histogram, recording from now on. */
export function eld(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  h.enable();
  return h;
}
// The histogram records the whole interval between its samples (an idle loop reads ~10 ms):
// the delay is what exceeds the sampling resolution.
export const eldMs = (h: IntervalHistogram) => {
  const d = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
  return { p50: d(h.percentile(50)), p99: d(h.percentile(99)), max: d(h.max) };
};
