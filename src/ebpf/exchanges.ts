// Assembles the kernel's snapshots into exchanges per socket and hands them to the correlation.
// The kernel sends a snapshot whenever the app has read response bytes; the newest snapshot of an
// exchange (socket cookie, seq) supersedes older ones. Claimed exchanges are forgotten, and later
// snapshots of them, or of swept ones (close records repeat the last exchange), are ignored.
import type { KernelExchange } from './decoder.js';

interface SocketEntry {
  cookie: bigint;
  localPort: number;
  remotePort: number;
  /** seq -> newest snapshot, unclaimed only */
  exchanges: Map<number, KernelExchange>;
  /** Highest seq claimed by a client request or swept as unmatched; -1: none. */
  doneUpTo: number;
  closed: boolean;
  lastNs: bigint;
}

const startsRequest = (e: KernelExchange): boolean => /^[A-Z]{3,7} \S+ HTTP\/1\.[01]\r\n/.test(e.request);

export interface ExchangeStoreOptions {
  /** Sockets kept at most (oldest dropped first); bounds memory if nothing ever claims them. */
  maxSockets?: number;
}

export class ExchangeStore {
  private readonly sockets = new Map<bigint, SocketEntry>();
  private readonly byPort = new Map<number, Set<SocketEntry>>();
  private readonly maxSockets: number;

  constructor(o: ExchangeStoreOptions = {}) {
    this.maxSockets = o.maxSockets ?? 4096;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  /** Returns how many unclaimed exchanges were dropped to stay within bounds. */
  add(e: KernelExchange): number {
    let s = this.sockets.get(e.cookie);
    let dropped = 0;
    if (!s) {
      // a close record repeats the socket's last exchange, already reported (and claimed or
      // swept) unless the socket never carried a request: nothing new
      if (e.closed) return 0;
      if (this.sockets.size >= this.maxSockets) dropped += this.evictOldest();
      s = { cookie: e.cookie, localPort: e.localPort, remotePort: e.remotePort, exchanges: new Map(), doneUpTo: -1, closed: false, lastNs: e.tsNs };
      this.sockets.set(e.cookie, s);
      this.index(s);
    }
    s.lastNs = e.tsNs;
    s.closed ||= e.closed;
    if (e.reqFirstNs !== 0n && e.seq > s.doneUpTo) s.exchanges.set(e.seq, e);
    if (s.closed && s.exchanges.size === 0) this.remove(s);
    return dropped;
  }

  /**
   * Claims the exchanges of the socket with this local (and remote) port whose first request
   * byte left between startNs and endNs, oldest first. Several exchanges mean one request
   * answered in parts (100-continue). Clients may stamp startNs only after writing to a reused
   * socket (Node publishes the request after end()), so bytes up to slackNs earlier count too,
   * but only from the last request that began before startNs on.
   */
  take(localPort: number, remotePort: number | undefined, startNs: bigint, endNs: bigint, slackNs = 50_000_000n): KernelExchange[] {
    const set = this.byPort.get(localPort);
    if (!set) return [];
    for (const s of set) {
      if (remotePort !== undefined && s.remotePort !== remotePort) continue;
      let hit = [...s.exchanges.values()].filter((e) => e.reqFirstNs >= startNs - slackNs && e.reqFirstNs <= endNs);
      if (!hit.length) continue;
      hit.sort((a, b) => a.seq - b.seq);
      // the body after a 100 Continue is its own exchange, without a request line: it belongs
      // to the exchange before it
      const lines = hit.some(startsRequest);
      let from = 0;
      hit.forEach((e, i) => {
        if (e.reqFirstNs < startNs && (!lines || startsRequest(e))) from = i;
      });
      hit = hit.slice(from);
      for (const e of hit) s.exchanges.delete(e.seq);
      s.doneUpTo = Math.max(s.doneUpTo, hit[hit.length - 1]!.seq);
      // older exchanges on this socket can no longer be claimed: requests on a socket are sequential
      for (const seq of [...s.exchanges.keys()]) if (seq < s.doneUpTo) s.exchanges.delete(seq);
      if (s.closed && s.exchanges.size === 0) this.remove(s);
      return hit;
    }
    return [];
  }

  /**
   * Drops unclaimed exchanges whose last snapshot is older than beforeNs and returns how many.
   * Open sockets are kept (idle keep-alive sockets remember what was claimed) until idle since
   * forgetBeforeNs.
   */
  sweep(beforeNs: bigint, forgetBeforeNs = beforeNs): number {
    let n = 0;
    for (const s of [...this.sockets.values()]) {
      for (const [seq, e] of s.exchanges) {
        if (e.tsNs < beforeNs) {
          s.exchanges.delete(seq);
          s.doneUpTo = Math.max(s.doneUpTo, seq);
          n++;
        }
      }
      if (s.exchanges.size === 0 && (s.closed || s.lastNs < forgetBeforeNs)) this.remove(s);
    }
    return n;
  }

  private index(s: SocketEntry): void {
    let set = this.byPort.get(s.localPort);
    if (!set) {
      set = new Set();
      this.byPort.set(s.localPort, set);
    }
    set.add(s);
  }

  private remove(s: SocketEntry): void {
    this.sockets.delete(s.cookie);
    const set = this.byPort.get(s.localPort);
    set?.delete(s);
    if (set && set.size === 0) this.byPort.delete(s.localPort);
  }

  private evictOldest(): number {
    const first = this.sockets.values().next();
    if (first.done) return 0;
    this.remove(first.value);
    return first.value.exchanges.size;
  }
}
