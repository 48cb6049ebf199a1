/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Event records shared by s3prober.bpf.c, native/addon.c and src/ebpf/layout.ts.
 * Every field has a fixed offset (noted) that the TypeScript decoder reads; the layout test
 * compares these against offsetof() exported by the addon. Append fields, never reorder. */
#ifndef S3PROBER_H
#define S3PROBER_H

#define S3P_REQ_LEN 248 /* request line (method, path, query): S3 keys make long lines; req_len is a __u8 */
#define S3P_RESP_LEN 32 /* status line, HTTPS only (plain HTTP responses are not copied) */

enum s3p_event_type {
	S3P_EV_EXCHANGE = 1, /* snapshot of a socket's current request/response exchange */
	S3P_EV_CLOSE = 2,    /* last snapshot of a socket, sent when it reaches TCP_CLOSE */
};

enum s3p_flags {
	S3P_F_TLS = 1,  /* request/response were read as TLS plaintext */
	S3P_F_IPV6 = 2, /* saddr/daddr hold IPv6 addresses (else the first 4 bytes are IPv4) */
};

/* Every record starts with this header. */
struct s3p_event_header {
	__u64 ts_ns;  /* 0  bpf_ktime_get_ns(): CLOCK_MONOTONIC, same as process.hrtime.bigint() */
	__u64 cookie; /* 8  socket cookie (the socket's identity, stable for its lifetime) */
	__u16 type;   /* 16 enum s3p_event_type */
	__u16 size;   /* 18 record size in bytes, header included */
	__u32 flags;  /* 20 enum s3p_flags */
};                    /* 24 */

/* One HTTP exchange on one socket as the kernel saw it. All times CLOCK_MONOTONIC ns, 0 = not
 * seen. Connection fields repeat on every exchange of the socket; they only describe the
 * exchange with seq 0 (the one that paid for connect and TLS). */
struct s3p_exchange {
	struct s3p_event_header h; /* 0 */
	__u64 syn_ns;              /* 24  connect(): CLOSE -> SYN_SENT */
	__u64 established_ns;      /* 32  SYN_SENT -> ESTABLISHED */
	__u64 tls_start_ns;        /* 40  first handshake byte sent */
	__u64 tls_end_ns;          /* 48  last handshake byte received before the first request */
	__u64 req_first_ns;        /* 56  first request byte handed to TCP */
	__u64 req_last_ns;         /* 64  last request byte handed to TCP */
	__u64 resp_first_ns;       /* 72  arrival of the first response segment */
	__u64 resp_last_ns;        /* 80  arrival of the last response segment read so far */
	__u64 bytes_sent;          /* 88  TCP payload bytes sent during this exchange */
	__u64 bytes_received;      /* 96  TCP payload bytes read during this exchange */
	__u32 seq;                 /* 104 exchange number on this socket, from 0 */
	__u32 retrans;             /* 108 retransmits during this exchange (seq 0: also SYNs) */
	__u32 srtt_us;             /* 112 smoothed RTT at snapshot time */
	__u32 min_rtt_us;          /* 116 windowed minimum RTT at snapshot time */
	__u16 family;              /* 120 AF_INET / AF_INET6 */
	__u16 sport;               /* 122 local port, host order */
	__u16 dport;               /* 124 remote port, host order */
	__u8 req_len;              /* 126 valid bytes in req */
	__u8 resp_len;             /* 127 valid bytes in resp */
	__u8 saddr[16];            /* 128 */
	__u8 daddr[16];            /* 144 */
	char req[S3P_REQ_LEN];     /* 160 */
	char resp[S3P_RESP_LEN];   /* 408 */
};                                 /* 440 */

/* Indexes of the per-CPU counters in the `stats` map. */
enum s3p_stat {
	S3P_STAT_EVENTS = 0,  /* records submitted to the ring buffer */
	S3P_STAT_DROPPED = 1, /* records lost because the ring buffer was full */
	S3P_STAT_SOCK_FULL = 2, /* sockets not traced because the socket map was full */
	S3P_STAT_MAX = 3,
};

#endif
