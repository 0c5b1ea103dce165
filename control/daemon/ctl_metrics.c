/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include "ctl_metrics.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_cc.h"
#include "ctl_daemon.h"
#include "ctl_http.h"
#include "ctl_live.h"
#include "ctl_log.h"
#include "ctl_peers.h"
#include "ctl_reg.h"
#include "tw_config.h"
#include "tw_report.h"
#include "tw_ring.h"

#define LINGER_MS    1000u /* after the answer: wait this long for the client's FIN */
#define OM_CONTENT   "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define TEXT_CONTENT "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_PATH "/metrics"

/* ---- HTTP clients --------------------------------------------------------------------- */

enum mc_state { MC_READ, MC_WRITE, MC_LINGER };

struct mclient {
	struct ctl_io io;
	struct ctl_metrics *m;
	enum mc_state state;
	bool dead;
	uint8_t family, addr[16]; /* source, as ctl_peers_key() counts it */
	uint64_t deadline;
	size_t in_len;
	char in[CTL_HTTP_HEAD_MAX];
	char *out;
	size_t out_len, out_off;
	struct mclient *next;
};

struct ctl_metrics {
	struct ctl_daemon *d;
	struct ctl_io lst; /* fd -1: no endpoint */
	struct mclient *clients;
	unsigned n_clients;
};

/* ---- exposition ---------------------------------------------------------------------- */

static void om_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void om_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# TYPE %s %s\n# HELP %s ", name, type, name);
	for (; *help; help++)
		if (*help == '\\')
			fputs("\\\\", f);
		else if (*help == '\n')
			fputs("\\n", f);
		else
			fputc(*help, f);
	fputc('\n', f);
}

/* What each fast-path port itself counted (tw_ipc.h version 13), labelled
 * by port index and RFC 9533 member link: how a LAG's traffic spreads over
 * its links, and which port lost frames before the fast path polled them. */
static void port_metrics(FILE *f, struct tw_ring *r)
{
	static const struct {
		const char *fam, *type, *help;
		size_t off;
	} m[] = {
	    {"twinhop_fp_port_received_packets", "counter", "packets the port received",
	     offsetof(struct tw_ipc_port_stats, rx_pkts)},
	    {"twinhop_fp_port_transmitted_packets", "counter", "packets the port sent",
	     offsetof(struct tw_ipc_port_stats, tx_pkts)},
	    {"twinhop_fp_port_received_bytes", "counter", "octets the port received",
	     offsetof(struct tw_ipc_port_stats, rx_octets)},
	    {"twinhop_fp_port_transmitted_bytes", "counter", "octets the port sent",
	     offsetof(struct tw_ipc_port_stats, tx_octets)},
	    {"twinhop_fp_port_missed_packets", "counter",
	     "packets the port dropped for lack of Rx descriptors (imissed; "
	     "net_af_packet port 0: with the kernel ring's drops)",
	     offsetof(struct tw_ipc_port_stats, rx_missed)},
	    {"twinhop_fp_port_nombuf_packets", "counter",
	     "packets the port dropped for lack of an mbuf",
	     offsetof(struct tw_ipc_port_stats, rx_nombuf)},
	    {"twinhop_fp_port_receive_errors", "counter", "erroneous packets received",
	     offsetof(struct tw_ipc_port_stats, rx_errors)},
	    {"twinhop_fp_port_transmit_errors", "counter", "packets the port failed to send",
	     offsetof(struct tw_ipc_port_stats, tx_errors)},
	};
	unsigned np = tw_ring_n_ports(r);
	if (!np)
		return;
	om_family(f, "twinhop_fp_port_up", "gauge", "1 when the port's link is up");
	for (unsigned p = 0; p < np; p++) {
		const struct tw_ipc_port_stats *ps = tw_ring_port_stats(r, p);
		fprintf(f, "twinhop_fp_port_up{port=\"%u\",member_link=\"%u\"} %u\n", p,
		        ps->member_link, __atomic_load_n(&ps->link_up, __ATOMIC_RELAXED) ? 1u : 0u);
	}
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		om_family(f, m[i].fam, m[i].type, m[i].help);
		for (unsigned p = 0; p < np; p++) {
			const struct tw_ipc_port_stats *ps = tw_ring_port_stats(r, p);
			const uint64_t *v = (const uint64_t *)((const char *)ps + m[i].off);
			fprintf(f, "%s_total{port=\"%u\",member_link=\"%u\"} %llu\n", m[i].fam, p,
			        ps->member_link, (unsigned long long)tw_ipc_port_get(v));
		}
	}
}

/* One row per session, TWAMP-Control reflectors first, then admin sessions. */
struct row {
	uint32_t id;
	const char *kind, *proto, *state, *mode;
	char local[64], peer[64], control[64];
	uint64_t rx_pkts, tx_pkts;
	const struct tw_stats *st;
};

static struct row *collect(struct ctl_daemon *d, size_t *n_out)
{
	static const char *const st_names[] = {"adding", "added", "starting", "started", "ended"};
	static const char *const sec[] = {"?", "open", "authenticated", "?", "encrypted", "?",
	                                  "?", "?",    "mixed"};
	size_t n = ctl_reg_count(d->reg), k = 0;

	for (struct ctl_conn *c = d->conns; c; c = c->next)
		n += ctl_srv_n_sessions(c->srv);
	struct row *r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return NULL;
	for (struct ctl_conn *c = d->conns; c; c = c->next)
		for (unsigned i = 0; i < ctl_srv_n_sessions(c->srv) && k < n; i++) {
			const struct ctl_srv_sess *ss = ctl_srv_session(c->srv, i);
			struct row *w = &r[k++];
			w->id = ss->id;
			w->kind = "reflector";
			w->proto = "twamp";
			w->state = ss->state < 5 ? st_names[ss->state] : "?";
			w->mode = ss->ra.sec <= 8 ? sec[ss->ra.sec] : "?";
			ctl_conf_addrport_str(&ctl_srv_peer(c->srv)->remote, w->control,
			                      sizeof(w->control));
			/* the flow strings as show-sessions writes them */
			struct sockaddr_storage la = {0}, pa = {0};
			const struct tw_ipc_flow *fl = &ss->ra.flow;
			const struct tw_ipc_addr *ads[2] = {&fl->local, &fl->peer};
			struct sockaddr_storage *sss[2] = {&la, &pa};
			uint16_t ports[2] = {fl->local_port, fl->peer_port};
			char *outs[2] = {w->local, w->peer};
			for (int j = 0; j < 2; j++) {
				if (ads[j]->family == 6) {
					struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sss[j];
					s6->sin6_family = AF_INET6;
					memcpy(&s6->sin6_addr, ads[j]->addr, 16);
					s6->sin6_port = htons(ports[j]);
				} else {
					struct sockaddr_in *s4 = (struct sockaddr_in *)sss[j];
					s4->sin_family = AF_INET;
					memcpy(&s4->sin_addr, ads[j]->addr, 4);
					s4->sin_port = htons(ports[j]);
				}
				ctl_conf_addrport_str(sss[j], outs[j], 64);
			}
			w->rx_pkts = ss->rx_pkts;
			w->tx_pkts = ss->tx_pkts;
		}
	for (unsigned i = 0; i < ctl_reg_count(d->reg) && k < n; i++) {
		const struct ctl_reg_sess *as = ctl_reg_at_const(d->reg, i);
		struct row *w = &r[k++];
		w->id = as->id;
		w->kind = ctl_reg_kind_name(as->kind);
		w->proto = ctl_reg_proto_name(as->proto);
		w->state = ctl_reg_state_name(as);
		w->mode = ctl_reg_sec_name(as->sec);
		ctl_conf_flow_str(&as->flow.local, as->flow.local_port, w->local, sizeof(w->local));
		ctl_conf_flow_str(&as->flow.peer, as->flow.peer_port, w->peer, sizeof(w->peer));
		w->rx_pkts = as->rx_pkts;
		w->tx_pkts = as->tx_pkts;
		w->st = as->st;
	}
	*n_out = k;
	return r;
}

static void row_labels(FILE *f, const struct row *w)
{
	fprintf(f, "{session=\"%u\",kind=\"%s\",proto=\"%s\",peer=\"", w->id, w->kind, w->proto);
	om_str(f, w->peer);
	fputs("\"}", f);
}

enum sess_field { SF_RX, SF_TX, SF_RX_OCT, SF_TX_OCT, SF_DROPS };

static void session_counters(const struct ctl_daemon *d, FILE *f, const struct row *rows,
                             size_t n)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
	    {"twinhop_session_rx_packets", "test packets accepted by the session (fast path)"},
	    {"twinhop_session_tx_packets", "test packets sent by the session (fast path)"},
	    {"twinhop_session_rx_bytes", "octets of UDP payload accepted (STATS poll)"},
	    {"twinhop_session_tx_bytes", "octets of UDP payload sent (STATS poll)"},
	    {"twinhop_session_drops", "packets dropped for the session, any reason (STATS poll)"},
	};
	for (unsigned k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		om_family(f, fam[k].name, "counter", fam[k].help);
		for (size_t i = 0; i < n; i++) {
			const struct row *w = &rows[i];
			const struct tw_ipc_stats *ls = ctl_live_get(d->live, w->id, NULL);
			uint64_t v = 0;
			switch ((enum sess_field)k) {
			case SF_RX:
				v = ls && ls->rx_pkts > w->rx_pkts ? ls->rx_pkts : w->rx_pkts;
				break;
			case SF_TX:
				v = ls && ls->tx_pkts > w->tx_pkts ? ls->tx_pkts : w->tx_pkts;
				break;
			case SF_RX_OCT:
				v = ls ? ls->rx_octets : 0;
				break;
			case SF_TX_OCT:
				v = ls ? ls->tx_octets : 0;
				break;
			case SF_DROPS:
				v = ls ? ls->drops : 0;
				break;
			}
			fprintf(f, "%s_total", fam[k].name);
			row_labels(f, w);
			fprintf(f, " %llu\n", (unsigned long long)v);
		}
	}
	om_family(f, "twinhop_session_info", "gauge",
	          "one sample per session: state, mode, addresses as labels; value 1");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		fprintf(f, "twinhop_session_info{session=\"%u\",kind=\"%s\",proto=\"%s\",state=\"",
		        w->id, w->kind, w->proto);
		om_str(f, w->state);
		fputs("\",mode=\"", f);
		om_str(f, w->mode);
		fputs("\",local=\"", f);
		om_str(f, w->local);
		fputs("\",peer=\"", f);
		om_str(f, w->peer);
		if (w->control[0]) {
			fputs("\",control=\"", f);
			om_str(f, w->control);
		}
		fputs("\"} 1\n", f);
	}
	om_family(f, "twinhop_threshold_raised", "gauge",
	          "1 while a configured threshold of a sender session is raised");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		if (!w->st)
			continue;
		for (unsigned k = 0; k < CTL_CONF_THR_KINDS && k < TW_STATS_THR__COUNT; k++)
			if (d->conf.thr[k].raise)
				fprintf(f,
				        "twinhop_threshold_raised{session=\"%u\",kind=\"%s\"} %d\n",
				        w->id, ctl_conf_thr_name(k), w->st->thr_up[k] ? 1 : 0);
	}
}

static void sender_histograms(FILE *f, const struct row *rows, size_t n, enum tw_err *err)
{
	size_t ns = 0;
	for (size_t i = 0; i < n; i++)
		ns += rows[i].st != NULL;
	struct tw_report_om_session *os = calloc(ns ? ns : 1, sizeof(*os));
	struct tw_report_label *lb = calloc(ns ? ns * 3 : 1, sizeof(*lb));
	char(*ids)[16] = calloc(ns ? ns : 1, sizeof(*ids));
	if (!os || !lb || !ids) {
		*err = TW_E_SYS;
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].st)
			continue;
		snprintf(ids[k], sizeof(ids[k]), "%u", rows[i].id);
		lb[3 * k] = (struct tw_report_label){"session", ids[k]};
		lb[3 * k + 1] = (struct tw_report_label){"peer", rows[i].peer};
		lb[3 * k + 2] = (struct tw_report_label){"mode", rows[i].mode};
		os[k] = (struct tw_report_om_session){&lb[3 * k], 3, rows[i].st, NULL};
		k++;
	}
	*err = tw_report_om_sessions(f, os, k);
out:
	free(os);
	free(lb);
	free(ids);
}

int ctl_metrics_render(struct ctl_daemon *d, FILE *f)
{
	enum tw_err err = TW_OK;
	size_t n = 0;
	struct row *rows = collect(d, &n);

	if (!rows)
		return -1;
	/* daemon gauges */
	om_family(f, "twinhop_info", "gauge", "twinhopd version");
	fprintf(f, "twinhop_info{version=\"%s\"} 1\n", TW_VERSION);
	om_family(f, "twinhop_uptime_seconds", "gauge", "seconds since twinhopd started");
	fprintf(f, "twinhop_uptime_seconds %llu\n",
	        (unsigned long long)((ctl_now_ms() - d->start_ms) / 1000u));
	om_family(f, "twinhop_fp_attached", "gauge", "1 when the fast path region is attached");
	fprintf(f, "twinhop_fp_attached %d\n", ctl_fp_attached(d->fp) ? 1 : 0);
	om_family(f, "twinhop_connections", "gauge", "open TWAMP-Control connections");
	fprintf(f, "twinhop_connections %u\n", d->n_conns);
	om_family(f, "twinhop_sessions", "gauge", "sessions by kind");
	unsigned nk[3] = {0};
	for (size_t i = 0; i < n; i++)
		nk[!strcmp(rows[i].kind, "reflector") ? 0
		   : !strcmp(rows[i].kind, "light")   ? 1
		                                      : 2]++;
	fprintf(f, "twinhop_sessions{kind=\"reflector\"} %u\n", nk[0]);
	fprintf(f, "twinhop_sessions{kind=\"light\"} %u\n", nk[1]);
	fprintf(f, "twinhop_sessions{kind=\"sender\"} %u\n", nk[2]);
	/* twinhopd's own Control-Clients (RFC 8913 control-client): alert on
	 * 0, the state label says why (docs/control.md "Control-Client") */
	om_family(f, "twinhop_control_client_running", "gauge",
	          "1 while a control-client's test sessions run, else 0 (label state)");
	struct ctl_cc_info ci;
	for (unsigned i = 0; d->cc && ctl_cc_info(d->cc, i, &ci); i++) {
		char srv[80];
		ctl_conf_addrport_str(&ci.cfg->server, srv, sizeof(srv));
		fputs("twinhop_control_client_running{client=\"", f);
		om_str(f, ci.cfg->name);
		fputs("\",server=\"", f);
		om_str(f, srv);
		fprintf(f, "\",state=\"%s\"} %d\n", ctl_cc_state_name(ci.state),
		        ci.state == CTL_CC_RUNNING);
	}

	/* control-plane counters: every bad-input and event counter */
	const char *names[CTL_CNT__COUNT];
	for (unsigned i = 0; i < CTL_CNT__COUNT; i++)
		names[i] = ctl_cnt_name(i);
	if (err == TW_OK)
		err = tw_report_om_counters(
		    f, "twinhop_control_events",
		    "control-plane events and bad input, by counter (docs/control.md)", "counter",
		    names, d->cnt.c, CTL_CNT__COUNT, NULL, 0);

	/* Fast-path counters of every lcore, from the shared counter blocks.  The
	 * drop reasons are one family (a rate summed over `reason` is the total
	 * drop rate); the other counters count different things (packets,
	 * bursts, entries), so each is a family of its own. */
	struct tw_ring *r = ctl_fp_ring(d->fp);
	if (r) {
		unsigned nl = tw_ring_n_lcores(r);
		for (unsigned i = 0; i < TW_IPC_CNT__COUNT; i++) {
			if (tw_ipc_cnt_sev(i) == TW_IPC_CNT_DROP)
				continue;
			char fam[96];
			size_t j = (size_t)snprintf(fam, sizeof(fam), "twinhop_fp_");
			for (const char *p = tw_ipc_cnt_name(i); *p && j + 1 < sizeof(fam); p++)
				fam[j++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			fam[j] = '\0';
			char help[160];
			snprintf(help, sizeof(help), "%s (%s)", tw_ipc_cnt_descr(i),
			         tw_ipc_cnt_units(i));
			om_family(f, fam, "counter", help);
			for (unsigned l = 0; l < nl; l++)
				fprintf(f, "%s_total{lcore=\"%u\"} %llu\n", fam, l,
				        (unsigned long long)tw_ipc_cnt_get(tw_ring_counters(r, l),
				                                           (enum tw_ipc_cnt)i));
		}
		om_family(f, "twinhop_fp_drops", "counter",
		          "fast-path drops by reason (the DROP_* counters of lib/tw_ipc.h, "
		          "units in twinhop-ipc counters)");
		for (unsigned i = 0; i < TW_IPC_CNT__COUNT; i++)
			if (tw_ipc_cnt_sev(i) == TW_IPC_CNT_DROP)
				for (unsigned l = 0; l < nl; l++)
					fprintf(
					    f,
					    "twinhop_fp_drops_total{reason=\"%s\",lcore=\"%u\"} "
					    "%llu\n",
					    tw_ipc_cnt_name(i), l,
					    (unsigned long long)tw_ipc_cnt_get(
					        tw_ring_counters(r, l), (enum tw_ipc_cnt)i));
		/* capacity (docs/performance.md): averages since the fast path
		 * started; rate(busy_cycles) / rate(rx_pkts) gives them over a
		 * window */
		om_family(f, "twinhop_fp_busy_cycles_per_packet", "gauge",
		          "TSC cycles of busy loop iterations per received packet, since start");
		for (unsigned l = 0; l < nl; l++) {
			const struct tw_ipc_counters *k = tw_ring_counters(r, l);
			uint64_t rx = tw_ipc_cnt_get(k, TW_IPC_CNT_RX_PKTS);
			fprintf(f, "twinhop_fp_busy_cycles_per_packet{lcore=\"%u\"} %.1f\n", l,
			        rx ? (double)tw_ipc_cnt_get(k, TW_IPC_CNT_BUSY_CYCLES) / (double)rx
			           : 0.0);
		}
		om_family(f, "twinhop_fp_packets_per_burst", "gauge",
		          "packets per non-empty Rx burst, since start");
		for (unsigned l = 0; l < nl; l++) {
			const struct tw_ipc_counters *k = tw_ring_counters(r, l);
			uint64_t nb = tw_ipc_cnt_get(k, TW_IPC_CNT_RX_BURSTS);
			fprintf(f, "twinhop_fp_packets_per_burst{lcore=\"%u\"} %.2f\n", l,
			        nb ? (double)tw_ipc_cnt_get(k, TW_IPC_CNT_RX_PKTS) / (double)nb
			           : 0.0);
		}
		port_metrics(f, r);
	}
	session_counters(d, f, rows, n);
	if (err == TW_OK)
		sender_histograms(f, rows, n, &err);
	if (err == TW_OK)
		err = tw_report_om_eof(f);
	free(rows);
	return err == TW_OK && !ferror(f) ? 0 : -1;
}

/*
 * The Prometheus text format 0.0.4 from our OpenMetrics exposition, for
 * scrapers that do not ask for OpenMetrics (curl, `promtool check metrics`).
 * Sample names stay the same, so a query works whichever format Prometheus
 * scraped; only the metadata differs: a counter's TYPE and HELP name its
 * `_total` series, 0.0.4 has no gaugehistogram (exposed as a histogram,
 * `_gcount`/`_gsum` as `_count`/`_sum`), no UNIT and no `# EOF`.  Our own
 * exposition has every family contiguous, TYPE first (rep_om.c, om_family).
 */
static int om_to_text(const char *om, size_t len, FILE *out)
{
	char fam[128] = "", type[16] = "";
	size_t fl = 0;

	for (const char *p = om, *end = om + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = p + n + 1;
		if (n >= 7 && (!memcmp(p, "# TYPE ", 7) || !memcmp(p, "# HELP ", 7))) {
			bool is_type = p[2] == 'T';
			const char *nm = p + 7, *sp = memchr(nm, ' ', n - 7);
			size_t nml = sp ? (size_t)(sp - nm) : n - 7;
			const char *rest = sp ? sp + 1 : p + n;
			size_t rl = (size_t)(p + n - rest);
			if (is_type) {
				if (nml >= sizeof(fam) || rl >= sizeof(type))
					return -1;
				memcpy(fam, nm, nml);
				fam[nml] = '\0';
				fl = nml;
				memcpy(type, rest, rl);
				type[rl] = '\0';
			}
			const char *sfx = !strcmp(type, "counter") ? "_total" : "";
			const char *t = !strcmp(type, "gaugehistogram") ? "histogram"
			                : !strcmp(type, "unknown")      ? "untyped"
			                                                : type;
			if (is_type)
				fprintf(out, "# TYPE %.*s%s %s\n", (int)nml, nm, sfx, t);
			else
				fprintf(out, "# HELP %.*s%s %.*s\n", (int)nml, nm, sfx, (int)rl,
				        rest);
		} else if (n >= 1 && p[0] == '#') {
			/* # UNIT, # EOF: not in 0.0.4 */
		} else if (!strcmp(type, "gaugehistogram") && n > fl && !memcmp(p, fam, fl) &&
		           (!memcmp(p + fl, "_gcount", 7) || !memcmp(p + fl, "_gsum", 5))) {
			bool cnt = p[fl + 2] == 'c';
			size_t skip = fl + (cnt ? 7 : 5);
			fprintf(out, "%s%s%.*s\n", fam, cnt ? "_count" : "_sum", (int)(n - skip),
			        p + skip);
		} else if (n) {
			fprintf(out, "%.*s\n", (int)n, p);
		}
		p = next;
	}
	return ferror(out) ? -1 : 0;
}

/* ---- HTTP ----------------------------------------------------------------------------- */

static void mc_answer(struct mclient *c, int status, const struct ctl_http_req *rq)
{
	struct ctl_daemon *d = c->m->d;
	char *body = NULL;
	size_t blen = 0;
	const char *ctype = "text/plain; charset=utf-8";
	bool head = rq && !strcmp(rq->method, "HEAD");

	if (status == 200) {
		FILE *f = open_memstream(&body, &blen);
		int rc = f ? ctl_metrics_render(d, f) : -1;
		if (f && fclose(f))
			rc = -1;
		if (rc == 0 && !(rq && rq->openmetrics)) {
			char *txt = NULL;
			size_t tlen = 0;
			FILE *t = open_memstream(&txt, &tlen);
			rc = t ? om_to_text(body, blen, t) : -1;
			if (t && fclose(t))
				rc = -1;
			free(body);
			body = txt;
			blen = tlen;
		}
		if (rc < 0) {
			free(body);
			body = NULL;
			blen = 0;
			status = 503;
			log_warnx("metrics: cannot render the exposition");
		} else {
			ctype = rq && rq->openmetrics ? OM_CONTENT : TEXT_CONTENT;
		}
	}
	if (status != 200) {
		free(body);
		blen = (size_t)asprintf(&body, "%d %s\n", status, ctl_http_reason(status));
		if ((int)blen < 0) {
			body = NULL;
			blen = 0;
		}
	}
	char *resp = NULL;
	int hl = asprintf(&resp,
	                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	                  "%sCache-Control: no-store\r\nConnection: close\r\n\r\n",
	                  status, ctl_http_reason(status), ctype, blen,
	                  status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (hl < 0) {
		free(body);
		c->dead = true;
		return;
	}
	size_t total = (size_t)hl + (head ? 0 : blen);
	char *out = realloc(resp, total ? total : 1);
	if (!out) {
		free(resp);
		free(body);
		c->dead = true;
		return;
	}
	if (!head && blen)
		memcpy(out + hl, body, blen);
	free(body);
	c->out = out;
	c->out_len = total;
	c->out_off = 0;
	c->state = MC_WRITE;
	c->deadline = ctl_now_ms() + CTL_METRICS_TIMEOUT_MS;
}

static void mc_write(struct mclient *c)
{
	if (ctl_send_pending(c->io.fd, c->out, c->out_len, &c->out_off) < 0)
		c->dead = true;
	if (c->dead)
		return;
	if (c->out_off == c->out_len) {
		/* Lingering close: FIN first, then read until the client's FIN so
		 * that unread input does not turn our close into a reset that
		 * destroys the answer in flight. */
		(void)shutdown(c->io.fd, SHUT_WR);
		c->state = MC_LINGER;
		c->deadline = ctl_now_ms() + LINGER_MS;
		(void)ctl_loop_mod(c->m->d->loop, &c->io, EPOLLIN);
	} else {
		(void)ctl_loop_mod(c->m->d->loop, &c->io, EPOLLOUT);
	}
}

static void mc_io(struct ctl_io *io, uint32_t events)
{
	struct mclient *c = (struct mclient *)io;
	struct ctl_daemon *d = c->m->d;

	if (c->dead)
		return;
	if (c->state == MC_WRITE) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			mc_write(c);
		return;
	}
	if (c->state == MC_LINGER) {
		char sink[512];
		for (;;) {
			ssize_t n = recv(io->fd, sink, sizeof(sink), 0);
			if (n > 0)
				continue;
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				c->dead = true;
			return;
		}
	}
	for (;;) {
		if (c->in_len == sizeof(c->in))
			break;
		ssize_t n = recv(io->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			c->dead = true; /* gone before a complete request */
			return;
		}
		break;
	}
	struct ctl_http_req rq;
	enum ctl_http_result res = ctl_http_parse(c->in, c->in_len, METRICS_PATH, &rq);
	switch (res) {
	case CTL_HTTP_MORE:
		return;
	case CTL_HTTP_OK:
		d->cnt.c[CTL_CNT_METRICS_OK]++;
		break;
	case CTL_HTTP_BAD:
		d->cnt.c[CTL_CNT_METRICS_BAD_REQUEST]++;
		log_debug("metrics: 400: %s", rq.why ? rq.why : "?");
		break;
	case CTL_HTTP_NOT_FOUND:
		d->cnt.c[CTL_CNT_METRICS_NOT_FOUND]++;
		break;
	case CTL_HTTP_BAD_METHOD:
		d->cnt.c[CTL_CNT_METRICS_BAD_METHOD]++;
		break;
	}
	mc_answer(c, (int)res, &rq);
	if (!c->dead)
		mc_write(c);
}

static void mc_free(struct ctl_metrics *m, struct mclient *c)
{
	ctl_loop_del(m->d->loop, &c->io);
	close(c->io.fd);
	free(c->out);
	m->n_clients--;
	free(c);
}

/* Live clients in all, and from this source (a walk of at most
 * 2 * CTL_METRICS_CLIENTS). */
static unsigned mc_live(const struct ctl_metrics *m, uint8_t family, const uint8_t addr[16],
                        unsigned *from)
{
	unsigned n = 0;
	*from = 0;
	for (const struct mclient *c = m->clients; c; c = c->next) {
		if (c->dead)
			continue;
		n++;
		if (c->family == family && !memcmp(c->addr, addr, 16))
			(*from)++;
	}
	return n;
}

/* Full: close the oldest client still without a complete request, or one
 * only lingering after its answer (the list is newest first, so the last
 * match), as twinhopd's control table does.  A scraper sends its request
 * with the connection and is answered at once, so what is found here is
 * slow or silent.  False if every client is being answered. */
static bool mc_evict_oldest(struct ctl_metrics *m)
{
	struct mclient *old = NULL;
	for (struct mclient *c = m->clients; c; c = c->next)
		if (!c->dead && c->state != MC_WRITE)
			old = c;
	if (!old)
		return false;
	m->d->cnt.c[CTL_CNT_METRICS_EVICTED]++;
	old->dead = true; /* freed by ctl_metrics_poll() */
	return true;
}

static void lst_io(struct ctl_io *io, uint32_t events)
{
	struct ctl_metrics *m =
	    (struct ctl_metrics *)((char *)io - offsetof(struct ctl_metrics, lst));
	(void)events;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		uint8_t fam, addr[16];
		memset(&ss, 0, sizeof(ss));
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		ctl_sa_unmap(&ss);
		ctl_peers_key(&ss, &fam, addr);
		unsigned from, live = mc_live(m, fam, addr, &from);
		if (from >= CTL_METRICS_PER_ADDRESS) {
			m->d->cnt.c[CTL_CNT_METRICS_REFUSED]++;
			m->d->cnt.c[CTL_CNT_METRICS_PER_ADDRESS]++;
			close(fd);
			continue;
		}
		/* Evicted clients are freed at the next poll: the second bound
		 * keeps a burst of newcomers evicting each other finite. */
		if (m->n_clients >= 2 * CTL_METRICS_CLIENTS ||
		    (live >= CTL_METRICS_CLIENTS && !mc_evict_oldest(m))) {
			m->d->cnt.c[CTL_CNT_METRICS_REFUSED]++;
			close(fd);
			continue;
		}
		struct mclient *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->m = m;
		c->family = fam;
		memcpy(c->addr, addr, 16);
		c->io.fd = fd;
		c->io.cb = mc_io;
		c->state = MC_READ;
		c->deadline = ctl_now_ms() + CTL_METRICS_TIMEOUT_MS;
		if (ctl_loop_add(m->d->loop, &c->io, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = m->clients;
		m->clients = c;
		m->n_clients++;
	}
}

struct ctl_metrics *ctl_metrics_new(struct ctl_daemon *d)
{
	struct ctl_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->d = d;
	m->lst.fd = -1;
	if (!d->conf.metrics_on)
		return m;

	char a[80];
	int one = 1;
	const struct ctl_conf_listen *cl = &d->conf.metrics;
	ctl_conf_addrport_str(&cl->ss, a, sizeof(a));
	int fd = socket(cl->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("metrics-listen %s: socket", a);
		ctl_metrics_free(m);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cl->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&cl->ss, cl->len) < 0 || listen(fd, 16) < 0) {
		log_warn("metrics-listen %s", a);
		close(fd);
		ctl_metrics_free(m);
		return NULL;
	}
	m->lst.fd = fd;
	m->lst.cb = lst_io;
	if (ctl_loop_add(d->loop, &m->lst, EPOLLIN) < 0) {
		ctl_metrics_free(m);
		return NULL;
	}
	log_info("OpenMetrics endpoint on http://%s" METRICS_PATH, a);
	return m;
}

void ctl_metrics_free(struct ctl_metrics *m)
{
	if (!m)
		return;
	while (m->clients) {
		struct mclient *c = m->clients;
		m->clients = c->next;
		mc_free(m, c);
	}
	if (m->lst.fd >= 0) {
		ctl_loop_del(m->d->loop, &m->lst);
		close(m->lst.fd);
	}
	free(m);
}

void ctl_metrics_poll(struct ctl_metrics *m, uint64_t now_ms)
{
	if (!m)
		return;
	for (struct mclient **pc = &m->clients; *pc;) {
		struct mclient *c = *pc;
		if (!c->dead && now_ms >= c->deadline) {
			if (c->state != MC_LINGER)
				m->d->cnt.c[CTL_CNT_METRICS_TIMEOUT]++;
			c->dead = true;
		}
		if (c->dead) {
			*pc = c->next;
			mc_free(m, c);
			continue;
		}
		pc = &c->next;
	}
}

uint64_t ctl_metrics_deadline(const struct ctl_metrics *m)
{
	uint64_t dl = UINT64_MAX;
	if (!m)
		return dl;
	for (const struct mclient *c = m->clients; c; c = c->next)
		if (c->deadline < dl)
			dl = c->deadline;
	return dl;
}
