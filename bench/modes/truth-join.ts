// The truth section's ground truth: the fault proxy's own record of each exchange, fetched through
// the harness, and the join of each client sample to it.
import { fromHarness, send } from './ipc.js';

export interface Sample {
  op: string; clientS: number; prepareS?: number; traceS: number; wireS?: number; serverS?: number; overheadS?: number;
  /** The join key to the proxy's record: the client's local port and the request's monotonic window. */
  localPort?: number; startNs: bigint; endNs: bigint;
  proxy?: ProxyRecord;
}
/** A fault-proxy exchange (test/support/fault-proxy.ts ProxyExchange) as it came over IPC. */
export interface ProxyRecord {
  clientPort: number; connection: number; seq: number; method: string;
  headNs: bigint; requestInNs?: bigint; upstreamNs?: bigint; holdNs: bigint; firstByteOutNs?: bigint;
}

/** The exchanges the proxy of delay D recorded (its ground truth), relayed by the parent from the
 *  proxy process, which clears them. */
export async function proxyExchanges(delayMs: number): Promise<{ records: ProxyRecord[]; dropped: number }> {
  if (!process.send) return { records: [], dropped: 0 };
  type Wire = { clientPort: number; connection: number; seq: number; method: string; headNs: string; requestInNs?: string; upstreamNs?: string; holdNs: string; firstByteOutNs?: string };
  const replied = fromHarness<{ type?: string; delayMs?: number; exchanges?: Wire[]; dropped?: number }>('proxy-exchanges', (m) => m.delayMs === delayMs);
  void send({ type: 'proxy-exchanges', delayMs });
  const reply = await replied;
  const big = (x: string | undefined) => (x === undefined ? undefined : BigInt(x));
  return {
    dropped: reply.dropped ?? 0,
    records: (reply.exchanges ?? []).map((x) => ({
      clientPort: x.clientPort, connection: x.connection, seq: x.seq, method: x.method, headNs: BigInt(x.headNs), holdNs: BigInt(x.holdNs),
      requestInNs: big(x.requestInNs), upstreamNs: big(x.upstreamNs), firstByteOutNs: big(x.firstByteOutNs),
    })),
  };
}

/** Joins each sample to the proxy's record of it: same port (client local = proxy's remote) and the
 *  proxy had the whole request inside the client's request window (one clock; the requests run one
 *  at a time, so at most one fits). Returns how many samples found none or more than one, and how
 *  many joined out of order on their connection (keep-alive: each must be a later request on it). */
export function joinProxy(samples: Sample[], records: ProxyRecord[]): { unjoined: number; ambiguous: number; outOfOrder: number } {
  const byPort = new Map<number, ProxyRecord[]>();
  for (const r of records) byPort.set(r.clientPort, [...(byPort.get(r.clientPort) ?? []), r]);
  let unjoined = 0;
  let ambiguous = 0;
  for (const s of samples) {
    const method = s.op === 'PutObject' ? 'PUT' : 'GET';
    const fit = (byPort.get(s.localPort ?? -1) ?? []).filter((r) =>
      r.method === method && r.requestInNs !== undefined && r.requestInNs >= s.startNs && r.requestInNs <= s.endNs);
    if (fit.length === 1) s.proxy = fit[0];
    else if (fit.length === 0) unjoined++;
    else ambiguous++;
  }
  let outOfOrder = 0;
  const lastSeq = new Map<number, number>();
  for (const s of samples) {
    if (!s.proxy) continue;
    if (s.proxy.seq <= (lastSeq.get(s.proxy.connection) ?? 0)) outOfOrder++;
    lastSeq.set(s.proxy.connection, s.proxy.seq);
  }
  return { unjoined, ambiguous, outOfOrder };
}
