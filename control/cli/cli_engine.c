/* SPDX-License-Identifier: BSD-3-Clause */
/* cli_engine: the back-end independent part.  See cli_engine.h. */
#include "cli_engine.h"

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tw_crypto.h"
#include "tw_time.h"

int64_t cli_mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int64_t cli_ntp_ns(uint64_t ntp)
{
	return tw_ntp_to_unix_ns(ntp, tw_time_now_ns());
}

int64_t cli_errest_ns(uint16_t e, bool *sync)
{
	uint64_t ns = UINT64_MAX;
	if (sync)
		*sync = tw_errest_s(e);
	/* Cap "unknown / huge" bounds so sums of three stay far from overflow
	 * in tw_stats (error_bound.*): 2^40 ns is ~18 minutes, useless anyway. */
	if (tw_errest_decode(e, &ns) != TW_OK || ns > CLI_ERREST_MAX_NS)
		return CLI_ERREST_MAX_NS;
	return (int64_t)ns;
}

uint64_t cli_next_gap(uint64_t interval_ns, bool poisson)
{
	if (!poisson)
		return interval_ns;
	/* Exponential gaps make a Poisson process (RFC 2330 §11.1.1), as
	 * twping's default schedule. */
	uint64_t r;
	if (tw_crypto_random(&r, sizeof(r)) != TW_OK)
		return interval_ns;
	double u = ((double)(r >> 11) + 0.5) / 9007199254740992.0; /* (0,1) */
	double g = -log(u) * (double)interval_ns;
	if (g > 60e9)
		g = 60e9;
	return (uint64_t)g;
}

struct cli_engine *cli_engine_new(const char *name, const char *admin, char *err, size_t errlen)
{
	const struct cli_engine_ops *ops = NULL;
	if (!strcmp(name, "socket"))
		ops = &cli_engine_sock_ops;
	else if (!strcmp(name, "fastpath"))
		ops = &cli_engine_fp_ops;
	if (!ops) {
		snprintf(err, errlen, "unknown engine '%s' (socket or fastpath)", name);
		return NULL;
	}
	struct cli_engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->ops = ops;
	snprintf(e->admin, sizeof(e->admin), "%s", admin ? admin : "");
	return e;
}

void cli_engine_free(struct cli_engine *e)
{
	if (!e)
		return;
	if (e->ops->free)
		e->ops->free(e);
	tw_crypto_cleanse(e->cfg, sizeof(e->cfg));
	free(e);
}

const char *cli_engine_name(const struct cli_engine *e)
{
	return e->ops->name;
}

int cli_engine_add(struct cli_engine *e, struct cli_sess_cfg *cfg, char *err, size_t errlen)
{
	if (e->n >= CLI_ENGINE_SESSIONS_MAX) {
		snprintf(err, errlen, "at most %u sessions", CLI_ENGINE_SESSIONS_MAX);
		return -1;
	}
	unsigned i = e->n;
	e->cfg[i] = *cfg;
	if (e->ops->add(e, i, &e->cfg[i], err, errlen) < 0)
		return -1;
	*cfg = e->cfg[i];
	e->n++;
	return (int)i;
}

int cli_engine_set_peer(struct cli_engine *e, unsigned idx, const struct sockaddr *peer,
                        socklen_t len, char *err, size_t errlen)
{
	if (idx >= e->n || len > sizeof(e->cfg[idx].peer)) {
		snprintf(err, errlen, "bad session index");
		return -1;
	}
	memcpy(&e->cfg[idx].peer, peer, len);
	e->cfg[idx].peer_len = len;
	return e->ops->set_peer(e, idx, err, errlen);
}

int cli_engine_run(struct cli_engine *e, const struct cli_engine_cb *cb,
                   volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	return e->ops->run(e, cb, stop, err, errlen);
}

const struct cli_engine_counters *cli_engine_counters(const struct cli_engine *e, unsigned idx)
{
	return idx < e->n ? &e->cnt[idx] : NULL;
}

int cli_engine_tlv_prep(struct cli_engine *e, unsigned idx, struct cli_sess_cfg *cfg,
                        struct tw_stlv_tmpl *t, int8_t *ecn_out, char *err, size_t errlen)
{
	if (!tw_pkt_is_stamp(cfg->layout) || cfg->ntlv > TW_STLV_SPECS || cfg->padding) {
		snprintf(err, errlen, "STAMP TLVs need a STAMP session without padding");
		return -1;
	}
	/* The ECN codepoint our packets carry: cos=DSCP,ecn=E (RFC 8972
	 * §4.4 reports what the reflector received). */
	int8_t ecn = -1;
	for (unsigned k = 0; k < cfg->ntlv; k++)
		if (cfg->tlv[k].kind == TW_STLV_COS && cfg->tlv[k].ecn >= 0)
			ecn = cfg->tlv[k].ecn;
	/* one ECN for the session: cos=...,ecn=E, else --ecn */
	if (ecn >= 0)
		cfg->ecn = (uint8_t)ecn;
	else if (cfg->ecn)
		ecn = (int8_t)(cfg->ecn & 3);
	if (tw_stlv_build(cfg->tlv, cfg->ntlv, cfg->local.ss_family == AF_INET6 ? 6 : 4,
	                  cfg->prot != TW_PKT_PROT_NONE, true, t, err, errlen) != TW_OK)
		return -1;
	struct cli_engine_counters *c = &e->cnt[idx];
	c->has_tlv = true;
	c->tlv_ecn = ecn;
	char *o = c->tlv_sent;
	size_t cap = sizeof(c->tlv_sent), l = 0;
	for (unsigned k = 0; k < cfg->ntlv && l < cap; k++)
		if (cfg->tlv[k].kind != TW_STLV_HMAC)
			l += (size_t)snprintf(o + l, cap - l, "%s%s", l ? "," : "",
			                      tw_stlv_kind_name(cfg->tlv[k].kind));
	if (t->hmac_off != TW_STLV_NONE && l < cap)
		snprintf(o + l, cap - l, "%shmac", l ? "," : "");
	*ecn_out = ecn;
	return 0;
}
