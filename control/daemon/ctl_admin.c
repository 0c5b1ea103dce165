/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include "ctl_admin.h"
#include "tw_hex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_daemon.h"
#include "ctl_json.h"
#include "ctl_log.h"
#include "ctl_metrics.h"
#include "tw_config.h"
#include "tw_ring.h"
#include "tw_time.h"

#define ADM_LINE_MAX   4096
#define ADM_OUT_MAX    (1u << 20) /* subscriber back-pressure limit (doc) */
#define ADM_MAX_CLIENT 64
#define ADM_MAX_SESS   1024

enum adm_kind { ADM_LIGHT = 1, ADM_SENDER = 2 };

struct adm_sess {
	uint32_t id;
	uint8_t kind;  /* enum adm_kind */
	uint8_t proto; /* enum tw_ipc_proto */
	uint8_t sec;
	uint8_t state; /* enum tw_ipc_event of the last event, 0 = added */
	bool live;     /* ACKed by the fast path */
	struct tw_ipc_flow flow;
	uint64_t rx_pkts, tx_pkts;
	/* sender statistics from the result stream (NULL: none) */
	struct tw_stats *st;
	bool seq_valid;
	uint32_t next_seq;
	int64_t loss_timeout_ns;
};

struct adm_client {
	struct ctl_io io;
	struct ctl_admin *a;
	uint64_t serial;
	bool ro, dead, skipping;
	char in[ADM_LINE_MAX + 1];
	size_t in_len;
	struct ctl_jb out;
	size_t out_off;
	uint64_t dropped;
	uint32_t subs[16]; /* subscribed session ids; 0 = every session */
	unsigned n_subs;
	struct adm_client *next;
};

struct adm_listener {
	struct ctl_io io;
	struct ctl_admin *a;
	bool ro;
	char path[CTL_CONF_UNIX_MAX];
};

struct ctl_admin {
	struct ctl_daemon *d;
	struct adm_listener lst[2];
	unsigned n_lst;
	struct adm_client *clients;
	unsigned n_clients;
	uint64_t next_serial;
	struct adm_sess sess[ADM_MAX_SESS];
	unsigned n_sess;
	unsigned n_stats; /* sessions with st != NULL */
};

/* A request waiting for the fast path. */
struct adm_pending {
	struct ctl_admin *a;
	uint64_t serial; /* client, looked up again: it may have gone */
	uint64_t json_id;
	uint32_t session;
	uint16_t type;
};

/* ---- output ---------------------------------------------------------------------- */

static void client_send_line(struct adm_client *c, struct ctl_jb *b)
{
	if (c->dead || b->oom)
		return;
	if (c->out.len - c->out_off + b->len > ADM_OUT_MAX) {
		c->dropped++;
		return;
	}
	if (c->dropped) {
		char tmp[80];
		snprintf(tmp, sizeof(tmp), "{\"event\":\"overflow\",\"dropped\":%llu}\n",
		         (unsigned long long)c->dropped);
		ctl_jb_raw(&c->out, tmp);
		c->dropped = 0;
	}
	ctl_jb_raw(&c->out, b->p);
	ctl_jb_raw(&c->out, "\n");
}

static void client_flush(struct adm_client *c)
{
	while (!c->dead && c->out_off < c->out.len) {
		ssize_t n = send(c->io.fd, c->out.p + c->out_off, c->out.len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			break;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out.len) {
		c->out.len = c->out_off = 0;
		if (c->out.p)
			c->out.p[0] = '\0';
	}
	if (!c->dead)
		(void)ctl_loop_mod(c->a->d->loop, &c->io,
		                   EPOLLIN | (c->out.len ? (uint32_t)EPOLLOUT : 0u));
}

static void reply_begin(struct ctl_jb *b, uint64_t id, bool ok)
{
	ctl_jb_init(b);
	ctl_jb_obj_begin(b, NULL);
	ctl_jb_u64(b, "id", id);
	ctl_jb_bool(b, "ok", ok);
}

static void reply_end(struct adm_client *c, struct ctl_jb *b)
{
	ctl_jb_obj_end(b);
	client_send_line(c, b);
	ctl_jb_free(b);
	client_flush(c);
}

static void reply_err(struct adm_client *c, uint64_t id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void reply_err(struct adm_client *c, uint64_t id, const char *code, const char *fmt, ...)
{
	struct ctl_jb b;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_begin(&b, id, false);
	ctl_jb_str(&b, "error", code);
	ctl_jb_str(&b, "message", msg);
	reply_end(c, &b);
}

static void reply_ok(struct adm_client *c, uint64_t id)
{
	struct ctl_jb b;
	reply_begin(&b, id, true);
	reply_end(c, &b);
}

/* ---- helpers --------------------------------------------------------------------------- */

static struct adm_client *client_by_serial(struct ctl_admin *a, uint64_t serial)
{
	for (struct adm_client *c = a->clients; c; c = c->next)
		if (c->serial == serial && !c->dead)
			return c;
	return NULL;
}

static struct adm_sess *sess_find(struct ctl_admin *a, uint32_t id)
{
	for (unsigned i = 0; i < a->n_sess; i++)
		if (a->sess[i].id == id)
			return &a->sess[i];
	return NULL;
}

static void sess_remove(struct ctl_admin *a, uint32_t id)
{
	struct adm_sess *s = sess_find(a, id);
	if (!s)
		return;
	if (s->kind == ADM_LIGHT)
		ctl_daemon_port_free(a->d, s->flow.local_port);
	if (s->st) {
		free(s->st);
		a->n_stats--;
	}
	*s = a->sess[--a->n_sess];
}

static void flow_str(const struct tw_ipc_addr *ad, uint16_t port, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN] = "*";
	if (ad->family == 4)
		inet_ntop(AF_INET, ad->addr, s, sizeof(s));
	else if (ad->family == 6)
		inet_ntop(AF_INET6, ad->addr, s, sizeof(s));
	if (ad->family == 6)
		snprintf(buf, len, "[%s]:%u", s, port);
	else
		snprintf(buf, len, "%s:%u", s, port);
}

static const char *sec_name(uint8_t sec)
{
	switch (sec) {
	case TW_IPC_SEC_OPEN:
		return "open";
	case TW_IPC_SEC_AUTH:
		return "authenticated";
	case TW_IPC_SEC_ENC:
		return "encrypted";
	case TW_IPC_SEC_MIXED:
		return "mixed";
	default:
		return "?";
	}
}

static const char *proto_name(uint8_t p)
{
	return p == TW_IPC_PROTO_TWAMP ? "twamp" : p == TW_IPC_PROTO_LIGHT ? "light" : "stamp";
}

static const char *event_name(unsigned e)
{
	static const char *const n[] = {"added", "started", "stopping", "refwait-expired",
	                                "ended", "deleted", "error"};
	return e < 7 ? n[e] : "?";
}

/* Argument readers: set *bad (with the message in err) on a wrong value. */
struct args {
	const struct ctl_json_obj *o;
	char err[160];
	bool bad;
};

static uint64_t arg_u64(struct args *g, const char *key, uint64_t def, uint64_t min, uint64_t max,
                        bool required)
{
	const struct ctl_json_member *m = ctl_json_get(g->o, key);
	if (g->bad)
		return def;
	if (!m) {
		if (required) {
			snprintf(g->err, sizeof(g->err), "arg %s: missing", key);
			g->bad = true;
		}
		return def;
	}
	if (m->type != CTL_JSON_INT || m->neg || m->u < min || m->u > max) {
		snprintf(g->err, sizeof(g->err), "arg %s: must be an integer %llu..%llu", key,
		         (unsigned long long)min, (unsigned long long)max);
		g->bad = true;
		return def;
	}
	return m->u;
}

static bool arg_bool(struct args *g, const char *key, bool def)
{
	const struct ctl_json_member *m = ctl_json_get(g->o, key);
	if (g->bad || !m)
		return def;
	if (m->type != CTL_JSON_BOOL) {
		snprintf(g->err, sizeof(g->err), "arg %s: must be true or false", key);
		g->bad = true;
		return def;
	}
	return m->u != 0;
}

static const char *arg_str(struct args *g, const char *key, bool required)
{
	const struct ctl_json_member *m = ctl_json_get(g->o, key);
	if (g->bad)
		return NULL;
	if (!m) {
		if (required) {
			snprintf(g->err, sizeof(g->err), "arg %s: missing", key);
			g->bad = true;
		}
		return NULL;
	}
	if (m->type != CTL_JSON_STR) {
		snprintf(g->err, sizeof(g->err), "arg %s: must be a string", key);
		g->bad = true;
		return NULL;
	}
	return m->str;
}

static void arg_addr(struct args *g, const char *key, bool required, struct tw_ipc_addr *out)
{
	const char *s = arg_str(g, key, required);
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	if (inet_pton(AF_INET, s, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, s, out->addr) == 1)
		out->family = 6;
	else {
		snprintf(g->err, sizeof(g->err), "arg %s: '%s' is not an IP address", key, s);
		g->bad = true;
	}
}

/* "twamp" is a Session-Sender of a TWAMP-Control session run by a client
 * elsewhere (twinhop measure --engine fastpath): it carries the SID and the
 * test keys that client derived (spec §3.5).  Listeners are Light/STAMP only. */
static uint8_t arg_proto(struct args *g, bool allow_twamp)
{
	const char *p = arg_str(g, "proto", true);
	if (!p)
		return 0;
	if (!strcmp(p, "light"))
		return TW_IPC_PROTO_LIGHT;
	if (!strcmp(p, "stamp"))
		return TW_IPC_PROTO_STAMP;
	if (allow_twamp && !strcmp(p, "twamp"))
		return TW_IPC_PROTO_TWAMP;
	snprintf(g->err, sizeof(g->err), "arg proto: must be %s",
	         allow_twamp ? "\"light\", \"stamp\" or \"twamp\"" : "\"light\" or \"stamp\"");
	g->bad = true;
	return 0;
}

/* Exactly `len` octets as 2*len hex digits (len 0: 2..2*cap digits, returns
 * the octet count).  Returns the octets written, or 0 after setting g->err. */
static size_t arg_hex(struct args *g, const char *key, bool required, uint8_t *out, size_t len,
                      size_t cap)
{
	const char *k = arg_str(g, key, required);
	if (!k)
		return 0;
	size_t n = strlen(k);
	if (len ? n != 2 * len : (!n || n % 2 || n / 2 > cap)) {
		if (len)
			snprintf(g->err, sizeof(g->err), "arg %s: %zu hex digits", key, 2 * len);
		else
			snprintf(g->err, sizeof(g->err), "arg %s: 2..%zu hex digits", key, 2 * cap);
		g->bad = true;
		return 0;
	}
	size_t got;
	if (tw_hex_decode(k, n, out, len ? len : cap, &got) != TW_OK) {
		snprintf(g->err, sizeof(g->err), "arg %s: not hexadecimal", key);
		g->bad = true;
		return 0;
	}
	return got;
}

/* TWAMP test-packet security of a twamp sender: the four modes of spec §2.2;
 * authenticated and encrypted need both test keys (§3.5, §3.6). */
static void arg_sec_twamp(struct args *g, uint8_t *sec, struct tw_ipc_keys *keys, uint8_t sid[16])
{
	const char *s = arg_str(g, "sec", false);
	*sec = TW_IPC_SEC_OPEN;
	if (s && !strcmp(s, "mixed"))
		*sec = TW_IPC_SEC_MIXED;
	else if (s && !strcmp(s, "auth"))
		*sec = TW_IPC_SEC_AUTH;
	else if (s && !strcmp(s, "enc"))
		*sec = TW_IPC_SEC_ENC;
	else if (s && strcmp(s, "open")) {
		snprintf(g->err, sizeof(g->err),
		         "arg sec: must be \"open\", \"mixed\", \"auth\" or \"enc\"");
		g->bad = true;
		return;
	}
	(void)arg_hex(g, "sid", false, sid, 16, 16);
	if (*sec != TW_IPC_SEC_AUTH && *sec != TW_IPC_SEC_ENC)
		return;
	if (arg_hex(g, "aes_key", true, keys->aes, sizeof(keys->aes), 0) &&
	    arg_hex(g, "hmac_key", true, keys->hmac, sizeof(keys->hmac), 0))
		keys->hmac_len = (uint8_t)sizeof(keys->hmac);
}

static void arg_sec(struct args *g, uint8_t *sec, struct tw_ipc_keys *keys)
{
	const char *s = arg_str(g, "sec", false);
	*sec = TW_IPC_SEC_OPEN;
	if (!s || !strcmp(s, "open"))
		return;
	if (strcmp(s, "auth")) {
		snprintf(g->err, sizeof(g->err), "arg sec: must be \"open\" or \"auth\"");
		g->bad = true;
		return;
	}
	*sec = TW_IPC_SEC_AUTH;
	keys->hmac_len = (uint8_t)arg_hex(g, "key", true, keys->hmac, 0, sizeof(keys->hmac));
}

/* ---- fast-path requests ------------------------------------------------------------------ */

static void pending_reply(void *arg, uint32_t req, enum tw_err err, const struct tw_ipc_hdr *h,
                          const void *payload)
{
	struct adm_pending *p = arg;
	struct ctl_admin *a = p->a;
	struct adm_client *c = client_by_serial(a, p->serial);
	(void)req;
	(void)h;
	(void)payload;

	bool is_add = p->type == TW_IPC_LIGHT_LISTEN || p->type == TW_IPC_SENDER_ADD;
	if (err == TW_E_OK) {
		struct adm_sess *s = sess_find(a, p->session);
		if (is_add && s)
			s->live = true;
		if (p->type == TW_IPC_SESSION_DEL)
			sess_remove(a, p->session);
		if (c) {
			struct ctl_jb b;
			reply_begin(&b, p->json_id, true);
			if (is_add)
				ctl_jb_u64(&b, "session", p->session);
			reply_end(c, &b);
		}
	} else {
		if (is_add)
			sess_remove(a, p->session);
		if (c) {
			if (err == TW_E_EMPTY)
				reply_err(c, p->json_id, "fp-timeout",
				          "the fast path did not answer");
			else if (err == TW_E_SYS)
				reply_err(c, p->json_id, "fp-unavailable",
				          "the fast path went away");
			else
				reply_err(c, p->json_id, "fp-nack", "NACK %s", tw_errname(err));
		}
	}
	free(p);
}

static void fp_request(struct adm_client *c, uint64_t json_id, uint16_t type, uint32_t session,
                       const void *payload, uint32_t len)
{
	struct ctl_admin *a = c->a;
	struct adm_pending *p = calloc(1, sizeof(*p));

	if (!p) {
		reply_err(c, json_id, "internal", "out of memory");
		return;
	}
	*p = (struct adm_pending){a, c->serial, json_id, session, type};
	if (!ctl_fp_send(a->d->fp, type, payload, len, pending_reply, p, ctl_now_ms())) {
		free(p);
		if (type == TW_IPC_LIGHT_LISTEN || type == TW_IPC_SENDER_ADD)
			sess_remove(a, session);
		reply_err(c, json_id, "fp-unavailable", "the fast path is not attached");
	}
}

/* ---- commands ------------------------------------------------------------------------------ */

static void cmd_hello(struct adm_client *c, uint64_t id)
{
	struct ctl_jb b;
	reply_begin(&b, id, true);
	ctl_jb_str(&b, "version", TW_VERSION);
	ctl_jb_u64(&b, "protocol", 1);
	ctl_jb_bool(&b, "readonly", c->ro);
	reply_end(c, &b);
}

static void cmd_status(struct adm_client *c, uint64_t id)
{
	struct ctl_daemon *d = c->a->d;
	struct ctl_jb b;
	unsigned n_sess = c->a->n_sess;
	char s[80];

	for (struct ctl_conn *k = d->conns; k; k = k->next)
		n_sess += ctl_srv_n_sessions(k->srv);
	reply_begin(&b, id, true);
	ctl_jb_str(&b, "version", TW_VERSION);
	ctl_jb_u64(&b, "uptime_s", (ctl_now_ms() - d->start_ms) / 1000u);
	ctl_jb_obj_begin(&b, "fp");
	ctl_jb_bool(&b, "attached", ctl_fp_attached(d->fp));
	ctl_jb_str(&b, "region", ctl_fp_region(d->fp));
	struct tw_ring *r = ctl_fp_ring(d->fp);
	if (r) {
		const struct tw_ring_super *sb = tw_ring_super(r);
		ctl_jb_u64(&b, "pid", sb->creator_pid);
		ctl_jb_u64(&b, "heartbeat_age_ms", ctl_fp_heartbeat_age_ms(d->fp, ctl_now_ms()));
	}
	struct ctl_fp_stats st;
	ctl_fp_stats(d->fp, &st);
	ctl_jb_u64(&b, "sent", st.sent);
	ctl_jb_u64(&b, "send_fail", st.send_fail);
	ctl_jb_u64(&b, "acks", st.acks);
	ctl_jb_u64(&b, "nacks", st.nacks);
	ctl_jb_u64(&b, "timeouts", st.timeouts);
	ctl_jb_obj_end(&b);
	ctl_jb_u64(&b, "connections", d->n_conns);
	ctl_jb_u64(&b, "sessions", n_sess);
	ctl_jb_arr_begin(&b, "listen");
	for (unsigned i = 0; i < d->conf.n_listen; i++) {
		ctl_conf_addrport_str(&d->conf.listen[i].ss, s, sizeof(s));
		ctl_jb_str(&b, NULL, s);
	}
	ctl_jb_arr_end(&b);
	reply_end(c, &b);
}

static void cmd_counters(struct adm_client *c, uint64_t id)
{
	struct ctl_jb b;
	reply_begin(&b, id, true);
	ctl_jb_obj_begin(&b, "counters");
	for (unsigned i = 0; i < CTL_CNT__COUNT; i++)
		ctl_jb_u64(&b, ctl_cnt_name(i), c->a->d->cnt.c[i]);
	ctl_jb_obj_end(&b);
	reply_end(c, &b);
}

/* The fast path's capacity figures from its counters (VPP's clocks/vector
 * and vectors/call, docs/performance.md), averages since it started:
 * busy TSC cycles per received packet and packets per non-empty burst. */
static void capacity_fields(struct ctl_jb *b, const uint64_t *c)
{
	char v[64];
	uint64_t rx = c[TW_IPC_CNT_RX_PKTS], bursts = c[TW_IPC_CNT_RX_BURSTS];
	snprintf(v, sizeof(v), "%.1f", rx ? (double)c[TW_IPC_CNT_BUSY_CYCLES] / (double)rx : 0.0);
	ctl_jb_key(b, "busy_cycles_per_pkt");
	ctl_jb_raw(b, v);
	snprintf(v, sizeof(v), "%.2f", bursts ? (double)rx / (double)bursts : 0.0);
	ctl_jb_key(b, "pkts_per_burst");
	ctl_jb_raw(b, v);
}

static void cmd_fp_counters(struct adm_client *c, uint64_t id)
{
	struct tw_ring *r = ctl_fp_ring(c->a->d->fp);
	uint64_t total[TW_IPC_CNT__COUNT] = {0};
	struct ctl_jb b;

	if (!r) {
		reply_err(c, id, "fp-unavailable", "the fast path is not attached");
		return;
	}
	reply_begin(&b, id, true);
	ctl_jb_arr_begin(&b, "lcores");
	for (unsigned l = 0; l < tw_ring_n_lcores(r); l++) {
		struct tw_ipc_counters *k = tw_ring_counters(r, l);
		ctl_jb_obj_begin(&b, NULL);
		ctl_jb_u64(&b, "lcore", l);
		ctl_jb_obj_begin(&b, "counters");
		uint64_t one[TW_IPC_CNT__COUNT];
		for (unsigned i = 0; i < TW_IPC_CNT__COUNT; i++) {
			uint64_t v = tw_ipc_cnt_get(k, (enum tw_ipc_cnt)i);
			one[i] = v;
			total[i] += v;
			ctl_jb_u64(&b, tw_ipc_cnt_name(i), v);
		}
		ctl_jb_obj_end(&b);
		capacity_fields(&b, one);
		ctl_jb_obj_end(&b);
	}
	ctl_jb_arr_end(&b);
	ctl_jb_obj_begin(&b, "total");
	for (unsigned i = 0; i < TW_IPC_CNT__COUNT; i++)
		ctl_jb_u64(&b, tw_ipc_cnt_name(i), total[i]);
	capacity_fields(&b, total);
	ctl_jb_obj_end(&b);
	reply_end(c, &b);
}

/* rx/tx_pkts: the newer of the last event and the last STATS poll; the
 * poll's extra fields when there is one (docs/admin-protocol.md). */
static void live_fields(struct ctl_jb *b, struct ctl_daemon *d, uint32_t id, uint64_t rx,
                        uint64_t tx)
{
	uint64_t age;
	const struct tw_ipc_stats *ls = ctl_metrics_live(d->metrics, id, &age);
	if (ls) {
		rx = ls->rx_pkts > rx ? ls->rx_pkts : rx;
		tx = ls->tx_pkts > tx ? ls->tx_pkts : tx;
	}
	ctl_jb_u64(b, "rx_pkts", rx);
	ctl_jb_u64(b, "tx_pkts", tx);
	if (!ls)
		return;
	ctl_jb_obj_begin(b, "live");
	ctl_jb_u64(b, "age_ms", age);
	ctl_jb_u64(b, "rx_pkts", ls->rx_pkts);
	ctl_jb_u64(b, "tx_pkts", ls->tx_pkts);
	ctl_jb_u64(b, "rx_octets", ls->rx_octets);
	ctl_jb_u64(b, "tx_octets", ls->tx_octets);
	ctl_jb_u64(b, "drops", ls->drops);
	ctl_jb_u64(b, "last_rx_ntp", ls->last_rx_ntp);
	ctl_jb_u64(b, "peers", ls->peers);
	ctl_jb_obj_end(b);
}

static void cmd_sessions(struct adm_client *c, uint64_t id)
{
	struct ctl_daemon *d = c->a->d;
	struct ctl_jb b;
	char s[80];

	reply_begin(&b, id, true);
	ctl_jb_arr_begin(&b, "sessions");
	for (struct ctl_conn *k = d->conns; k; k = k->next) {
		for (unsigned i = 0; i < ctl_srv_n_sessions(k->srv); i++) {
			const struct ctl_srv_sess *ss = ctl_srv_session(k->srv, i);
			static const char *const st[] = {"adding", "added", "starting", "started",
			                                 "ended"};
			ctl_jb_obj_begin(&b, NULL);
			ctl_jb_u64(&b, "session", ss->id);
			ctl_jb_str(&b, "kind", "reflector");
			ctl_jb_str(&b, "proto", "twamp");
			ctl_jb_str(&b, "state", ss->state < 5 ? st[ss->state] : "?");
			ctl_jb_str(&b, "mode", sec_name(ss->ra.sec));
			char hex[33];
			for (int j = 0; j < 16; j++)
				snprintf(hex + 2 * j, 3, "%02x", ss->ra.sid[j]);
			ctl_jb_str(&b, "sid", hex);
			ctl_conf_addrport_str(&ctl_srv_peer(k->srv)->remote, s, sizeof(s));
			ctl_jb_str(&b, "control", s);
			flow_str(&ss->ra.flow.local, ss->ra.flow.local_port, s, sizeof(s));
			ctl_jb_str(&b, "local", s);
			flow_str(&ss->ra.flow.peer, ss->ra.flow.peer_port, s, sizeof(s));
			ctl_jb_str(&b, "peer", s);
			live_fields(&b, d, ss->id, ss->rx_pkts, ss->tx_pkts);
			ctl_jb_obj_end(&b);
		}
	}
	for (unsigned i = 0; i < c->a->n_sess; i++) {
		const struct adm_sess *as = &c->a->sess[i];
		ctl_jb_obj_begin(&b, NULL);
		ctl_jb_u64(&b, "session", as->id);
		ctl_jb_str(&b, "kind", as->kind == ADM_LIGHT ? "light" : "sender");
		ctl_jb_str(&b, "proto", proto_name(as->proto));
		ctl_jb_str(&b, "state", !as->live ? "adding" : event_name(as->state));
		ctl_jb_str(&b, "mode", sec_name(as->sec));
		flow_str(&as->flow.local, as->flow.local_port, s, sizeof(s));
		ctl_jb_str(&b, "local", s);
		flow_str(&as->flow.peer, as->flow.peer_port, s, sizeof(s));
		ctl_jb_str(&b, "peer", s);
		live_fields(&b, d, as->id, as->rx_pkts, as->tx_pkts);
		ctl_jb_obj_end(&b);
	}
	ctl_jb_arr_end(&b);
	reply_end(c, &b);
}

static struct adm_sess *sess_new(struct adm_client *c, uint64_t id)
{
	struct ctl_admin *a = c->a;
	if (a->n_sess == ADM_MAX_SESS) {
		reply_err(c, id, "limit", "at most %u admin sessions", ADM_MAX_SESS);
		return NULL;
	}
	struct adm_sess *s = &a->sess[a->n_sess++];
	memset(s, 0, sizeof(*s));
	s->id = ctl_daemon_session_id(a->d);
	return s;
}

static void cmd_light_add(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o)
{
	struct args g = {.o = o};
	struct tw_ipc_light_listen ll = {0};

	ll.proto = arg_proto(&g, false);
	ll.flow.local_port = (uint16_t)arg_u64(&g, "port", 0, 1, 65535, true);
	arg_addr(&g, "addr", false, &ll.flow.local);
	arg_addr(&g, "peer", false, &ll.flow.peer);
	ll.flow.port_id = (uint16_t)arg_u64(&g, "port_id", 0, 0, 65535, false);
	ll.flow.vlan = (uint16_t)arg_u64(&g, "vlan", 0, 0, 4094, false);
	if (arg_bool(&g, "stateless", false))
		ll.flags |= TW_IPC_SF_STATELESS;
	if (arg_bool(&g, "copy_dscp", false))
		ll.flags |= TW_IPC_SF_COPY_DSCP;
	ll.flags |= TW_IPC_SF_START_NOW;
	ll.dscp = (uint8_t)arg_u64(&g, "dscp", 0, 0, 63, false);
	ll.ttl = (uint8_t)arg_u64(&g, "ttl", 255, 1, 255, false);
	arg_sec(&g, &ll.sec, &ll.keys);
	ll.max_peers = (uint32_t)arg_u64(&g, "max_peers", 64, 1, 1u << 20, false);
	ll.idle_ns = arg_u64(&g, "idle_s", 60, 1, 86400, false) * 1000000000u;
	if (g.bad) {
		reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	struct ctl_daemon *d = c->a->d;
	if (d->port_used[ll.flow.local_port]) {
		reply_err(c, id, "limit", "port %u is in use", ll.flow.local_port);
		return;
	}
	struct adm_sess *s = sess_new(c, id);
	if (!s)
		return;
	d->port_used[ll.flow.local_port] = 1;
	ll.session = s->id;
	s->kind = ADM_LIGHT;
	s->proto = ll.proto;
	s->sec = ll.sec;
	s->flow = ll.flow;
	fp_request(c, id, TW_IPC_LIGHT_LISTEN, s->id, &ll, sizeof(ll));
}

static bool subscribe(struct adm_client *c, uint32_t session)
{
	for (unsigned i = 0; i < c->n_subs; i++)
		if (c->subs[i] == session)
			return true;
	if (c->n_subs == sizeof(c->subs) / sizeof(c->subs[0]))
		return false;
	c->subs[c->n_subs++] = session;
	return true;
}

static void sender_stats_new(struct ctl_admin *a, struct adm_sess *s)
{
	const struct ctl_conf *cf = &a->d->conf;
	struct tw_stats_config sc = {.loss_timeout_ns = s->loss_timeout_ns};

	for (unsigned k = 0; k < CTL_CONF_THR_KINDS && k < TW_STATS_THR__COUNT; k++) {
		int64_t mul = k == TW_STATS_THR_LOSS ? 1 : 1000; /* ppm / us -> ns */
		sc.thr[k].raise = (int64_t)cf->thr[k].raise * mul;
		sc.thr[k].clear = (int64_t)cf->thr[k].clear * mul;
	}
	s->st = malloc(sizeof(*s->st));
	if (!s->st)
		return;
	if (tw_stats_init(s->st, &sc) != TW_OK) {
		free(s->st);
		s->st = NULL;
		return;
	}
	a->n_stats++;
}

static int64_t wire_ns(uint64_t t, uint16_t err, int64_t ref, int64_t *e, bool *sync)
{
	uint64_t en = 0;
	if (err & 0x4000) /* Z bit: PTP format (RFC 8186) */
		t = tw_time_ptp_to_ntp(t);
	(void)tw_errest_decode(err, &en);
	if (e)
		*e = (int64_t)en;
	if (sync)
		*sync = tw_errest_s(err);
	return tw_ntp_to_unix_ns(t, ref);
}

/* One result record into the sender's tw_stats.  Records come in the order
 * their fate is known, so a LOST record arrives after later sequence
 * numbers: every sequence number up to the highest seen is declared sent
 * when first passed (tw_stats wants them in order), and tw_stats_expire()
 * settles the ones without a reply. */
static void sender_stats_feed(struct adm_sess *s, const struct tw_ipc_result *r)
{
	int64_t ref = tw_time_now_ns();
	struct tw_stats_reply rp = {0};
	struct tw_stats_sample smp;

	rp.t1 = wire_ns(r->t1, r->err1, ref, &rp.e1, &rp.snd_sync);
	if (!(r->flags & (TW_IPC_RES_LATE | TW_IPC_RES_DUP))) {
		if (!s->seq_valid) {
			(void)tw_stats_sent(s->st, r->sender_seq, rp.t1);
			s->seq_valid = true;
			s->next_seq = r->sender_seq + 1;
		} else if ((int32_t)(r->sender_seq - s->next_seq) >= 0) {
			uint32_t gap = r->sender_seq - s->next_seq;
			uint32_t k = gap > TW_STATS_SEQ_WINDOW ? r->sender_seq : s->next_seq;
			for (;; k++) {
				(void)tw_stats_sent(s->st, k, rp.t1);
				if (k == r->sender_seq)
					break;
			}
			s->next_seq = r->sender_seq + 1;
		}
	}
	if (r->flags & TW_IPC_RES_LOST)
		return;
	rp.snd_seq = r->sender_seq;
	rp.refl_seq = r->reflector_seq;
	rp.t2 = wire_ns(r->t2, r->err2, ref, &rp.e2, &rp.refl_sync);
	rp.t3 = wire_ns(r->t3, r->err3, ref, &rp.e3, NULL);
	rp.t4 = wire_ns(r->t4, r->err4, ref, &rp.e4, NULL);
	rp.snd_ttl = r->ttl_fwd;
	rp.rx_ttl = (r->flags & TW_IPC_RES_TTL_NONE) ? 0 : r->ttl_back;
	rp.init_ttl = 255;
	(void)tw_stats_reply(s->st, &rp, &smp);
}

static void cmd_sender_add(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o)
{
	struct args g = {.o = o};
	struct tw_ipc_sender_add sa = {0};

	sa.proto = arg_proto(&g, true);
	arg_addr(&g, "local", true, &sa.flow.local);
	sa.flow.local_port = (uint16_t)arg_u64(&g, "local_port", 0, 1, 65535, true);
	arg_addr(&g, "peer", true, &sa.flow.peer);
	sa.flow.peer_port = (uint16_t)arg_u64(&g, "peer_port", 0, 1, 65535, true);
	sa.flow.port_id = (uint16_t)arg_u64(&g, "port_id", 0, 0, 65535, false);
	sa.flow.vlan = (uint16_t)arg_u64(&g, "vlan", 0, 0, 4094, false);
	const char *mac = arg_str(&g, "next_hop_mac", false);
	if (mac) {
		unsigned m[6];
		if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4],
		           &m[5]) != 6) {
			snprintf(g.err, sizeof(g.err),
			         "arg next_hop_mac: expected aa:bb:cc:dd:ee:ff");
			g.bad = true;
		}
		for (int i = 0; i < 6; i++)
			sa.next_hop_mac[i] = (uint8_t)m[i];
	} else {
		sa.flags |= TW_IPC_SF_RESOLVE;
	}
	sa.dscp = (uint8_t)arg_u64(&g, "dscp", 0, 0, 63, false);
	sa.ttl = (uint8_t)arg_u64(&g, "ttl", 255, 1, 255, false);
	sa.pad.padding_len = (uint32_t)arg_u64(&g, "padding", 0, 0, 65000, false);
	sa.interval_ns = arg_u64(&g, "interval_us", 1000000, 1, 3600000000ull, false) * 1000u;
	sa.sched = arg_bool(&g, "poisson", false) ? TW_IPC_SCHED_POISSON : TW_IPC_SCHED_PERIODIC;
	sa.count = arg_u64(&g, "count", 0, 0, UINT64_MAX, false);
	sa.duration_ns = arg_u64(&g, "duration_ms", 0, 0, 86400000ull * 365, false) * 1000000u;
	sa.loss_timeout_ns = arg_u64(&g, "loss_timeout_ms", 2000, 1, 3600000, false) * 1000000u;
	sa.ssid = (uint16_t)arg_u64(&g, "ssid", 0, 0, 65535, false);
	if (sa.proto == TW_IPC_PROTO_TWAMP)
		arg_sec_twamp(&g, &sa.sec, &sa.keys, sa.sid);
	else
		arg_sec(&g, &sa.sec, &sa.keys);
	if (arg_bool(&g, "symmetric", false))
		sa.flags |= TW_IPC_SF_SYMMETRIC;
	if (arg_bool(&g, "ptp", false))
		sa.flags |= TW_IPC_SF_PTP_TS;
	if (!arg_bool(&g, "results", true))
		sa.flags |= TW_IPC_SF_NO_RESULTS;
	if (arg_bool(&g, "start", false))
		sa.flags |= TW_IPC_SF_START_NOW;
	bool sub = arg_bool(&g, "subscribe", false);
	if (g.bad) {
		reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	if (sa.flow.local.family != sa.flow.peer.family) {
		reply_err(c, id, "arg", "arg peer: not the IP version of local");
		return;
	}
	struct adm_sess *s = sess_new(c, id);
	if (!s)
		return;
	sa.session = s->id;
	s->kind = ADM_SENDER;
	s->proto = sa.proto;
	s->sec = sa.sec;
	s->flow = sa.flow;
	s->loss_timeout_ns = (int64_t)sa.loss_timeout_ns;
	if (!(sa.flags & TW_IPC_SF_NO_RESULTS) && c->a->n_stats < CTL_ADMIN_MAX_STATS)
		sender_stats_new(c->a, s);
	if (sub)
		(void)subscribe(c, s->id);
	fp_request(c, id, TW_IPC_SENDER_ADD, s->id, &sa, sizeof(sa));
}

static void cmd_session_ctl(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o,
                            uint16_t type)
{
	struct args g = {.o = o};
	uint32_t sid = (uint32_t)arg_u64(&g, "session", 0, 1, UINT32_MAX, true);
	if (g.bad) {
		reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	struct adm_sess *s = sess_find(c->a, sid);
	if (!s || (type != TW_IPC_SESSION_DEL && s->kind != ADM_SENDER)) {
		reply_err(c, id, "not-found", "no %s session %u",
		          type == TW_IPC_SESSION_DEL ? "light or sender" : "sender", sid);
		return;
	}
	struct tw_ipc_session_ctl sc = {.session = sid};
	fp_request(c, id, type, sid, &sc, sizeof(sc));
}

static void cmd_subscribe(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o, bool on)
{
	struct args g = {.o = o};
	uint32_t sid = (uint32_t)arg_u64(&g, "session", 0, 0, UINT32_MAX, true);
	if (g.bad) {
		reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	if (on) {
		if (!subscribe(c, sid)) {
			reply_err(c, id, "limit", "at most 16 subscriptions per connection");
			return;
		}
	} else {
		for (unsigned i = 0; i < c->n_subs;)
			if (!sid || c->subs[i] == sid)
				c->subs[i] = c->subs[--c->n_subs];
			else
				i++;
	}
	reply_ok(c, id);
}

static void handle_line(struct adm_client *c, const char *line, size_t len)
{
	struct ctl_json_obj *o = malloc(sizeof(*o));
	const char *why = NULL;

	if (!o)
		return;
	if (ctl_json_parse(line, len, o, &why)) {
		reply_err(c, 0, "parse", "%s", why);
		free(o);
		return;
	}
	const struct ctl_json_member *idm = ctl_json_get(o, "id");
	uint64_t id = (idm && idm->type == CTL_JSON_INT && !idm->neg) ? idm->u : 0;
	const struct ctl_json_member *cm = ctl_json_get(o, "cmd");
	const char *cmd = (cm && cm->type == CTL_JSON_STR) ? cm->str : "";
	static const char *const ro_cmds[] = {"hello", "show-status", "show-counters",
	                                      "show-fp-counters", "show-sessions"};
	bool is_ro = false;
	for (size_t i = 0; i < sizeof(ro_cmds) / sizeof(ro_cmds[0]); i++)
		is_ro |= !strcmp(cmd, ro_cmds[i]);
	static const char *const rw_cmds[] = {"light-add",    "session-del", "sender-add",
	                                      "sender-start", "sender-stop", "subscribe",
	                                      "unsubscribe"};
	bool is_rw = false;
	for (size_t i = 0; i < sizeof(rw_cmds) / sizeof(rw_cmds[0]); i++)
		is_rw |= !strcmp(cmd, rw_cmds[i]);

	if (!is_ro && !is_rw)
		reply_err(c, id, "unknown-cmd", "no command '%s'", cmd);
	else if (is_rw && c->ro)
		reply_err(c, id, "readonly", "'%s' is not allowed on the read-only socket", cmd);
	else if (!strcmp(cmd, "hello"))
		cmd_hello(c, id);
	else if (!strcmp(cmd, "show-status"))
		cmd_status(c, id);
	else if (!strcmp(cmd, "show-counters"))
		cmd_counters(c, id);
	else if (!strcmp(cmd, "show-fp-counters"))
		cmd_fp_counters(c, id);
	else if (!strcmp(cmd, "show-sessions"))
		cmd_sessions(c, id);
	else if (!strcmp(cmd, "light-add"))
		cmd_light_add(c, id, o);
	else if (!strcmp(cmd, "sender-add"))
		cmd_sender_add(c, id, o);
	else if (!strcmp(cmd, "session-del"))
		cmd_session_ctl(c, id, o, TW_IPC_SESSION_DEL);
	else if (!strcmp(cmd, "sender-start"))
		cmd_session_ctl(c, id, o, TW_IPC_SENDER_START);
	else if (!strcmp(cmd, "sender-stop"))
		cmd_session_ctl(c, id, o, TW_IPC_SENDER_STOP);
	else if (!strcmp(cmd, "subscribe"))
		cmd_subscribe(c, id, o, true);
	else
		cmd_subscribe(c, id, o, false);
	free(o);
}

/* ---- sockets ------------------------------------------------------------------------------ */

static void client_io(struct ctl_io *io, uint32_t events)
{
	struct adm_client *c = (struct adm_client *)io;

	if (c->dead)
		return;
	if (events & EPOLLOUT)
		client_flush(c);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n = recv(io->fd, c->in + c->in_len, ADM_LINE_MAX - c->in_len, 0);
		if (n == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			c->dead = true;
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		c->in_len += (size_t)n;
		char *start = c->in, *nl;
		while (!c->dead &&
		       (nl = memchr(start, '\n', c->in_len - (size_t)(start - c->in)))) {
			if (!c->skipping)
				handle_line(c, start, (size_t)(nl - start));
			c->skipping = false;
			start = nl + 1;
		}
		c->in_len -= (size_t)(start - c->in);
		memmove(c->in, start, c->in_len);
		if (c->in_len == ADM_LINE_MAX) {
			/* no newline in 4096 octets */
			if (!c->skipping)
				reply_err(c, 0, "too-long", "request line over %u octets",
				          ADM_LINE_MAX);
			c->skipping = true;
			c->in_len = 0;
		}
	}
}

static void listener_io(struct ctl_io *io, uint32_t events)
{
	struct adm_listener *l = (struct adm_listener *)io;
	struct ctl_admin *a = l->a;
	(void)events;

	for (;;) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (a->n_clients >= ADM_MAX_CLIENT) {
			close(fd);
			continue;
		}
		struct adm_client *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->a = a;
		c->ro = l->ro;
		c->serial = ++a->next_serial;
		c->io.fd = fd;
		c->io.cb = client_io;
		ctl_jb_init(&c->out);
		if (ctl_loop_add(a->d->loop, &c->io, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = a->clients;
		a->clients = c;
		a->n_clients++;
	}
}

static int open_socket(struct ctl_admin *a, const char *path, bool ro)
{
	struct adm_listener *l = &a->lst[a->n_lst];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		log_warn("admin socket %s", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	(void)unlink(path);
	mode_t old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		umask(old);
		log_warn("admin socket %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (!ro && a->d->conf.admin_group[0]) {
		struct group *gr = getgrnam(a->d->conf.admin_group);
		if (!gr || chown(path, (uid_t)-1, gr->gr_gid) < 0)
			log_warn("admin socket %s: group %s", path, a->d->conf.admin_group);
	}
	if (chmod(path, ro ? 0666 : 0660) < 0)
		log_warn("chmod %s", path);
	l->a = a;
	l->ro = ro;
	l->io.fd = fd;
	l->io.cb = listener_io;
	snprintf(l->path, sizeof(l->path), "%s", path);
	if (ctl_loop_add(a->d->loop, &l->io, EPOLLIN) < 0) {
		close(fd);
		return -1;
	}
	a->n_lst++;
	log_info("admin socket %s%s", path, ro ? " (read-only)" : "");
	return 0;
}

struct ctl_admin *ctl_admin_new(struct ctl_daemon *d)
{
	struct ctl_admin *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->d = d;
	if (open_socket(a, d->conf.admin_socket, false) < 0 ||
	    (d->conf.admin_socket_ro[0] && open_socket(a, d->conf.admin_socket_ro, true) < 0)) {
		ctl_admin_free(a);
		return NULL;
	}
	return a;
}

static void client_free(struct ctl_admin *a, struct adm_client *c)
{
	ctl_loop_del(a->d->loop, &c->io);
	close(c->io.fd);
	ctl_jb_free(&c->out);
	a->n_clients--;
	free(c);
}

void ctl_admin_free(struct ctl_admin *a)
{
	if (!a)
		return;
	while (a->clients) {
		struct adm_client *c = a->clients;
		a->clients = c->next;
		client_free(a, c);
	}
	for (unsigned i = 0; i < a->n_lst; i++) {
		ctl_loop_del(a->d->loop, &a->lst[i].io);
		close(a->lst[i].io.fd);
		(void)unlink(a->lst[i].path);
	}
	for (unsigned i = 0; i < a->n_sess; i++)
		free(a->sess[i].st);
	free(a);
}

void ctl_admin_poll(struct ctl_admin *a, uint64_t now_ms)
{
	(void)now_ms;
	for (struct adm_client **pc = &a->clients; *pc;) {
		struct adm_client *c = *pc;
		if (!c->dead && c->out.len)
			client_flush(c);
		if (c->dead) {
			*pc = c->next;
			client_free(a, c);
			continue;
		}
		pc = &c->next;
	}
}

/* ---- events to subscribers ------------------------------------------------------------------ */

static void broadcast(struct ctl_admin *a, uint32_t session, struct ctl_jb *b)
{
	for (struct adm_client *c = a->clients; c; c = c->next)
		for (unsigned i = 0; i < c->n_subs; i++)
			if (c->subs[i] == 0 || c->subs[i] == session) {
				client_send_line(c, b);
				break;
			}
}

void ctl_admin_fp_event(struct ctl_admin *a, const struct tw_ipc_hdr *h, const void *payload)
{
	struct ctl_jb b;

	if (!a)
		return;
	if (h->type == TW_IPC_SESSION_EVENT) {
		struct tw_ipc_session_event ev;
		memcpy(&ev, payload, sizeof(ev));
		struct adm_sess *s = sess_find(a, ev.session);
		if (s) {
			s->state = (uint8_t)ev.event;
			s->rx_pkts = ev.rx_pkts;
			s->tx_pkts = ev.tx_pkts;
		}
		ctl_jb_init(&b);
		ctl_jb_obj_begin(&b, NULL);
		ctl_jb_str(&b, "event", "session");
		ctl_jb_u64(&b, "session", ev.session);
		ctl_jb_str(&b, "what", event_name(ev.event));
		ctl_jb_str(&b, "err", tw_errname((enum tw_err)ev.err));
		ctl_jb_u64(&b, "at_ntp", ev.at_ntp);
		ctl_jb_u64(&b, "rx_pkts", ev.rx_pkts);
		ctl_jb_u64(&b, "tx_pkts", ev.tx_pkts);
		ctl_jb_obj_end(&b);
		broadcast(a, ev.session, &b);
		ctl_jb_free(&b);
		if (s && ev.event == TW_IPC_EV_DELETED)
			sess_remove(a, ev.session);
	} else if (h->type == TW_IPC_SENDER_RESULT) {
		struct tw_ipc_result_batch bt;
		memcpy(&bt, payload, sizeof(bt));
		const uint8_t *rp = (const uint8_t *)payload + sizeof(bt);
		for (unsigned i = 0; i < bt.count; i++) {
			struct tw_ipc_result r;
			memcpy(&r, rp + i * sizeof(r), sizeof(r));
			struct adm_sess *rs = sess_find(a, r.session);
			if (rs && rs->st)
				sender_stats_feed(rs, &r);
			ctl_jb_init(&b);
			ctl_jb_obj_begin(&b, NULL);
			ctl_jb_str(&b, "event", "result");
			ctl_jb_u64(&b, "session", r.session);
			ctl_jb_u64(&b, "seq", r.sender_seq);
			ctl_jb_u64(&b, "rseq", r.reflector_seq);
			ctl_jb_u64(&b, "flags", r.flags);
			ctl_jb_u64(&b, "t1", r.t1);
			ctl_jb_u64(&b, "t2", r.t2);
			ctl_jb_u64(&b, "t3", r.t3);
			ctl_jb_u64(&b, "t4", r.t4);
			ctl_jb_u64(&b, "err1", r.err1);
			ctl_jb_u64(&b, "err2", r.err2);
			ctl_jb_u64(&b, "err3", r.err3);
			ctl_jb_u64(&b, "err4", r.err4);
			ctl_jb_u64(&b, "ttl_fwd", r.ttl_fwd);
			ctl_jb_u64(&b, "ttl_back", r.ttl_back);
			ctl_jb_u64(&b, "dscp_tx", r.dscp_tx);
			ctl_jb_u64(&b, "dscp_rx", r.dscp_rx);
			ctl_jb_u64(&b, "ssid", r.ssid);
			ctl_jb_u64(&b, "len", r.rx_len);
			ctl_jb_obj_end(&b);
			broadcast(a, r.session, &b);
			ctl_jb_free(&b);
		}
	} else if (h->type == TW_IPC_SENDER_SUMMARY) {
		struct tw_ipc_sender_summary sm;
		static const char *const reasons[] = {"?", "count", "duration", "stop", "error"};
		memcpy(&sm, payload, sizeof(sm));
		struct adm_sess *s = sess_find(a, sm.session);
		if (s) {
			s->tx_pkts = sm.sent;
			s->rx_pkts = sm.replies;
			s->state = TW_IPC_EV_ENDED;
			if (s->st)
				tw_stats_flush(s->st);
		}
		ctl_jb_init(&b);
		ctl_jb_obj_begin(&b, NULL);
		ctl_jb_str(&b, "event", "summary");
		ctl_jb_u64(&b, "session", sm.session);
		ctl_jb_str(&b, "reason", sm.reason < 5 ? reasons[sm.reason] : "?");
		ctl_jb_str(&b, "err", tw_errname((enum tw_err)sm.err));
		ctl_jb_u64(&b, "sent", sm.sent);
		ctl_jb_u64(&b, "replies", sm.replies);
		ctl_jb_u64(&b, "lost", sm.lost);
		ctl_jb_u64(&b, "late", sm.late);
		ctl_jb_u64(&b, "dup", sm.dup);
		ctl_jb_u64(&b, "tx_drops", sm.tx_drops);
		ctl_jb_u64(&b, "results_sent", sm.results_sent);
		ctl_jb_u64(&b, "results_dropped", sm.results_dropped);
		ctl_jb_u64(&b, "start_ntp", sm.start_ntp);
		ctl_jb_u64(&b, "end_ntp", sm.end_ntp);
		ctl_jb_obj_end(&b);
		broadcast(a, sm.session, &b);
		ctl_jb_free(&b);
	}
	for (struct adm_client *c = a->clients; c; c = c->next)
		if (c->out.len && !c->dead)
			client_flush(c);
}

/* ---- sessions for /metrics ------------------------------------------------------------------ */

unsigned ctl_admin_n_sessions(const struct ctl_admin *a)
{
	return a ? a->n_sess : 0;
}

void ctl_admin_session(const struct ctl_admin *a, unsigned i, struct ctl_admin_sess *out)
{
	const struct adm_sess *s = &a->sess[i];

	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->kind = s->kind == ADM_LIGHT ? "light" : "sender";
	out->proto = proto_name(s->proto);
	out->state = !s->live ? "adding" : event_name(s->state);
	out->mode = sec_name(s->sec);
	flow_str(&s->flow.local, s->flow.local_port, out->local, sizeof(out->local));
	flow_str(&s->flow.peer, s->flow.peer_port, out->peer, sizeof(out->peer));
	out->rx_pkts = s->rx_pkts;
	out->tx_pkts = s->tx_pkts;
	out->st = s->st;
}

void ctl_admin_tick(struct ctl_admin *a, int64_t now_ns)
{
	if (!a)
		return;
	for (unsigned i = 0; i < a->n_sess; i++) {
		struct adm_sess *s = &a->sess[i];
		struct tw_stats_event ev;
		if (!s->st || s->state == TW_IPC_EV_ENDED)
			continue;
		/* one extra second: a reply may still be on its way through the ring */
		tw_stats_expire(s->st, now_ns - 1000000000);
		while (tw_stats_event_pop(s->st, &ev))
			log_info("session %u: threshold %s %s (value %lld)", s->id,
			         ctl_conf_thr_name(ev.kind), ev.raised ? "raised" : "cleared",
			         (long long)ev.value);
	}
}
