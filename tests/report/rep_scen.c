/* SPDX-License-Identifier: BSD-3-Clause */
#include "rep_scen.h"

#include <string.h>

#define US INT64_C(1000)
#define MS INT64_C(1000000)
#define S_ INT64_C(1000000000)

/* Start of the test on the wall clock: 2024-01-01T00:00:00Z. */
#define T0 (INT64_C(1704067200) * S_)

const char *const rep_scen_names[REP_SCEN__COUNT] = {"clean", "lossy", "empty"};

static struct tw_stats g_st; /* ~360 KiB: not on the stack */
static struct tw_stats_summary g_sum;

struct tw_stats *rep_scen_stats(void)
{
	return &g_st;
}

void rep_scen_params(struct tw_report_params *p, bool hostile)
{
	memset(p, 0, sizeof *p);
	p->session = hostile ? "s\"1\\x\ny\t\x01z \xc3\xa9 \xff" : "s1";
	p->peer = hostile ? "[2001:db8::1]:862" : "192.0.2.1:862";
	p->local = "192.0.2.2:20000";
	p->mode = hostile ? "unauth\"enticated" : "unauthenticated";
	p->padding = 64;
	p->dscp = 46;
	p->count = 10;
	p->tx_interval_ns = 100 * MS;
	p->report_interval_ns = S_;
	p->loss_timeout_ns = 200 * MS;
	p->start_ns = T0;
}

struct ctx {
	struct tw_report *r;
	enum tw_err err;
};

static void chk(struct ctx *c, enum tw_err e)
{
	if (c->err == TW_OK && e != TW_OK)
		c->err = e;
}

static void pop_events(struct ctx *c, int64_t t)
{
	struct tw_stats_event ev;
	while (tw_stats_event_pop(&g_st, &ev))
		chk(c, tw_report_event(c->r, t, &ev));
}

/* Reply to sender seq s (sent at t1, offset from T0) with reflector seq r. */
static void reply(struct ctx *c, uint32_t s, uint32_t r, int64_t t1, int64_t f, int64_t d,
                  int64_t b, bool sync)
{
	struct tw_stats_reply rp = {
	    .snd_seq = s,
	    .refl_seq = r,
	    .t1 = T0 + t1,
	    .e1 = 100,
	    .e2 = 200,
	    .e3 = 200,
	    .e4 = 100,
	    .snd_sync = sync,
	    .refl_sync = true,
	    .snd_ttl = 250,
	    .rx_ttl = 252,
	};
	rp.t2 = rp.t1 + f;
	rp.t3 = rp.t2 + d;
	rp.t4 = rp.t3 + b;
	uint32_t fl = tw_stats_reply(&g_st, &rp, NULL);
	struct tw_report_pkt pkt;
	tw_report_pkt_from_reply(&pkt, &rp, fl);
	chk(c, tw_report_packet(c->r, &pkt));
	pop_events(c, rp.t4 - T0);
}

static void lost(struct ctx *c, uint32_t s, int64_t t1)
{
	struct tw_report_pkt pkt = {
	    .snd_seq = s, .t1 = T0 + t1, .e1 = 100, .snd_sync = true, .lost = true};
	chk(c, tw_report_packet(c->r, &pkt));
}

static void sent(struct ctx *c, uint32_t s, int64_t t1)
{
	chk(c, tw_stats_sent(&g_st, s, T0 + t1));
}

static void interval(struct ctx *c, int64_t t0, int64_t t1)
{
	tw_stats_expire(&g_st, T0 + t1);
	pop_events(c, t1);
	tw_stats_interval_take(&g_st, &g_sum, NULL);
	chk(c, tw_report_interval(c->r, t0, t1, &g_sum));
}

static void clean(struct ctx *c)
{
	for (uint32_t i = 0; i < 10; i++) {
		int64_t t1 = (int64_t)i * 100 * MS;
		sent(c, i, t1);
		/* forward 1 ms + i * 10 us, dwell 50 us, backward 2 ms */
		reply(c, i, i, t1, MS + (int64_t)i * 10 * US, 50 * US, 2 * MS, true);
	}
	interval(c, 0, S_);
}

/*
 * 40 packets every 50 ms, forward 400 us, dwell 20 us, backward 500 us:
 *  seq 5 lost forward (the reflector never saw it: reflector seqs skip none),
 *  seq 12 lost backward (reflector seq 11 consumed, reply lost),
 *  seq 7 reply received twice (backward duplicate),
 *  seq 9's reply arrives after seq 10's (reordered on the way back),
 *  seq 25 and 26: RTT 5 ms (raises the RTT threshold), seq 27 clears it,
 *  seq 30..39: sender clock unsynchronised.
 */
static void lossy(struct ctx *c)
{
	uint32_t r = 0;
	int64_t t_end = 0;
	for (uint32_t i = 0; i < 40; i++) {
		int64_t t1 = (int64_t)i * 50 * MS;
		int64_t f = 400 * US + (int64_t)(i % 4) * 10 * US, d = 20 * US, b = 500 * US;
		if (i == 25 || i == 26)
			b = 4 * MS + 80 * US;
		sent(c, i, t1);
		if (i == 5) {
			lost(c, i, t1);
		} else if (i == 12) {
			r++;
			lost(c, i, t1);
		} else if (i == 9) {
			r++; /* answered below, after seq 10 */
		} else if (i == 10) {
			reply(c, i, r++, t1, f, d, b, true);
			reply(c, 9, r - 2, 9 * 50 * MS, 400 * US, d, 50 * MS + b, true);
		} else {
			reply(c, i, r++, t1, f, d, b, i < 30);
			if (i == 7)
				reply(c, i, r - 1, t1, f, d, b, true);
		}
		if (i == 19) {
			interval(c, 0, S_);
		}
		t_end = t1;
	}
	(void)t_end;
	interval(c, S_, 2 * S_);
}

enum tw_err rep_scen_run(enum rep_scen sc, struct tw_report *r, bool hostile)
{
	struct ctx c = {.r = r};
	struct tw_stats_config cfg = {
	    .loss_timeout_ns = 200 * MS,
	    .thr = {[TW_STATS_THR_RTT] = {.raise = 4 * MS, .clear = 2 * MS},
	            [TW_STATS_THR_LOSS] = {.raise = 50000, .clear = 10000}},
	};
	struct tw_report_params p;
	rep_scen_params(&p, hostile);
	if (sc == REP_SCEN_LOSSY) {
		p.count = 40;
		p.tx_interval_ns = 50 * MS;
	} else if (sc == REP_SCEN_EMPTY) {
		p.count = 0;
		p.duration_ns = S_;
	}
	chk(&c, tw_stats_init(&g_st, &cfg));
	chk(&c, tw_report_start(r, &p));
	switch (sc) {
	case REP_SCEN_CLEAN:
		clean(&c);
		break;
	case REP_SCEN_LOSSY:
		lossy(&c);
		break;
	default:
		interval(&c, 0, S_);
		break;
	}
	tw_stats_flush(&g_st);
	pop_events(&c, sc == REP_SCEN_LOSSY ? 2 * S_ : S_);
	tw_stats_summary_fill(&g_st, &g_st.total, &g_sum);
	chk(&c, tw_report_end(r, sc == REP_SCEN_LOSSY ? 2 * S_ : S_, &g_sum, &g_st.total));
	return c.err;
}
