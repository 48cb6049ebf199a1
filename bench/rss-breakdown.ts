// Where a worker's resident memory is, at the highest RSS seen while sampled: node's own binary
// (file-backed text and read-only data: shared, and the same before any target), other mapped
// files (libraries, the eBPF addon), the V8 heap by space, and the rest of the anonymous memory
// (malloc, thread stacks, Buffers' backing stores). BENCHMARKS.md's RSS explanation comes from it.
import { readFileSync, realpathSync } from 'node:fs';
import v8 from 'node:v8';

export interface RssBreakdown {
  rssMb: number;
  nodeBinaryMb: number;
  otherFilesMb: number;
  anonymousMb: number;
  v8HeapMb: number;
  /** physical size of each V8 space with more than 0.1 MB, e.g. new_space, old_space, code_space */
  v8SpacesMb: Record<string, number>;
  /** anonymous memory outside the V8 heap: malloc (incl. Buffers), stacks */
  offHeapAnonymousMb: number;
}

const MB = 1024 * 1024;
const round = (x: number) => Math.round(x * 10) / 10;

function sample(nodeBinary: string): RssBreakdown {
  let binary = 0;
  let files = 0;
  let anon = 0;
  let current: 'binary' | 'file' | 'anon' = 'anon';
  // /proc/self/smaps: a mapping's header line ("start-end perms offset dev inode [path]"), then its fields
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const p = header[1]!;
      current = p === nodeBinary ? 'binary' : p.startsWith('/') && !p.startsWith('/memfd:') ? 'file' : 'anon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (!rss) continue;
    const kb = Number(rss[1]);
    if (current === 'binary') binary += kb;
    else if (current === 'file') files += kb;
    else anon += kb;
  }
  const spaces: Record<string, number> = {};
  let heap = 0;
  for (const s of v8.getHeapSpaceStatistics()) {
    heap += s.physical_space_size;
    if (s.physical_space_size > 0.1 * MB) spaces[s.space_name] = round(s.physical_space_size / MB);
  }
  const kbMb = (kb: number) => round(kb / 1024);
  return {
    rssMb: kbMb(binary + files + anon), nodeBinaryMb: kbMb(binary), otherFilesMb: kbMb(files), anonymousMb: kbMb(anon),
    v8HeapMb: round(heap / MB), v8SpacesMb: spaces, offHeapAnonymousMb: round(anon / 1024 - heap / MB),
  };
}

/** Samples every `everyMs` until stop(), which returns the breakdown of the sample with the highest
 *  RSS. A sample reads smaps (~1 ms): cheap at the default half second. */
export function watchPeakRss(everyMs = 500): { stop(): RssBreakdown } {
  const nodeBinary = realpathSync(process.execPath);
  let peak = sample(nodeBinary);
  const timer = setInterval(() => {
    if (process.memoryUsage.rss() / MB <= peak.rssMb) return;
    peak = sample(nodeBinary);
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const last = sample(nodeBinary);
      return last.rssMb > peak.rssMb ? last : peak;
    },
  };
}
