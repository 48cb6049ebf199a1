// N-API addon: loads bpf/s3prober.bpf.c (embedded skeleton), attaches it to this process, and
// hands ring-buffer records to JavaScript in batches. No threads and no polling loop: libuv
// watches the ring buffer's epoll fd (uv_poll_t) and JS may also drain synchronously.
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <node_api.h>
#include <uv.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "../bpf/s3prober.h"
#include "../bpf/s3prober.skel.h"

#define MAX_ULINKS 16

typedef struct {
	napi_env env;
	struct s3prober_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *ulinks[MAX_ULINKS];
	int nulinks;
	uv_poll_t poll;
	int polling, closed, handle_done, finalized, draining;
	napi_ref cb;
	napi_async_context actx;
	char *buf;
	size_t len, cap;
	double wakeups, batches;
} tracer_t;

/* ------------------------------------------------------------------ libbpf log capture */
/* libbpf's messages go to a small buffer JS can read, not to stderr: the exporter logs one
 * line of its own; these are for debugging. */
static char logbuf[8192];
static size_t loglen;
static int verbose;

static int print_fn(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char line[512];
	int n;
	va_list whole;

	if (lvl == LIBBPF_DEBUG && !verbose)
		return 0;
	/* on stderr whole: one message can be a verifier log of many lines */
	va_copy(whole, ap);
	if (verbose)
		vfprintf(stderr, fmt, whole);
	va_end(whole);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line)) { /* the buffer keeps its start, marked as cut */
		n = sizeof(line) - 1;
		memcpy(line + n - 4, "...\n", 4);
	}
	if (loglen + n >= sizeof(logbuf)) /* keep the latest messages */
		loglen = 0;
	memcpy(logbuf + loglen, line, n);
	loglen += n;
	logbuf[loglen] = 0;
	return n;
}

/* ------------------------------------------------------------------ errors */
static void throw_errno(napi_env env, const char *stage, int err, const char *what)
{
	char msg[256];
	napi_value e, m, c, s;
	const char *name = err == EPERM ? "EPERM" : err == EACCES ? "EACCES" : err == ENOENT ? "ENOENT"
		: err == ENOTSUP || err == EOPNOTSUPP ? "ENOTSUP" : err == EINVAL ? "EINVAL"
		: err == ESRCH ? "ESRCH" : err == ENOMEM ? "ENOMEM" : "EOTHER";

	snprintf(msg, sizeof(msg), "%s: %s (%s)", stage, what, strerror(err));
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
	napi_create_error(env, NULL, m, &e);
	napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &c);
	napi_set_named_property(env, e, "code", c);
	napi_create_string_utf8(env, stage, NAPI_AUTO_LENGTH, &s);
	napi_set_named_property(env, e, "stage", s);
	napi_throw(env, e);
}

/* ------------------------------------------------------------------ ring buffer -> JS */
static int on_sample(void *ctx, void *data, size_t size)
{
	tracer_t *t = ctx;

	if (t->len + size > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64 * 1024;
		while (ncap < t->len + size)
			ncap *= 2;
		char *nb = realloc(t->buf, ncap);
		if (!nb)
			return -ENOMEM;
		t->buf = nb;
		t->cap = ncap;
	}
	memcpy(t->buf + t->len, data, size);
	t->len += size;
	return 0;
}

/* Consumes everything pending into one Buffer and calls the JS callback once. */
static size_t deliver(tracer_t *t, int from_loop)
{
	napi_env env = t->env;
	napi_handle_scope scope;
	napi_value cb, recv, arg, res;
	size_t n;

	if (t->closed || t->draining || !t->rb)
		return 0;
	t->draining = 1;
	t->len = 0;
	ring_buffer__consume(t->rb);
	n = t->len;
	if (!n || !t->cb) {
		t->draining = 0;
		return n;
	}
	t->batches++;
	napi_open_handle_scope(env, &scope);
	napi_get_reference_value(env, t->cb, &cb);
	napi_get_global(env, &recv); /* make_callback needs an object receiver */
	napi_create_buffer_copy(env, n, t->buf, NULL, &arg);
	if (from_loop) {
		/* from libuv: run with an async context so nextTicks and promises drain */
		if (napi_make_callback(env, t->actx, recv, cb, 1, &arg, &res) == napi_pending_exception) {
			napi_value err;
			napi_get_and_clear_last_exception(env, &err);
			napi_fatal_exception(env, err);
		}
	} else {
		napi_call_function(env, recv, cb, 1, &arg, &res); /* exceptions propagate to caller */
	}
	napi_close_handle_scope(env, scope);
	t->draining = 0;
	return n;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	tracer_t *t = h->data;
	(void)events;
	if (status < 0 || t->closed)
		return;
	t->wakeups++;
	deliver(t, 1);
}

static void free_bpf(tracer_t *t)
{
	if (t->rb)
		ring_buffer__free(t->rb); /* closes the epoll fd: only after libuv let go of it */
	t->rb = NULL;
	for (int i = 0; i < t->nulinks; i++)
		bpf_link__destroy(t->ulinks[i]);
	t->nulinks = 0;
	s3prober_bpf__destroy(t->skel); /* detaches the tracepoints, frees programs and maps */
	t->skel = NULL;
	free(t->buf);
	t->buf = NULL;
}

static void on_poll_closed(uv_handle_t *h)
{
	tracer_t *t = h->data;
	free_bpf(t);
	t->handle_done = 1;
	if (t->finalized)
		free(t);
}

static void do_close(tracer_t *t)
{
	if (t->closed)
		return;
	t->closed = 1;
	if (t->cb) {
		napi_delete_reference(t->env, t->cb);
		t->cb = NULL;
	}
	if (t->actx) {
		napi_async_destroy(t->env, t->actx);
		t->actx = NULL;
	}
	if (t->polling) {
		uv_poll_stop(&t->poll);
		uv_close((uv_handle_t *)&t->poll, on_poll_closed);
	} else {
		free_bpf(t);
		t->handle_done = 1;
	}
}

/* ------------------------------------------------------------------ JS methods */
static tracer_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv)
{
	napi_value self;
	void *p = NULL;
	napi_get_cb_info(env, info, argc, argv, &self, NULL);
	napi_unwrap(env, self, &p);
	return p;
}

static napi_value js_on_events(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], name;
	tracer_t *t = unwrap(env, info, &argc, argv);

	if (!t || t->closed || argc < 1) {
		napi_throw_error(env, NULL, "tracer closed or no callback");
		return NULL;
	}
	if (t->cb)
		napi_delete_reference(env, t->cb);
	napi_create_reference(env, argv[0], 1, &t->cb);
	if (!t->actx) {
		napi_create_string_utf8(env, "S3proberWireTracer", NAPI_AUTO_LENGTH, &name);
		napi_async_init(env, NULL, name, &t->actx);
	}
	return NULL;
}

static napi_value js_drain(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	napi_value r;
	tracer_t *t = unwrap(env, info, &argc, NULL);
	size_t n = t ? deliver(t, 0) : 0;
	napi_create_double(env, (double)n, &r);
	return r;
}

static napi_value js_close(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	tracer_t *t = unwrap(env, info, &argc, NULL);
	if (t)
		do_close(t);
	return NULL;
}

static napi_value js_unref(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	tracer_t *t = unwrap(env, info, &argc, NULL);
	if (t && t->polling && !t->closed)
		uv_unref((uv_handle_t *)&t->poll);
	return NULL;
}

static void set_num(napi_env env, napi_value o, const char *k, double v)
{
	napi_value x;
	napi_create_double(env, v, &x);
	napi_set_named_property(env, o, k, x);
}

/* Runs of our kernel-hook programs the kernel skipped because the same program was already
 * running on that CPU (a softirq interrupting it): those events are lost to the tracer. */
static double hook_runs_missed(tracer_t *t)
{
	struct bpf_program *p;
	double n = 0;

	bpf_object__for_each_program(p, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			n += (double)info.recursion_misses;
	}
	return n;
}

static napi_value js_stats(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	napi_value o;
	tracer_t *t = unwrap(env, info, &argc, NULL);
	double sums[S3P_STAT_MAX] = { 0 }, missed = 0;

	napi_create_object(env, &o);
	if (!t)
		return o;
	if (!t->closed && t->skel) {
		int ncpu = libbpf_num_possible_cpus();
		int fd = bpf_map__fd(t->skel->maps.stats);
		__u64 *vals = ncpu > 0 ? calloc(ncpu, sizeof(__u64)) : NULL;
		for (__u32 k = 0; vals && k < S3P_STAT_MAX; k++) {
			if (bpf_map_lookup_elem(fd, &k, vals))
				continue;
			for (int c = 0; c < ncpu; c++)
				sums[k] += (double)vals[c];
		}
		free(vals);
		missed = hook_runs_missed(t);
	}
	set_num(env, o, "events", sums[S3P_STAT_EVENTS]);
	set_num(env, o, "dropped", sums[S3P_STAT_DROPPED]);
	set_num(env, o, "socketsNotTraced", sums[S3P_STAT_SOCK_FULL]);
	set_num(env, o, "hookRunsMissed", missed);
	set_num(env, o, "wakeups", t->wakeups);
	set_num(env, o, "batches", t->batches);
	return o;
}

static void finalize(napi_env env, void *data, void *hint)
{
	tracer_t *t = data;
	(void)env;
	(void)hint;
	t->finalized = 1; /* never free while libuv still owns t->poll */
	if (!t->closed)
		do_close(t);
	if (t->handle_done)
		free(t);
}

/* ------------------------------------------------------------------ open */
static int get_str(napi_env env, napi_value obj, const char *k, char *out, size_t cap)
{
	bool has = false;
	napi_value v;
	size_t n;
	napi_valuetype ty;

	out[0] = 0;
	if (napi_has_named_property(env, obj, k, &has) != napi_ok || !has)
		return 0;
	napi_get_named_property(env, obj, k, &v);
	if (napi_typeof(env, v, &ty) != napi_ok || ty != napi_string)
		return 0;
	return napi_get_value_string_utf8(env, v, out, cap, &n) == napi_ok && n > 0;
}

enum hook_set { SET_TP_BTF, SET_RAW_TP, SET_TRACEPOINT, SET_COUNT };
static const char *set_names[SET_COUNT] = { "tp_btf", "raw_tp", "tracepoint" };
static const char *set_prefix[SET_COUNT] = { "btf_", "raw_", "tp_" };

/* Opens, loads and attaches with one hook set enabled; 0 or -errno. */
static int try_set(tracer_t *t, int set, pid_t tgid, const struct stat *ns)
{
	struct bpf_program *p;
	int err;

	t->skel = s3prober_bpf__open();
	if (!t->skel)
		return -errno ? -errno : -EINVAL;
	t->skel->rodata->targ_tgid = tgid;
	t->skel->rodata->pidns_dev = ns->st_dev;
	t->skel->rodata->pidns_ino = ns->st_ino;
	bpf_object__for_each_program(p, t->skel->obj) {
		const char *name = bpf_program__name(p);
		int mine = 0, kernel_hook = 0;
		for (int s = 0; s < SET_COUNT; s++) {
			if (!strncmp(name, set_prefix[s], strlen(set_prefix[s]))) {
				kernel_hook = 1;
				mine = s == set;
			}
		}
		if (kernel_hook)
			bpf_program__set_autoload(p, mine);
	}
	err = s3prober_bpf__load(t->skel);
	if (!err)
		err = s3prober_bpf__attach(t->skel); /* bare SEC("uprobe") programs are skipped */
	if (err) {
		s3prober_bpf__destroy(t->skel);
		t->skel = NULL;
	}
	return err;
}

static void attach_uprobe(tracer_t *t, struct bpf_program *p, const char *path, const char *fn,
			  int ret, napi_env env, napi_value errors)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = fn, .retprobe = ret);
	struct bpf_link *l;

	if (!path[0] || t->nulinks >= MAX_ULINKS)
		return;
	l = bpf_program__attach_uprobe_opts(p, getpid(), path, 0, &uo);
	if (!l) {
		char msg[512];
		uint32_t n;
		napi_value s;
		snprintf(msg, sizeof(msg), "%s%s in %s: %s", ret ? "return of " : "", fn, path,
			 strerror(errno));
		napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &s);
		napi_get_array_length(env, errors, &n);
		napi_set_element(env, errors, n, s);
		return;
	}
	t->ulinks[t->nulinks++] = l;
}

/* open({ sslPath, hooks?: 'tp_btf'|'raw_tp'|'tracepoint', verbose? }) -> tracer */
static napi_value js_open(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], self, errors, v;
	char ssl_path[4096], want[32];
	struct stat ns;
	int err = -EINVAL, set = -1;
	bool b = false, has = false;

	napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
	if (argc < 1) {
		napi_throw_error(env, NULL, "open(options) expects an object");
		return NULL;
	}
	get_str(env, argv[0], "sslPath", ssl_path, sizeof(ssl_path));
	get_str(env, argv[0], "hooks", want, sizeof(want));
	if (napi_has_named_property(env, argv[0], "verbose", &has) == napi_ok && has) {
		napi_get_named_property(env, argv[0], "verbose", &v);
		napi_get_value_bool(env, v, &b);
	}
	verbose = b;
	loglen = 0;
	logbuf[0] = 0;
	libbpf_set_print(print_fn);
	if (stat("/proc/self/ns/pid", &ns)) {
		throw_errno(env, "open", errno, "cannot stat /proc/self/ns/pid");
		return NULL;
	}

	tracer_t *t = calloc(1, sizeof(*t));
	if (!t) {
		throw_errno(env, "open", ENOMEM, "out of memory");
		return NULL;
	}
	t->env = env;
	/* tp_btf needs no tracefs and can use socket cookies; fall back in order */
	for (int s = 0; s < SET_COUNT; s++) {
		if (want[0] && strcmp(want, set_names[s]))
			continue;
		err = try_set(t, s, getpid(), &ns);
		if (!err) {
			set = s;
			break;
		}
		if (err == -EPERM || err == -EACCES)
			break; /* no privileges: other sets will not do better */
	}
	if (set < 0) {
		free(t);
		throw_errno(env, "load", -err, "cannot load or attach the BPF programs");
		return NULL;
	}

	napi_create_array(env, &errors);
	struct s3prober_bpf *sk = t->skel;
	attach_uprobe(t, sk->progs.up_ssl_write, ssl_path, "SSL_write", 0, env, errors);
	attach_uprobe(t, sk->progs.urp_ssl_write, ssl_path, "SSL_write", 1, env, errors);
	attach_uprobe(t, sk->progs.up_ssl_write_ex, ssl_path, "SSL_write_ex", 0, env, errors);
	attach_uprobe(t, sk->progs.urp_ssl_write_ex, ssl_path, "SSL_write_ex", 1, env, errors);
	attach_uprobe(t, sk->progs.up_ssl_read, ssl_path, "SSL_read", 0, env, errors);
	attach_uprobe(t, sk->progs.urp_ssl_read, ssl_path, "SSL_read", 1, env, errors);
	attach_uprobe(t, sk->progs.up_ssl_read_ex, ssl_path, "SSL_read_ex", 0, env, errors);
	attach_uprobe(t, sk->progs.urp_ssl_read_ex, ssl_path, "SSL_read_ex", 1, env, errors);
	attach_uprobe(t, sk->progs.up_ssl_free, ssl_path, "SSL_free", 0, env, errors);

	t->rb = ring_buffer__new(bpf_map__fd(sk->maps.events), on_sample, t, NULL);
	if (!t->rb) {
		err = errno;
		free_bpf(t);
		free(t);
		throw_errno(env, "ringbuf", err, "ring_buffer__new failed");
		return NULL;
	}
	uv_loop_t *loop;
	napi_get_uv_event_loop(env, &loop);
	t->poll.data = t;
	if ((err = uv_poll_init(loop, &t->poll, ring_buffer__epoll_fd(t->rb))) ||
	    (err = uv_poll_start(&t->poll, UV_READABLE, on_poll))) {
		free_bpf(t);
		free(t);
		throw_errno(env, "poll", -err, uv_strerror(err));
		return NULL;
	}
	t->polling = 1;
#ifdef __GLIBC__
	/* Loading parsed the kernel's BTF and node's ELF symbols (uprobes), several MB that libbpf has
	 * freed by now but glibc keeps mapped: hand them back so the prober's RSS stays small. */
	malloc_trim(0);
#endif

	napi_property_descriptor props[] = {
		{ "onEvents", NULL, js_on_events, NULL, NULL, NULL, napi_default, NULL },
		{ "drain", NULL, js_drain, NULL, NULL, NULL, napi_default, NULL },
		{ "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
		{ "unref", NULL, js_unref, NULL, NULL, NULL, napi_default, NULL },
		{ "stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL },
	};
	napi_create_object(env, &self);
	napi_define_properties(env, self, sizeof(props) / sizeof(props[0]), props);
	napi_create_string_utf8(env, set_names[set], NAPI_AUTO_LENGTH, &v);
	napi_set_named_property(env, self, "hooks", v);
	set_num(env, self, "uprobes", t->nulinks);
	napi_set_named_property(env, self, "uprobeErrors", errors);
	napi_wrap(env, self, t, finalize, NULL, NULL);
	return self;
}

static napi_value js_last_log(napi_env env, napi_callback_info info)
{
	napi_value s;
	(void)info;
	napi_create_string_utf8(env, logbuf, loglen, &s);
	return s;
}

/* Offsets the TypeScript decoder hard-codes, straight from the compiler (layout test). */
static napi_value js_layout(napi_env env, napi_callback_info info)
{
	napi_value o, off;
	(void)info;
	napi_create_object(env, &o);
	napi_create_object(env, &off);
#define OFF(f) set_num(env, off, #f, offsetof(struct s3p_exchange, f))
	OFF(h.ts_ns); OFF(h.cookie); OFF(h.type); OFF(h.size); OFF(h.flags);
	OFF(syn_ns); OFF(established_ns); OFF(tls_start_ns); OFF(tls_end_ns);
	OFF(req_first_ns); OFF(req_last_ns); OFF(resp_first_ns); OFF(resp_last_ns);
	OFF(bytes_sent); OFF(bytes_received); OFF(seq); OFF(retrans); OFF(srtt_us);
	OFF(min_rtt_us); OFF(family); OFF(sport); OFF(dport); OFF(req_len); OFF(resp_len);
	OFF(saddr); OFF(daddr); OFF(req); OFF(resp);
#undef OFF
	napi_set_named_property(env, o, "offsets", off);
	set_num(env, o, "headerSize", sizeof(struct s3p_event_header));
	set_num(env, o, "exchangeSize", sizeof(struct s3p_exchange));
	set_num(env, o, "reqLen", S3P_REQ_LEN);
	set_num(env, o, "respLen", S3P_RESP_LEN);
	set_num(env, o, "EV_EXCHANGE", S3P_EV_EXCHANGE);
	set_num(env, o, "EV_CLOSE", S3P_EV_CLOSE);
	set_num(env, o, "F_TLS", S3P_F_TLS);
	set_num(env, o, "F_IPV6", S3P_F_IPV6);
	return o;
}

NAPI_MODULE_INIT()
{
	napi_value fn;
	napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn);
	napi_set_named_property(env, exports, "open", fn);
	napi_create_function(env, "lastLog", NAPI_AUTO_LENGTH, js_last_log, NULL, &fn);
	napi_set_named_property(env, exports, "lastLog", fn);
	napi_create_function(env, "layout", NAPI_AUTO_LENGTH, js_layout, NULL, &fn);
	napi_set_named_property(env, exports, "layout", fn);
	return exports;
}
