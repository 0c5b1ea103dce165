/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin_event: unsolicited fast-path messages (session events, result
 * batches, sender summaries) update the session registry and go, one JSON
 * line each, to the clients subscribed to the session
 * (docs/admin-protocol.md "Events").
 */
#include "ctl_admin_priv.h"

#include <stdio.h>
#include <string.h>

#include "ctl_daemon.h"
#include "ctl_reg.h"

void ctl_admin_fp_event(struct ctl_admin *a, const struct tw_ipc_hdr *h, const void *payload)
{
	struct ctl_jb b;

	if (!a)
		return;
	if (h->type == TW_IPC_SESSION_EVENT) {
		struct tw_ipc_session_event ev;
		memcpy(&ev, payload, sizeof(ev));
		ctl_reg_event(a->d->reg, &ev);
		ctl_jb_init(&b);
		ctl_jb_obj_begin(&b, NULL);
		ctl_jb_str(&b, "event", "session");
		ctl_jb_u64(&b, "session", ev.session);
		ctl_jb_str(&b, "what", ctl_reg_event_name(ev.event));
		ctl_jb_str(&b, "err", tw_errname((enum tw_err)ev.err));
		ctl_jb_u64(&b, "at_ntp", ev.at_ntp);
		ctl_jb_u64(&b, "rx_pkts", ev.rx_pkts);
		ctl_jb_u64(&b, "tx_pkts", ev.tx_pkts);
		ctl_jb_obj_end(&b);
		adm_broadcast(a, ev.session, &b);
		ctl_jb_free(&b);
		if (ev.event == TW_IPC_EV_DELETED)
			adm_sess_remove(a, ev.session);
	} else if (h->type == TW_IPC_SENDER_RESULT) {
		struct tw_ipc_result_batch bt;
		memcpy(&bt, payload, sizeof(bt));
		const uint8_t *rp = (const uint8_t *)payload + sizeof(bt);
		for (unsigned i = 0; i < bt.count; i++) {
			struct tw_ipc_result r;
			memcpy(&r, rp + i * sizeof(r), sizeof(r));
			ctl_reg_result(a->d->reg, &r);
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
			ctl_jb_u64(&b, "tos_rx", r.tos_rx);
			if (r.flags & TW_IPC_RES_TOS_FWD) /* RFC 7750 */
				ctl_jb_u64(&b, "tos_fwd", r.tos_fwd);
			ctl_jb_u64(&b, "ssid", r.ssid);
			ctl_jb_u64(&b, "len", r.rx_len);
			ctl_jb_obj_end(&b);
			adm_broadcast(a, r.session, &b);
			ctl_jb_free(&b);
		}
	} else if (h->type == TW_IPC_SENDER_STLV) {
		/* What the replies' STAMP TLVs said (RFC 8972 §4), every field of
		 * tw_ipc_sender_stlv under its own name (docs/admin-protocol.md). */
		struct tw_ipc_sender_stlv st;
		memcpy(&st, payload, sizeof(st));
		ctl_jb_init(&b);
		ctl_jb_obj_begin(&b, NULL);
		ctl_jb_str(&b, "event", "stlv");
		ctl_jb_u64(&b, "session", st.session);
#define U(n, units, d) ctl_jb_u64(&b, #n, st.n);
#define I(n, units, d) ctl_jb_i64(&b, #n, st.n);
		TW_IPC_STLV_U64_LIST(U)
		TW_IPC_STLV_I64_LIST(I)
		TW_IPC_STLV_U8_LIST(U)
#undef U
#undef I
		static const char *const dm[3] = {"s_txc", "r_rxc", "r_txc"};
		char k[32], hx[33];
		for (int i = 0; i < 3; i++) {
			snprintf(k, sizeof(k), "dm_first_%s", dm[i]);
			ctl_jb_u64(&b, k, st.dm_first[i]);
			snprintf(k, sizeof(k), "dm_last_%s", dm[i]);
			ctl_jb_u64(&b, k, st.dm_last[i]);
		}
		for (int i = 0; i < 4; i++) {
			snprintf(k, sizeof(k), "tsi%d", i);
			ctl_jb_u64(&b, k, st.tsi[i]);
		}
		ctl_jb_u64(&b, "loc_src_port", st.loc_src_port);
		ctl_jb_u64(&b, "loc_dst_port", st.loc_dst_port);
		for (int i = 0; i < 16; i++)
			snprintf(hx + 2 * i, 3, "%02x", st.loc_src[i]);
		ctl_jb_str(&b, "loc_src", hx);
		for (int i = 0; i < 16; i++)
			snprintf(hx + 2 * i, 3, "%02x", st.loc_dst[i]);
		ctl_jb_str(&b, "loc_dst", hx);
		ctl_jb_obj_end(&b);
		adm_broadcast(a, st.session, &b);
		ctl_jb_free(&b);
	} else if (h->type == TW_IPC_SENDER_SUMMARY) {
		struct tw_ipc_sender_summary sm;
		static const char *const reasons[] = {"?", "count", "duration", "stop", "error"};
		memcpy(&sm, payload, sizeof(sm));
		ctl_reg_summary(a->d->reg, &sm);
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
		adm_broadcast(a, sm.session, &b);
		ctl_jb_free(&b);
	}
	adm_flush_all(a);
}
