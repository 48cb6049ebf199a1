// SPDX-License-Identifier: GPL-2.0
// s3prober wire tracer: times the HTTP(S) exchanges of ONE process (the prober itself).
//
// State lives per socket, keyed by socket cookie, in the kernel: Node multiplexes every request
// on one thread, so per-thread keys would mix requests. The kernel keeps the current exchange of
// each socket and submits a snapshot to user space whenever the application has read response
// bytes, plus a final one at close; user space joins them to its own request records.
//
// Each hook exists three times (tp_btf, raw_tp, classic tracepoint); the loader enables one set.
// Only tp_btf may call bpf_get_socket_cookie(), so the fallback sets key sockets by address.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "s3prober.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7

enum sock_mode { MODE_UNKNOWN = 0, MODE_PLAIN = 1, MODE_TLS = 2 };

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load; .rodata is frozen so the verifier sees constants. */
const volatile __u32 targ_tgid = 0; /* as seen in the pid namespace below */
const volatile __u64 pidns_dev = 0;
const volatile __u64 pidns_ino = 0;

struct sock_state {
	struct s3p_exchange ev; /* the current exchange, submitted as is */
	__u64 ssl;              /* SSL* linked to this socket, 0 for plain HTTP */
	__u64 first_send_ns;    /* first byte ever sent (ClientHello on TLS sockets) */
	__u64 last_rx_ns;       /* arrival of the latest data segment */
	__u64 cand_first_ns;    /* data segments arrived but not yet read by the app */
	__u64 cand_last_ns;
	__u64 read_first_ns;    /* TLS: segments read, waiting for SSL_read to yield plaintext */
	__u64 read_last_ns;
	__u64 sk;               /* struct sock * while the socket lives: RTT for snapshots */
	__u32 retrans_base;     /* the socket's total_retrans when the current exchange began */
	__u8 mode;
	__u8 dirty;   /* changed since the last snapshot */
	__u8 pending; /* TLS: SSL_write plaintext waits for the send that carries it */
	__u8 pending_len;
	char pending_line[S3P_REQ_LEN]; /* start of that plaintext (request line) */
};

struct user_buf {
	__u64 base;
	__u64 len;
};

struct ssl_args {
	__u64 ssl;
	__u64 buf;
	__u64 outlen; /* *_ex variants: where the length is written */
};

#define RINGBUF_BYTES (1 << 20)
#define RINGBUF_WAKEUP_BYTES (RINGBUF_BYTES / 4)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

/* LRU: a socket whose close was never seen (hooks attached late) must not fill the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct sock_state);
} socks SEC(".maps");

/* SSL* -> socket key; forgotten on SSL_free because SSL* addresses are reused. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} ssl_sock SEC(".maps");

/* Short-lived per-thread link between a kernel read and the SSL call Node makes next in the
 * same call stack (recv -> SSL_read/SSL_write). It never holds exchange state. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} tid_last_rx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ssl_args);
} tid_ssl_args SEC(".maps");

/* Zeroed template: the state is too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock_state);
} zero_sock SEC(".maps");

/* The socket whose connect() this CPU's state programs handled last (see on_state). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} syn_handled SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, S3P_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);
	if (v)
		*v += 1;
}

static __always_inline bool is_target(void)
{
	struct bpf_pidns_info ns = {};

	if (bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
		return false;
	return ns.tgid == targ_tgid;
}

static __always_inline __u32 cur_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* The socket key for the hooks that cannot generate cookies: the cookie once generated
 * (tp_btf set), else the address (fallback sets, see loader). */
static __always_inline __u64 cookie_of(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

static __always_inline void fill_tuple(struct sock_state *s, const struct sock *sk)
{
	struct s3p_exchange *e = &s->ev;

	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET6) {
		e->h.flags |= S3P_F_IPV6;
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	}
}

static __always_inline void submit(struct sock_state *s, __u16 type)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)s->sk;
	struct s3p_exchange *e = &s->ev;

	e->h.ts_ns = bpf_ktime_get_ns();
	e->h.type = type;
	e->h.size = sizeof(*e);
	if (s->mode == MODE_TLS)
		e->h.flags |= S3P_F_TLS;
	e->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	/* the kernel's own count, not one per hook run: a run the kernel skipped (recursion) would
	 * lose one, and newer kernels (6.18 here: its err argument) also fire it for failed attempts */
	e->retrans = BPF_CORE_READ(tp, total_retrans) - s->retrans_base;
	e->min_rtt_us = BPF_CORE_READ(tp, rtt_min.s[0].v);
	/* No wakeup per record: user space drains synchronously when a request ends, and on a
	 * timer. Waking the reader costs more than the program itself (an IPI, a loop turn), so
	 * it is only woken when a quarter of the ring is filled. */
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > RINGBUF_WAKEUP_BYTES
		? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, e, sizeof(*e), flags))
		stat_inc(S3P_STAT_DROPPED);
	else
		stat_inc(S3P_STAT_EVENTS);
	s->dirty = 0;
}

/* Clears the exchange part of the record, keeping connection fields. */
static __always_inline void reset_exchange(struct s3p_exchange *e)
{
	e->req_first_ns = 0;
	e->req_last_ns = 0;
	e->resp_first_ns = 0;
	e->resp_last_ns = 0;
	e->bytes_sent = 0;
	e->bytes_received = 0;
	e->retrans = 0;
	e->req_len = 0;
	e->resp_len = 0;
}

/* ---------------------------------------------------------------- socket lifecycle */

/*
 * Two programs run this for every state change (see the hook sets): the kernel skips a program
 * that is already running on the CPU, so a softirq's state change that lands while the first one
 * runs in process context (a connect() or close() there) is still seen by the second, and the
 * other way round. What either does first, the other must not do again: connect() is handled
 * once (syn_handled), ESTABLISHED keeps the first time, CLOSE deletes the state it submits.
 */
static __always_inline int on_state(const struct sock *sk, __u64 key, int oldstate, int newstate,
					bool paired)
{
	struct sock_state *s;
	__u32 zero = 0;

	if (newstate == TCP_SYN_SENT) {
		/* connect() runs in the caller's context (never in softirq, and the tracepoint runs
		 * both programs without preemption): the other program has just handled this one if
		 * it left the socket's key here. */
		__u64 *handled = paired ? bpf_map_lookup_elem(&syn_handled, &zero) : NULL;
		if (handled) {
			if (*handled == key) {
				*handled = 0;
				return 0;
			}
			*handled = key;
		}
		/* the only place the process filter applies; later hooks run in softirq and find
		 * the socket by its key */
		if (!is_target() || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
			return 0;
		struct sock_state *z = bpf_map_lookup_elem(&zero_sock, &zero);
		if (!z)
			return 0;
		if (bpf_map_update_elem(&socks, &key, z, BPF_ANY)) {
			stat_inc(S3P_STAT_SOCK_FULL);
			return 0;
		}
		s = bpf_map_lookup_elem(&socks, &key);
		if (!s)
			return 0;
		s->ev.h.cookie = key;
		s->sk = (__u64)sk;
		s->ev.syn_ns = bpf_ktime_get_ns();
		return 0;
	}
	s = bpf_map_lookup_elem(&socks, &key);
	if (!s)
		return 0;
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
		if (s->ev.established_ns)
			return 0;
		s->ev.established_ns = bpf_ktime_get_ns();
		fill_tuple(s, sk);
	} else if (newstate == TCP_CLOSE) {
		if (s->ssl)
			bpf_map_delete_elem(&ssl_sock, &s->ssl);
		submit(s, S3P_EV_CLOSE);
		bpf_map_delete_elem(&socks, &key);
	}
	return 0;
}

/* ---------------------------------------------------------------- request bytes leave */

static __always_inline void copy_line(char *dst, __u64 src, __u64 len, __u8 *out_len)
{
	__u64 n = len;

	barrier_var(n); /* clang-14: keep the bound check on the register that is passed */
	if (n > S3P_REQ_LEN)
		n = S3P_REQ_LEN;
	barrier_var(n);
	if (n && bpf_probe_read_user(dst, n, (const void *)src) == 0)
		*out_len = n;
}

/* The first buffer of the send syscall this send_length event belongs to, read from the
 * syscall's arguments: no uprobe on the writer needed (libuv uses writev). */
#if defined(__TARGET_ARCH_x86)
#define NR_WRITE 1
#define NR_WRITEV 20
#define NR_SENDTO 44
#define NR_SENDMSG 46
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_WRITE 64
#define NR_WRITEV 66
#define NR_SENDTO 206
#define NR_SENDMSG 211
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#endif

static __always_inline bool sent_buffer(struct user_buf *b)
{
#ifdef NR_WRITE
	/* kernels < 5.15 lack the helper: the branch is removed at load, request lines are lost */
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return false;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = SYSCALL_NR(regs);
	__u64 a2 = PT_REGS_PARM2_CORE_SYSCALL(regs);

	if (nr == NR_WRITE || nr == NR_SENDTO) {
		b->base = a2;
		b->len = PT_REGS_PARM3_CORE_SYSCALL(regs);
		return true;
	}
	if (nr == NR_SENDMSG) { /* struct user_msghdr: msg_iov at offset 16 */
		if (bpf_probe_read_user(&a2, sizeof(a2), (const void *)(a2 + 16)))
			return false;
		nr = NR_WRITEV;
	}
	if (nr == NR_WRITEV) /* the first struct iovec */
		return bpf_probe_read_user(b, sizeof(*b), (const void *)a2) == 0;
#endif
	return false;
}

static __always_inline void track_send(struct sock_state *s, int ret)
{
	__u64 now = bpf_ktime_get_ns();
	struct s3p_exchange *e = &s->ev;
	bool app;

	struct user_buf ub = {};
	bool have_buf = false;

	if (!s->first_send_ns) {
		s->first_send_ns = now;
		/* TLS records of type handshake start with 0x16; HTTP starts with a method */
		__u8 first = 0;
		have_buf = sent_buffer(&ub);
		if (have_buf)
			bpf_probe_read_user(&first, 1, (const void *)ub.base);
		/* unknown writer syscall: stays unknown and is treated as plain until an SSL call
		 * claims the socket */
		if (s->mode == MODE_UNKNOWN && have_buf)
			s->mode = first == 0x16 ? MODE_TLS : MODE_PLAIN;
	}
	if (s->mode == MODE_TLS)
		/* application data: after an SSL_write, or the rest of a request being sent;
		 * everything else is handshake */
		app = s->pending || (e->req_first_ns && !e->resp_first_ns);
	else
		app = true;

	if (app && e->resp_first_ns) {
		/* a request after a response: the previous exchange is over */
		if (s->dirty)
			submit(s, S3P_EV_EXCHANGE);
		reset_exchange(e);
		const struct tcp_sock *tp = (const struct tcp_sock *)s->sk;
		s->retrans_base = BPF_CORE_READ(tp, total_retrans);
		e->seq++;
	}
	e->bytes_sent += ret;
	if (!app)
		return;
	if (!e->req_first_ns) {
		e->req_first_ns = now;
		if (s->mode == MODE_TLS) {
			if (!e->tls_start_ns) {
				e->tls_start_ns = s->first_send_ns;
				e->tls_end_ns = s->last_rx_ns;
			}
			if (s->pending) {
				__builtin_memcpy(e->req, s->pending_line, S3P_REQ_LEN);
				e->req_len = s->pending_len;
			}
		} else if (have_buf || sent_buffer(&ub)) {
			copy_line(e->req, ub.base, ub.len, &e->req_len);
		}
	}
	s->pending = 0;
	s->pending_len = 0;
	e->req_last_ns = now;
	s->dirty = 1;
}

/* The ESTABLISHED hook fills the tuple; if the kernel skipped that run (see hookRunsMissed in
 * the addon), a connected socket still tells its ports here, so the exchange can be joined. */
static __always_inline void ensure_tuple(struct sock_state *s, const struct sock *sk)
{
	if (!s->ev.sport)
		fill_tuple(s, sk);
}

static __always_inline int on_send(const struct sock *sk, __u64 key, int ret)
{
	if (ret <= 0 || !is_target())
		return 0;
	struct sock_state *s = bpf_map_lookup_elem(&socks, &key);
	if (!s)
		return 0;
	ensure_tuple(s, sk);
	track_send(s, ret);
	return 0;
}

/* ---------------------------------------------------------------- response bytes arrive */

static __always_inline int on_segment(const struct sock *sk, __u64 key, const struct sk_buff *skb)
{
	struct sock_state *s = bpf_map_lookup_elem(&socks, &key);
	if (!s)
		return 0;
	/* the tracepoint's data_len is u16 and wraps on GSO skbs: derive payload from the skb */
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u8 doff = 0;
	bpf_probe_read_kernel(&doff, 1, head + th + 12);
	long payload = (long)BPF_CORE_READ(skb, len) - (doff >> 4) * 4;
	if (payload <= 0)
		return 0; /* pure ACK, FIN */
	__u64 now = bpf_ktime_get_ns();
	s->last_rx_ns = now;
	if (!s->cand_first_ns)
		s->cand_first_ns = now;
	s->cand_last_ns = now;
	return 0;
}

static __always_inline int on_recv(const struct sock *sk, __u64 key, int ret)
{
	if (ret <= 0 || !is_target())
		return 0; /* libuv reads until EAGAIN */
	__u32 tid = cur_tid();
	struct sock_state *s = bpf_map_lookup_elem(&socks, &key);
	if (!s) {
		/* SSL_reads after this read are not ours (the process may also serve HTTPS) */
		bpf_map_delete_elem(&tid_last_rx, &tid);
		return 0;
	}
	ensure_tuple(s, sk);
	__u64 now = bpf_ktime_get_ns();
	struct s3p_exchange *e = &s->ev;
	__u64 first = s->cand_first_ns ? s->cand_first_ns : now;
	__u64 last = s->cand_last_ns ? s->cand_last_ns : now;

	s->cand_first_ns = 0;
	s->cand_last_ns = 0;
	e->bytes_received += ret;
	if (s->mode != MODE_PLAIN) /* lets the SSL call that follows claim this socket */
		bpf_map_update_elem(&tid_last_rx, &tid, &key, BPF_ANY);
	if (s->mode == MODE_TLS) {
		/* ciphertext: it only counts as response once SSL_read turns it into plaintext
		 * (session tickets arrive after the request and yield none) */
		s->read_first_ns = first;
		s->read_last_ns = last;
		return 0;
	}
	if (!e->req_first_ns)
		return 0;
	if (!e->resp_first_ns)
		e->resp_first_ns = first;
	e->resp_last_ns = last;
	submit(s, S3P_EV_EXCHANGE);
	return 0;
}

/* ---------------------------------------------------------------- retransmits */

static __always_inline int on_retransmit(__u64 key)
{
	struct sock_state *s = bpf_map_lookup_elem(&socks, &key);
	if (!s)
		return 0;
	s->dirty = 1; /* counted from the socket at the next snapshot */
	return 0;
}

/* ---------------------------------------------------------------- hook sets */

/* tp_btf: BTF-typed arguments; the only set allowed to generate socket cookies. */
static __always_inline int btf_state_change(const struct sock *sk, int oldstate, int newstate)
{
	__u64 key = newstate == TCP_SYN_SENT ? bpf_get_socket_cookie((void *)sk) : cookie_of(sk);
	return key ? on_state(sk, key, oldstate, newstate, true) : 0;
}

/* The state hook twice: see on_state. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_state, const struct sock *sk, int oldstate, int newstate)
{
	return btf_state_change(sk, oldstate, newstate);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_state_again, const struct sock *sk, int oldstate, int newstate)
{
	return btf_state_change(sk, oldstate, newstate);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(btf_send, struct sock *sk, int ret, int flags)
{
	__u64 key = cookie_of(sk);
	return key ? on_send(sk, key, ret) : 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(btf_recv, struct sock *sk, int ret, int flags)
{
	__u64 key = cookie_of(sk);
	return key ? on_recv(sk, key, ret) : 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(btf_probe, struct sock *sk, const struct sk_buff *skb)
{
	/* runs for every segment on the host: sockets without a cookie are never ours */
	__u64 key = cookie_of(sk);
	return key ? on_segment(sk, key, skb) : 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(btf_retrans, const struct sock *sk)
{
	__u64 key = cookie_of(sk);
	return key ? on_retransmit(key) : 0;
}

/* raw_tp: same arguments, untyped; sockets keyed by address. */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_state, const struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, (__u64)sk, oldstate, newstate, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_state_again, const struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, (__u64)sk, oldstate, newstate, true);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(raw_send, struct sock *sk, int ret, int flags)
{
	return on_send(sk, (__u64)sk, ret);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(raw_recv, struct sock *sk, int ret, int flags)
{
	return on_recv(sk, (__u64)sk, ret);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(raw_probe, struct sock *sk, const struct sk_buff *skb)
{
	return on_segment(sk, (__u64)sk, skb);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(raw_retrans, const struct sock *sk)
{
	return on_retransmit((__u64)sk);
}

/* classic tracepoints: need tracefs mounted; last resort. A second state program would not
 * help here: the kernel skips every tracepoint program on a CPU where any one is running. */
SEC("tracepoint/sock/inet_sock_set_state")
int tp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	const struct sock *sk = ctx->skaddr;
	return on_state(sk, (__u64)sk, ctx->oldstate, ctx->newstate, false);
}

SEC("tracepoint/sock/sock_send_length")
int tp_send(struct trace_event_raw_sock_msg_length *ctx)
{
	const struct sock *sk = ctx->sk;
	return on_send(sk, (__u64)sk, ctx->ret);
}

SEC("tracepoint/sock/sock_recv_length")
int tp_recv(struct trace_event_raw_sock_msg_length *ctx)
{
	const struct sock *sk = ctx->sk;
	return on_recv(sk, (__u64)sk, ctx->ret);
}

SEC("tracepoint/tcp/tcp_probe")
int tp_probe(struct trace_event_raw_tcp_probe *ctx)
{
	const struct sock *sk = ctx->skaddr;
	return on_segment(sk, (__u64)sk, ctx->skbaddr);
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tp_retrans(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	return on_retransmit((__u64)ctx->skaddr);
}

/* ---------------------------------------------------------------- uprobes (user space) */

/* OpenSSL (statically linked into node): plaintext of HTTPS. */
/* After each kernel read that fed its memory BIO, Node cycles the SSL in the same call stack:
 * SSL_write of buffered plaintext (the first request completes the handshake this way), then
 * SSL_read. So the first SSL call after a read of a traced TLS socket belongs to that socket,
 * unless the socket already has an SSL or is plain HTTP. That call consumes the link. */
static __always_inline void link_ssl(__u32 tid, __u64 ssl)
{
	__u64 *key = bpf_map_lookup_elem(&tid_last_rx, &tid);
	if (!key)
		return;
	__u64 k = *key;
	bpf_map_delete_elem(&tid_last_rx, &tid);
	if (bpf_map_lookup_elem(&ssl_sock, &ssl))
		return;
	struct sock_state *s = bpf_map_lookup_elem(&socks, &k);
	if (!s || s->ssl || s->mode == MODE_PLAIN)
		return;
	bpf_map_update_elem(&ssl_sock, &ssl, &k, BPF_ANY);
	if (s->mode == MODE_UNKNOWN)
		reset_exchange(&s->ev); /* what looked like a request was the handshake */
	s->ssl = ssl;
	s->mode = MODE_TLS;
}

static __always_inline int ssl_enter(__u64 ssl, __u64 buf, __u64 outlen)
{
	if (!is_target())
		return 0;
	__u32 tid = cur_tid();
	link_ssl(tid, ssl);
	struct ssl_args a = { .ssl = ssl, .buf = buf, .outlen = outlen };
	bpf_map_update_elem(&tid_ssl_args, &tid, &a, BPF_ANY);
	return 0;
}

/* Returns the plaintext length (<= 0: nothing) and fills *a; consumes the saved arguments. */
static __always_inline long ssl_result(__u32 tid, long ret, struct ssl_args *out)
{
	struct ssl_args *a = bpf_map_lookup_elem(&tid_ssl_args, &tid);
	if (!a)
		return 0;
	*out = *a;
	bpf_map_delete_elem(&tid_ssl_args, &tid);
	if (out->outlen) { /* _ex variants return 1/0 and write the length */
		__u64 n = 0;
		if (ret != 1 || bpf_probe_read_user(&n, sizeof(n), (const void *)out->outlen))
			return 0;
		return (long)n;
	}
	return ret;
}

/* Plaintext for a socket: the send that carries it follows, maybe later (Node may defer the
 * encrypted write), so it is parked in the socket's state, not per thread. */
static __always_inline int ssl_write_exit(long ret)
{
	__u32 tid = cur_tid();
	struct ssl_args a = {};
	long n = ssl_result(tid, ret, &a);
	if (n <= 0)
		return 0;
	__u64 *key = bpf_map_lookup_elem(&ssl_sock, &a.ssl);
	if (!key)
		return 0; /* not one of our client sockets (the process may serve HTTPS too) */
	__u64 k = *key;
	struct sock_state *s = bpf_map_lookup_elem(&socks, &k);
	if (!s || s->pending)
		return 0; /* more plaintext for the same send: keep the first (request line) */
	__u8 len = 0;
	copy_line(s->pending_line, a.buf, (__u64)n, &len);
	s->pending_len = len;
	s->pending = 1;
	return 0;
}

static __always_inline int ssl_read_exit(long ret)
{
	__u32 tid = cur_tid();
	struct ssl_args a = {};
	long n = ssl_result(tid, ret, &a);
	__u64 *key = bpf_map_lookup_elem(&ssl_sock, &a.ssl);
	if (!key)
		return 0;
	__u64 k = *key;
	struct sock_state *s = bpf_map_lookup_elem(&socks, &k);
	if (!s)
		return 0;
	if (n <= 0) {
		/* the bytes just read were handshake or session tickets */
		s->read_first_ns = 0;
		s->read_last_ns = 0;
		return 0;
	}
	struct s3p_exchange *e = &s->ev;
	if (!e->req_first_ns || !s->read_last_ns)
		return 0; /* no request yet, or more plaintext from an already counted read */
	if (!e->resp_first_ns) {
		e->resp_first_ns = s->read_first_ns;
		__u64 m = n;
		barrier_var(m);
		if (m > S3P_RESP_LEN)
			m = S3P_RESP_LEN;
		barrier_var(m);
		if (bpf_probe_read_user(e->resp, m, (const void *)a.buf) == 0)
			e->resp_len = m;
	}
	e->resp_last_ns = s->read_last_ns;
	s->read_first_ns = 0;
	s->read_last_ns = 0;
	submit(s, S3P_EV_EXCHANGE);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(up_ssl_write, void *ssl, const void *buf, int num)
{
	return ssl_enter((__u64)ssl, (__u64)buf, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(urp_ssl_write, int ret)
{
	return ssl_write_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(up_ssl_write_ex, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return ssl_enter((__u64)ssl, (__u64)buf, (__u64)written);
}

SEC("uretprobe")
int BPF_KRETPROBE(urp_ssl_write_ex, int ret)
{
	return ssl_write_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(up_ssl_read, void *ssl, void *buf, int num)
{
	return ssl_enter((__u64)ssl, (__u64)buf, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(urp_ssl_read, int ret)
{
	return ssl_read_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(up_ssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return ssl_enter((__u64)ssl, (__u64)buf, (__u64)readbytes);
}

SEC("uretprobe")
int BPF_KRETPROBE(urp_ssl_read_ex, int ret)
{
	return ssl_read_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(up_ssl_free, void *ssl)
{
	__u64 k = (__u64)ssl;
	bpf_map_delete_elem(&ssl_sock, &k);
	return 0;
}
