/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "socket" engine: a Session-Sender on kernel UDP sockets.
 *
 * One connected UDP socket per session (the kernel then drops datagrams from
 * anyone but the reflector's address and port).  Sender behaviour follows the
 * wire reference §4.8: sequence numbers from 0, TTL/Hop Limit 255, the DSCP of
 * the request's Type-P, exactly base + Padding Length octets.  T1 is read
 * with clock_gettime(CLOCK_REALTIME) right before send() (after the HMAC in
 * mode 2, §3.6), T4 is the kernel's SO_TIMESTAMPNS receive time, the reply's
 * TTL comes from IP_RECVTTL / IPV6_RECVHOPLIMIT, and the Error Estimate from
 * the kernel's synchronisation state (adjtimex, lib/tw_time).
 */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli_engine.h"
#include "tw_crypto.h"
#include "tw_time.h"

struct sock_sess {
	int fd;
	bool shared; /* RFC 9533: fd is the micro_lead's, not ours to close or poll */
	uint8_t *tx; /* base + padding, padding filled once */
	size_t tx_len;
	size_t rx_cap;
	bool crypto; /* tc initialised */
	bool stamp_auth;
	struct tw_test_crypto tc;
	struct tw_stamp_auth sa;
	struct tw_pkt_region sreg, rreg;
	uint64_t seq; /* next to send */
	int64_t next; /* monotonic ns of the next send */
	int64_t t_end; /* monotonic ns: no send from then on (duration_ns), or INT64_MAX */
	/* Distinct sender sequence numbers answered by a valid reply: the run
	 * may end early only when every packet sent has one.  Counting raw
	 * datagrams instead let a duplicate or a bad packet end the run before
	 * the last real replies arrived (docs/interop.md). */
	uint64_t rx_seen;
	uint8_t *seen; /* bit per sender seq < seen_bits */
	uint64_t seen_bits;
	/* STAMP TLVs (lib/tw_stlv): the template after the base, what the
	 * replies carried, and what we sent for comparison. */
	struct tw_stlv_tmpl *tlv;
	struct tw_stlv_rx *tlv_rx;
	struct tw_stlv_ctx tlv_ctx;
};

/* Mark seq answered; false if it was already (a duplicate) or never sent. */
static bool seen_mark(struct sock_sess *s, uint32_t seq)
{
	if (seq >= s->seq)
		return false;
	if (seq >= s->seen_bits) {
		uint64_t bits = s->seen_bits ? s->seen_bits : 4096;
		while (bits <= seq)
			bits *= 2;
		uint8_t *n = realloc(s->seen, bits / 8);
		if (!n)
			return false;
		memset(n + s->seen_bits / 8, 0, (bits - s->seen_bits) / 8);
		s->seen = n;
		s->seen_bits = bits;
	}
	uint8_t m = (uint8_t)(1u << (seq & 7));
	if (s->seen[seq >> 3] & m)
		return false;
	s->seen[seq >> 3] |= m;
	s->rx_seen++;
	return true;
}

struct sock_priv {
	struct sock_sess s[CLI_ENGINE_SESSIONS_MAX];
	struct tw_sync sync;
};

static struct sock_priv *priv(struct cli_engine *e)
{
	if (!e->priv)
		e->priv = calloc(1, sizeof(struct sock_priv));
	return e->priv;
}

static int setopts(int fd, int family, uint8_t dscp, uint8_t ecn, char *err, size_t errlen)
{
	/* the whole octet: DSCP and the RFC 3168 §5 ECN codepoint (Linux
	 * keeps the ECN bits of IP_TOS / IPV6_TCLASS on UDP sockets) */
	int one = 1, ttl = 255, tos = dscp << 2 | (ecn & 3);
	int rc = 0;
	if (family == AF_INET) {
		rc |= setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		rc |= setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		rc |= setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
		rc |= setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
	} else {
		rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
		rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
		rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
		rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
	}
	rc |= setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (rc) {
		snprintf(err, errlen, "setsockopt (TTL/TOS/timestamps): %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * No daemon hands out free test ports, so without --sender-port pick a random
 * one from the dynamic range (RFC 6335 §6) and let bind() say whether it is
 * free; after 64 collisions let the kernel choose.
 */
static int bind_port(int fd, struct cli_sess_cfg *cfg)
{
	uint16_t *port = cfg->local.ss_family == AF_INET6
	                     ? &((struct sockaddr_in6 *)&cfg->local)->sin6_port
	                     : &((struct sockaddr_in *)&cfg->local)->sin_port;
	if (*port)
		return bind(fd, (struct sockaddr *)&cfg->local, cfg->local_len);
	for (int tries = 0; tries < 64; tries++) {
		uint16_t r = 0;
		if (tw_crypto_random(&r, sizeof(r)) != TW_OK)
			break;
		*port = htons((uint16_t)(49152 + r % 16384));
		if (bind(fd, (struct sockaddr *)&cfg->local, cfg->local_len) == 0)
			return 0;
		if (errno != EADDRINUSE && errno != EACCES)
			return -1;
	}
	*port = 0;
	return bind(fd, (struct sockaddr *)&cfg->local, cfg->local_len);
}

static int sock_add(struct cli_engine *e, unsigned idx, struct cli_sess_cfg *cfg, char *err,
                    size_t errlen)
{
	struct sock_priv *p = priv(e);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct sock_sess *s = &p->s[idx];
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	int family = cfg->local.ss_family;
	size_t base = tw_pkt_sender_base(cfg->layout);
	if (!base || (family != AF_INET && family != AF_INET6)) {
		snprintf(err, errlen, "bad session layout or address family");
		return -1;
	}
	if (cfg->padding > TW_PKT_MAX_LEN - base) {
		snprintf(err, errlen, "padding %u too large for a UDP datagram", cfg->padding);
		return -1;
	}
	/* The ECN codepoint our packets carry, fixed by cli_engine_tlv_prep
	 * when there are TLVs (cos=...,ecn=E). */
	int8_t ecn = cfg->ecn ? (int8_t)(cfg->ecn & 3) : -1;
	if (cfg->ntlv) {
		s->tlv = calloc(1, sizeof(*s->tlv));
		s->tlv_rx = calloc(1, sizeof(*s->tlv_rx));
		if (!s->tlv || !s->tlv_rx) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (cli_engine_tlv_prep(e, idx, cfg, s->tlv, &ecn, err, errlen) < 0)
			return -1;
		tw_stlv_rx_init(s->tlv_rx);
		s->tlv_ctx.dscp = cfg->dscp;
		s->tlv_ctx.ecn = ecn;
		s->tlv_ctx.family = family == AF_INET6 ? 6 : 4;
		s->tlv_ctx.sent = s->tlv;
	}
	s->tx_len = base + (s->tlv ? s->tlv->len : 0) + cfg->padding;
	/* Replies: reflector base + padding, plus slack for longer reflectors. */
	s->rx_cap = tw_pkt_reflect_len(cfg->layout, cfg->padding, s->tx_len) + 1024;
	s->tx = calloc(1, s->tx_len);
	if (!s->tx) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Padding content is arbitrary (§4.8); random like twping. */
	if (cfg->padding)
		tw_crypto_random(s->tx + base, cfg->padding);
	/* RFC 8972 §4: TLVs follow the base; the encoder writes only the
	 * base, so they are written once here (per-packet values: send_one). */
	if (s->tlv)
		memcpy(s->tx + base, s->tlv->b, s->tlv->len);

	if (cfg->micro) {
		/* TWAMP: the layout's offset (RFC 9533); STAMP: the
		 * Micro-session ID TLV of the template (RFC 9534) */
		bool stamp = tw_pkt_is_stamp(cfg->layout);
		size_t mo, mr;
		if (!tw_pkt_micro_where(s->tx, s->tx_len, cfg->layout, false, &mo, &mr) ||
		    cfg->micro_lead > idx || !e->cfg[cfg->micro_lead].micro) {
			snprintf(err, errlen,
			         stamp ? "micro-session: no Micro-session ID TLV (RFC 9534) to "
			                 "hold the IDs"
			               : "micro-session: packets of %zu octets cannot hold the "
			                 "RFC 9533 IDs",
			         s->tx_len);
			return -1;
		}
		/* what lies before the IDs in the padding is MBZ (RFC 9533 §4.2) */
		if (!stamp && mo > base)
			memset(s->tx + base, 0, mo - base);
		if (cfg->micro_lead != idx) {
			/* one 5-tuple for the whole LAG (RFC 9533 §4.1) */
			s->fd = p->s[cfg->micro_lead].fd;
			s->shared = true;
			cfg->local = e->cfg[cfg->micro_lead].local;
			cfg->local_len = e->cfg[cfg->micro_lead].local_len;
			return 0;
		}
	}
	s->fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (setopts(s->fd, family, cfg->dscp, cfg->ecn, err, errlen) < 0)
		return -1;
	if (bind_port(s->fd, cfg) < 0) {
		snprintf(err, errlen, "bind test socket: %s", strerror(errno));
		return -1;
	}
	socklen_t l = sizeof(cfg->local);
	getsockname(s->fd, (struct sockaddr *)&cfg->local, &l);
	cfg->local_len = l;
	return 0;
}

static int sock_set_peer(struct cli_engine *e, unsigned idx, char *err, size_t errlen)
{
	struct sock_sess *s = &priv(e)->s[idx];
	struct cli_sess_cfg *cfg = &e->cfg[idx];
	size_t base = tw_pkt_sender_base(cfg->layout);
	/* RFC 6038 Server Octets go first in the padding so the reflector
	 * returns them (§4.6); known only after Accept-Session. */
	if (cfg->server_octets && cfg->padding >= 2 && !cfg->micro)
		tw_put_be16(s->tx + base, cfg->server_octets);
	/* Test keys come from the SID (§3.5), i.e. after Accept-Session too. */
	if (cfg->prot != TW_PKT_PROT_NONE && !s->crypto && !s->stamp_auth) {
		if (tw_pkt_is_stamp(cfg->layout)) {
			if (tw_stamp_auth_init(&s->sa, cfg->stamp_key, cfg->stamp_key_len) !=
			    TW_OK) {
				snprintf(err, errlen, "STAMP HMAC key setup failed");
				return -1;
			}
			s->stamp_auth = true;
		} else {
			if (tw_test_crypto_init(&s->tc, cfg->test_aes_key, cfg->test_hmac_key) !=
			    TW_OK) {
				snprintf(err, errlen, "test-session crypto setup failed");
				return -1;
			}
			s->crypto = true;
		}
		s->sreg = tw_pkt_region(cfg->layout, false, cfg->prot);
		s->rreg = tw_pkt_region(cfg->layout, true, cfg->prot);
	}
	if (s->shared)
		return 0; /* the micro_lead's socket, connected by it */
	if (connect(s->fd, (struct sockaddr *)&cfg->peer, cfg->peer_len) < 0) {
		snprintf(err, errlen, "connect test socket to the reflector: %s", strerror(errno));
		return -1;
	}
	if (s->tlv) {
		/* RFC 8972 §4.2 Location: compare the reflector's view with the
		 * source address the kernel chose for the connected socket. */
		struct sockaddr_storage me;
		socklen_t ml = sizeof(me);
		struct tw_stlv_ctx *c = &s->tlv_ctx;
		if (getsockname(s->fd, (struct sockaddr *)&me, &ml) == 0 &&
		    me.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&me;
			const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&cfg->peer;
			memcpy(c->local, &a->sin6_addr, 16);
			memcpy(c->peer, &b->sin6_addr, 16);
			c->local_port = ntohs(a->sin6_port);
			c->peer_port = ntohs(b->sin6_port);
		} else if (me.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)&me;
			const struct sockaddr_in *b = (const struct sockaddr_in *)&cfg->peer;
			memcpy(c->local, &a->sin_addr, 4);
			memcpy(c->peer, &b->sin_addr, 4);
			c->local_port = ntohs(a->sin_port);
			c->peer_port = ntohs(b->sin_port);
		}
		c->sa = s->stamp_auth ? &s->sa : NULL;
		char a[INET6_ADDRSTRLEN] = "?";
		inet_ntop(c->family == 6 ? AF_INET6 : AF_INET, c->local, a, sizeof(a));
		snprintf(e->cnt[idx].tlv_local, sizeof(e->cnt[idx].tlv_local),
		         c->family == 6 ? "[%s]:%u" : "%s:%u", a, c->local_port);
		if (s->tlv->hmac_off != TW_STLV_NONE && !s->stamp_auth) {
			snprintf(err, errlen, "--tlv hmac needs the authenticated mode");
			return -1;
		}
	}
	return 0;
}

/* Build and send packet s->seq of session i. */
static void send_one(struct cli_engine *e, struct sock_priv *p, unsigned i,
                     const struct cli_engine_cb *cb)
{
	struct sock_sess *s = &p->s[i];
	struct cli_sess_cfg *cfg = &e->cfg[i];
	const struct tw_pkt_geom *g = tw_pkt_geom(cfg->layout);
	struct tw_pkt_sender ps = {.seq = (uint32_t)s->seq, .ssid = cfg->ssid};
	struct tw_ts ts;
	bool late_ts = s->crypto && cfg->prot == TW_PKT_PROT_AUTH;

	if (late_ts) {
		/* Mode 2: HMAC first, timestamp afterwards (§3.6). */
		tw_pkt_sender_encode(cfg->layout, &ps, s->tx, s->tx_len);
		if (cfg->micro) /* RFC 9533 §4.2 */
			tw_pkt_micro_put(s->tx, s->tx_len, cfg->layout, false, cfg->micro_sid,
			                 cfg->micro_rid);
		tw_test_protect(&s->tc, s->tx, s->tx_len, s->sreg.enc_len, s->sreg.hmac_off);
		tw_time_now_ts(&p->sync, &ts);
		tw_put_be64(s->tx + g->s_ts, tw_ts_wire(&ts, cfg->ptp));
		tw_put_be16(s->tx + g->s_errest, tw_ts_errest(&ts, cfg->ptp));
	} else {
		tw_time_now_ts(&p->sync, &ts);
		/* RFC 8186 §2.3: Z = 1 marks the truncated PTP format */
		ps.ts = tw_ts_wire(&ts, cfg->ptp);
		ps.errest = tw_ts_errest(&ts, cfg->ptp);
		tw_pkt_sender_encode(cfg->layout, &ps, s->tx, s->tx_len);
		/* RFC 9533 §4.2: before protection (inside mode 4's 0..31) */
		if (cfg->micro)
			tw_pkt_micro_put(s->tx, s->tx_len, cfg->layout, false, cfg->micro_sid,
			                 cfg->micro_rid);
		/* RFC 8972 §4.5 S_TxC: this packet included; §4.8 HMAC TLV
		 * over the Sequence Number just written. */
		if (s->tlv)
			(void)tw_stlv_fill(s->tlv, s->tx, g->s_base, (uint32_t)(s->seq + 1),
			                   s->stamp_auth ? &s->sa : NULL);
		if (s->crypto)
			tw_test_protect(&s->tc, s->tx, s->tx_len, s->sreg.enc_len,
			                s->sreg.hmac_off);
		else if (s->stamp_auth)
			tw_stamp_auth_sign(&s->sa, s->tx, s->tx_len);
	}
	ssize_t n = send(s->fd, s->tx, s->tx_len, 0);
	if (n == (ssize_t)s->tx_len)
		e->cnt[i].tx++;
	else
		e->cnt[i].tx_err++;
	/* Count it as sent even if the kernel refused it: it is lost. */
	if (cb->sent)
		cb->sent(cb->arg, i, (uint32_t)s->seq, cli_ntp_ns(ts.ntp));
	s->seq++;
}

/*
 * RFC 9533 §4.2: the micro-session of the LAG sharing socket `lead` that a
 * (verified, decoded) reply of len octets belongs to; -1 when it is
 * discarded, counted by name: its Sender Micro-session ID is none of ours
 * (rx_micro_unknown, on the lead), or its Reflector Micro-session ID is not
 * the one that micro-session expects (rx_micro_ref); too short for the
 * IDs counts as rx_short.
 */
static int micro_demux(struct cli_engine *e, unsigned lead, const uint8_t *buf, size_t len)
{
	uint16_t sids[CLI_ENGINE_SESSIONS_MAX], rids[CLI_ENGINE_SESSIONS_MAX], gs, gr;
	unsigned idx[CLI_ENGINE_SESSIONS_MAX], n = 0, k = 0;
	enum tw_pkt_layout l = e->cfg[lead].layout;
	uint8_t f = 0;
	if (tw_pkt_is_stamp(l)) {
		/* RFC 9534: a Micro-session ID TLV the reflector did not take
		 * up (U, M or I: RFC 8972 §4) names none of our micro-sessions;
		 * the IDs are read from the TLV found here, in one walk */
		size_t so = tw_pkt_micro_tlv(buf, len, l, &f);
		if (!so || (f & (TW_PKT_TLV_F_U | TW_PKT_TLV_F_M | TW_PKT_TLV_F_I))) {
			e->cnt[lead].rx_micro_unknown++;
			return -1;
		}
		gs = tw_be16(buf + so);
		gr = tw_be16(buf + so + 2);
	} else if (!tw_pkt_micro_get(buf, len, l, true, &gs, &gr)) {
		e->cnt[lead].rx_short++;
		return -1;
	}
	for (unsigned j = 0; j < e->n; j++)
		if (e->cfg[j].micro && e->cfg[j].micro_lead == lead) {
			sids[n] = e->cfg[j].micro_sid;
			rids[n] = e->cfg[j].micro_rid;
			idx[n++] = j;
		}
	switch (tw_pkt_micro_match(sids, rids, n, gs, gr, &k)) {
	case TW_PKT_MICRO_OK:
		return (int)idx[k];
	case TW_PKT_MICRO_WRONG_REF:
		e->cnt[idx[k]].rx_micro_ref++;
		return -1;
	default:
		e->cnt[lead].rx_micro_unknown++;
		return -1;
	}
}

static void recv_all(struct cli_engine *e, struct sock_priv *p, unsigned lead,
                     const struct cli_engine_cb *cb, uint8_t *buf)
{
	for (;;) {
		unsigned i = lead; /* the micro-session a reply belongs to, below */
		struct sock_sess *s = &p->s[i];
		struct cli_sess_cfg *cfg = &e->cfg[i];
		union {
			char b[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int)) * 4];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {buf, s->rx_cap};
		struct msghdr mh = {.msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = ctl.b,
		                    .msg_controllen = sizeof(ctl.b)};
		ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return; /* EAGAIN, or ICMP errors (ECONNREFUSED): nothing to read */
		int64_t t4 = -1;
		int ttl = 0, tos = -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec t;
				memcpy(&t, CMSG_DATA(c), sizeof(t));
				t4 = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
			} else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
			           (c->cmsg_level == IPPROTO_IPV6 &&
			            c->cmsg_type == IPV6_HOPLIMIT)) {
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
				tos = *(const uint8_t *)CMSG_DATA(c);
			} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
				memcpy(&tos, CMSG_DATA(c), sizeof(tos));
			}
		}
		if (t4 < 0)
			t4 = tw_time_now_ns();
		if (!cfg->micro)
			e->cnt[i].rx++;
		/* Below the echoed sender part there is nothing to measure; between
		 * it and the base only the Sender TTL is missing (§11b.7). */
		if ((size_t)n < tw_pkt_reflector_echo_len(cfg->layout)) {
			e->cnt[i].rx_short++;
			continue;
		}
		if (s->crypto && tw_test_verify(&s->tc, buf, (size_t)n, s->rreg.enc_len,
		                                s->rreg.hmac_off) != TW_OK) {
			e->cnt[i].rx_hmac++;
			continue;
		}
		if (s->stamp_auth && tw_stamp_auth_verify(&s->sa, buf, (size_t)n) != TW_OK) {
			e->cnt[i].rx_hmac++;
			continue;
		}
		struct tw_pkt_reflector r;
		size_t short_by = 0;
		if (tw_pkt_reflector_decode_liberal(cfg->layout, buf, (size_t)n, &r, &short_by) !=
		    TW_OK) {
			e->cnt[i].rx_short++;
			continue;
		}
		if (tw_pkt_reflector_check(&r) != TW_OK) {
			/* Multiplier 0: corrupt timestamps (§5.2). */
			e->cnt[i].rx_errest++;
			continue;
		}
		if (cfg->micro) {
			int k = micro_demux(e, lead, buf, (size_t)n);
			if (k < 0)
				continue;
			i = (unsigned)k;
			s = &p->s[i];
			cfg = &e->cfg[i];
			e->cnt[i].rx++;
		}
		if (short_by)
			cli_engine_count_no_ttl(&e->cnt[i], (size_t)n);
		(void)seen_mark(s, r.sender_seq);
		struct tw_stats_reply rp = {0};
		rp.snd_seq = r.sender_seq;
		rp.refl_seq = r.seq;
		uint64_t t1 = tw_errest_z(r.sender_errest) ? tw_time_ptp_to_ntp(r.t1) : r.t1;
		rp.t1 = cli_ntp_ns(t1);
		uint64_t t2 = r.t2, t3 = r.t3;
		if (tw_errest_z(r.errest))
			cli_engine_peer_ptp(&e->cnt[i], &t2, &t3, t1);
		rp.t2 = cli_ntp_ns(t2);
		rp.t3 = cli_ntp_ns(t3);
		rp.t4 = t4;
		rp.e1 = cli_errest_ns(r.sender_errest, &rp.snd_sync);
		rp.e2 = rp.e3 = cli_errest_ns(r.errest, &rp.refl_sync);
		rp.e4 = p->sync.err_ns > INT64_MAX ? INT64_MAX : (int64_t)p->sync.err_ns;
		rp.snd_ttl = r.sender_ttl;
		rp.rx_ttl = (uint8_t)ttl;
		rp.init_ttl = 255;
		/* RFC 7750 per direction: the reflector's Sender DSCP and ECN
		 * (forward), and the reply's own TOS as the kernel gave it */
		rp.tos_tx = (uint8_t)(cfg->dscp << 2 | (cfg->ecn & 3));
		if (cfg->dscp_ecn && tw_pkt_get_dscp_ecn(buf, (size_t)n, cfg->layout, &rp.tos_fwd))
			rp.tos_known |= TW_STATS_TOS_FWD;
		/* With STAMP TLVs a Class of Service TLV may ask for another DSCP
		 * on the reply (RFC 8972 §4.4): reply_tlvs() judges that one. */
		if (tos >= 0 && !cfg->ntlv) {
			rp.tos_bwd = (uint8_t)tos;
			rp.tos_known |= TW_STATS_TOS_BWD;
		}
		/* What the reply's TLVs say (RFC 8972 §4, RFC 9503). */
		if (s->tlv) {
			struct tw_stlv_reply_in in = {.pkt = buf,
			                              .len = (size_t)n,
			                              .base = tw_pkt_reflector_base(cfg->layout),
			                              .refl_seq = r.seq,
			                              .t3 = r.t3,
			                              .t3_ptp = tw_errest_z(r.errest),
			                              .rtt_ns = (rp.t4 - rp.t1) - (rp.t3 - rp.t2),
			                              .tos = tos};
			tw_stlv_reply(s->tlv_rx, &s->tlv_ctx, &in);
			e->cnt[i].tlv = s->tlv_rx->res;
		}
		if (cb->reply)
			cb->reply(cb->arg, i, &rp);
	}
}

/* Still to send at `now`: count not reached, duration not over.  Late
 * packets are not made up after the duration: the run ends on time and the
 * report says the rate fell short. */
static bool to_send(const struct sock_sess *s, const struct cli_sess_cfg *cfg, int64_t now)
{
	return (!cfg->count || s->seq < cfg->count) && now < s->t_end;
}

static int sock_run(struct cli_engine *e, const struct cli_engine_cb *cb,
                    volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct sock_priv *p = priv(e);
	tw_time_sync_read(&p->sync);
	size_t cap = 0;
	for (unsigned i = 0; i < e->n; i++)
		cap = p->s[i].rx_cap > cap ? p->s[i].rx_cap : cap;
	uint8_t *buf = malloc(cap);
	struct pollfd *pfd = calloc(e->n ? e->n : 1, sizeof(*pfd));
	if (!buf || !pfd) {
		free(buf);
		free(pfd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int64_t now = cli_mono_ns();
	int64_t tick = now + CLI_ENGINE_TICK_NS;
	int64_t end = -1; /* set once every session has sent everything */
	int64_t loss_to = 0;
	for (unsigned i = 0; i < e->n; i++) {
		p->s[i].next = now + e->cfg[i].start_offset_ns + (int64_t)i * 1000;
		p->s[i].t_end =
		    e->cfg[i].duration_ns > 0 ? p->s[i].next + e->cfg[i].duration_ns : INT64_MAX;
		/* a shared micro-session socket is read once, by its lead */
		pfd[i].fd = p->s[i].shared ? -1 : p->s[i].fd;
		pfd[i].events = POLLIN;
		if (e->cfg[i].loss_timeout_ns > loss_to)
			loss_to = e->cfg[i].loss_timeout_ns;
	}
	bool draining = false;
	while (*stop < 2) {
		now = cli_mono_ns();
		/* The first interrupt ends sending, not the run: replies already on
		 * their way still count until the loss timeout (or until every packet
		 * is answered), so an interrupted run reports no false loss.  A
		 * second interrupt ends it at once. */
		if (*stop && !draining) {
			draining = true;
			for (unsigned i = 0; i < e->n; i++)
				if (p->s[i].t_end > now)
					p->s[i].t_end = now;
		}
		bool sending = false;
		for (unsigned i = 0; i < e->n; i++) {
			struct sock_sess *s = &p->s[i];
			const struct cli_sess_cfg *cfg = &e->cfg[i];
			/* A burst cap keeps replies flowing if we fall behind. */
			for (int k = 0; k < 64 && to_send(s, cfg, now) && s->next <= now; k++) {
				send_one(e, p, i, cb);
				s->next += (int64_t)cli_next_gap(cfg->interval_ns, cfg->poisson);
			}
			if (to_send(s, cfg, now))
				sending = true;
		}
		if (!sending && end < 0)
			end = now + loss_to;
		if (now >= tick) {
			if (cb->tick)
				cb->tick(cb->arg, tw_time_now_ns());
			tick += CLI_ENGINE_TICK_NS;
			if (tick < now)
				tick = now + CLI_ENGINE_TICK_NS;
		}
		if (end >= 0) {
			bool all = true;
			for (unsigned i = 0; i < e->n; i++)
				all &= p->s[i].rx_seen >= p->s[i].seq;
			if (now >= end || all)
				break;
		}
		int64_t wake = tick;
		if (end >= 0 && end < wake)
			wake = end;
		for (unsigned i = 0; i < e->n; i++)
			if (to_send(&p->s[i], &e->cfg[i], now) && p->s[i].next < wake)
				wake = p->s[i].next < p->s[i].t_end ? p->s[i].next : p->s[i].t_end;
		int64_t d = wake - now;
		if (d < 0)
			d = 0;
		struct timespec to = {d / 1000000000, d % 1000000000};
		int r = ppoll(pfd, e->n, &to, NULL);
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "ppoll: %s", strerror(errno));
			free(buf);
			free(pfd);
			return -1;
		}
		for (unsigned i = 0; r > 0 && i < e->n; i++)
			if (pfd[i].revents)
				recv_all(e, p, i, cb, buf);
	}
	free(buf);
	free(pfd);
	return 0;
}

static void sock_free(struct cli_engine *e)
{
	struct sock_priv *p = e->priv;
	if (!p)
		return;
	for (unsigned i = 0; i < CLI_ENGINE_SESSIONS_MAX; i++) {
		struct sock_sess *s = &p->s[i];
		if (i < e->n || s->tx || s->tlv || s->tlv_rx) {
			if (s->fd > 0 && !s->shared)
				close(s->fd);
			free(s->tx);
			free(s->seen);
			free(s->tlv);
			free(s->tlv_rx);
			if (s->crypto)
				tw_test_crypto_free(&s->tc);
			if (s->stamp_auth)
				tw_stamp_auth_free(&s->sa);
		}
	}
	tw_crypto_cleanse(p, sizeof(*p));
	free(p);
	e->priv = NULL;
}

const struct cli_engine_ops cli_engine_sock_ops = {
    .name = "socket",
    .add = sock_add,
    .set_peer = sock_set_peer,
    .run = sock_run,
    .free = sock_free,
};
