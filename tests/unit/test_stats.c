/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_hist / tw_stats: every metric against hand-computed values on crafted
 * packet sequences (wire reference §7).
 */
#include "tw_hist.h"
#include "tw_stats.h"
#include "tw_unit.h"

#include <stdlib.h>

#define MS INT64_C(1000000)
#define S_ INT64_C(1000000000)

static struct tw_stats g_st; /* ~370 KiB: not on the stack */
static struct tw_stats_summary g_sum;
static struct tw_stats_acc g_acc1, g_acc2;

static void setup(const struct tw_stats_config *cfg)
{
	struct tw_stats_config def = {.loss_timeout_ns = S_};
	CU_ASSERT_EQUAL_FATAL(tw_stats_init(&g_st, cfg ? cfg : &def), TW_OK);
}

/* Packet seq i is sent at i ms. */
static int64_t t1_of(uint32_t base, uint32_t s)
{
	return (int64_t)(uint32_t)(s - base) * MS;
}

static void send_range(uint32_t first, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_EQUAL(tw_stats_sent(&g_st, first + i, (int64_t)i * MS), TW_OK);
}

/* A reply with forward delay f, dwell d, backward delay b; errors 1,2,3,4 ns;
 * TTLs 250 (reflector saw) and 252 (we saw), both clocks synchronised. */
static uint32_t reply_ex(uint32_t base, uint32_t s, uint32_t r, int64_t f, int64_t d, int64_t b,
                         struct tw_stats_sample *out)
{
	struct tw_stats_reply rp = {
	    .snd_seq = s,
	    .refl_seq = r,
	    .e1 = 1,
	    .e2 = 2,
	    .e3 = 3,
	    .e4 = 4,
	    .snd_sync = true,
	    .refl_sync = true,
	    .snd_ttl = 250,
	    .rx_ttl = 252,
	};
	rp.t1 = t1_of(base, s);
	rp.t2 = rp.t1 + f;
	rp.t3 = rp.t2 + d;
	rp.t4 = rp.t3 + b;
	return tw_stats_reply(&g_st, &rp, out);
}

static uint32_t reply(uint32_t s, uint32_t r, int64_t f, int64_t d, int64_t b)
{
	return reply_ex(0, s, r, f, d, b, NULL);
}

static void total_summary(void)
{
	tw_stats_summary_fill(&g_st, &g_st.total, &g_sum);
}

/* ------------------------------------------------------------------ */

static void test_no_loss(void)
{
	static const int64_t fwd[] = {10, 30, 20, 20, 60}, bwd[] = {5, 5, 15, 5, 5};
	struct tw_stats_sample smp;
	setup(NULL);
	send_range(0, 5);
	for (uint32_t i = 0; i < 5; i++) {
		uint32_t f = reply_ex(0, i, i, fwd[i], 10, bwd[i], &smp);
		CU_ASSERT_EQUAL(f & ~TW_STATS_F_IPDV, TW_STATS_F_DELAY);
		CU_ASSERT_EQUAL(smp.rtt, fwd[i] + bwd[i]);
		CU_ASSERT_EQUAL(smp.rtt_err, 10);
		CU_ASSERT_EQUAL(smp.fwd_err, 3);
		CU_ASSERT_EQUAL(smp.bwd_err, 7);
	}
	/* nothing is declared lost before the timeout */
	tw_stats_expire(&g_st, 4 * MS + S_ - 1);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.settled, 4);
	tw_stats_flush(&g_st);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.sent, 5);
	CU_ASSERT_EQUAL(g_sum.settled, 5);
	CU_ASSERT_EQUAL(g_sum.received, 5);
	CU_ASSERT_EQUAL(g_sum.lost, 0);
	CU_ASSERT_EQUAL(g_sum.lost_fwd, 0);
	CU_ASSERT_EQUAL(g_sum.lost_bwd, 0);
	CU_ASSERT_EQUAL(g_sum.dup_fwd + g_sum.dup_bwd + g_sum.reord_fwd + g_sum.reord_bwd, 0);
	/* RTT {15,35,35,25,65}: sorted {15,25,35,35,65} */
	CU_ASSERT_EQUAL(g_sum.rtt.n, 5);
	CU_ASSERT_EQUAL(g_sum.rtt.min, 15);
	CU_ASSERT_EQUAL(g_sum.rtt.max, 65);
	CU_ASSERT_EQUAL(g_sum.rtt.mean, 35);
	CU_ASSERT_EQUAL(g_sum.rtt.p50, 35);
	CU_ASSERT_EQUAL(g_sum.rtt.p90, 65);
	CU_ASSERT_EQUAL(g_sum.rtt.pdv_p50, 20);
	CU_ASSERT_EQUAL(g_sum.rtt.pdv_max, 50);
	/* forward {10,30,20,20,60}, backward {5,5,15,5,5} */
	CU_ASSERT_EQUAL(g_sum.fwd.min, 10);
	CU_ASSERT_EQUAL(g_sum.fwd.max, 60);
	CU_ASSERT_EQUAL(g_sum.fwd.mean, 28);
	CU_ASSERT_EQUAL(g_sum.fwd.p50, 20);
	CU_ASSERT_EQUAL(g_sum.bwd.min, 5);
	CU_ASSERT_EQUAL(g_sum.bwd.max, 15);
	CU_ASSERT_EQUAL(g_sum.bwd.mean, 7);
	CU_ASSERT_EQUAL(g_sum.bwd.p50, 5);
	CU_ASSERT_EQUAL(g_sum.bwd.pdv_max, 10);
	/* IPDV of RTT: 20, 0, -10, 40; forward 20, -10, 0, 40; backward 0, 10, -10, 0 */
	CU_ASSERT_EQUAL(g_sum.ipdv.n, 4);
	CU_ASSERT_EQUAL(g_sum.ipdv.min, -10);
	CU_ASSERT_EQUAL(g_sum.ipdv.max, 40);
	CU_ASSERT_EQUAL(g_sum.ipdv.mean, 13); /* 12.5 rounded away from zero */
	CU_ASSERT_EQUAL(g_sum.ipdv.p50, 0);   /* sorted -10, 0, 20, 40: rank 2 */
	CU_ASSERT_EQUAL(g_sum.ipdv_fwd.min, -10);
	CU_ASSERT_EQUAL(g_sum.ipdv_fwd.max, 40);
	CU_ASSERT_EQUAL(g_sum.ipdv_bwd.min, -10);
	CU_ASSERT_EQUAL(g_sum.ipdv_bwd.max, 10);
	CU_ASSERT_EQUAL(g_sum.ipdv_bwd.mean, 0);
	/* dwell and error bounds */
	CU_ASSERT_EQUAL(g_sum.dwell.min, 10);
	CU_ASSERT_EQUAL(g_sum.dwell.max, 10);
	CU_ASSERT_EQUAL(g_sum.rtt_err.max, 10);
	CU_ASSERT_EQUAL(g_sum.fwd_err.max, 3);
	CU_ASSERT_EQUAL(g_sum.bwd_err.max, 7);
	CU_ASSERT_FALSE(g_sum.unsync);
	/* jitter of RTT, |D(i)-D(i-1)| = 20, 0, 10, 40:
	 * 1.25 -> 1.171875 -> 1.7236328125 -> 4.11590576171875 */
	CU_ASSERT_EQUAL(g_sum.jitter_rtt, 4);
	CU_ASSERT_DOUBLE_EQUAL(g_st.jit_rtt, 4.11590576171875, 1e-12);
}

static void test_loss_forward(void)
{
	setup(NULL);
	send_range(0, 6);
	/* packet 2 lost on the way out: the reflector numbers 5 packets 0..4 */
	static const uint32_t s[] = {0, 1, 3, 4, 5};
	for (uint32_t i = 0; i < 5; i++)
		reply(s[i], i, 100, 10, 100);
	/* settle 0..2 only (sent at 0, 1, 2 ms; timeout 1 s) */
	tw_stats_expire(&g_st, S_ + 2 * MS + MS / 2);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.settled, 3);
	CU_ASSERT_EQUAL(g_sum.lost, 1);
	CU_ASSERT_EQUAL(g_sum.lost_fwd, 1);
	CU_ASSERT_EQUAL(g_sum.lost_bwd, 0);
	tw_stats_flush(&g_st);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.sent, 6);
	CU_ASSERT_EQUAL(g_sum.settled, 6);
	CU_ASSERT_EQUAL(g_sum.received, 5);
	CU_ASSERT_EQUAL(g_sum.lost, 1);
	CU_ASSERT_EQUAL(g_sum.lost_fwd, 1);
	CU_ASSERT_EQUAL(g_sum.lost_bwd, 0);
	CU_ASSERT_EQUAL(g_sum.loss_ppm, 166667);
	CU_ASSERT_EQUAL(g_sum.ipdv.n, 3); /* pairs (0,1) (3,4) (4,5) */
	CU_ASSERT_EQUAL(g_sum.reord_fwd + g_sum.reord_bwd, 0);
}

static void test_loss_backward(void)
{
	setup(NULL);
	send_range(0, 6);
	/* the reflector answers all six (0..5); reply 3 is lost on the way back */
	for (uint32_t i = 0; i < 6; i++)
		if (i != 3)
			reply(i, i, 100, 10, 100);
	tw_stats_expire(&g_st, S_ + 3 * MS);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.settled, 4);
	CU_ASSERT_EQUAL(g_sum.lost, 1);
	CU_ASSERT_EQUAL(g_sum.lost_fwd, 0);
	CU_ASSERT_EQUAL(g_sum.lost_bwd, 1);
	tw_stats_flush(&g_st);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.received, 5);
	CU_ASSERT_EQUAL(g_sum.lost, 1);
	CU_ASSERT_EQUAL(g_sum.lost_fwd, 0);
	CU_ASSERT_EQUAL(g_sum.lost_bwd, 1);
	CU_ASSERT_EQUAL(g_sum.ipdv.n, 3); /* (0,1) (1,2) (4,5) */
	CU_ASSERT_EQUAL(g_sum.reord_bwd, 0);
}

static void test_duplicates(void)
{
	setup(NULL);
	send_range(0, 3);
	CU_ASSERT_EQUAL(reply(0, 0, 100, 10, 100) & TW_STATS_F_DELAY, TW_STATS_F_DELAY);
	reply(1, 1, 100, 10, 100);
	/* test packet 1 duplicated on the way out: reflected again as 2 */
	CU_ASSERT_EQUAL(reply(1, 2, 100, 10, 100), TW_STATS_F_DUP_FWD);
	reply(2, 3, 100, 10, 100);
	/* reply 3 duplicated on the way back */
	CU_ASSERT_EQUAL(reply(2, 3, 100, 10, 100), TW_STATS_F_DUP_BWD);
	tw_stats_flush(&g_st);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.dup_fwd, 1);
	CU_ASSERT_EQUAL(g_sum.dup_bwd, 1);
	CU_ASSERT_EQUAL(g_sum.received, 3);
	CU_ASSERT_EQUAL(g_sum.lost, 0);
	CU_ASSERT_EQUAL(g_sum.lost_fwd, 0); /* 3 - (R=4 - 1 dup) */
	CU_ASSERT_EQUAL(g_sum.rtt.n, 3);
	CU_ASSERT_EQUAL(g_sum.ipdv.n, 2);
	/* duplicates are not reordering (RFC 4737 §3.3) */
	CU_ASSERT_EQUAL(g_sum.reord_fwd + g_sum.reord_bwd, 0);
	CU_ASSERT_EQUAL(g_sum.reord_bwd_ppm, 0);
}

/* A Session-Reflector that restarts numbers its replies from 0 again
 * (RFC 5357 §4.2.1; e2e-restart: a fast path restarted and programmed
 * again).  Its replies are new replies: received, not backward duplicates,
 * no reordering, no loss split error; a real duplicate after the restart
 * is still one. */
static void test_reflector_restart(void)
{
	setup(NULL);
	send_range(0, 60);
	for (uint32_t i = 0; i < 30; i++)
		reply(i, i, 100, 10, 100);
	/* packets 30..39 lost while it restarts; 40..59 answered from 0 */
	for (uint32_t i = 40; i < 60; i++)
		CU_ASSERT_EQUAL(reply(i, i - 40, 100, 10, 100) & (TW_STATS_F_DUP_BWD | TW_STATS_F_DUP_FWD |
		                                                  TW_STATS_F_REORDER_BWD |
		                                                  TW_STATS_F_REORDER_FWD),
		                0);
	/* reply 59 (reflector seq 19) duplicated on the way back */
	CU_ASSERT_EQUAL(reply(59, 19, 100, 10, 100), TW_STATS_F_DUP_BWD);
	tw_stats_flush(&g_st);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.received, 50);
	CU_ASSERT_EQUAL(g_sum.lost, 10);
	CU_ASSERT_EQUAL(g_sum.lost_fwd, 10); /* the reflector's count continued: 30 + 20 */
	CU_ASSERT_EQUAL(g_sum.dup_bwd, 1);
	CU_ASSERT_EQUAL(g_sum.dup_fwd, 0);
	CU_ASSERT_EQUAL(g_sum.reord_fwd + g_sum.reord_bwd, 0);
	CU_ASSERT_EQUAL(g_sum.rtt.n, 50);
}

static void test_reorder_backward(void)
{
	setup(NULL);
	send_range(0, 5);
	static const uint32_t order[] = {0, 1, 3, 2, 4};
	for (int i = 0; i < 5; i++) {
		uint32_t f = reply(order[i], order[i], 100, 10, 100);
		CU_ASSERT_EQUAL(!!(f & TW_STATS_F_REORDER_BWD), i == 3);
		CU_ASSERT_FALSE(f & TW_STATS_F_REORDER_FWD);
	}
	tw_stats_flush(&g_st);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.reord_bwd, 1);
	CU_ASSERT_EQUAL(g_sum.reord_fwd, 0);
	CU_ASSERT_EQUAL(g_sum.reord_bwd_ppm, 200000);
	CU_ASSERT_EQUAL(g_sum.ext_bwd.max, 1); /* arrival 3 - arrival 2 (seq 3) */
	CU_ASSERT_EQUAL(g_sum.lost, 0);
	/* IPDV found for every consecutive pair despite the order: (0,1) (1,2) (2,3) (3,4) */
	CU_ASSERT_EQUAL(g_sum.ipdv.n, 4);
}

static void test_reorder_forward(void)
{
	setup(NULL);
	send_range(0, 8);
	/* reflector received 0,1,3,4,2,5 then 7,6: numbered 0..7 in that order */
	static const uint32_t s[] = {0, 1, 3, 4, 2, 5, 7, 6};
	for (uint32_t r = 0; r < 8; r++) {
		uint32_t f = reply(s[r], r, 100, 10, 100);
		CU_ASSERT_EQUAL(!!(f & TW_STATS_F_REORDER_FWD), r == 4 || r == 7);
		CU_ASSERT_FALSE(f & TW_STATS_F_REORDER_BWD);
	}
	tw_stats_flush(&g_st);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.reord_fwd, 2);
	CU_ASSERT_EQUAL(g_sum.reord_bwd, 0);
	CU_ASSERT_EQUAL(g_sum.reord_fwd_ppm, 250000);
	/* seq 2 at r=4, earliest later seq (3) at r=2: extent 2; seq 6 at r=7: extent 1 */
	CU_ASSERT_EQUAL(g_sum.ext_fwd.n, 2);
	CU_ASSERT_EQUAL(g_sum.ext_fwd.max, 2);
	CU_ASSERT_EQUAL(g_sum.ext_fwd.min, 1);
	CU_ASSERT_EQUAL(g_sum.lost_fwd + g_sum.lost_bwd, 0);
}

static void test_reorder_both(void)
{
	setup(NULL);
	send_range(0, 4);
	/* reflector order s 0,2,1,3 (r 0..3); replies arrive r 0,2,1,3 */
	CU_ASSERT_EQUAL(reply(0, 0, 100, 10, 100) & 0x18, 0);
	CU_ASSERT_EQUAL(reply(1, 2, 100, 10, 100) & 0x18, 0); /* not yet known */
	/* r=1 carries s=2: backward reordered, and it reveals s=1 at r=2 was late */
	CU_ASSERT_EQUAL(reply(2, 1, 100, 10, 100) & 0x18, TW_STATS_F_REORDER_BWD);
	CU_ASSERT_EQUAL(reply(3, 3, 100, 10, 100) & 0x18, 0);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.reord_fwd, 1);
	CU_ASSERT_EQUAL(g_sum.ext_fwd.max, 1);
	CU_ASSERT_EQUAL(g_sum.reord_bwd, 1);
	CU_ASSERT_EQUAL(g_sum.ext_bwd.max, 1);
}

static void test_wrap(void)
{
	struct tw_stats_config cfg = {.loss_timeout_ns = S_, .refl_seq_first = 0xfffffffe};
	const uint32_t base = 0xfffffffd;
	setup(&cfg);
	send_range(base, 6); /* FFFFFFFD FFFFFFFE FFFFFFFF 0 1 2 */
	/* FFFFFFFE lost forward; reflector numbers FFFFFFFE FFFFFFFF 0 1 2;
	 * replies r=0 and r=FFFFFFFF swap on the way back */
	static const uint32_t s[] = {0xfffffffd, 0, 0xffffffff, 1, 2};
	static const uint32_t r[] = {0xfffffffe, 0, 0xffffffff, 1, 2};
	static const int64_t f[] = {100, 130, 110, 100, 100};
	uint32_t fl[5];
	for (int i = 0; i < 5; i++)
		fl[i] = reply_ex(base, s[i], r[i], f[i], 10, 50, NULL);
	CU_ASSERT_TRUE(fl[2] & TW_STATS_F_REORDER_BWD);
	CU_ASSERT_FALSE(fl[1] & (TW_STATS_F_REORDER_BWD | TW_STATS_F_REORDER_FWD));
	CU_ASSERT_FALSE(fl[2] & TW_STATS_F_REORDER_FWD);
	tw_stats_flush(&g_st);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.sent, 6);
	CU_ASSERT_EQUAL(g_sum.received, 5);
	CU_ASSERT_EQUAL(g_sum.lost, 1);
	CU_ASSERT_EQUAL(g_sum.lost_fwd, 1);
	CU_ASSERT_EQUAL(g_sum.lost_bwd, 0);
	CU_ASSERT_EQUAL(g_sum.reord_bwd, 1);
	CU_ASSERT_EQUAL(g_sum.reord_fwd, 0);
	CU_ASSERT_EQUAL(g_sum.dup_fwd + g_sum.dup_bwd + g_sum.unknown, 0);
	/* IPDV pairs (FFFFFFFF,0) (0,1) (1,2); RTT = f + 50:
	 * FFFFFFFF 160, 0 180, 1 150, 2 150 -> 20, -30, 0 */
	CU_ASSERT_EQUAL(g_sum.ipdv.n, 3);
	CU_ASSERT_EQUAL(g_sum.ipdv.min, -30);
	CU_ASSERT_EQUAL(g_sum.ipdv.max, 20);
}

static void test_unsync(void)
{
	struct tw_stats_config cfg = {.loss_timeout_ns = S_};
	cfg.thr[TW_STATS_THR_FWD] = (struct tw_stats_thr){.raise = 1, .clear = 0};
	setup(&cfg);
	send_range(0, 2);
	struct tw_stats_sample smp;
	/* reflector clock 500 ns behind: forward -400, backward 600, RTT 200 */
	struct tw_stats_reply rp = {.snd_seq = 0,
	                            .refl_seq = 0,
	                            .t1 = 0,
	                            .t2 = -400,
	                            .t3 = -390,
	                            .t4 = 210,
	                            .snd_sync = true,
	                            .refl_sync = false};
	CU_ASSERT_EQUAL(tw_stats_reply(&g_st, &rp, &smp), TW_STATS_F_DELAY | TW_STATS_F_UNSYNC);
	CU_ASSERT_EQUAL(smp.fwd, -400);
	CU_ASSERT_EQUAL(smp.bwd, 600);
	CU_ASSERT_EQUAL(smp.rtt, 200);
	/* a synchronised sample carries no flag */
	CU_ASSERT_FALSE(reply_ex(0, 1, 1, 1, 1, 1, &smp) & TW_STATS_F_UNSYNC);
	total_summary();
	CU_ASSERT_TRUE(g_sum.unsync);
	CU_ASSERT_EQUAL(g_sum.unsync_n, 1);
	CU_ASSERT_EQUAL(g_sum.fwd.min, -400);
	CU_ASSERT_EQUAL(g_sum.fwd.max, 1);
	/* the forward threshold only saw the synchronised sample (1 >= 1) */
	struct tw_stats_event ev;
	CU_ASSERT_TRUE(tw_stats_event_pop(&g_st, &ev));
	CU_ASSERT_EQUAL(ev.kind, TW_STATS_THR_FWD);
	CU_ASSERT_EQUAL(ev.value, 1);
	CU_ASSERT_FALSE(tw_stats_event_pop(&g_st, &ev));
}

static void test_hops(void)
{
	static const struct {
		uint8_t snd, rx, init;
	} t[] = {{250, 252, 0}, {248, 255, 0}, {255, 60, 0}, {60, 61, 64}, {70, 0, 64}};
	setup(NULL);
	send_range(0, 5);
	for (uint32_t i = 0; i < 5; i++) {
		struct tw_stats_reply rp = {.snd_seq = i,
		                            .refl_seq = i,
		                            .t1 = i * MS,
		                            .t2 = i * MS,
		                            .t3 = i * MS,
		                            .t4 = i * MS,
		                            .snd_ttl = t[i].snd,
		                            .rx_ttl = t[i].rx,
		                            .init_ttl = t[i].init};
		tw_stats_reply(&g_st, &rp, NULL);
	}
	total_summary();
	/* forward 5, 7, 0, 4, (70 > 64 ignored); backward 3, 0, 195, 3, (unknown) */
	CU_ASSERT_EQUAL(g_sum.hops_fwd.n, 4);
	CU_ASSERT_EQUAL(g_sum.hops_fwd.min, 0);
	CU_ASSERT_EQUAL(g_sum.hops_fwd.max, 7);
	CU_ASSERT_EQUAL(g_sum.hops_bwd.n, 4);
	CU_ASSERT_EQUAL(g_sum.hops_bwd.min, 0);
	CU_ASSERT_EQUAL(g_sum.hops_bwd.max, 195);
}

/* RFC 7750 DSCP/ECN per direction: a table of (sent, reflector saw, we saw). */
static void test_dscp_ecn(void)
{
	static const struct {
		uint8_t known, tx, fwd, bwd;
	} t[] = {
	    {3, 46 << 2 | 2, 46 << 2 | 2, 46 << 2 | 0}, /* EF ECT(0) clean; reply Not-ECT */
	    {3, 46 << 2 | 2, 46 << 2 | 3, 46 << 2 | 3}, /* ECT(0) -> CE both ways */
	    {3, 46 << 2 | 1, 0 << 2 | 3, 10 << 2 | 0},  /* ECT(1) -> CE, DSCP 46 -> 0 / 10 */
	    {3, 46 << 2 | 2, 46 << 2 | 0, 46 << 2 | 0}, /* ECT bleached: not a CE mark */
	    {1, 46 << 2 | 0, 46 << 2 | 3, 0},           /* Not-ECT marked CE: a rewrite */
	    {2, 46 << 2 | 2, 0, 8 << 2 | 0},            /* reverse only */
	    {0, 46 << 2 | 2, 1, 1},                     /* nothing known: not counted */
	};
	setup(NULL);
	send_range(0, 7);
	for (uint32_t i = 0; i < 7; i++) {
		struct tw_stats_reply rp = {.snd_seq = i,
		                            .refl_seq = i,
		                            .t1 = i * MS,
		                            .t2 = i * MS,
		                            .t3 = i * MS,
		                            .t4 = i * MS,
		                            .tos_known = t[i].known,
		                            .tos_tx = t[i].tx,
		                            .tos_fwd = t[i].fwd,
		                            .tos_bwd = t[i].bwd};
		tw_stats_reply(&g_st, &rp, NULL);
	}
	total_summary();
	CU_ASSERT_EQUAL(g_sum.tos.fwd_n, 5);
	CU_ASSERT_EQUAL(g_sum.tos.fwd_dscp_changed, 1);
	CU_ASSERT_EQUAL(g_sum.tos.fwd_ce, 2);
	CU_ASSERT_EQUAL(g_sum.tos.fwd_ecn_other, 2);
	CU_ASSERT_EQUAL(g_sum.tos.fwd_last, 46 << 2 | 3);
	CU_ASSERT_EQUAL(g_sum.tos.bwd_n, 5);
	CU_ASSERT_EQUAL(g_sum.tos.bwd_dscp_changed, 2);
	CU_ASSERT_EQUAL(g_sum.tos.bwd_ce, 1);
	CU_ASSERT_EQUAL(g_sum.tos.bwd_last, 8 << 2);
	CU_ASSERT_EQUAL(g_sum.tos.tx, 46 << 2 | 2);
	/* the interval has the same, and a merge adds up */
	tw_stats_interval_take(&g_st, &g_sum, &g_acc1);
	CU_ASSERT_EQUAL(g_sum.tos.fwd_ce, 2);
	tw_stats_acc_copy(&g_acc2, &g_acc1);
	tw_stats_acc_merge(&g_acc2, &g_acc1);
	CU_ASSERT_EQUAL(g_acc2.tos.fwd_n, 10);
	CU_ASSERT_EQUAL(g_acc2.tos.bwd_ce, 2);
	tw_stats_interval_take(&g_st, &g_sum, NULL);
	CU_ASSERT_EQUAL(g_sum.tos.fwd_n, 0);
}

static void test_ipdv_jitter(void)
{
	setup(NULL);
	send_range(0, 6);
	/* RTT (fwd+bwd): s0 1000000, s1 1016000, s2 1016000, s3 1048000; s5 arrives
	 * before s4 (backward reorder), s4 1000000, s5 1000000 */
	static const struct {
		uint32_t s;
		int64_t f;
	} p[] = {{0, 500000}, {1, 516000}, {2, 516000}, {3, 548000}, {5, 500000}, {4, 500000}};
	struct tw_stats_sample smp;
	for (uint32_t i = 0; i < 6; i++) {
		reply_ex(0, p[i].s, p[i].s, p[i].f, 0, 500000, &smp);
		if (p[i].s == 5)
			CU_ASSERT_FALSE(smp.flags & TW_STATS_F_IPDV);
		if (p[i].s == 3) {
			CU_ASSERT_TRUE(smp.flags & TW_STATS_F_IPDV);
			CU_ASSERT_EQUAL(smp.ipdv_rtt, 32000);
			CU_ASSERT_EQUAL(smp.ipdv_fwd, 32000);
			CU_ASSERT_EQUAL(smp.ipdv_bwd, 0);
		}
	}
	total_summary();
	/* IPDV by seq: 16000, 0, 32000, -48000 (s4-s3), 0 (s5-s4) */
	CU_ASSERT_EQUAL(g_sum.ipdv.n, 5);
	CU_ASSERT_EQUAL(g_sum.ipdv.min, -48000);
	CU_ASSERT_EQUAL(g_sum.ipdv.max, 32000);
	CU_ASSERT_EQUAL(g_sum.ipdv.mean, 0);
	/* PDV: RTT min 1000000, max 1048000 */
	CU_ASSERT_EQUAL(g_sum.rtt.pdv_max, 48000);
	/* RFC 3550 jitter in arrival order, |dD| = 16000, 0, 32000, 48000, 0:
	 * 1000, 937.5, 2878.90625, 5698.974609375, 5342.7886962890625 */
	CU_ASSERT_DOUBLE_EQUAL(g_st.jit_rtt, 5342.7886962890625, 1e-9);
	CU_ASSERT_EQUAL(g_sum.jitter_rtt, 5343);
	CU_ASSERT_EQUAL(g_sum.jitter_bwd, 0);
}

static void test_late_and_window(void)
{
	setup(NULL);
	send_range(0, 2);
	tw_stats_expire(&g_st, S_ + MS / 2); /* seq 0 times out, seq 1 not yet */
	total_summary();
	CU_ASSERT_EQUAL(g_sum.lost, 1);
	CU_ASSERT_EQUAL(reply(0, 0, 100, 0, 100), TW_STATS_F_LATE); /* RFC 7680: stays lost */
	CU_ASSERT_EQUAL(reply(7, 1, 100, 0, 100), TW_STATS_F_UNKNOWN);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.lost, 1);
	CU_ASSERT_EQUAL(g_sum.late, 1);
	CU_ASSERT_EQUAL(g_sum.unknown, 1);
	CU_ASSERT_EQUAL(g_sum.rtt.n, 0);

	/* overrun the window: the oldest unsettled packets are settled early */
	setup(NULL);
	for (uint32_t i = 0; i < TW_STATS_SEQ_WINDOW + 10; i++)
		tw_stats_sent(&g_st, i, i);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.forced, 10);
	CU_ASSERT_EQUAL(g_sum.lost, 10);
	CU_ASSERT_EQUAL(reply(3, 0, 1, 0, 1), TW_STATS_F_TOO_OLD);
	CU_ASSERT_EQUAL(reply(10, 0, 1, 0, 1) & TW_STATS_F_DELAY, TW_STATS_F_DELAY);
	CU_ASSERT_EQUAL(tw_stats_sent(&g_st, 5, 0), TW_E_ARG); /* not monotonic */
}

static void test_thresholds(void)
{
	struct tw_stats_config cfg = {.loss_timeout_ns = S_};
	cfg.thr[TW_STATS_THR_RTT] = (struct tw_stats_thr){.raise = 100, .clear = 50};
	cfg.thr[TW_STATS_THR_LOSS] = (struct tw_stats_thr){.raise = 200000, .clear = 100000};
	setup(&cfg);
	/* RTT 40, 120 (raise), 110, 70 (in band), 50 (clear), 130 (raise) */
	static const int64_t rtt[] = {40, 120, 110, 70, 50, 130};
	send_range(0, 10);
	for (uint32_t i = 0; i < 6; i++)
		reply(i, i, rtt[i] / 2, 0, rtt[i] - rtt[i] / 2);
	struct tw_stats_event ev;
	static const struct {
		bool up;
		int64_t v;
		uint32_t seq;
	} want[] = {{true, 120, 1}, {false, 50, 4}, {true, 130, 5}};
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_TRUE_FATAL(tw_stats_event_pop(&g_st, &ev));
		CU_ASSERT_EQUAL(ev.kind, TW_STATS_THR_RTT);
		CU_ASSERT_EQUAL(ev.raised, want[i].up);
		CU_ASSERT_EQUAL(ev.value, want[i].v);
		CU_ASSERT_EQUAL(ev.seq, want[i].seq);
	}
	CU_ASSERT_FALSE(tw_stats_event_pop(&g_st, &ev));
	/* 6..9 never answered: 4/10 lost = 400000 ppm -> raise */
	tw_stats_expire(&g_st, 2 * S_);
	CU_ASSERT_TRUE_FATAL(tw_stats_event_pop(&g_st, &ev));
	CU_ASSERT_EQUAL(ev.kind, TW_STATS_THR_LOSS);
	CU_ASSERT_TRUE(ev.raised);
	CU_ASSERT_EQUAL(ev.value, 400000);
	tw_stats_interval_take(&g_st, &g_sum, NULL);
	CU_ASSERT_EQUAL(g_sum.lost, 4);
	/* next interval: 10 packets, 1 lost (100000 ppm <= clear) -> clear */
	for (uint32_t i = 10; i < 20; i++) {
		tw_stats_sent(&g_st, i, (int64_t)i * MS);
		if (i != 15)
			reply(i, i - 4, 30, 0, 30);
	}
	tw_stats_expire(&g_st, 3 * S_);
	CU_ASSERT_TRUE_FATAL(tw_stats_event_pop(&g_st, &ev));
	CU_ASSERT_EQUAL(ev.kind, TW_STATS_THR_LOSS);
	CU_ASSERT_FALSE(ev.raised);
	CU_ASSERT_EQUAL(ev.value, 100000);
	CU_ASSERT_FALSE(tw_stats_event_pop(&g_st, &ev));
}

static void test_interval_merge(void)
{
	setup(NULL);
	send_range(0, 4);
	reply(0, 0, 10, 1, 10);
	reply(1, 1, 20, 1, 20);
	tw_stats_interval_take(&g_st, &g_sum, &g_acc1);
	CU_ASSERT_EQUAL(g_sum.rtt.n, 2);
	CU_ASSERT_EQUAL(g_sum.rtt.max, 40);
	reply(2, 2, 30, 1, 30);
	reply(3, 3, 40, 1, 40);
	tw_stats_interval_take(&g_st, &g_sum, &g_acc2);
	CU_ASSERT_EQUAL(g_sum.rtt.n, 2);
	CU_ASSERT_EQUAL(g_sum.rtt.min, 60);
	CU_ASSERT_EQUAL(g_sum.ipdv.n, 2); /* (1,2) crosses the boundary: counted in 2nd */
	/* interval is empty now, totals kept */
	tw_stats_summary_fill(&g_st, &g_st.interval, &g_sum);
	CU_ASSERT_EQUAL(g_sum.rtt.n, 0);
	CU_ASSERT_EQUAL(g_sum.sent, 0);
	total_summary();
	CU_ASSERT_EQUAL(g_sum.rtt.n, 4);
	CU_ASSERT_EQUAL(g_sum.sent, 4);
	/* merging the two interval copies gives the totals */
	tw_stats_acc_merge(&g_acc1, &g_acc2);
	struct tw_stats_summary *m = malloc(sizeof *m);
	CU_ASSERT_FATAL(m != NULL);
	tw_stats_summary_fill(&g_st, &g_acc1, m);
	CU_ASSERT_EQUAL(memcmp(m, &g_sum, sizeof *m), 0);
	CU_ASSERT_EQUAL(memcmp(g_acc1.counts, g_st.total.counts, sizeof g_acc1.counts), 0);
	free(m);
}

/* ---- histogram ---- */

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define NV 100000
static int64_t vals[NV];
static uint64_t hs1[2 * 8192], hs2[2 * 8192], hs3[2 * 8192];

/* An unknown error estimate (saturated by the caller) must keep the error
 * bounds saturated, never wrap into negative or small numbers. */
static void test_unbounded_error(void)
{
	setup(NULL);
	send_range(0, 3);
	for (uint32_t i = 0; i < 3; i++) {
		struct tw_stats_reply rp = {.snd_seq = i, .refl_seq = i, .e1 = INT64_MAX, .e2 = 2,
		                            .e3 = 3, .e4 = 4, .snd_sync = true, .refl_sync = true};
		rp.t1 = t1_of(0, i);
		rp.t2 = rp.t1 + 10;
		rp.t3 = rp.t2 + 1;
		rp.t4 = rp.t3 + 10;
		struct tw_stats_sample smp;
		tw_stats_reply(&g_st, &rp, &smp);
		CU_ASSERT_EQUAL(smp.rtt_err, INT64_MAX);
		CU_ASSERT_EQUAL(smp.bwd_err, 7);
	}
	total_summary();
	CU_ASSERT_EQUAL(g_sum.rtt_err.min, INT64_MAX);
	CU_ASSERT_EQUAL(g_sum.rtt_err.max, INT64_MAX);
	CU_ASSERT_EQUAL(g_sum.rtt_err.mean, INT64_MAX);
	CU_ASSERT_EQUAL(g_sum.fwd_err.mean, INT64_MAX);
	CU_ASSERT_EQUAL(g_sum.bwd_err.mean, 7);
}

static void test_hist_small_exact(void)
{
	struct tw_hist h;
	CU_ASSERT_EQUAL(tw_hist_buckets(7, 42), (size_t)36 * 128);
	CU_ASSERT_EQUAL(tw_hist_buckets(7, 7), 0);
	CU_ASSERT_EQUAL(tw_hist_init(&h, 7, 42, hs1, 10), TW_E_ARG);
	CU_ASSERT_EQUAL_FATAL(tw_hist_init(&h, 3, 10, hs1, tw_hist_buckets(3, 10)), TW_OK);
	/* S=3: 0..15 exact; 16..31 width 2; 32..63 width 4 ... */
	int64_t lo, hi;
	tw_hist_bounds(&h, tw_hist_index(3, 15), &lo, &hi);
	CU_ASSERT(lo == 15 && hi == 15);
	tw_hist_bounds(&h, tw_hist_index(3, 17), &lo, &hi);
	CU_ASSERT(lo == 16 && hi == 17);
	tw_hist_bounds(&h, tw_hist_index(3, 1000), &lo, &hi);
	CU_ASSERT(lo == 960 && hi == 1023);
	CU_ASSERT_EQUAL(tw_hist_index(3, 1023), h.nbuckets - 1);
	tw_hist_record(&h, 5);
	tw_hist_record(&h, 5000); /* beyond 2^10: clamped into the top bucket */
	tw_hist_record(&h, -3);   /* negative: clamped to 0 */
	CU_ASSERT_EQUAL(h.clamped, 2);
	CU_ASSERT_EQUAL(tw_hist_count(&h), 3);
	CU_ASSERT_EQUAL(tw_hist_min(&h), -3);
	CU_ASSERT_EQUAL(tw_hist_max(&h), 5000);
	CU_ASSERT_EQUAL(tw_hist_percentile(&h, 50), 5);
	CU_ASSERT_EQUAL(tw_hist_percentile(&h, 100), 5000);
	tw_hist_reset(&h);
	CU_ASSERT_EQUAL(tw_hist_count(&h), 0);
	CU_ASSERT_EQUAL(tw_hist_percentile(&h, 50), 0);
	struct tw_hist_iter it = {0};
	struct tw_hist_bucket b;
	CU_ASSERT_FALSE(tw_hist_next(&h, &it, &b));
}

static void test_hist_percentile_bound(void)
{
	const unsigned S = 7, M = 42;
	struct tw_hist h;
	CU_ASSERT_EQUAL_FATAL(tw_hist_init(&h, S, M, hs1, sizeof hs1 / 8), TW_OK);
	for (int i = 0; i < NV; i++) {
		/* log-uniform over [0, 2^40) */
		vals[i] = (int64_t)(rng() >> (24 + rng() % 40));
		tw_hist_record(&h, vals[i]);
	}
	qsort(vals, NV, sizeof vals[0], cmp64);
	static const unsigned pm[] = {0, 1, 10, 250, 500, 900, 990, 999, 1000}; /* per mille */
	int bad = 0;
	for (unsigned k = 0; k < sizeof pm / sizeof pm[0]; k++) {
		uint64_t rank = ((uint64_t)NV * pm[k] + 999) / 1000;
		if (rank < 1)
			rank = 1;
		int64_t exact = vals[rank - 1];
		int64_t got = tw_hist_percentile(&h, pm[k] / 10.0);
		if (llabs(got - exact) > (exact >> (S + 1))) {
			printf("\n  p%.1f got %lld exact %lld\n", pm[k] / 10.0, (long long)got,
			       (long long)exact);
			bad++;
		}
	}
	/* every rank, not just the usual percentiles */
	for (uint64_t rank = 1; rank <= NV; rank += 97) {
		int64_t exact = vals[rank - 1], got = tw_hist_value_at_rank(&h, rank);
		bad += llabs(got - exact) > (exact >> (S + 1));
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(tw_hist_min(&h), vals[0]);
	CU_ASSERT_EQUAL(tw_hist_max(&h), vals[NV - 1]);
	double mean = 0;
	for (int i = 0; i < NV; i++)
		mean += (double)vals[i];
	CU_ASSERT_DOUBLE_EQUAL(tw_hist_mean(&h), mean / NV, 1e-6 * mean / NV);
}

static void test_hist_merge_iter(void)
{
	const unsigned S = 7, M = 42;
	struct tw_hist a, b, all;
	size_t n = tw_hist_buckets(S, M);
	CU_ASSERT_FATAL(tw_hist_init(&a, S, M, hs1, n) == TW_OK &&
	                tw_hist_init(&b, S, M, hs2, n) == TW_OK &&
	                tw_hist_init(&all, S, M, hs3, n) == TW_OK);
	for (int i = 0; i < NV; i++) {
		vals[i] = (int64_t)(rng() >> (24 + rng() % 40));
		tw_hist_record(i & 1 ? &a : &b, vals[i]);
		tw_hist_record(&all, vals[i]);
	}
	CU_ASSERT_EQUAL(tw_hist_merge(&a, &b), TW_OK);
	CU_ASSERT_EQUAL(memcmp(hs1, hs3, n * 8), 0);
	CU_ASSERT(a.total == all.total && a.sum == all.sum && a.min == all.min && a.max == all.max);
	struct tw_hist other;
	CU_ASSERT_EQUAL(tw_hist_init(&other, S + 1, M, hs2, sizeof hs2 / 8), TW_OK);
	CU_ASSERT_EQUAL(tw_hist_merge(&a, &other), TW_E_ARG);

	/* cumulative buckets: count of values <= hi, ending at the total */
	qsort(vals, NV, sizeof vals[0], cmp64);
	struct tw_hist_iter it = {0};
	struct tw_hist_bucket bk;
	uint64_t prev = 0, nb = 0, j = 0;
	int bad = 0;
	while (tw_hist_next(&all, &it, &bk)) {
		while (j < NV && vals[j] <= bk.hi)
			j++;
		bad += bk.cumulative != j || bk.count == 0 || bk.cumulative != prev + bk.count ||
		       bk.lo > bk.hi;
		prev = bk.cumulative;
		nb++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(prev, NV);
	CU_ASSERT(nb > 100);
}

static void test_shist(void)
{
	const unsigned S = 7, M = 42;
	struct tw_shist sh;
	CU_ASSERT_EQUAL_FATAL(tw_shist_init(&sh, S, M, hs1, sizeof hs1 / 8), TW_OK);
	for (int i = 0; i < NV; i++) {
		int64_t v = (int64_t)(rng() >> (24 + rng() % 40));
		vals[i] = rng() & 1 ? -v : v;
		tw_shist_record(&sh, vals[i]);
	}
	qsort(vals, NV, sizeof vals[0], cmp64);
	int bad = 0;
	for (uint64_t rank = 1; rank <= NV; rank += 101) {
		int64_t exact = vals[rank - 1], got = tw_shist_value_at_rank(&sh, rank);
		bad += llabs(got - exact) > (llabs(exact) >> (S + 1));
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(tw_shist_min(&sh), vals[0]);
	CU_ASSERT_EQUAL(tw_shist_max(&sh), vals[NV - 1]);
	CU_ASSERT_EQUAL(tw_shist_percentile(&sh, 0), vals[0]);
	CU_ASSERT_EQUAL(tw_shist_percentile(&sh, 100), vals[NV - 1]);
	/* iteration ascends over negative then positive values */
	struct tw_hist_iter it = {0};
	struct tw_hist_bucket bk;
	uint64_t j = 0, prev = 0;
	int64_t last_hi = INT64_MIN;
	while (tw_shist_next(&sh, &it, &bk)) {
		while (j < NV && vals[j] <= bk.hi)
			j++;
		bad += bk.cumulative != j || bk.lo <= last_hi || bk.lo > bk.hi;
		last_hi = bk.hi;
		prev = bk.cumulative;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(prev, NV);
}

int main(void)
{
	static const struct tw_unit_case stats[] = {
	    {"no loss: every metric", test_no_loss},
	    {"forward loss only", test_loss_forward},
	    {"backward loss only", test_loss_backward},
	    {"duplicates both directions", test_duplicates},
	    {"reflector restart: numbering continues", test_reflector_restart},
	    {"reordering backward", test_reorder_backward},
	    {"reordering forward", test_reorder_forward},
	    {"reordering both directions", test_reorder_both},
	    {"sequence wrap 0xFFFFFFFF", test_wrap},
	    {"unsynchronised clocks flag", test_unsync},
	    {"hop counts", test_hops},
	    {"RFC 7750 DSCP and ECN per direction", test_dscp_ecn},
	    {"IPDV, PDV, jitter exact", test_ipdv_jitter},
	    {"late replies and window", test_late_and_window},
	    {"threshold raise/clear", test_thresholds},
	    {"interval take and merge", test_interval_merge},
	    {"unknown error estimate saturates", test_unbounded_error},
	    {NULL, NULL},
	};
	static const struct tw_unit_case hist[] = {
	    {"small values exact, clamping", test_hist_small_exact},
	    {"percentile error bound", test_hist_percentile_bound},
	    {"merge equals one, cumulative buckets", test_hist_merge_iter},
	    {"signed histogram", test_shist},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("stats", stats) ||
	    tw_unit_suite("hist", hist))
		return 2;
	return tw_unit_run("stats");
}
