/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rep_csv: raw per-packet records, RFC 4180 (CRLF-free: "\n" line ends).
 * Columns: docs/output.md.  Timestamps are integer ns since 1970 (the wire
 * NTP values converted with tw_stats_ntp_to_ns); fields that do not apply
 * (a lost packet's T2..T4, an unknown TTL) are empty.
 */
#include <inttypes.h>

#include "rep_priv.h"

static const char header[] =
    "sender_seq,reflector_seq,t1_ns,t2_ns,t3_ns,t4_ns,e1_ns,e2_ns,e3_ns,e4_ns,"
    "sender_sync,reflector_sync,sender_ttl,reply_ttl,dup_fwd,dup_bwd,reorder_fwd,reorder_bwd,"
    "late,lost\n";

static enum tw_err csv_start(struct tw_report *r)
{
	return fputs(header, r->out) == EOF ? TW_E_SYS : TW_OK;
}

static enum tw_err csv_packet(struct tw_report *r, const struct tw_report_pkt *p)
{
	uint32_t f = p->flags;
	if (p->lost) {
		fprintf(r->out, "%" PRIu32 ",,%" PRId64 ",,,,%" PRId64 ",,,,%d,,,,0,0,0,0,0,1\n",
		        p->snd_seq, p->t1, p->e1, p->snd_sync);
	} else {
		fprintf(r->out,
		        "%" PRIu32 ",%" PRIu32 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
		        ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%d,%d,%u,",
		        p->snd_seq, p->refl_seq, p->t1, p->t2, p->t3, p->t4, p->e1, p->e2, p->e3,
		        p->e4, p->snd_sync, p->refl_sync, p->snd_ttl);
		if (p->rx_ttl)
			fprintf(r->out, "%u", p->rx_ttl);
		fprintf(r->out, ",%d,%d,%d,%d,%d,0\n", !!(f & TW_STATS_F_DUP_FWD),
		        !!(f & TW_STATS_F_DUP_BWD), !!(f & TW_STATS_F_REORDER_FWD),
		        !!(f & TW_STATS_F_REORDER_BWD), !!(f & TW_STATS_F_LATE));
	}
	r->rows++;
	return ferror(r->out) ? TW_E_SYS : TW_OK;
}

const struct rep_ops rep_csv_ops = {
    .start = csv_start,
    .packet = csv_packet,
};
