/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_reg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_log.h"
#include "tw_time.h"

struct ctl_reg {
	const struct ctl_conf *conf;
	struct ctl_reg_sess sess[CTL_REG_MAX_SESS];
	unsigned n_sess;
	unsigned n_stats; /* sessions with st != NULL */
};

struct ctl_reg *ctl_reg_new(const struct ctl_conf *conf)
{
	struct ctl_reg *r = calloc(1, sizeof(*r));
	if (r)
		r->conf = conf;
	return r;
}

void ctl_reg_free(struct ctl_reg *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->n_sess; i++) {
		free(r->sess[i].st);
		explicit_bzero(&r->sess[i].req, sizeof(r->sess[i].req)); /* test keys */
	}
	free(r);
}

unsigned ctl_reg_count(const struct ctl_reg *r)
{
	return r ? r->n_sess : 0;
}

struct ctl_reg_sess *ctl_reg_at(struct ctl_reg *r, unsigned i)
{
	return &r->sess[i];
}

const struct ctl_reg_sess *ctl_reg_at_const(const struct ctl_reg *r, unsigned i)
{
	return &r->sess[i];
}

struct ctl_reg_sess *ctl_reg_find(struct ctl_reg *r, uint32_t id)
{
	for (unsigned i = 0; i < r->n_sess; i++)
		if (r->sess[i].id == id)
			return &r->sess[i];
	return NULL;
}

struct ctl_reg_sess *ctl_reg_add(struct ctl_reg *r, uint32_t id)
{
	if (r->n_sess == CTL_REG_MAX_SESS)
		return NULL;
	struct ctl_reg_sess *s = &r->sess[r->n_sess++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	return s;
}

bool ctl_reg_remove(struct ctl_reg *r, uint32_t id, struct ctl_reg_sess *out)
{
	struct ctl_reg_sess *s = ctl_reg_find(r, id);
	if (!s)
		return false;
	if (s->st) {
		free(s->st);
		s->st = NULL;
		r->n_stats--;
	}
	explicit_bzero(&s->req, sizeof(s->req)); /* test keys */
	if (out)
		*out = *s;
	*s = r->sess[--r->n_sess];
	explicit_bzero(&r->sess[r->n_sess], sizeof(r->sess[r->n_sess]));
	return true;
}

void ctl_reg_rearm(struct ctl_reg *r, struct ctl_reg_sess *s)
{
	s->live = false;
	s->state = 0;
	s->rx_pkts = s->tx_pkts = 0;
	s->seq_valid = false;
	if (s->st) {
		free(s->st);
		s->st = NULL;
		r->n_stats--;
		ctl_reg_stats_on(r, s);
	}
}

void ctl_reg_stats_on(struct ctl_reg *r, struct ctl_reg_sess *s)
{
	struct tw_stats_config sc = {.loss_timeout_ns = s->loss_timeout_ns};

	if (s->st || r->n_stats >= CTL_REG_MAX_STATS)
		return;
	for (unsigned k = 0; k < CTL_CONF_THR_KINDS && k < TW_STATS_THR__COUNT; k++) {
		int64_t mul = k == TW_STATS_THR_LOSS ? 1 : 1000; /* ppm / us -> ns */
		sc.thr[k].raise = (int64_t)r->conf->thr[k].raise * mul;
		sc.thr[k].clear = (int64_t)r->conf->thr[k].clear * mul;
	}
	s->st = malloc(sizeof(*s->st));
	if (!s->st)
		return;
	if (tw_stats_init(s->st, &sc) != TW_OK) {
		free(s->st);
		s->st = NULL;
		return;
	}
	r->n_stats++;
}

/* near_ntp: 0 for our own timestamps; for the reflector's T2/T3 our T1 as
 * NTP, next to which a Z = 1 timestamp counting from 1900 is read so
 * (tw_time_ptp_to_ntp_near, docs/interop.md). */
static int64_t wire_ns(uint64_t t, uint16_t err, int64_t ref, int64_t *e, bool *sync,
                       uint64_t near_ntp)
{
	uint64_t en = 0;
	bool ntp_epoch;
	if (err & 0x4000) /* Z bit: PTP format (RFC 8186) */
		t = near_ntp ? tw_time_ptp_to_ntp_near(t, near_ntp, &ntp_epoch)
		             : tw_time_ptp_to_ntp(t);
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
/* The sender has ended: settle its statistics (what is still outstanding
 * is lost). */
static void settle(struct ctl_reg_sess *s)
{
	s->settle_pending = false;
	s->state = TW_IPC_EV_ENDED;
	if (s->st)
		tw_stats_flush(s->st);
}

static void feed(struct ctl_reg_sess *s, const struct tw_ipc_result *res);

void ctl_reg_result(struct ctl_reg *r, const struct tw_ipc_result *res)
{
	struct ctl_reg_sess *s = ctl_reg_find(r, res->session);
	if (!s || !s->st)
		return;
	s->nres++;
	feed(s, res);
	if (s->settle_pending && s->nres >= s->want_res)
		settle(s);
}

static void feed(struct ctl_reg_sess *s, const struct tw_ipc_result *res)
{
	struct tw_stats_reply rp = {0};
	struct tw_stats_sample smp;

	int64_t ref = tw_time_now_ns();
	rp.t1 = wire_ns(res->t1, res->err1, ref, &rp.e1, &rp.snd_sync, 0);
	uint64_t t1_ntp = (res->err1 & 0x4000) ? tw_time_ptp_to_ntp(res->t1) : res->t1;
	if (!(res->flags & (TW_IPC_RES_LATE | TW_IPC_RES_DUP))) {
		if (!s->seq_valid) {
			(void)tw_stats_sent(s->st, res->sender_seq, rp.t1);
			s->seq_valid = true;
			s->next_seq = res->sender_seq + 1;
		} else if ((int32_t)(res->sender_seq - s->next_seq) >= 0) {
			uint32_t gap = res->sender_seq - s->next_seq;
			uint32_t k = gap > TW_STATS_SEQ_WINDOW ? res->sender_seq : s->next_seq;
			for (;; k++) {
				(void)tw_stats_sent(s->st, k, rp.t1);
				if (k == res->sender_seq)
					break;
			}
			s->next_seq = res->sender_seq + 1;
		}
	}
	if (res->flags & TW_IPC_RES_LOST)
		return;
	rp.snd_seq = res->sender_seq;
	rp.refl_seq = res->reflector_seq;
	rp.t2 = wire_ns(res->t2, res->err2, ref, &rp.e2, &rp.refl_sync, t1_ntp);
	rp.t3 = wire_ns(res->t3, res->err3, ref, &rp.e3, NULL, t1_ntp);
	rp.t4 = wire_ns(res->t4, res->err4, ref, &rp.e4, NULL, 0);
	/* TTL_NONE: the reply had no Sender TTL (wire ref §11b.7). */
	rp.snd_ttl = (res->flags & TW_IPC_RES_TTL_NONE) ? 0 : res->ttl_fwd;
	rp.rx_ttl = res->ttl_back;
	rp.init_ttl = 255;
	/* RFC 7750 per direction: we sent dscp_tx and the session's ECN */
	rp.tos_tx = (uint8_t)(res->dscp_tx << 2 | (s->kind == CTL_REG_SENDER ? s->req.sa.ecn & 3 : 0));
	rp.tos_fwd = res->tos_fwd;
	rp.tos_bwd = res->tos_rx;
	rp.tos_known = TW_STATS_TOS_BWD | ((res->flags & TW_IPC_RES_TOS_FWD) ? TW_STATS_TOS_FWD : 0);
	(void)tw_stats_reply(s->st, &rp, &smp);
}

void ctl_reg_event(struct ctl_reg *r, const struct tw_ipc_session_event *ev)
{
	struct ctl_reg_sess *s = ctl_reg_find(r, ev->session);
	if (!s)
		return;
	s->state = (uint8_t)ev->event;
	if (ev->event == TW_IPC_EV_STARTED)
		s->started = true;
	s->rx_pkts = ev->rx_pkts;
	s->tx_pkts = ev->tx_pkts;
}

void ctl_reg_summary(struct ctl_reg *r, const struct tw_ipc_sender_summary *sm)
{
	struct ctl_reg_sess *s = ctl_reg_find(r, sm->session);
	if (!s)
		return;
	s->tx_pkts = sm->sent;
	s->rx_pkts = sm->replies;
	s->want_res = sm->results_sent;
	s->summary_ns = tw_time_now_ns();
	s->settle_pending = true;
	if (!s->st || s->nres >= s->want_res)
		settle(s);
}

void ctl_reg_tick(struct ctl_reg *r, int64_t now_ns)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->n_sess; i++) {
		struct ctl_reg_sess *s = &r->sess[i];
		struct tw_stats_event ev;
		if (s->settle_pending && now_ns - s->summary_ns > 1000000000)
			settle(s); /* results it counted never came: lost */
		if (!s->st || s->state == TW_IPC_EV_ENDED || s->settle_pending)
			continue;
		/* one extra second: a reply may still be on its way through the ring */
		tw_stats_expire(s->st, now_ns - 1000000000);
		while (tw_stats_event_pop(s->st, &ev))
			log_info("session %u: threshold %s %s (value %lld)", s->id,
			         ctl_conf_thr_name(ev.kind), ev.raised ? "raised" : "cleared",
			         (long long)ev.value);
	}
}

/* ---- names ----------------------------------------------------------------------- */

const char *ctl_reg_kind_name(uint8_t kind)
{
	return kind == CTL_REG_LIGHT ? "light" : "sender";
}

const char *ctl_reg_sec_name(uint8_t sec)
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

const char *ctl_reg_proto_name(uint8_t p)
{
	return p == TW_IPC_PROTO_TWAMP ? "twamp" : p == TW_IPC_PROTO_LIGHT ? "light" : "stamp";
}

const char *ctl_reg_event_name(unsigned e)
{
	static const char *const n[] = {"added", "started", "stopping", "refwait-expired",
	                                "ended", "deleted", "error"};
	return e < 7 ? n[e] : "?";
}

const char *ctl_reg_state_name(const struct ctl_reg_sess *s)
{
	return !s->live ? "adding" : ctl_reg_event_name(s->state);
}
