/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exercise every per-packet and per-message path of lib/ N times (N from
 * argv).  tests/unit/noalloc.sh runs this under valgrind with two values of
 * N and requires the heap-allocation count to be the same: set-up may
 * allocate, but nothing that runs once per packet or per control message may.
 * Counting under valgrind sees every allocation, including OpenSSL's and
 * libc's, which a wrapper around our own calls would miss.
 */
#include "tw_crypto.h"
#include "tw_ctl.h"
#include "tw_hist.h"
#include "tw_pkt.h"
#include "tw_stamp_tlv.h"
#include "tw_stats.h"
#include "tw_stlv.h"
#include "tw_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned failures;
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			failures++;                                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);                    \
		}                                                                                  \
	} while (0)

static void ctl_codecs(void)
{
	uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
	size_t n;
	struct tw_ctl_request_tw_session rq = {0}, rq2;
	rq.sender_addr.ipvn = rq.receiver_addr.ipvn = 4;
	rq.sender_port = 9000;
	rq.receiver_port = 9001;
	rq.padding_length = 27;
	rq.type_p = tw_ctl_typep_from_dscp(46);
	CHECK(tw_ctl_request_tw_session_encode(&rq, buf, sizeof buf, &n) == TW_OK);
	CHECK(tw_ctl_request_tw_session_decode(buf, n, &rq2) == TW_OK);
	struct tw_ctl_accept_session as = {.accept = 0, .port = 9001}, as2;
	CHECK(tw_ctl_accept_session_encode(&as, buf, sizeof buf, &n) == TW_OK);
	CHECK(tw_ctl_accept_session_decode(buf, n, &as2) == TW_OK);
	uint8_t cmd;
	size_t len;
	CHECK(tw_ctl_cmd_peek(buf, 16, &cmd, &len) != TW_E_ARG);
}

static void pkt_paths(struct tw_test_crypto *tc, struct tw_stamp_auth *sa)
{
	uint8_t pkt[256] = {0};
	struct tw_pkt_sender s = {.seq = 7, .ts = 0x83aa7e8000000000ull, .errest = 1};
	struct tw_pkt_sender s2;
	int n = tw_pkt_sender_encode(TW_PKT_TWAMP_OPEN, &s, pkt, sizeof pkt);
	CHECK(n == TW_PKT_SENDER_OPEN_LEN);
	CHECK(tw_pkt_sender_decode(TW_PKT_TWAMP_OPEN, pkt, 41, &s2) == TW_OK);
	n = tw_pkt_reflect_inplace(pkt, 41, sizeof pkt, TW_PKT_TWAMP_OPEN, 27, 1, 2, 3, 1, 255);
	CHECK(n == 41);

	/* RFC 9533 micro-session IDs: the sender writes them, the reflector
	 * checks and rewrites them, the sender matches the reply's */
	uint16_t ms, mr, sids[2] = {1, 2}, rids[2] = {7, 0};
	unsigned k = 9;
	CHECK(tw_pkt_micro_put(pkt, 48, TW_PKT_TWAMP_OPEN, false, 1, 7));
	CHECK(tw_pkt_micro_get(pkt, 48, TW_PKT_TWAMP_OPEN, false, &ms, &mr) && mr == 7);
	CHECK(tw_pkt_micro_refl_accept(mr, 7));
	CHECK(tw_pkt_micro_put(pkt, 48, TW_PKT_TWAMP_OPEN, true, ms, 7));
	CHECK(tw_pkt_micro_get(pkt, 48, TW_PKT_TWAMP_OPEN, true, &ms, &mr));
	CHECK(tw_pkt_micro_match(sids, rids, 2, ms, mr, &k) == TW_PKT_MICRO_OK && k == 0);

	/* Mode 2 and mode 4 sender and reflector, protect then verify. */
	static const struct {
		uint32_t mode;
		bool refl;
	} lay[] = {{2, false}, {2, true}, {4, false}, {4, true}};
	for (size_t i = 0; i < sizeof lay / sizeof lay[0]; i++) {
		size_t enc, hoff;
		CHECK(tw_test_crypto_layout(lay[i].mode, lay[i].refl, false, &enc, &hoff) == TW_OK);
		memset(pkt, (int)i, 112);
		CHECK(tw_test_protect(tc, pkt, 112, enc, hoff) == TW_OK);
		CHECK(tw_test_verify(tc, pkt, 112, enc, hoff) == TW_OK);
	}
	CHECK(tw_stamp_auth_sign(sa, pkt, 112) == TW_OK);
	CHECK(tw_stamp_auth_verify(sa, pkt, 112) == TW_OK);

	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv t;
	tw_pkt_tlv_iter_init(&it, pkt + 44, 16);
	while (tw_pkt_tlv_next(&it, &t) == TW_OK)
		;

	/* the STAMP reflector's TLV pass, authenticated: the sender's HMAC
	 * TLV checked, every answered type, the reflector's HMAC TLV */
	static const uint8_t tlvs[] = {
		0x80, 2, 0, 12, 0, 0, 0, 0, 0x80, 4, 0, 4, 0, 0, 0, 0,	/* Location */
		0x80, 3, 0, 4, 0, 0, 0, 0,				/* TS info */
		0x80, 5, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,	/* DM */
		0x80, 7, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* FU */
		0x80, 10, 0, 8, 0x80, 1, 0, 4, 0, 0, 0, 1,		/* Return Path */
		0x80, 8, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* HMAC */
	};
	static const uint8_t a[4] = {192, 0, 2, 1}, b[4] = {198, 51, 100, 7};
	memset(pkt, 0, 112);
	memcpy(pkt + 112, tlvs, sizeof tlvs);
	CHECK(tw_stamp_tlv_sign(sa, pkt, 112 + sizeof tlvs, TW_PKT_STAMP_AUTH) == TW_OK);
	struct tw_stamp_tlv_in in = {.family = 4, .src_addr = a, .dst_addr = b, .local4 = b,
				     .fu_have = true, .sa = sa};
	struct tw_stamp_tlv_out out;
	CHECK(tw_stamp_tlv_reflect(pkt, 112 + sizeof tlvs, TW_PKT_STAMP_AUTH, &in, &out) == TW_OK);
	CHECK(out.hmac && out.ev == 0);
}

/* A burst of every protected layout through an engine: protect, then verify. */
static void burst_paths(struct tw_crypto_engine *e, struct tw_test_crypto *tc,
                        struct tw_stamp_auth *sa)
{
	static uint8_t pkt[5][112];
	struct tw_crypto_op ops[5] = {
	    {tc, NULL, pkt[0], 112, 16, 32, TW_E_ARG},  {tc, NULL, pkt[1], 112, 16, 96, TW_E_ARG},
	    {tc, NULL, pkt[2], 112, 32, 32, TW_E_ARG},  {tc, NULL, pkt[3], 112, 96, 96, TW_E_ARG},
	    {NULL, sa, pkt[4], 112, 0, 0, TW_E_ARG},
	};
	tw_crypto_protect_burst(e, ops, 5);
	tw_crypto_verify_burst(e, ops, 5);
	for (int i = 0; i < 5; i++)
		CHECK(ops[i].rc == TW_OK);
}

/* The STAMP sender's TLV paths that twinhop-fp's lcore runs per packet
 * (app/fp_sender.c): fill a template (S_TxC, HMAC TLV), then read the
 * reflected reply's TLVs back. */
static void stlv_paths(const struct tw_stlv_tmpl *t, struct tw_stlv_rx *rx,
                       const struct tw_stlv_ctx *c, struct tw_stamp_auth *sa, uint32_t i)
{
	static uint8_t pkt[112 + TW_STLV_MAX];
	static const uint8_t a[4] = {192, 0, 2, 1}, b[4] = {198, 51, 100, 7};
	size_t len = 112 + t->len;
	memset(pkt, 0, 112);
	memcpy(pkt + 112, t->b, t->len);
	CHECK(tw_stlv_fill(t, pkt, 112, i + 1, sa) == TW_OK);
	struct tw_stamp_tlv_in in = {.family = 4,
	                             .src_addr = b,
	                             .dst_addr = a,
	                             .local4 = a,
	                             .fu_have = true,
	                             .fu_seq = i,
	                             .sa = sa};
	struct tw_stamp_tlv_out out;
	CHECK(tw_stamp_tlv_reflect(pkt, len, TW_PKT_STAMP_AUTH, &in, &out) == TW_OK);
	struct tw_stlv_reply_in ri = {.pkt = pkt,
	                              .len = len,
	                              .base = 112,
	                              .refl_seq = i,
	                              .t3 = 0x83aa7e8000000000ull + i,
	                              .rtt_ns = 1000,
	                              .tos = 0};
	tw_stlv_reply(rx, c, &ri);
}

static void ctl_crypto(struct tw_ctl_crypto *cli, struct tw_ctl_crypto *srv)
{
	uint8_t msg[TW_CTL_START_SESSIONS_LEN] = {TW_CTL_CMD_START_SESSIONS};
	CHECK(tw_ctl_crypto_seal(cli, msg, sizeof msg) == TW_OK);
	CHECK(tw_ctl_crypto_open(srv, msg, sizeof msg) == TW_OK);
	CHECK(msg[0] == TW_CTL_CMD_START_SESSIONS);
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	uint8_t k16[16] = {1, 2, 3}, k32[32] = {4, 5, 6}, iv1[16] = {7}, iv2[16] = {8};

	/* Set-up: allowed to allocate. */
	static struct tw_test_crypto tc;
	static struct tw_stamp_auth sa;
	CHECK(tw_test_crypto_init(&tc, k16, k32) == TW_OK);
	CHECK(tw_stamp_auth_init(&sa, k32, sizeof k32) == TW_OK);
	struct tw_ctl_crypto *cli = tw_ctl_crypto_new(TW_CTL_CRYPTO_CLIENT, k16, k32, iv1, iv2);
	struct tw_ctl_crypto *srv = tw_ctl_crypto_new(TW_CTL_CRYPTO_SERVER, k16, k32, iv1, iv2);
	CHECK(cli && srv);
	/* The Server-Start block must come first on the server->client stream. */
	uint8_t ss[TW_CTL_SERVER_START_LEN] = {0};
	CHECK(tw_ctl_crypto_server_start_seal(srv, ss, sizeof ss) == TW_OK);
	CHECK(tw_ctl_crypto_server_start_open(cli, ss, sizeof ss) == TW_OK);
	struct tw_stats *st = calloc(1, sizeof *st);
	struct tw_stats_config cfg = {.loss_timeout_ns = 1000000000};
	CHECK(st && tw_stats_init(st, &cfg) == TW_OK);
	struct tw_crypto_engine *eng[2] = {tw_crypto_engine_new(TW_CRYPTO_IMPL_OPENSSL),
	                                   tw_crypto_engine_new(TW_CRYPTO_IMPL_AUTO)};
	CHECK(eng[0] && eng[1]);
	static struct tw_stlv_tmpl tmpl;
	static struct tw_stlv_rx rx;
	struct tw_stlv_spec sp[5] = {{.kind = TW_STLV_LOCATION},
	                             {.kind = TW_STLV_COS, .dscp1 = 46, .ecn = -1},
	                             {.kind = TW_STLV_DM},
	                             {.kind = TW_STLV_FOLLOWUP},
	                             {.kind = TW_STLV_HMAC}};
	CHECK(tw_stlv_build(sp, 5, 4, true, false, &tmpl, NULL, 0) == TW_OK);
	tw_stlv_rx_init(&rx);
	struct tw_stlv_ctx sctx = {.family = 4, .ecn = -1, .sent = &tmpl, .sa = &sa};

	/* The measured part: everything per packet / per message. */
	for (long i = 0; i < iters; i++) {
		ctl_codecs();
		pkt_paths(&tc, &sa);
		burst_paths(eng[i % 2], &tc, &sa);
		stlv_paths(&tmpl, &rx, &sctx, &sa, (uint32_t)i);
		ctl_crypto(cli, srv);
		int64_t t1 = 1000000000 + i * 1000;
		CHECK(tw_stats_sent(st, (uint32_t)i, t1) == TW_OK);
		struct tw_stats_reply rp = {.snd_seq = (uint32_t)i, .refl_seq = (uint32_t)i,
		                            .t1 = t1, .t2 = t1 + 100, .t3 = t1 + 200,
		                            .t4 = t1 + 300, .snd_ttl = 254, .rx_ttl = 254};
		struct tw_stats_sample smp;
		tw_stats_reply(st, &rp, &smp);
		if (i % 64 == 0)
			tw_stats_expire(st, t1);
		uint64_t ntp = tw_ntp_from_unix_ns(t1);
		CHECK(tw_ntp_to_unix_ns(ntp, t1) == t1);
		uint64_t e;
		CHECK(tw_errest_decode(tw_errest_encode(1000, false, false), &e) == TW_OK);
	}

	/* the replies were read whole: every HMAC TLV verified */
	CHECK(rx.res.replies == (uint64_t)iters && rx.res.hmac_ok == (uint64_t)iters &&
	      rx.res.hmac_bad == 0 && rx.res.dm_n == (uint64_t)iters);
	tw_crypto_engine_free(eng[0]);
	tw_crypto_engine_free(eng[1]);
	tw_ctl_crypto_free(cli);
	tw_ctl_crypto_free(srv);
	tw_test_crypto_free(&tc);
	tw_stamp_auth_free(&sa);
	free(st);
	printf("noalloc: %ld iterations, %u check failures\n", iters, failures);
	return failures ? 1 : 0;
}
