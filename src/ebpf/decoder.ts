// Turns a batch of ring-buffer records (one Buffer, records back to back) into objects.
import { EV_CLOSE, EV_EXCHANGE, EXCHANGE_SIZE, F_IPV6, F_TLS, HEADER_SIZE, OFF, REQ_LEN } from './layout.js';

/** One snapshot of one HTTP exchange on one socket, as the kernel saw it (times: CLOCK_MONOTONIC ns, 0n = not seen). */
export interface KernelExchange {
  closed: boolean;
  tsNs: bigint;
  cookie: bigint;
  tls: boolean;
  synNs: bigint;
  establishedNs: bigint;
  tlsStartNs: bigint;
  tlsEndNs: bigint;
  reqFirstNs: bigint;
  reqLastNs: bigint;
  respFirstNs: bigint;
  respLastNs: bigint;
  bytesSent: number;
  bytesReceived: number;
  seq: number;
  retransmits: number;
  srttUs: number;
  minRttUs: number;
  localPort: number;
  remotePort: number;
  remoteAddress: string;
  /** Start of the request as sent (request line and first headers), '' if not captured. */
  request: string;
  /** Start of the response (status line), HTTPS only. */
  response: string;
}

export interface DecodeResult {
  records: number;
  /** Records skipped: unknown type or a size that does not fit. */
  skipped: number;
}

function address(buf: Buffer, at: number, v6: boolean): string {
  if (!v6) return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(buf.readUInt16BE(at + i).toString(16));
  return parts.join(':');
}

function decodeExchange(buf: Buffer, o: number): KernelExchange {
  const flags = buf.readUInt32LE(o + OFF['h.flags']);
  const reqLen = buf[o + OFF.req_len] ?? 0;
  const respLen = buf[o + OFF.resp_len] ?? 0;
  return {
    closed: buf.readUInt16LE(o + OFF['h.type']) === EV_CLOSE,
    tsNs: buf.readBigUInt64LE(o + OFF['h.ts_ns']),
    cookie: buf.readBigUInt64LE(o + OFF['h.cookie']),
    tls: (flags & F_TLS) !== 0,
    synNs: buf.readBigUInt64LE(o + OFF.syn_ns),
    establishedNs: buf.readBigUInt64LE(o + OFF.established_ns),
    tlsStartNs: buf.readBigUInt64LE(o + OFF.tls_start_ns),
    tlsEndNs: buf.readBigUInt64LE(o + OFF.tls_end_ns),
    reqFirstNs: buf.readBigUInt64LE(o + OFF.req_first_ns),
    reqLastNs: buf.readBigUInt64LE(o + OFF.req_last_ns),
    respFirstNs: buf.readBigUInt64LE(o + OFF.resp_first_ns),
    respLastNs: buf.readBigUInt64LE(o + OFF.resp_last_ns),
    bytesSent: Number(buf.readBigUInt64LE(o + OFF.bytes_sent)),
    bytesReceived: Number(buf.readBigUInt64LE(o + OFF.bytes_received)),
    seq: buf.readUInt32LE(o + OFF.seq),
    retransmits: buf.readUInt32LE(o + OFF.retrans),
    srttUs: buf.readUInt32LE(o + OFF.srtt_us),
    minRttUs: buf.readUInt32LE(o + OFF.min_rtt_us),
    localPort: buf.readUInt16LE(o + OFF.sport),
    remotePort: buf.readUInt16LE(o + OFF.dport),
    remoteAddress: address(buf, o + OFF.daddr, (flags & F_IPV6) !== 0),
    request: buf.toString('latin1', o + OFF.req, o + OFF.req + Math.min(reqLen, REQ_LEN)),
    response: buf.toString('latin1', o + OFF.resp, o + OFF.resp + Math.min(respLen, 32)),
  };
}

/** Decodes every record of a batch; a malformed record ends the batch (sizes can no longer be trusted). */
export function decodeBatch(buf: Buffer, onExchange: (e: KernelExchange) => void): DecodeResult {
  let o = 0;
  let records = 0;
  let skipped = 0;
  while (o + HEADER_SIZE <= buf.length) {
    const size = buf.readUInt16LE(o + OFF['h.size']);
    const type = buf.readUInt16LE(o + OFF['h.type']);
    if (size < HEADER_SIZE || o + size > buf.length) {
      skipped++;
      break;
    }
    if ((type === EV_EXCHANGE || type === EV_CLOSE) && size === EXCHANGE_SIZE) {
      onExchange(decodeExchange(buf, o));
      records++;
    } else {
      skipped++;
    }
    o += size;
  }
  return { records, skipped };
}
