// Byte layout of the kernel's event records (bpf/s3prober.h). Little-endian, fixed offsets; the
// layout test checks every value here against offsetof() compiled into the addon.
export const HEADER_SIZE = 24;
export const EXCHANGE_SIZE = 440;
export const REQ_LEN = 248;
export const RESP_LEN = 32;

export const EV_EXCHANGE = 1;
export const EV_CLOSE = 2;

export const F_TLS = 1;
export const F_IPV6 = 2;

/** Field offsets, named as in C (`h.` is the shared header). */
export const OFF = {
  'h.ts_ns': 0,
  'h.cookie': 8,
  'h.type': 16,
  'h.size': 18,
  'h.flags': 20,
  syn_ns: 24,
  established_ns: 32,
  tls_start_ns: 40,
  tls_end_ns: 48,
  req_first_ns: 56,
  req_last_ns: 64,
  resp_first_ns: 72,
  resp_last_ns: 80,
  bytes_sent: 88,
  bytes_received: 96,
  seq: 104,
  retrans: 108,
  srtt_us: 112,
  min_rtt_us: 116,
  family: 120,
  sport: 122,
  dport: 124,
  req_len: 126,
  resp_len: 127,
  saddr: 128,
  daddr: 144,
  req: 160,
  resp: 408,
} as const;
