/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "fastpath" engine: the Session-Sender runs in twinhop-fp.  Each session
 * becomes one `sender-add` on twinhopd's admin socket (docs/admin-protocol.md,
 * protocol 1) with "start":true and "subscribe":true; per-packet `result`
 * events and the final `summary` stream back on the same connection.
 *
 * TWAMP-Control sessions (cfg->twamp_mode set) are sent as "proto":"twamp"
 * with "sec" (open/mixed/auth/enc), "sid" and, in modes 2/4, the test keys
 * derived from the SID ("aes_key", "hmac_key", spec §3.5), so the fast path
 * can send mode 1/2/4/8 test packets.  A twinhopd that predates these fields
 * answers "error":"arg": modes 1/8 then fall back to the identical open
 * "light" layout (as before), modes 2/4 fail with a message saying why.
 *
 * The fast path owns the local address (the TAP interface's) and twinhopd
 * cannot hand out a free sender port, so the CLI picks one at random and,
 * where the address is also local to this host, checks it with bind().
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_* */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "cli_admin.h"
#include "cli_engine.h"
#include "tw_crypto.h"
#include "tw_ctl.h"
#include "tw_ipc.h"
#include "tw_time.h"

#define EARLY_MAX 4096
#define RESULTS_GRACE_NS 250000000ll

struct fp_priv {
	struct cli_admin adm;
	uint64_t id[CLI_ENGINE_SESSIONS_MAX];
	bool done[CLI_ENGINE_SESSIONS_MAX];
	/* A sender's summary (fast path ring 0) can overtake its last results
	 * (a worker's ring, split mode): done once the results the summary
	 * counts (results_sent) are in, or RESULTS_GRACE_NS after it. */
	bool ended[CLI_ENGINE_SESSIONS_MAX];
	int64_t ended_ns[CLI_ENGINE_SESSIONS_MAX];
	bool have_want[CLI_ENGINE_SESSIONS_MAX];    /* a summary came: want_res is known */
	uint64_t want_res[CLI_ENGINE_SESSIONS_MAX]; /* its results_sent */
	uint64_t nres[CLI_ENGINE_SESSIONS_MAX];     /* result lines read */
	bool deferred[CLI_ENGINE_SESSIONS_MAX]; /* added with "start":false (--stagger) */
	uint32_t notified[CLI_ENGINE_SESSIONS_MAX]; /* `sent` reported for the seqs below */
	bool warned;
	/* STAMP TLVs (RFC 8972 §4) laid out at add, sent as sender-add "tlv" */
	struct tw_stlv_tmpl *tlv[CLI_ENGINE_SESSIONS_MAX];
	/* Event lines of a session whose sender-add reply has not come yet:
	 * twinhopd relays the fast path's event rings as it reads them, and in
	 * split mode a reply's result (a worker's ring) can overtake the ACK
	 * (ring 0) that makes twinhopd answer sender-add.  Kept in order and
	 * replayed once the reply names the session; at most EARLY_MAX, the
	 * rest counted in early_lost and reported. */
	char *early[EARLY_MAX];
	unsigned n_early;
	uint64_t early_lost;
	struct cli_engine *e;
	const struct cli_engine_cb *cb;
};

static int fp_add(struct cli_engine *e, unsigned idx, struct cli_sess_cfg *cfg, char *err,
                  size_t errlen)
{
	/* RFC 9533 §4.1: every micro-session of the LAG has one 5-tuple, so
	 * the later ones take the first one's address and port (the fast path
	 * tells their replies apart by the Sender Micro-session ID). */
	if (cfg->micro && cfg->micro_lead != idx) {
		if (cfg->micro_lead > idx || !e->cfg[cfg->micro_lead].micro) {
			snprintf(err, errlen, "internal: micro-session %u without its lead", idx);
			return -1;
		}
		cfg->local = e->cfg[cfg->micro_lead].local;
		cfg->local_len = e->cfg[cfg->micro_lead].local_len;
	}
	if (cfg->layout != TW_PKT_TWAMP_OPEN && cfg->layout != TW_PKT_TWAMP_AUTH &&
	    !tw_pkt_is_stamp(cfg->layout)) {
		snprintf(err, errlen,
		         "fastpath engine: Symmetrical Size (RFC 6038) layouts are not supported; "
		         "drop --features symmetrical or use --engine socket");
		return -1;
	}
	if (!e->priv) {
		e->priv = calloc(1, sizeof(struct fp_priv));
		if (!e->priv) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		((struct fp_priv *)e->priv)->adm.fd = -1;
	}
	/* STAMP TLVs: laid out here as the socket engine does; twinhop-fp
	 * copies them after the base and fills the per-packet values. */
	if (cfg->ntlv) {
		struct fp_priv *p = e->priv;
		int8_t ecn;
		p->tlv[idx] = calloc(1, sizeof(*p->tlv[idx]));
		if (!p->tlv[idx]) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (cli_engine_tlv_prep(e, idx, cfg, p->tlv[idx], &ecn, err, errlen) < 0)
			return -1;
		if (p->tlv[idx]->len > TW_IPC_STLV_MAX) {
			snprintf(err, errlen,
			         "fastpath engine: %u octets of STAMP TLVs, the fast path carries "
			         "at most %u (a smaller --padding or pad=); or use --engine socket",
			         (unsigned)p->tlv[idx]->len, TW_IPC_STLV_MAX);
			return -1;
		}
	}
	/* The fast path sends from exactly this address: a wildcard (light-send
	 * without --local) would leave it no source to write, and the sender
	 * would be NACKed deep in the daemon with a field offset for a reason. */
	if ((cfg->local.ss_family == AF_INET &&
	     ((const struct sockaddr_in *)&cfg->local)->sin_addr.s_addr == htonl(INADDR_ANY)) ||
	    (cfg->local.ss_family == AF_INET6 &&
	     IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&cfg->local)->sin6_addr)) ||
	    (cfg->local.ss_family != AF_INET && cfg->local.ss_family != AF_INET6)) {
		snprintf(err, errlen, "fastpath engine: give --local ADDR, the fast path's own "
		                      "address (its TAP address): it cannot send from a wildcard");
		return -1;
	}
	/* No bind here: twinhop-fp owns the address.  Pick a port if none given. */
	uint16_t *port = cfg->local.ss_family == AF_INET6
	                     ? &((struct sockaddr_in6 *)&cfg->local)->sin6_port
	                     : &((struct sockaddr_in *)&cfg->local)->sin_port;
	if (*port == 0) {
		for (int tries = 0; tries < 64; tries++) {
			uint16_t r = 0;
			tw_crypto_random(&r, sizeof(r));
			*port = htons((uint16_t)(49152 + r % 16384));
			int fd = socket(cfg->local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				break;
			int b = bind(fd, (struct sockaddr *)&cfg->local, cfg->local_len);
			int en = errno;
			close(fd);
			/* EADDRNOTAVAIL: the address lives only in the fast path. */
			if (b == 0 || en != EADDRINUSE)
				break;
		}
	}
	return 0;
}

static int fp_set_peer(struct cli_engine *e, unsigned idx, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	/* RFC 8972 §4.2 Location: the address and port the fast path sends
	 * from, to compare with what the reflector saw (as the socket engine) */
	const struct sockaddr_storage *l = &e->cfg[idx].local;
	if (e->cnt[idx].has_tlv) {
		char a[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;
		if (l->ss_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)l;
			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
			port = ntohs(s6->sin6_port);
		} else {
			const struct sockaddr_in *s4 = (const void *)l;
			inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
			port = ntohs(s4->sin_port);
		}
		snprintf(e->cnt[idx].tlv_local, sizeof(e->cnt[idx].tlv_local),
		         l->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	}
	return 0;
}

static void addr_str(const struct sockaddr_storage *ss, char *a, size_t cap, unsigned *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, (socklen_t)cap);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, (socklen_t)cap);
		*port = ntohs(s4->sin_port);
	}
}

static int sess_of(struct fp_priv *p, uint64_t id)
{
	for (unsigned i = 0; i < p->e->n; i++)
		if (p->id[i] == id)
			return (int)i;
	return -1;
}

static void fp_event(void *arg, const char *l);

static bool sess_done(struct fp_priv *p, unsigned i)
{
	if (!p->done[i] && p->ended[i] &&
	    ((p->have_want[i] && p->nres[i] >= p->want_res[i]) ||
	     cli_mono_ns() - p->ended_ns[i] > RESULTS_GRACE_NS))
		p->done[i] = true;
	return p->done[i];
}

/* The event lines that came before the reply naming session id, in their
 * order; the others stay. */
static void replay_early(struct fp_priv *p, uint64_t id)
{
	unsigned k = 0;
	for (unsigned j = 0; j < p->n_early; j++) {
		uint64_t sid = 0;
		if (cli_json_u64(p->early[j], "session", &sid) && sid == id) {
			fp_event(p, p->early[j]);
			free(p->early[j]);
		} else {
			p->early[k++] = p->early[j];
		}
	}
	p->n_early = k;
}

static uint64_t u(const char *l, const char *k)
{
	uint64_t v = 0;
	cli_json_u64(l, k, &v);
	return v;
}

/* lib/tw_stats counts sends in sequence order (a send below the highest is
 * not counted), but the fast path reports each packet when its fate is
 * known: a reply at once, LOST only after the loss timeout.  A packet lost
 * before answered ones would then never count as sent, and its loss would
 * vanish from the report.  So sends are reported in order: the seqs below
 * this record's that are not reported yet (the fast path's seqs start at
 * 0) are reported now with this record's send time, later than their own,
 * so they are declared lost later, never early; their own time follows with
 * their LOST record (sent_t1). */
static void notify_sent(struct fp_priv *p, unsigned i, uint32_t seq, int64_t t1)
{
	const struct cli_engine_cb *cb = p->cb;
	if (seq < p->notified[i]) {
		if (cb->sent_t1)
			cb->sent_t1(cb->arg, i, seq, t1);
		return;
	}
	/* tw_stats keeps a window of 131072 seqs: more is never filled in */
	if (seq - p->notified[i] > (1u << 17))
		p->notified[i] = seq - (1u << 17);
	if (cb->sent)
		for (uint32_t j = p->notified[i]; j <= seq; j++)
			cb->sent(cb->arg, i, j, t1);
	p->notified[i] = seq + 1;
}

/* The "stlv" event (docs/admin-protocol.md): what the replies' STAMP TLVs
 * said, the fields of tw_ipc_sender_stlv by name, read back into the same
 * struct tw_stlv_res the socket engine fills. */
static void stlv_event(struct cli_engine_counters *cnt, const char *l)
{
	json_error_t je;
	json_t *o = json_loads(l, 0, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	struct tw_ipc_sender_stlv m;
	memset(&m, 0, sizeof(m));
#define GET(n, units, d) m.n = (__typeof__(m.n))json_integer_value(json_object_get(o, #n));
	TW_IPC_STLV_U64_LIST(GET)
	TW_IPC_STLV_I64_LIST(GET)
	TW_IPC_STLV_U8_LIST(GET)
#undef GET
	static const char *const dm[3] = {"s_txc", "r_rxc", "r_txc"};
	char k[32];
	for (int i = 0; i < 3; i++) {
		snprintf(k, sizeof(k), "dm_first_%s", dm[i]);
		m.dm_first[i] = (uint32_t)json_integer_value(json_object_get(o, k));
		snprintf(k, sizeof(k), "dm_last_%s", dm[i]);
		m.dm_last[i] = (uint32_t)json_integer_value(json_object_get(o, k));
	}
	for (int i = 0; i < 4; i++) {
		snprintf(k, sizeof(k), "tsi%d", i);
		m.tsi[i] = (uint8_t)json_integer_value(json_object_get(o, k));
	}
	m.loc_src_port = (uint16_t)json_integer_value(json_object_get(o, "loc_src_port"));
	m.loc_dst_port = (uint16_t)json_integer_value(json_object_get(o, "loc_dst_port"));
	const char *hs = json_string_value(json_object_get(o, "loc_src"));
	const char *hd = json_string_value(json_object_get(o, "loc_dst"));
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (hs && strlen(hs) == 32 && sscanf(hs + 2 * i, "%2x", &v) == 1)
			m.loc_src[i] = (uint8_t)v;
		if (hd && strlen(hd) == 32 && sscanf(hd + 2 * i, "%2x", &v) == 1)
			m.loc_dst[i] = (uint8_t)v;
	}
	json_decref(o);
	tw_ipc_stlv_to_res(&cnt->tlv, &m);
}

/* One event line from twinhopd. */
static void fp_event(void *arg, const char *l)
{
	struct fp_priv *p = arg;
	char ev[32] = "";
	uint64_t sid = 0;
	cli_json_str(l, "event", ev, sizeof(ev));
	if (!cli_json_u64(l, "session", &sid))
		return;
	int i = sess_of(p, sid);
	if (i < 0) {
		/* ours, but not named yet (struct fp_priv, early) */
		char *c = p->n_early < EARLY_MAX ? strdup(l) : NULL;
		if (c)
			p->early[p->n_early++] = c;
		else
			p->early_lost++;
		return;
	}
	struct cli_engine_counters *cnt = &p->e->cnt[i];
	if (!strcmp(ev, "result")) {
		p->nres[i]++;
		uint64_t flags = u(l, "flags");
		uint32_t seq = (uint32_t)u(l, "seq");
		uint64_t t1 = u(l, "t1");
		uint64_t e1 = u(l, "err1");
		if (e1 & 0x4000)
			t1 = tw_time_ptp_to_ntp(t1);
		cnt->tx++;
		notify_sent(p, (unsigned)i, seq, cli_ntp_ns(t1));
		if (flags & 1) /* TW_IPC_RES_LOST */
			return;
		cnt->rx++;
		struct tw_stats_reply rp = {0};
		rp.snd_seq = seq;
		rp.refl_seq = (uint32_t)u(l, "rseq");
		uint64_t t[4] = {t1, u(l, "t2"), u(l, "t3"), u(l, "t4")};
		uint16_t er[4] = {(uint16_t)e1, (uint16_t)u(l, "err2"), (uint16_t)u(l, "err3"),
		                  (uint16_t)u(l, "err4")};
		if (er[1] & 0x4000) /* the reflector's T2, T3 (one Error Estimate) */
			cli_engine_peer_ptp(cnt, &t[1], &t[2], t[0]);
		if (er[3] & 0x4000) /* our own T4 */
			t[3] = tw_time_ptp_to_ntp(t[3]);
		rp.t1 = cli_ntp_ns(t[0]);
		rp.t2 = cli_ntp_ns(t[1]);
		rp.t3 = cli_ntp_ns(t[2]);
		rp.t4 = cli_ntp_ns(t[3]);
		bool s4;
		rp.e1 = cli_errest_ns(er[0], &rp.snd_sync);
		rp.e2 = cli_errest_ns(er[1], &rp.refl_sync);
		rp.e3 = cli_errest_ns(er[2], NULL);
		rp.e4 = cli_errest_ns(er[3], &s4);
		/* TW_IPC_RES_TTL_NONE: the reply carried no Sender TTL (wire
		 * ref §11b.7), so the forward hop count is unknown. */
		bool no_ttl = flags & 0x40;
		uint64_t len = u(l, "len");
		if (no_ttl)
			cli_engine_count_no_ttl(cnt, (size_t)len);
		rp.snd_ttl = no_ttl ? 0 : (uint8_t)u(l, "ttl_fwd");
		rp.rx_ttl = (uint8_t)u(l, "ttl_back");
		rp.init_ttl = 255;
		/* RFC 7750 per direction (docs/admin-protocol.md "result") */
		const struct cli_sess_cfg *sc = &p->e->cfg[i];
		rp.tos_tx = (uint8_t)(sc->dscp << 2 | (sc->ecn & 3));
		uint64_t tf;
		if (cli_json_u64(l, "tos_fwd", &tf)) {
			rp.tos_fwd = (uint8_t)tf;
			rp.tos_known |= TW_STATS_TOS_FWD;
		}
		/* With STAMP TLVs a Class of Service TLV may ask for another
		 * reply DSCP (RFC 8972 §4.4): the stlv event judges that one. */
		if (!p->e->cfg[i].ntlv && cli_json_u64(l, "tos_rx", &tf)) {
			rp.tos_bwd = (uint8_t)tf;
			rp.tos_known |= TW_STATS_TOS_BWD;
		}
		if (p->cb->reply)
			p->cb->reply(p->cb->arg, (unsigned)i, &rp);
	} else if (!strcmp(ev, "stlv")) {
		stlv_event(cnt, l);
	} else if (!strcmp(ev, "summary")) {
		if (!p->ended[i])
			p->ended_ns[i] = cli_mono_ns();
		p->ended[i] = true;
		p->want_res[i] = u(l, "results_sent");
		p->have_want[i] = true;
		cnt->tx_err += u(l, "tx_drops");
	} else if (!strcmp(ev, "session")) {
		char what[32] = "";
		cli_json_str(l, "what", what, sizeof(what));
		if (!strcmp(what, "error") || !strcmp(what, "deleted"))
			p->done[i] = true;
		else if (!strcmp(what, "ended") && !p->ended[i]) {
			p->ended[i] = true;
			p->ended_ns[i] = cli_mono_ns();
		}
	} else if (!strcmp(ev, "overflow")) {
		fprintf(stderr, "twinhop: twinhopd dropped %" PRIu64 " result lines (too slow)\n",
		        u(l, "dropped"));
	}
}

static const char *sec_name(uint32_t mode)
{
	switch (mode & TW_CTL_MODE_BASE_MASK) {
	case TW_CTL_MODE_AUTH:
		return "auth";
	case TW_CTL_MODE_ENCRYPTED:
		return "enc";
	case TW_CTL_MODE_MIXED:
		return "mixed";
	default:
		return "open";
	}
}

static int hex_out(char *out, size_t cap, const uint8_t *b, size_t n)
{
	int w = 0;
	for (size_t k = 0; k < n && (size_t)w + 3 <= cap; k++)
		w += snprintf(out + w, cap - (size_t)w, "%02x", b[k]);
	return w;
}

/*
 * sender-add for session i.  Returns 0, -1 (err filled), or 1 when an older
 * twinhopd refused the TWAMP fields of an open/mixed session and the caller
 * may retry with as_light (the open layouts are identical, spec §4.1).
 */
static int add_one(struct fp_priv *p, unsigned i, bool as_light, char *err, size_t errlen)
{
	const struct cli_sess_cfg *c = &p->e->cfg[i];
	char la[64], pa[64], req[4096];
	unsigned lp, pp;
	addr_str(&c->local, la, sizeof(la), &lp);
	addr_str(&c->peer, pa, sizeof(pa), &pp);
	uint64_t ius = c->interval_ns / 1000 ? c->interval_ns / 1000 : 1;
	bool twamp = c->twamp_mode && !as_light;
	const char *proto = tw_pkt_is_stamp(c->layout) ? "stamp" : twamp ? "twamp" : "light";
	p->deferred[i] = c->start_offset_ns > 0;
	int n = snprintf(req, sizeof(req),
	                 "{\"cmd\":\"sender-add\",\"proto\":\"%s\",\"local\":\"%s\","
	                 "\"local_port\":%u,\"peer\":\"%s\",\"peer_port\":%u,\"dscp\":%u,"
	                 "\"ttl\":255,\"padding\":%u,\"interval_us\":%" PRIu64
	                 ",\"poisson\":%s,\"count\":%" PRIu64 ",\"loss_timeout_ms\":%" PRId64
	                 ",\"ssid\":%u,\"results\":true,\"start\":%s,\"subscribe\":true"
	                 ",\"ecn\":%u,\"ptp\":%s",
	                 proto, la, lp, pa, pp, c->dscp, c->padding, ius,
	                 c->poisson ? "true" : "false", c->count, c->loss_timeout_ns / 1000000,
	                 c->ssid, p->deferred[i] ? "false" : "true", c->ecn & 3u,
	                 c->ptp && !as_light ? "true" : "false");
	if (twamp) {
		uint32_t base = c->twamp_mode & TW_CTL_MODE_BASE_MASK;
		n += snprintf(req + n, sizeof(req) - (size_t)n, ",\"sec\":\"%s\",\"sid\":\"",
		              sec_name(c->twamp_mode));
		n += hex_out(req + n, sizeof(req) - (size_t)n, c->sid, 16);
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\"");
		if (c->dscp_ecn) /* RFC 7750 negotiated */
			n += snprintf(req + n, sizeof(req) - (size_t)n, ",\"dscp_ecn\":true");
		if (c->micro) /* RFC 9533 §4.2 */
			n += snprintf(req + n, sizeof(req) - (size_t)n,
			              ",\"micro_sid\":%u,\"micro_rid\":%u", c->micro_sid,
			              c->micro_rid);
		if (base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED) {
			n += snprintf(req + n, sizeof(req) - (size_t)n, ",\"aes_key\":\"");
			n += hex_out(req + n, sizeof(req) - (size_t)n, c->test_aes_key, 16);
			n += snprintf(req + n, sizeof(req) - (size_t)n, "\",\"hmac_key\":\"");
			n += hex_out(req + n, sizeof(req) - (size_t)n, c->test_hmac_key, 32);
			n += snprintf(req + n, sizeof(req) - (size_t)n, "\"");
		}
	} else if (c->prot != TW_PKT_PROT_NONE) {
		n += snprintf(req + n, sizeof(req) - (size_t)n, ",\"sec\":\"auth\",\"key\":\"");
		n += hex_out(req + n, sizeof(req) - (size_t)n, c->stamp_key, c->stamp_key_len);
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\"");
	}
	if (!twamp && c->micro) /* RFC 9534: STAMP, the IDs into its TLV */
		n += snprintf(req + n, sizeof(req) - (size_t)n,
		              ",\"micro_sid\":%u,\"micro_rid\":%u", c->micro_sid, c->micro_rid);
	/* RFC 8972 §4 STAMP TLVs, laid out at add (at most 512 octets: 1024
	 * hex digits, well inside the 4096-octet request line) */
	if (p->tlv[i] && p->tlv[i]->len) {
		n += snprintf(req + n, sizeof(req) - (size_t)n, ",\"tlv\":\"");
		n += hex_out(req + n, sizeof(req) - (size_t)n, p->tlv[i]->b, p->tlv[i]->len);
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\"");
	}
	/* the fast path ends the session on time even short of `count`
	 * (whole ms, rounded up: never shorter than asked) */
	if (c->duration_ns > 0)
		n += snprintf(req + n, sizeof(req) - (size_t)n, ",\"duration_ms\":%" PRId64,
		              (c->duration_ns + 999999) / 1000000);
	snprintf(req + n, sizeof(req) - (size_t)n, "}");
	char *rep = cli_admin_call(&p->adm, req, 10000, fp_event, p, err, errlen);
	tw_crypto_cleanse(req, sizeof(req));
	if (!rep)
		return -1;
	char code[32] = "";
	cli_json_str(rep, "error", code, sizeof(code));
	bool ok = cli_admin_ok(rep, err, errlen) && cli_json_u64(rep, "session", &p->id[i]);
	free(rep);
	if (ok) {
		replay_early(p, p->id[i]);
		return 0;
	}
	if (twamp && !strcmp(code, "arg")) {
		uint32_t base = c->twamp_mode & TW_CTL_MODE_BASE_MASK;
		if (base == TW_CTL_MODE_OPEN || base == TW_CTL_MODE_MIXED) {
			if (!p->warned)
				fprintf(stderr,
				        "twinhop: twinhopd does not know sender-add "
				        "\"proto\":\"twamp\" "
				        "(older daemon); sending the identical open layout as "
				        "\"light\"\n");
			p->warned = true;
			return 1;
		}
		char why[400];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen,
		         "fastpath engine: twinhopd refused the TWAMP test-session fields of "
		         "sender-add (proto twamp, sec %s, sid, aes_key, hmac_key): this daemon "
		         "predates them and cannot send mode 2/4 test packets (%s); use --engine "
		         "socket, or --mode open|mixed",
		         sec_name(c->twamp_mode), why);
	}
	return -1;
}

static void start_due(struct fp_priv *p, int64_t t_run, char *err, size_t errlen)
{
	for (unsigned i = 0; i < p->e->n; i++) {
		if (!p->deferred[i] || cli_mono_ns() - t_run < p->e->cfg[i].start_offset_ns)
			continue;
		char req[96];
		snprintf(req, sizeof(req), "{\"cmd\":\"sender-start\",\"session\":%" PRIu64 "}",
		         p->id[i]);
		char *rep = cli_admin_call(&p->adm, req, 5000, fp_event, p, err, errlen);
		if (!rep || !cli_admin_ok(rep, err, errlen))
			fprintf(stderr, "twinhop: sender-start of session %u: %s\n", i + 1, err);
		free(rep);
		p->deferred[i] = false;
	}
}

/* The local fast path's counters (show-fp-counters "total", every lcore),
 * by enum tw_ipc_cnt; false if twinhopd could not give them. */
static bool fp_counters(struct fp_priv *p, uint64_t c[TW_IPC_CNT__COUNT])
{
	char err[256];
	char *rep = cli_admin_call(&p->adm, "{\"cmd\":\"show-fp-counters\"}", 5000, fp_event, p,
	                           err, sizeof(err));
	if (!rep)
		return false;
	json_error_t je;
	json_t *o = json_loads(rep, 0, &je);
	free(rep);
	json_t *tot = json_object_get(o, "total");
	bool ok = json_is_object(tot);
	for (unsigned i = 0; ok && i < TW_IPC_CNT__COUNT; i++) {
		json_t *v = json_object_get(tot, tw_ipc_cnt_name(i));
		c[i] = json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
	}
	json_decref(o);
	return ok;
}

/* Issue 11: does this client share a CPU with the local fast path's
 * polling lcores?  They are twinhop-fp's main thread and DPDK's
 * "lcore-worker-N" threads, each pinned to its lcore's CPU (twinhopd's
 * show-status names the fast path's pid).  Unknown when the pid is not a
 * twinhop-fp of this pid namespace. */
static void fp_cpus(struct fp_priv *p)
{
	struct cli_engine_cpus *c = &p->e->cpus;
	char err[256], path[96], comm[32];
	memset(c, 0, sizeof(*c));
	char *rep = cli_admin_call(&p->adm, "{\"cmd\":\"show-status\"}", 5000, fp_event, p,
	                           err, sizeof(err));
	if (!rep)
		return;
	json_error_t je;
	json_t *o = json_loads(rep, 0, &je);
	free(rep);
	json_t *pv = json_object_get(json_object_get(o, "fp"), "pid");
	long long pid = json_is_integer(pv) ? json_integer_value(pv) : 0;
	json_decref(o);
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%lld/comm", pid);
	FILE *f = fopen(path, "r");
	bool fp_proc = f && fgets(comm, sizeof(comm), f) && !strcmp(comm, "twinhop-fp\n");
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%lld/task", pid);
	DIR *d = fp_proc ? opendir(path) : NULL;
	if (!d)
		return;
	cpu_set_t mine, lc, both;
	CPU_ZERO(&lc);
	bool any = false;
	struct dirent *de;
	while ((de = readdir(d))) {
		long long tid = strtoll(de->d_name, NULL, 10);
		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%lld/task/%lld/comm", pid, tid);
		f = fopen(path, "r");
		bool lcore = f && fgets(comm, sizeof(comm), f) &&
		             (tid == pid || !strncmp(comm, "lcore-worker", 12));
		if (f)
			fclose(f);
		cpu_set_t s;
		if (lcore && sched_getaffinity((pid_t)tid, sizeof(s), &s) == 0) {
			CPU_OR(&lc, &lc, &s);
			any = true;
		}
	}
	closedir(d);
	if (!any || sched_getaffinity(0, sizeof(mine), &mine) != 0)
		return;
	CPU_AND(&both, &mine, &lc);
	c->known = true;
	c->shared = CPU_COUNT(&both) > 0;
	size_t n = 0;
	for (int i = 0; i < CPU_SETSIZE && n + 8 < sizeof(c->list); i++)
		if (CPU_ISSET(i, &both))
			n += (size_t)snprintf(c->list + n, sizeof(c->list) - n, "%s%d", n ? "," : "",
			                      i);
}

/* A drop that can be one of our test packets or replies: every packet
 * drop but frames addressed to another host (promiscuous ports). */
static bool host_drop(unsigned i)
{
	return tw_ipc_cnt_sev(i) == TW_IPC_CNT_DROP && !strcmp(tw_ipc_cnt_units(i), "packets") &&
	       i != TW_IPC_CNT_DROP_NOT_MINE;
}

/* Issue 11 "Loss": what our own fast path dropped during the run, apart
 * from the network's loss.  c0: the counters before the run. */
static void fp_drops(struct fp_priv *p, const uint64_t c0[TW_IPC_CNT__COUNT])
{
	struct cli_engine_drops *d = &p->e->drops;
	uint64_t c1[TW_IPC_CNT__COUNT];
	/* twinhop-fp publishes its counters every --stats-interval (100 ms by
	 * default): wait two periods so the run's last drops are in */
	usleep(250000);
	if (!fp_counters(p, c1))
		return;
	memset(d, 0, sizeof(*d));
	d->known = true;
	for (unsigned i = 0; i < TW_IPC_CNT__COUNT; i++) {
		if (!host_drop(i) || c1[i] <= c0[i])
			continue;
		d->total += c1[i] - c0[i];
		if (d->n < CLI_ENGINE_DROP_REASONS) {
			d->by[d->n].name = tw_ipc_cnt_name(i);
			d->by[d->n++].n = c1[i] - c0[i];
		}
	}
}

/* RFC 9533 §4.2: a micro-session's Sender ID is the member link its
 * packets leave on, one of the local fast path's ports' (twinhop-fp
 * --member-link-id A,B,..., show-status "fp" "member_links"); said here,
 * before any sender-add, rather than as the fast path's bare NACK. */
static int micro_check(struct fp_priv *p, char *err, size_t errlen)
{
	bool any = false;
	for (unsigned i = 0; i < p->e->n; i++)
		any |= p->e->cfg[i].micro;
	if (!any)
		return 0;
	char *rep = cli_admin_call(&p->adm, "{\"cmd\":\"show-status\"}", 5000, fp_event, p, err,
	                           errlen);
	if (!rep)
		return -1;
	json_error_t je;
	json_t *o = json_loads(rep, 0, &je);
	free(rep);
	json_t *fpo = json_object_get(o, "fp");
	/* twinhopd leaves member_link(s) out when the fast path has none;
	 * one before IPC version 12 said only port 0's, member_link */
	json_t *ml = json_object_get(fpo, "member_links");
	json_t *m0 = json_object_get(fpo, "member_link");
	long long links[TW_IPC_MEMBER_LINKS] = {0};
	size_t nl = 0;
	if (json_is_array(ml)) {
		for (size_t k = 0; k < json_array_size(ml) && nl < TW_IPC_MEMBER_LINKS; k++)
			if (json_is_integer(json_array_get(ml, k)))
				links[nl++] = json_integer_value(json_array_get(ml, k));
	} else if (json_is_integer(m0)) {
		links[nl++] = json_integer_value(m0);
	}
	bool attached = json_is_object(fpo);
	json_decref(o);
	if (!attached) {
		snprintf(err, errlen, "fastpath engine: twinhopd has no fast path attached");
		return -1;
	}
	char list[96] = "";
	size_t w = 0;
	for (size_t k = 0; k < nl && w + 8 < sizeof(list); k++)
		w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%lld", k ? "," : "", links[k]);
	for (unsigned i = 0; i < p->e->n; i++) {
		const struct cli_sess_cfg *c = &p->e->cfg[i];
		bool found = false;
		for (size_t k = 0; k < nl; k++)
			found |= links[k] == c->micro_sid;
		if (!c->micro || found)
			continue;
		if (nl == 0)
			snprintf(err, errlen,
			         "fastpath engine: micro-session %u:%u: the local fast path has no "
			         "member link (start twinhop-fp with --member-link-id)",
			         c->micro_sid, c->micro_rid);
		else
			snprintf(err, errlen,
			         "fastpath engine: micro-session %u:%u: the Sender Micro-session ID "
			         "must be the member link the packets leave on, one of the local "
			         "fast path's %s (RFC 9533 §4.2)",
			         c->micro_sid, c->micro_rid, list);
		return -1;
	}
	return 0;
}

static int fp_run(struct cli_engine *e, const struct cli_engine_cb *cb, volatile sig_atomic_t *stop,
                  char *err, size_t errlen)
{
	struct fp_priv *p = e->priv;
	if (!p) {
		snprintf(err, errlen, "no session");
		return -1;
	}
	p->e = e;
	p->cb = cb;
	if (cli_admin_open(&p->adm, e->admin[0] ? e->admin : CLI_ADMIN_DEFAULT_SOCK, err, errlen) <
	    0)
		return -1;
	if (micro_check(p, err, errlen) < 0)
		return -1;
	uint64_t c0[TW_IPC_CNT__COUNT];
	bool have_c0 = fp_counters(p, c0);
	fp_cpus(p);
	for (unsigned i = 0; i < e->n; i++) {
		int r = add_one(p, i, false, err, errlen);
		if (r == 1) /* older twinhopd: open test packets as "light" */
			r = add_one(p, i, true, err, errlen);
		if (r < 0)
			return -1;
	}
	/* Never wait forever on a fast path that stops talking: expected run
	 * time + loss timeout + 10 s, then stop the senders ourselves. */
	int64_t run_end = INT64_MAX;
	for (unsigned i = 0; i < e->n; i++) {
		const struct cli_sess_cfg *c = &e->cfg[i];
		if (!c->count && !c->duration_ns)
			continue;
		int64_t d =
		    cli_engine_send_ns(c) + c->start_offset_ns + c->loss_timeout_ns + 10000000000ll;
		if (run_end == INT64_MAX || cli_mono_ns() + d > run_end)
			run_end = cli_mono_ns() + d;
	}
	int64_t t_run = cli_mono_ns(), next_tick = t_run + CLI_ENGINE_TICK_NS;
	bool stopping = false, overdue = false;
	int64_t stop_deadline = 0;
	for (;;) {
		bool all = true;
		for (unsigned i = 0; i < e->n; i++)
			all &= sess_done(p, i);
		if (all)
			break;
		if (!stopping && cli_mono_ns() > run_end)
			overdue = true;
		if ((*stop || overdue) && !stopping) {
			stopping = true;
			stop_deadline = cli_mono_ns() + 5000000000ll;
			for (unsigned i = 0; i < e->n; i++) {
				char req[96];
				snprintf(req, sizeof(req),
				         "{\"cmd\":\"sender-stop\",\"session\":%" PRIu64 "}",
				         p->id[i]);
				char *rep =
				    cli_admin_call(&p->adm, req, 5000, fp_event, p, err, errlen);
				free(rep);
			}
		}
		/* A second interrupt does not wait for the fast path's summary. */
		if (stopping && *stop >= 2)
			break;
		if (stopping && cli_mono_ns() > stop_deadline) {
			if (overdue) {
				snprintf(err, errlen,
				         "fast path sent no sender summary (session still running "
				         "after the expected end; twinhop-fp stalled?)");
				return -1;
			}
			break;
		}
		char *l = NULL;
		int r = cli_admin_read_line(&p->adm, CLI_ENGINE_TICK_NS / 1000000, &l, err, errlen);
		if (r < 0)
			return -1;
		if (r > 0) {
			if (strstr(l, "\"event\""))
				fp_event(p, l);
			free(l);
		}
		if (!stopping)
			start_due(p, t_run, err, errlen);
		if (cb->tick && cli_mono_ns() >= next_tick) {
			next_tick = cli_mono_ns() + CLI_ENGINE_TICK_NS;
			cb->tick(cb->arg, tw_time_now_ns());
		}
	}
	if (have_c0)
		fp_drops(p, c0);
	if (p->early_lost)
		fprintf(stderr,
		        "twinhop: %" PRIu64 " event lines came before twinhopd named their session "
		        "and more than %u were waiting: they are missing from the results\n",
		        p->early_lost, EARLY_MAX);
	for (unsigned i = 0; i < e->n; i++) {
		char req[96];
		snprintf(req, sizeof(req), "{\"cmd\":\"session-del\",\"session\":%" PRIu64 "}",
		         p->id[i]);
		char *rep = cli_admin_call(&p->adm, req, 2000, NULL, NULL, err, errlen);
		free(rep);
	}
	return 0;
}

static void fp_free(struct cli_engine *e)
{
	struct fp_priv *p = e->priv;
	if (!p)
		return;
	if (p->adm.fd >= 0)
		cli_admin_close(&p->adm);
	for (unsigned i = 0; i < CLI_ENGINE_SESSIONS_MAX; i++)
		free(p->tlv[i]);
	for (unsigned j = 0; j < p->n_early; j++)
		free(p->early[j]);
	free(p);
	e->priv = NULL;
}

const struct cli_engine_ops cli_engine_fp_ops = {
    .name = "fastpath",
    .add = fp_add,
    .set_peer = fp_set_peer,
    .run = fp_run,
    .free = fp_free,
};
