/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin_cmd: the admin protocol's commands (docs/admin-protocol.md):
 * dispatch, the SHOW-type answers, and the session commands that become
 * fast-path requests.  Sessions are kept in ctl_reg; replies go out through
 * ctl_admin.c.
 */
#include "ctl_admin_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_admin_args.h"
#include "ctl_cc.h"
#include "ctl_daemon.h"
#include "ctl_live.h"
#include "ctl_log.h"
#include "ctl_reg.h"
#include "tw_config.h"
#include "tw_ctl.h"
#include "tw_ring.h"
#include "tw_time.h"

/* A request waiting for the fast path. */
struct adm_pending {
	struct ctl_admin *a;
	uint64_t serial; /* client, looked up again: it may have gone */
	uint64_t json_id;
	uint32_t session;
	uint16_t type;
};

/* ---- fast-path requests ------------------------------------------------------------------ */

/* The delete that follows an add the fast path did not answer in time:
 * nothing waits on it. */
static void late_add_del_done(void *arg, uint32_t session, enum tw_err err)
{
	(void)arg;
	(void)session;
	(void)err;
}

static void pending_reply(void *arg, uint32_t req, enum tw_err err, const struct tw_ipc_hdr *h,
                          const void *payload)
{
	struct adm_pending *p = arg;
	struct ctl_admin *a = p->a;
	struct adm_client *c = adm_client_by_serial(a, p->serial);
	(void)req;
	(void)h;
	(void)payload;

	bool is_add = p->type == TW_IPC_LIGHT_LISTEN || p->type == TW_IPC_SENDER_ADD;
	/* NACK ARG to a delete: the fast path has no such session (it
	 * restarted since, and an ended sender is not programmed again): what
	 * the delete asked for is already true. */
	if (p->type == TW_IPC_SESSION_DEL && err == TW_E_ARG)
		err = TW_E_OK;
	if (err == TW_E_OK) {
		struct ctl_reg_sess *s = ctl_reg_find(a->d->reg, p->session);
		if (is_add && s)
			s->live = true;
		if (p->type == TW_IPC_SENDER_START && s)
			s->cfg.started = true;
		if (p->type == TW_IPC_SESSION_DEL)
			adm_sess_remove(a, p->session);
		if (c) {
			struct ctl_jb b;
			adm_reply_begin(&b, p->json_id, true);
			if (is_add)
				ctl_jb_u64(&b, "session", p->session);
			adm_reply_end(c, &b);
		}
	} else {
		if (is_add)
			adm_sess_remove(a, p->session);
		/* No answer in fp-timeout is not a refusal: the add may still be in
		 * the command ring, and a fast path that takes it later would keep a
		 * session nobody knows (reflecting, holding a slot and a port).  A
		 * delete queued behind it (the ring is FIFO; session IDs are not
		 * reused) removes it then; the fast path NACKs it if the add never
		 * took.  TWAMP-Control sessions get the same delete when
		 * ctl_server.c retires a timed-out REFLECTOR_ADD. */
		if (is_add && err == TW_E_EMPTY)
			ctl_fp_del_at(a->d->fp, p->session, 0, late_add_del_done, NULL);
		if (c) {
			if (err == TW_E_EMPTY)
				adm_reply_err(c, p->json_id, "fp-timeout",
				              "the fast path did not answer");
			else if (err == TW_E_SYS)
				adm_reply_err(c, p->json_id, "fp-unavailable",
				              "the fast path went away");
			else if (err == TW_E_LENGTH && p->type == TW_IPC_SENDER_ADD) {
				/* fp_sender: the packet exceeds the ports' IP MTU */
				struct ctl_fp_stats st;
				ctl_fp_stats(a->d->fp, &st);
				adm_reply_err(
				    c, p->json_id, "fp-nack",
				    "NACK %s: a test packet would be longer than the fast "
				    "path's IP MTU (%u octets): lower the padding or the TLVs",
				    tw_errname(err), st.ip_mtu);
			} else
				adm_reply_err(c, p->json_id, "fp-nack", "NACK %s", tw_errname(err));
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
		adm_reply_err(c, json_id, "internal", "out of memory");
		return;
	}
	*p = (struct adm_pending){a, c->serial, json_id, session, type};
	if (!ctl_fp_send(a->d->fp, type, payload, len, pending_reply, p, ctl_now_ms())) {
		free(p);
		if (type == TW_IPC_LIGHT_LISTEN || type == TW_IPC_SENDER_ADD)
			adm_sess_remove(a, session);
		adm_reply_err(c, json_id, "fp-unavailable", "the fast path is not attached");
	}
}

/* ---- fast-path restart (issue 8 §6b) ------------------------------------------------------- */

/* A sender that ended (count, duration, stop or error) stays in the registry
 * for its results but is not sent again: it has nothing left to do. */
static bool reg_ended(const struct ctl_reg_sess *s)
{
	return s->kind == CTL_REG_SENDER &&
	       (s->state == TW_IPC_EV_ENDED || s->state == TW_IPC_EV_ERROR);
}

void ctl_admin_fp_detached(struct ctl_admin *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < ctl_reg_count(a->d->reg); i++) {
		struct ctl_reg_sess *s = ctl_reg_at(a->d->reg, i);
		if (!reg_ended(s))
			s->live = false; /* "adding" until programmed again */
	}
}

static void reprogram_reply(void *arg, uint32_t req, enum tw_err err, const struct tw_ipc_hdr *h,
                            const void *payload)
{
	struct adm_pending *p = arg;
	(void)req;
	(void)h;
	(void)payload;
	struct ctl_reg_sess *s = ctl_reg_find(p->a->d->reg, p->session);
	if (err == TW_E_OK) {
		if (s)
			s->live = true;
	} else if (s && err != TW_E_SYS) {
		/* Refused by the new fast path (a port its command line took,
		 * fewer resources): say so and give the session up.  TW_E_SYS:
		 * the fast path went away again; the next attach retries. */
		log_warnx("admin session %u: the restarted fast path refused it (%s): removed",
		          p->session, tw_errname(err));
		adm_sess_remove(p->a, p->session);
	}
	free(p);
}

void ctl_admin_fp_attached(struct ctl_admin *a)
{
	if (!a)
		return;
	struct ctl_reg *reg = a->d->reg;
	static uint32_t ids[CTL_REG_MAX_SESS];
	unsigned n = 0, sent = 0;
	/* Ids first: a failed send removes an entry, which reorders the table. */
	for (unsigned i = 0; i < ctl_reg_count(reg); i++)
		if (!reg_ended(ctl_reg_at(reg, i)))
			ids[n++] = ctl_reg_at(reg, i)->id;
	for (unsigned i = 0; i < n; i++) {
		struct ctl_reg_sess *s = ctl_reg_find(reg, ids[i]);
		struct adm_pending *p = calloc(1, sizeof(*p));
		if (!s || !p) {
			free(p);
			continue;
		}
		*p = (struct adm_pending){a, 0, 0, s->id, 0};
		uint32_t ok;
		if (s->kind == CTL_REG_LIGHT) {
			p->type = TW_IPC_LIGHT_LISTEN;
			ok = ctl_fp_send(a->d->fp, p->type, &s->req.ll, sizeof(s->req.ll),
			                 reprogram_reply, p, ctl_now_ms());
		} else {
			/* A sender that was running runs again, from sequence 0. */
			if (s->started)
				s->req.sa.flags |= TW_IPC_SF_START_NOW;
			p->type = TW_IPC_SENDER_ADD;
			ok = ctl_fp_send(a->d->fp, p->type, &s->req.sa, sizeof(s->req.sa),
			                 reprogram_reply, p, ctl_now_ms());
		}
		if (!ok) {
			log_warnx("admin session %u: cannot program it into the restarted fast "
			          "path (command ring full): removed",
			          s->id);
			free(p);
			adm_sess_remove(a, ids[i]);
			continue;
		}
		ctl_reg_rearm(reg, ctl_reg_find(reg, ids[i]));
		sent++;
	}
	if (sent)
		log_info("fast path attached: %u admin session(s) programmed again", sent);
}

/* ---- commands ------------------------------------------------------------------------------ */

static void cmd_hello(struct adm_client *c, uint64_t id)
{
	struct ctl_jb b;
	adm_reply_begin(&b, id, true);
	ctl_jb_str(&b, "version", TW_VERSION);
	ctl_jb_u64(&b, "protocol", 1);
	ctl_jb_bool(&b, "readonly", c->ro);
	adm_reply_end(c, &b);
}

static void cmd_status(struct adm_client *c, uint64_t id)
{
	struct ctl_daemon *d = c->a->d;
	struct ctl_jb b;
	unsigned n_sess = ctl_reg_count(d->reg);
	char s[80];

	for (struct ctl_conn *k = d->conns; k; k = k->next)
		n_sess += ctl_srv_n_sessions(k->srv);
	adm_reply_begin(&b, id, true);
	ctl_jb_str(&b, "version", TW_VERSION);
	ctl_jb_u64(&b, "uptime_s", (ctl_now_ms() - d->start_ms) / 1000u);
	ctl_jb_obj_begin(&b, "fp");
	ctl_jb_bool(&b, "attached", ctl_fp_attached(d->fp));
	ctl_jb_str(&b, "region", ctl_fp_region(d->fp));
	if (*ctl_fp_attach_error(d->fp)) {
		ctl_jb_str(&b, "attach_error", ctl_fp_attach_error(d->fp));
		ctl_jb_u64(&b, "attach_retry_ms", CTL_FP_ATTACH_EVERY_MS);
	}
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
	ctl_jb_u64(&b, "attaches", st.attaches);
	ctl_jb_u64(&b, "claim_lost", st.lost);
	ctl_jb_u64(&b, "grace_ms", st.grace_ms);
	/* Leak checks (issue 8 §6b): requests awaiting an answer, octets
	 * waiting in the rings. */
	ctl_jb_u64(&b, "pending", st.pending);
	ctl_jb_u64(&b, "cmd_ring_used", st.cmd_ring_used);
	ctl_jb_u64(&b, "evt_ring_used", st.evt_ring_used);
	if (st.tsc_hz)
		ctl_jb_u64(&b, "tsc_hz", st.tsc_hz);
	if (st.ip_mtu)
		ctl_jb_u64(&b, "ip_mtu", st.ip_mtu);
	/* RFC 9533: the member link micro-sessions are reflected on */
	if (st.member_link) {
		ctl_jb_u64(&b, "member_link", st.member_link);
		/* one per port (twinhop-fp --member-link-id A,B,...) */
		ctl_jb_arr_begin(&b, "member_links");
		for (unsigned i = 0; i < TW_IPC_MEMBER_LINKS && st.member_links[i]; i++)
			ctl_jb_u64(&b, NULL, st.member_links[i]);
		ctl_jb_arr_end(&b);
	}
	ctl_jb_obj_end(&b);
	ctl_jb_u64(&b, "connections", d->n_conns);
	ctl_jb_u64(&b, "sessions", n_sess);
	/* Reflector flows until the fast path deleted them (ctl_flows.h). */
	ctl_jb_u64(&b, "flows", ctl_flows_count(d->flows));
	ctl_jb_u64(&b, "test_ports_used", ctl_flows_ports(d->flows));
	ctl_jb_u64(&b, "deletes_pending", ctl_fp_del_pending(d->fp));
	ctl_jb_arr_begin(&b, "listen");
	for (unsigned i = 0; i < d->conf.n_listen; i++) {
		ctl_conf_addrport_str(&d->conf.listen[i].ss, s, sizeof(s));
		ctl_jb_str(&b, NULL, s);
	}
	ctl_jb_arr_end(&b);
	adm_reply_end(c, &b);
}

static void cmd_counters(struct adm_client *c, uint64_t id)
{
	struct ctl_jb b;
	adm_reply_begin(&b, id, true);
	ctl_jb_obj_begin(&b, "counters");
	for (unsigned i = 0; i < CTL_CNT__COUNT; i++)
		ctl_jb_u64(&b, ctl_cnt_name(i), c->a->d->cnt.c[i]);
	ctl_jb_obj_end(&b);
	adm_reply_end(c, &b);
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
		adm_reply_err(c, id, "fp-unavailable", "the fast path is not attached");
		return;
	}
	adm_reply_begin(&b, id, true);
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
	/* what each port itself counted (tw_ipc.h version 13) */
	ctl_jb_arr_begin(&b, "ports");
	for (unsigned p = 0; p < tw_ring_n_ports(r); p++) {
		const struct tw_ipc_port_stats *ps = tw_ring_port_stats(r, p);
		ctl_jb_obj_begin(&b, NULL);
		ctl_jb_u64(&b, "port", p);
		ctl_jb_u64(&b, "member_link", ps->member_link);
		ctl_jb_bool(&b, "link_up", __atomic_load_n(&ps->link_up, __ATOMIC_RELAXED) != 0);
		ctl_jb_u64(&b, "speed_mbps", __atomic_load_n(&ps->speed_mbps, __ATOMIC_RELAXED));
		ctl_jb_u64(&b, "rx_pkts", tw_ipc_port_get(&ps->rx_pkts));
		ctl_jb_u64(&b, "tx_pkts", tw_ipc_port_get(&ps->tx_pkts));
		ctl_jb_u64(&b, "rx_octets", tw_ipc_port_get(&ps->rx_octets));
		ctl_jb_u64(&b, "tx_octets", tw_ipc_port_get(&ps->tx_octets));
		ctl_jb_u64(&b, "rx_missed", tw_ipc_port_get(&ps->rx_missed));
		ctl_jb_u64(&b, "rx_nombuf", tw_ipc_port_get(&ps->rx_nombuf));
		ctl_jb_u64(&b, "rx_errors", tw_ipc_port_get(&ps->rx_errors));
		ctl_jb_u64(&b, "tx_errors", tw_ipc_port_get(&ps->tx_errors));
		ctl_jb_obj_end(&b);
	}
	ctl_jb_arr_end(&b);
	adm_reply_end(c, &b);
}

/* rx/tx_pkts: the newer of the last event and the last STATS poll; the
 * poll's extra fields when there is one (docs/admin-protocol.md). */
static void live_fields(struct ctl_jb *b, struct ctl_daemon *d, uint32_t id, uint64_t rx,
                        uint64_t tx)
{
	uint64_t age;
	const struct tw_ipc_stats *ls = ctl_live_get(d->live, id, &age);
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

/* A sender's statistics so far (lib/tw_stats over the whole session). */
static void stats_fields(struct ctl_jb *b, const struct tw_stats *st)
{
	struct tw_stats_summary *sum = malloc(sizeof(*sum));
	if (!sum)
		return;
	tw_stats_summary_fill(st, &st->total, sum);
	ctl_jb_obj_begin(b, "stats");
	ctl_jb_u64(b, "sent", sum->sent);
	ctl_jb_u64(b, "received", sum->received);
	ctl_jb_u64(b, "lost", sum->lost);
	ctl_jb_u64(b, "loss_ppm", sum->loss_ppm);
	if (sum->rtt.n) {
		ctl_jb_u64(b, "rtt_p50_ns", (uint64_t)(sum->rtt.p50 > 0 ? sum->rtt.p50 : 0));
		ctl_jb_u64(b, "rtt_p99_ns", (uint64_t)(sum->rtt.p99 > 0 ? sum->rtt.p99 : 0));
	}
	ctl_jb_obj_end(b);
	free(sum);
}

/* What an admin session was created with, under the names of its add
 * command's arguments (docs/admin-protocol.md), so a client can write the
 * running configuration back (`twinhop config export`). */
static void config_fields(struct ctl_jb *b, const struct ctl_reg_sess *s)
{
	const struct ctl_reg_cfg *k = &s->cfg;
	ctl_jb_obj_begin(b, "config");
	ctl_jb_u64(b, "port_id", s->flow.port_id);
	ctl_jb_u64(b, "vlan", s->flow.vlan);
	ctl_jb_u64(b, "dscp", k->dscp);
	ctl_jb_u64(b, "ttl", k->ttl);
	if (s->kind == CTL_REG_LIGHT) {
		ctl_jb_bool(b, "stateless", k->flags & TW_IPC_SF_STATELESS);
		ctl_jb_bool(b, "copy_dscp", k->flags & TW_IPC_SF_COPY_DSCP);
		ctl_jb_bool(b, "ptp", k->flags & TW_IPC_SF_PTP_TS);
		ctl_jb_u64(b, "max_peers", k->max_peers);
		ctl_jb_u64(b, "idle_s", k->idle_ns / 1000000000u);
	} else {
		ctl_jb_u64(b, "interval_us", k->interval_ns / 1000u);
		ctl_jb_bool(b, "poisson", k->sched == TW_IPC_SCHED_POISSON);
		ctl_jb_u64(b, "count", k->count);
		ctl_jb_u64(b, "duration_ms", k->duration_ns / 1000000u);
		ctl_jb_u64(b, "loss_timeout_ms", (uint64_t)s->loss_timeout_ns / 1000000u);
		ctl_jb_u64(b, "padding", k->padding);
		ctl_jb_u64(b, "ssid", k->ssid);
		ctl_jb_bool(b, "resolve", k->flags & TW_IPC_SF_RESOLVE);
		ctl_jb_bool(b, "symmetric", k->flags & TW_IPC_SF_SYMMETRIC);
		ctl_jb_bool(b, "ptp", k->flags & TW_IPC_SF_PTP_TS);
		ctl_jb_bool(b, "dscp_ecn", k->flags & TW_IPC_SF_DSCP_ECN);
		ctl_jb_bool(b, "results", !(k->flags & TW_IPC_SF_NO_RESULTS));
		ctl_jb_bool(b, "started", k->started);
	}
	ctl_jb_obj_end(b);
}

/* The optional "name" and "group" of light-add / sender-add: 1..63 octets
 * without control characters; a name is unique among admin sessions. */
static void arg_label(struct ctl_args *g, const struct ctl_reg *reg, const char *key, char *out)
{
	ctl_arg_label(g, key, false, out, CTL_REG_NAME_MAX);
	if (!out[0] || strcmp(key, "name"))
		return;
	for (unsigned i = 0; i < ctl_reg_count(reg); i++)
		if (!strcmp(ctl_reg_at_const(reg, i)->name, out)) {
			snprintf(g->err, sizeof(g->err), "arg name: '%.40s' is session %u's", out,
			         ctl_reg_at_const(reg, i)->id);
			g->bad = true;
			out[0] = '\0';
			return;
		}
}

static void cmd_sessions(struct adm_client *c, uint64_t id)
{
	struct ctl_daemon *d = c->a->d;
	struct ctl_jb b;
	char s[80];

	adm_reply_begin(&b, id, true);
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
			ctl_jb_str(&b, "mode", ctl_reg_sec_name(ss->ra.sec));
			char hex[33];
			for (int j = 0; j < 16; j++)
				snprintf(hex + 2 * j, 3, "%02x", ss->ra.sid[j]);
			ctl_jb_str(&b, "sid", hex);
			/* RFC 9533: the reflector of a LAG's micro-sessions */
			if (ss->ra.flags & TW_IPC_SF_MICRO)
				ctl_jb_bool(&b, "micro", true);
			ctl_conf_addrport_str(&ctl_srv_peer(k->srv)->remote, s, sizeof(s));
			ctl_jb_str(&b, "control", s);
			ctl_conf_flow_str(&ss->ra.flow.local, ss->ra.flow.local_port, s, sizeof(s));
			ctl_jb_str(&b, "local", s);
			ctl_conf_flow_str(&ss->ra.flow.peer, ss->ra.flow.peer_port, s, sizeof(s));
			ctl_jb_str(&b, "peer", s);
			live_fields(&b, d, ss->id, ss->rx_pkts, ss->tx_pkts);
			ctl_jb_obj_end(&b);
		}
	}
	for (unsigned i = 0; i < ctl_reg_count(d->reg); i++) {
		const struct ctl_reg_sess *as = ctl_reg_at_const(d->reg, i);
		ctl_jb_obj_begin(&b, NULL);
		ctl_jb_u64(&b, "session", as->id);
		ctl_jb_str(&b, "kind", ctl_reg_kind_name(as->kind));
		ctl_jb_str(&b, "proto", ctl_reg_proto_name(as->proto));
		ctl_jb_str(&b, "state", ctl_reg_state_name(as));
		ctl_jb_str(&b, "mode", ctl_reg_sec_name(as->sec));
		if (as->name[0])
			ctl_jb_str(&b, "name", as->name);
		if (as->group[0])
			ctl_jb_str(&b, "group", as->group);
		uint32_t owner = ctl_cc_owner(d->cc, as->id);
		if (owner)
			ctl_jb_u64(&b, "client", owner);
		ctl_conf_flow_str(&as->flow.local, as->flow.local_port, s, sizeof(s));
		ctl_jb_str(&b, "local", s);
		ctl_conf_flow_str(&as->flow.peer, as->flow.peer_port, s, sizeof(s));
		ctl_jb_str(&b, "peer", s);
		live_fields(&b, d, as->id, as->rx_pkts, as->tx_pkts);
		if (as->st)
			stats_fields(&b, as->st);
		config_fields(&b, as);
		ctl_jb_obj_end(&b);
	}
	ctl_jb_arr_end(&b);
	adm_clients_json(&b, d);
	adm_reply_end(c, &b);
}

static struct ctl_reg_sess *sess_new(struct adm_client *c, uint64_t id)
{
	struct ctl_daemon *d = c->a->d;
	if (ctl_reg_count(d->reg) == CTL_REG_MAX_SESS) {
		adm_reply_err(c, id, "limit", "at most %u admin sessions", CTL_REG_MAX_SESS);
		return NULL;
	}
	return ctl_reg_add(d->reg, ctl_daemon_session_id(d));
}

void adm_sess_remove(struct ctl_admin *a, uint32_t id)
{
	struct ctl_reg_sess old;
	if (ctl_reg_remove(a->d->reg, id, &old) && old.kind == CTL_REG_LIGHT)
		ctl_daemon_port_free(a->d, old.flow.local_port);
}

static void cmd_light_add(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o)
{
	struct ctl_args g = {.o = o};
	struct tw_ipc_light_listen ll = {0};

	ll.proto = ctl_arg_proto(&g, false);
	ll.flow.local_port = (uint16_t)ctl_arg_u64(&g, "port", 0, 1, 65535, true);
	ctl_arg_addr(&g, "addr", false, &ll.flow.local);
	ctl_arg_addr(&g, "peer", false, &ll.flow.peer);
	ll.flow.port_id = (uint16_t)ctl_arg_u64(&g, "port_id", 0, 0, 65535, false);
	ll.flow.vlan = (uint16_t)ctl_arg_u64(&g, "vlan", 0, 0, 4094, false);
	if (ctl_arg_bool(&g, "stateless", false))
		ll.flags |= TW_IPC_SF_STATELESS;
	if (ctl_arg_bool(&g, "copy_dscp", false))
		ll.flags |= TW_IPC_SF_COPY_DSCP;
	if (ctl_arg_bool(&g, "ptp", false)) /* STAMP only (tw_ipc.c checks) */
		ll.flags |= TW_IPC_SF_PTP_TS;
	ll.flags |= TW_IPC_SF_START_NOW;
	ll.dscp = (uint8_t)ctl_arg_u64(&g, "dscp", 0, 0, 63, false);
	ll.ttl = (uint8_t)ctl_arg_u64(&g, "ttl", 255, 1, 255, false);
	ctl_arg_sec(&g, &ll.sec, &ll.keys);
	ll.max_peers = (uint32_t)ctl_arg_u64(&g, "max_peers", 64, 1, 1u << 20, false);
	ll.idle_ns = ctl_arg_u64(&g, "idle_s", 60, 1, 86400, false) * 1000000000u;
	char name[CTL_REG_NAME_MAX], group[CTL_REG_NAME_MAX];
	arg_label(&g, c->a->d->reg, "name", name);
	arg_label(&g, c->a->d->reg, "group", group);
	if (g.bad) {
		adm_reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	if ((ll.flags & TW_IPC_SF_PTP_TS) && ll.proto != TW_IPC_PROTO_STAMP) {
		adm_reply_err(c, id, "arg", "ptp: a STAMP listener's setting (RFC 8762 §4.2.1)");
		return;
	}
	struct ctl_daemon *d = c->a->d;
	if (d->port_used[ll.flow.local_port]) {
		adm_reply_err(c, id, "limit", "port %u is in use", ll.flow.local_port);
		return;
	}
	struct ctl_reg_sess *s = sess_new(c, id);
	if (!s)
		return;
	d->port_used[ll.flow.local_port] = 1;
	ll.session = s->id;
	s->kind = CTL_REG_LIGHT;
	s->proto = ll.proto;
	s->sec = ll.sec;
	s->flow = ll.flow;
	memcpy(s->name, name, sizeof(name));
	memcpy(s->group, group, sizeof(group));
	s->cfg = (struct ctl_reg_cfg){.idle_ns = ll.idle_ns,
	                              .max_peers = ll.max_peers,
	                              .flags = ll.flags,
	                              .dscp = ll.dscp,
	                              .ttl = ll.ttl};
	s->req.ll = ll; /* programmed again after a fast-path restart */
	fp_request(c, id, TW_IPC_LIGHT_LISTEN, s->id, &ll, sizeof(ll));
	explicit_bzero(&ll.keys, sizeof(ll.keys));
}

static void cmd_sender_add(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o)
{
	struct ctl_args g = {.o = o};
	struct tw_ipc_sender_add sa = {0};

	sa.proto = ctl_arg_proto(&g, true);
	ctl_arg_addr(&g, "local", true, &sa.flow.local);
	sa.flow.local_port = (uint16_t)ctl_arg_u64(&g, "local_port", 0, 1, 65535, true);
	ctl_arg_addr(&g, "peer", true, &sa.flow.peer);
	sa.flow.peer_port = (uint16_t)ctl_arg_u64(&g, "peer_port", 0, 1, 65535, true);
	sa.flow.port_id = (uint16_t)ctl_arg_u64(&g, "port_id", 0, 0, 65535, false);
	sa.flow.vlan = (uint16_t)ctl_arg_u64(&g, "vlan", 0, 0, 4094, false);
	const char *mac = ctl_arg_str(&g, "next_hop_mac", false);
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
	sa.dscp = (uint8_t)ctl_arg_u64(&g, "dscp", 0, 0, 63, false);
	sa.ttl = (uint8_t)ctl_arg_u64(&g, "ttl", 255, 1, 255, false);
	sa.pad.padding_len = (uint32_t)ctl_arg_u64(&g, "padding", 0, 0, 65000, false);
	sa.interval_ns = ctl_arg_u64(&g, "interval_us", 1000000, 1, 3600000000ull, false) * 1000u;
	sa.sched =
	    ctl_arg_bool(&g, "poisson", false) ? TW_IPC_SCHED_POISSON : TW_IPC_SCHED_PERIODIC;
	sa.count = ctl_arg_u64(&g, "count", 0, 0, UINT64_MAX, false);
	sa.duration_ns = ctl_arg_u64(&g, "duration_ms", 0, 0, 86400000ull * 365, false) * 1000000u;
	sa.loss_timeout_ns = ctl_arg_u64(&g, "loss_timeout_ms", 2000, 1, 3600000, false) * 1000000u;
	sa.ssid = (uint16_t)ctl_arg_u64(&g, "ssid", 0, 0, 65535, false);
	if (sa.proto == TW_IPC_PROTO_TWAMP)
		ctl_arg_sec_twamp(&g, &sa.sec, &sa.keys, sa.sid);
	else
		ctl_arg_sec(&g, &sa.sec, &sa.keys);
	if (ctl_arg_bool(&g, "symmetric", false))
		sa.flags |= TW_IPC_SF_SYMMETRIC;
	if (ctl_arg_bool(&g, "ptp", false))
		sa.flags |= TW_IPC_SF_PTP_TS;
	/* RFC 7750: the ECN codepoint sent, and (TWAMP sessions that
	 * negotiated DSCP and ECN Monitoring) reading the reflector's report */
	sa.ecn = (uint8_t)ctl_arg_u64(&g, "ecn", 0, 0, 3, false);
	if (ctl_arg_bool(&g, "dscp_ecn", false))
		sa.flags |= TW_IPC_SF_DSCP_ECN;
	/* RFC 9533 §4.2 LAG micro-session: the Sender Micro-session ID (our
	 * member link) and the Reflector one expected (0 = any) */
	sa.micro_sid = (uint16_t)ctl_arg_u64(&g, "micro_sid", 0, 1, 65535, false);
	sa.micro_rid = (uint16_t)ctl_arg_u64(&g, "micro_rid", 0, 0, 65535, false);
	if (sa.micro_sid)
		sa.flags |= TW_IPC_SF_MICRO;
	else if (sa.micro_rid && !g.bad) {
		snprintf(g.err, sizeof(g.err), "arg micro_rid: needs micro_sid");
		g.bad = true;
	}
	if (!ctl_arg_bool(&g, "results", true))
		sa.flags |= TW_IPC_SF_NO_RESULTS;
	if (ctl_arg_bool(&g, "start", false))
		sa.flags |= TW_IPC_SF_START_NOW;
	/* RFC 8972 §4 STAMP TLVs as laid out by tw_stlv_build (the fast path
	 * validates them with tw_stlv_scan before it acts: tw_ipc_validate) */
	if (ctl_arg_str(&g, "tlv", false))
		sa.tlv_len = (uint16_t)ctl_arg_hex(&g, "tlv", false, sa.tlv, 0, TW_IPC_STLV_MAX);
	bool sub = ctl_arg_bool(&g, "subscribe", false);
	char name[CTL_REG_NAME_MAX], group[CTL_REG_NAME_MAX];
	arg_label(&g, c->a->d->reg, "name", name);
	arg_label(&g, c->a->d->reg, "group", group);
	if (g.bad) {
		adm_reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	if (sa.flow.local.family != sa.flow.peer.family) {
		adm_reply_err(c, id, "arg", "arg peer: not the IP version of local");
		return;
	}
	struct ctl_reg_sess *s = sess_new(c, id);
	if (!s)
		return;
	sa.session = s->id;
	s->kind = CTL_REG_SENDER;
	s->proto = sa.proto;
	s->sec = sa.sec;
	s->flow = sa.flow;
	s->loss_timeout_ns = (int64_t)sa.loss_timeout_ns;
	memcpy(s->name, name, sizeof(name));
	memcpy(s->group, group, sizeof(group));
	s->cfg = (struct ctl_reg_cfg){.interval_ns = sa.interval_ns,
	                              .count = sa.count,
	                              .duration_ns = sa.duration_ns,
	                              .padding = sa.pad.padding_len,
	                              .flags = sa.flags,
	                              .ssid = sa.ssid,
	                              .dscp = sa.dscp,
	                              .ttl = sa.ttl,
	                              .sched = sa.sched,
	                              .started = (sa.flags & TW_IPC_SF_START_NOW) != 0};
	if (!(sa.flags & TW_IPC_SF_NO_RESULTS))
		ctl_reg_stats_on(c->a->d->reg, s);
	if (sub)
		(void)adm_subscribe(c, s->id);
	s->req.sa = sa; /* programmed again after a fast-path restart */
	fp_request(c, id, TW_IPC_SENDER_ADD, s->id, &sa, sizeof(sa));
	explicit_bzero(&sa.keys, sizeof(sa.keys));
}

static void cmd_session_ctl(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o,
                            uint16_t type)
{
	struct ctl_args g = {.o = o};
	uint32_t sid = (uint32_t)ctl_arg_u64(&g, "session", 0, 1, UINT32_MAX, true);
	if (g.bad) {
		adm_reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	struct ctl_reg_sess *s = ctl_reg_find(c->a->d->reg, sid);
	if (!s || (type != TW_IPC_SESSION_DEL && s->kind != CTL_REG_SENDER)) {
		adm_reply_err(c, id, "not-found", "no %s session %u",
		              type == TW_IPC_SESSION_DEL ? "light or sender" : "sender", sid);
		return;
	}
	/* A control-client's sender lives and dies with its TWAMP-Control
	 * session: stopping it alone would leave the reflector waiting. */
	uint32_t owner = ctl_cc_owner(c->a->d->cc, sid);
	if (owner) {
		adm_reply_err(c, id, "arg",
		              "session %u belongs to control-client %u: use client-del", sid,
		              owner);
		return;
	}
	struct tw_ipc_session_ctl sc = {.session = sid};
	fp_request(c, id, type, sid, &sc, sizeof(sc));
}

static void cmd_subscribe(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o, bool on)
{
	struct ctl_args g = {.o = o};
	uint32_t sid = (uint32_t)ctl_arg_u64(&g, "session", 0, 0, UINT32_MAX, true);
	if (g.bad) {
		adm_reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	if (on) {
		if (!adm_subscribe(c, sid)) {
			adm_reply_err(c, id, "limit", "at most %u subscriptions per connection",
			              ADM_MAX_SUBS);
			return;
		}
	} else {
		adm_unsubscribe(c, sid);
	}
	adm_reply_ok(c, id);
}

/* twinhopd.conf's names of the modes and features (docs/control.md). */
static const struct {
	const char *name;
	uint32_t bit;
	bool feature;
} mode_names[] = {
    {"open", TW_CTL_MODE_OPEN, false},
    {"authenticated", TW_CTL_MODE_AUTH, false},
    {"encrypted", TW_CTL_MODE_ENCRYPTED, false},
    {"mixed", TW_CTL_MODE_MIXED, false},
    {"individual-sessions", TW_CTL_MODE_INDIV_SESSIONS, true},
    {"reflect-octets", TW_CTL_MODE_REFLECT_OCTETS, true},
    {"symmetrical-size", TW_CTL_MODE_SYMMETRICAL, true},
    {"dscp-ecn", TW_CTL_MODE_DSCP_ECN, true},
    {"ptpv2", TW_CTL_MODE_PTPV2, true},
};

/* The running Server and Session-Reflector settings that `config-set` can
 * change, the listeners, and the KeyIDs of the keyfile (never a secret). */
static void cmd_config_get(struct adm_client *c, uint64_t id)
{
	const struct ctl_daemon *d = c->a->d;
	struct ctl_jb b;
	char s[80];

	adm_reply_begin(&b, id, true);
	for (int f = 0; f < 2; f++) {
		ctl_jb_arr_begin(&b, f ? "features" : "modes");
		for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
			if (mode_names[i].feature == (f == 1) &&
			    ((f ? d->conf.features : d->conf.modes) & mode_names[i].bit))
				ctl_jb_str(&b, NULL, mode_names[i].name);
		ctl_jb_arr_end(&b);
	}
	ctl_jb_u64(&b, "servwait", d->conf.servwait_s);
	ctl_jb_u64(&b, "refwait", d->conf.refwait_s);
	ctl_jb_u64(&b, "pbkdf2_count", d->conf.pbkdf2_count);
	ctl_jb_arr_begin(&b, "listen");
	for (unsigned i = 0; i < d->conf.n_listen; i++) {
		ctl_conf_addrport_str(&d->conf.listen[i].ss, s, sizeof(s));
		ctl_jb_str(&b, NULL, s);
	}
	ctl_jb_arr_end(&b);
	ctl_jb_arr_begin(&b, "key_ids");
	const char *kid;
	const uint8_t *secret;
	size_t klen;
	for (unsigned i = 0; d->keys && ctl_keys_get(d->keys, i, &kid, &secret, &klen); i++)
		ctl_jb_str(&b, NULL, kid);
	ctl_jb_arr_end(&b);
	adm_reply_end(c, &b);
}

/* Change the running policy as a reload would (new connections and
 * sessions see it; running ones keep theirs), through the configuration
 * parser so the directives mean what they mean in twinhopd.conf.  Only
 * these five: the rest is bound at start-up or is the file's business.
 * A reload (SIGHUP) or restart returns to the file's values. */
static void cmd_config_set(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o)
{
	static const char *const nums[] = {"servwait", "refwait", "pbkdf2_count"};
	static const char *const words[] = {"modes", "features"};
	struct ctl_daemon *d = c->a->d;
	struct ctl_args g = {.o = o};
	char text[512];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		const char *v = ctl_arg_str(&g, words[i], false);
		if (!v || g.bad)
			continue;
		/* Words only: a newline would smuggle in another directive. */
		for (const char *p = v; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			      *p == ' ')) { /* digits: "ptpv2" */
				snprintf(g.err, sizeof(g.err), "arg %s: names a-z, 0-9, '-', spaces",
				         words[i]);
				g.bad = true;
				break;
			}
		if (!g.bad && strlen(v) < 200)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s %s\n", words[i], v);
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (!ctl_json_get(o, nums[i]))
			continue;
		uint64_t v = ctl_arg_u64(&g, nums[i], 0, 0, UINT32_MAX, false);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s %llu\n",
		                      i == 2 ? "pbkdf2-count" : nums[i], (unsigned long long)v);
	}
	if (!g.bad && !n) {
		snprintf(g.err, sizeof(g.err),
		         "arg: give modes, features, servwait, refwait or pbkdf2_count");
		g.bad = true;
	}
	if (g.bad) {
		adm_reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	struct ctl_conf *nc = malloc(sizeof(*nc));
	char err[256];
	if (!nc) {
		adm_reply_err(c, id, "internal", "out of memory");
		return;
	}
	*nc = d->conf;
	if (ctl_conf_parse("config-set", text, nc, err, sizeof(err))) {
		adm_reply_err(c, id, "arg", "%s", err);
		free(nc);
		return;
	}
	d->conf = *nc;
	free(nc);
	ctl_daemon_apply_env(d);
	for (char *p = text; (p = strchr(p, '\n'));)
		*p = ';';
	log_info("admin config-set: %s", text);
	adm_reply_ok(c, id);
}

void adm_handle_line(struct adm_client *c, const char *line, size_t len)
{
	struct ctl_json_obj *o = malloc(sizeof(*o));
	const char *why = NULL;

	if (!o)
		return;
	if (ctl_json_parse(line, len, o, &why)) {
		c->a->d->cnt.c[CTL_CNT_ADMIN_BAD_LINE]++;
		adm_reply_err(c, 0, "parse", "%s", why);
		free(o);
		return;
	}
	const struct ctl_json_member *idm = ctl_json_get(o, "id");
	/* A client matches replies by id: an id we cannot copy back (-1, "7")
	 * is refused rather than answered under another one (it was 0). */
	if (idm && (idm->type != CTL_JSON_INT || idm->neg)) {
		adm_reply_err(c, 0, "arg", "arg id: must be an integer 0..%llu",
		              (unsigned long long)UINT64_MAX);
		free(o);
		return;
	}
	uint64_t id = idm ? idm->u : 0;
	const struct ctl_json_member *cm = ctl_json_get(o, "cmd");
	const char *cmd = (cm && cm->type == CTL_JSON_STR) ? cm->str : "";
	static const char *const ro_cmds[] = {"hello", "show-status", "show-counters",
	                                      "show-fp-counters", "show-sessions"};
	bool is_ro = false;
	for (size_t i = 0; i < sizeof(ro_cmds) / sizeof(ro_cmds[0]); i++)
		is_ro |= !strcmp(cmd, ro_cmds[i]);
	static const char *const rw_cmds[] = {
	    "light-add",          "session-del",  "sender-add", "sender-start", "sender-stop",
	    "subscribe",          "unsubscribe",  "config-get", "config-set",   "client-add",
	    "client-session-add", "client-start", "client-del"};
	bool is_rw = false;
	for (size_t i = 0; i < sizeof(rw_cmds) / sizeof(rw_cmds[0]); i++)
		is_rw |= !strcmp(cmd, rw_cmds[i]);

	if (!is_ro && !is_rw)
		adm_reply_err(c, id, "unknown-cmd", "no command '%s'", cmd);
	else if (is_rw && c->ro)
		adm_reply_err(c, id, "readonly", "'%s' is not allowed on the read-only socket",
		              cmd);
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
	else if (!strcmp(cmd, "config-get"))
		cmd_config_get(c, id);
	else if (!strcmp(cmd, "config-set"))
		cmd_config_set(c, id, o);
	else if (!strncmp(cmd, "client-", 7))
		adm_cmd_client(c, id, o, cmd);
	else
		cmd_subscribe(c, id, o, false);
	free(o);
}
