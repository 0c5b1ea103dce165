/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lcore loop.  Shape (docs/fastpath.md, style anchor 6):
 *
 *   rx burst (32) -> ONE rte_rdtsc() -> parse, classify, reflect in place
 *   -> [main lcore: kernel TAP -> port, due sender packets]
 *   -> one TSC read for late T3 -> tx burst
 *   -> periodic work gated on TSC deadlines computed from that one read:
 *      result flush, and on the main lcore IPC poll, counter publish,
 *      sender ticks (loss, end), REFWAIT/Timeout expiry, the control
 *      process's liveness watch (fp_ctl_watch), TSC clock resync, session
 *      slot reaping.
 *
 * Nothing in the loop allocates from the heap, logs, takes a lock or makes a
 * system call.  The one exception is the idle back-off (--idle-backoff on):
 * after fp.idle_spin empty iterations the loop calls rte_pause(), and after
 * ten times that it sleeps fp.idle_sleep_us (a nanosleep syscall) per
 * iteration, only while no sender is due sooner.  Line-rate runs turn it
 * off.  The clock resync reads CLOCK_REALTIME through the vDSO (no syscall).
 *
 * Combined mode (default): the main lcore also does the control work above,
 * which includes the TAP (read/write syscalls) and IPC session set-up
 * (OpenSSL contexts).  Split mode (--ctl-lcore): ctl_loop() on the main
 * lcore does all of it and polls no port queue; workers run only the packet
 * loop, hand exceptions to it through their SPSC exc_ring, and the first
 * worker transmits what it hands back through fp.to_port[] (per port).
 */
#include "fp_lcore.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "fp.h"
#include "fp_ctl.h"
#include "fp_exc.h"
#include "fp_reflector.h"
#include "fp_sender.h"
#include "fp_sess.h"

#define PREFETCH_OFFSET 3
/* The expiry scan reads EXPIRY_CHUNK slots of the session table every
 * EXPIRY_PERIOD_US: the same 1,600 slots a second as 1,024 every 10 ms,
 * in small steps, since each slot read is a cache miss and the loop
 * answers nothing meanwhile: 1,024 slots at once held it 13 us on
 * average (31 us at worst) every 10 ms, in the reflector's answers and
 * the sender's schedule alike (docs/performance.md, RTT self-noise). */
#define EXPIRY_CHUNK     64
#define EXPIRY_PERIOD_US 625

/* Send the exception frames to the kernel through this lcore's TAP queue. */
static inline void exc_flush(struct fp_lcore *lc)
{
	if (!lc->n_exc)
		return;
	uint16_t k;
	if (lc->exc_ring) {
		/* split mode worker: the control lcore writes to the TAP
		 * (and counts EXC_TO_KERNEL); only a full ring is ours */
		k = (uint16_t)rte_ring_sp_enqueue_burst(lc->exc_ring, (void **)lc->exc, lc->n_exc,
							 NULL);
	} else {
		k = rte_eth_tx_burst(fp.exc->tap_port, lc->exc_txq, lc->exc, lc->n_exc);
		FP_ADD(lc->cnt, EXC_TO_KERNEL, k);
	}
	if (k < lc->n_exc) {
		FP_ADD(lc->cnt, DROP_EXC_FULL, lc->n_exc - k);
		rte_pktmbuf_free_bulk(&lc->exc[k], lc->n_exc - k);
	}
	lc->n_exc = 0;
}

static inline void tx_flush_to(struct fp_lcore *lc, uint16_t port_id)
{
	if (!lc->n_tx)
		return;
	uint16_t k = rte_eth_tx_burst(port_id, lc->txq, lc->tx, lc->n_tx);
	FP_ADD(lc->cnt, TX_PKTS, k);
	if (k < lc->n_tx) {
		FP_ADD(lc->cnt, DROP_TX_FULL, lc->n_tx - k);
		rte_pktmbuf_free_bulk(&lc->tx[k], lc->n_tx - k);
	}
	lc->n_tx = 0;
}

static inline void tx_flush(struct fp_lcore *lc)
{
	tx_flush_to(lc, fp.port.port_id);
}

/* Split mode, the first worker: what the control lcore handed over for
 * member-link ports 1.. (a micro-session's packets, RFC 9533 §3), each on
 * its port.  Called with lc->tx empty or holding port 0's frames: those
 * leave first. */
static unsigned ctl_member_tx(struct fp_lcore *lc)
{
	unsigned work = 0;
	tx_flush(lc);
	for (unsigned i = 1; i < fp.n_ports; i++) {
		unsigned k = rte_ring_sc_dequeue_burst(fp.to_port[i], (void **)lc->tx, FP_BURST,
						       NULL);
		lc->n_tx = (uint16_t)k;
		tx_flush_to(lc, fp.port_ids[i]);
		work += k;
	}
	return work;
}

/*
 * RFC 9533 LAG: the other member-link ports (--member-link-id A,B,...),
 * polled by every packet lcore on its own queue.  Each burst is read,
 * stamped with its own TSC read (T2/T4 never before arrival) and answered
 * on the port it came in on, so a reflector replies on the member link the
 * request used.
 */
static unsigned lag_ports_poll(struct fp_lcore *lc, struct rte_mbuf **pkts)
{
	unsigned work = 0;
	for (unsigned i = 1; i < fp.n_ports; i++) {
		uint16_t n = rte_eth_rx_burst(fp.port_ids[i], lc->rxq, pkts, FP_BURST);
		if (!n)
			continue;
		uint64_t now = rte_rdtsc();
		FP_ADD(lc->cnt, RX_PKTS, n);
		FP_INC(lc->cnt, RX_BURSTS);
		fp_lcore_rx_burst(lc, pkts, n, now);
		tx_flush_to(lc, fp.port_ids[i]);
		exc_flush(lc);
		FP_ADD(lc->cnt, BUSY_CYCLES, rte_rdtsc() - now);
		work += n;
	}
	return work;
}

static inline void to_kernel(struct fp_lcore *lc, struct rte_mbuf *m, uint64_t now)
{
	if (unlikely(rte_pktmbuf_pkt_len(m) > fp.exc->max_frame)) {
		FP_INC(lc->cnt, DROP_EXC_TOO_LONG);
		rte_pktmbuf_free(m);
		return;
	}
	if (lc->main)
		fp_exc_snoop(fp.exc, m, now);
	if (fp.vlan >= 0)
		(void)rte_vlan_strip(m);
	lc->exc[lc->n_exc++] = m;
}

void fp_lcore_rx_burst(struct fp_lcore *lc, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct fp_pinfo pi[FP_BURST];
	struct fp_sess_burst sb;
	struct fp_session *sess[FP_BURST];
	uint8_t idx[FP_BURST] = {0}; /* (gcc cannot see that only idx[0..nk) is read) */
	struct fp_late_t3 late[FP_BURST];
	unsigned nk = 0, n_late = 0;
	uint64_t t2 = now;
	FP_STAGE_T0(st);
	fp_sess_burst_init(&sb);

	for (uint16_t i = 0; i < n && i < PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (rte_is_unicast_ether_addr(&eh->dst_addr) &&
		    !rte_is_same_ether_addr(&eh->dst_addr, &fp.mac)) {
			/* promiscuous ports (af_packet, tap) see other hosts' frames */
			FP_INC(lc->cnt, DROP_NOT_MINE);
			rte_pktmbuf_free(m);
			continue;
		}
		/* fragments, and datagrams longer than the ports' IP MTU, are
		 * never reflected (control refuses such sessions:
		 * REQ_PADDING_MTU) */
		enum fp_parse_res r = fp_parse(m, fp.ip_mtu, &pi[i]);
		if (r == FP_PARSE_UDP && fp_is_local(&pi[i].key) &&
		    !(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK & RTE_MBUF_F_RX_L4_CKSUM_BAD)) {
			if (unlikely(!fp_src_ok(&eh->src_addr, &pi[i].key))) {
				/* never answered, nor given to the kernel */
				FP_INC(lc->cnt, DROP_BAD_SOURCE);
				rte_pktmbuf_free(m);
				continue;
			}
			idx[nk++] = (uint8_t)i;
			continue;
		}
		if (r == FP_PARSE_FRAG)
			FP_INC(lc->cnt, IP_FRAG); /* a test packet past the MTU */
		else if (r == FP_PARSE_BAD_L3)
			FP_INC(lc->cnt, DROP_L3_HDR);
		else if (r == FP_PARSE_BAD_UDP)
			FP_INC(lc->cnt, DROP_UDP_HDR);
		to_kernel(lc, m, now);
	}
	/* per-packet NIC timestamps (hw-dynfield): used below instead of the
	 * burst TSC, through the fit published when the burst began */
	const struct fp_hw_fit *fit = __atomic_load_n(&fp.port.fit_cur, __ATOMIC_ACQUIRE);
	FP_STAGE_ADD(lc, parse, st);
	/* The keys are hashed and compared once the whole burst is parsed,
	 * not as each is found: fp_parse() writes a key field by field, and
	 * wide loads of it right after those narrow stores wait for them to
	 * reach the cache (a store-forwarding stall, ~18 % of this function's
	 * samples with 100,000 sessions); and the buckets' prefetches then go
	 * out together, which costs less than one per parsed frame
	 * (docs/performance.md, "Many sessions (§5): clustered misses"). */
	for (unsigned j = 0; j < nk; j++)
		fp_sess_burst_add(fp.sess, &sb, &pi[idx[j]].key);
	fp_sess_burst_lookup(fp.sess, &sb, sess);
	FP_STAGE_ADD(lc, lookup, st);
	fp_crypto_burst_begin(lc, pkts, pi, idx, sess, nk);
	FP_STAGE_ADD(lc, crypto, st);
	for (unsigned j = 0; j < nk; j++) {
		unsigned i = idx[j];
		struct rte_mbuf *m = pkts[i];
		uint64_t ts = t2;
		if (fp.port.ts_mode == FP_TS_HW_DYNFIELD && (m->ol_flags & fp.port.ts_dynflag)) {
			uint64_t hw = *RTE_MBUF_DYNFIELD(m, fp.port.ts_dynfield_off, uint64_t *);
			ts = fp_port_hw_to_tsc(fit, hw);
		}
		enum fp_rx_verdict v;
		struct fp_session *s = sess[j];
		if (s) {
			if (s->role == FP_ROLE_REFLECTOR) {
				v = fp_reflect_session(lc, m, &pi[i], s, ts, &late[n_late]);
			} else if (s->role == FP_ROLE_SENDER) {
				v = fp_sender_rx(lc, m, &pi[i], s, ts);
			} else {
				v = FP_RX_EXCEPTION;
			}
		} else {
			uint16_t li = __atomic_load_n(&fp.light_idx[pi[i].key.local_port],
						      __ATOMIC_ACQUIRE);
			if (li)
				v = fp_reflect_light(lc, m, &pi[i], &fp.light[li - 1], ts,
						     &late[n_late]);
			else
				v = FP_RX_EXCEPTION; /* e.g. UDP to a closed port: ICMP */
		}
		switch (v) {
		case FP_RX_TX_T3:
			n_late++;
			/* fall through */
		case FP_RX_TX:
			lc->tx[lc->n_tx++] = m;
			break;
		case FP_RX_EXCEPTION:
			to_kernel(lc, m, now);
			break;
		case FP_RX_CONSUMED:
			break;
		case FP_RX_DROP:
		default:
			rte_pktmbuf_free(m);
			break;
		}
	}
	FP_STAGE_ADD(lc, reflect, st);
	/* authenticated/encrypted replies: protected together */
	n_late += fp_crypto_burst_end(lc, &late[n_late]);
	FP_STAGE_ADD(lc, crypto, st);
	if (n_late || lc->n_fu) {
		/* the one Tx-time read: late T3s, and the STAMP replies'
		 * real transmit time for Follow-Up Telemetry */
		uint64_t t3 = rte_rdtsc();
		if (n_late)
			fp_reflect_late_t3(late, n_late, t3);
		fp_reflect_fu_tx(lc, t3);
	}
	FP_STAGE_ADD(lc, checksum, st);
}

/* REFWAIT and Timeout expiry (§4.7), a chunk of the table per tick. */
static void expiry_scan(uint64_t now, uint32_t *cursor)
{
	struct fp_sess_table *t = fp.sess;
	for (unsigned k = 0; k < EXPIRY_CHUNK; k++) {
		struct fp_session *s = &t->s[*cursor];
		*cursor = (*cursor + 1) % t->cap;
		if (s->role != FP_ROLE_REFLECTOR)
			continue;
		const struct fp_sess_cold *sc = fp_sess_cold(t, s);
		if (s->state == FP_SS_ACTIVE && now - s->last_rx_tsc > sc->refwait_tsc &&
		    s->last_rx_tsc < now) {
			s->state = FP_SS_ENDED;
			fp_ctl_event(s->id, TW_IPC_EV_REFWAIT_EXPIRED, 0, s->rx, s->rx);
		} else if (s->state == FP_SS_STOPPING && now >= sc->expire_tsc) {
			s->state = FP_SS_ENDED;
			fp_ctl_event(s->id, TW_IPC_EV_ENDED, 0, s->rx, s->rx);
		}
	}
}

static void clock_resync(void)
{
	struct tw_tsc_clock *cur = fp.clk_cur;
	struct tw_tsc_clock *nxt = cur == &fp.clk[0] ? &fp.clk[1] : &fp.clk[0];
	*nxt = *cur;
	if (tw_tsc_clock_resync(nxt) == TW_OK) {
		fp.errest[0] = fp_clock_errest(nxt, false);
		fp.errest[1] = fp_clock_errest(nxt, true);
		__atomic_store_n(&fp.clk_cur, nxt, __ATOMIC_RELEASE);
	}
}

/* Deadlines of the periodic control work (main / control lcore). */
struct ctl_deadlines {
	uint64_t ctl, stats, tick, clock, exp, watch, reap;
	uint32_t exp_cursor;
};

static void ctl_deadlines_init(struct ctl_deadlines *d, uint64_t now)
{
	uint64_t hz = fp.tsc_hz;
	d->ctl = now;
	d->stats = now + hz / 10;
	d->tick = now;
	d->clock = now + hz;
	d->exp = now;
	d->watch = now;
	d->reap = now;
	d->exp_cursor = 0;
}

/* The periodic control work, on TSC deadlines: scheduled START/STOP, IPC
 * poll (session set-up), sender ticks, expiry, counters, clock resync,
 * slot reaping. */
static void ctl_periodic(struct fp_lcore *lc, uint64_t now, struct ctl_deadlines *d)
{
	uint64_t hz = fp.tsc_hz;
	if (now >= fp_ctl_next_sched)
		fp_ctl_sched_run(now);
	if (now >= d->ctl) {
		fp_ctl_poll(lc, now, 32);
		d->ctl = now + fp.ipc_poll_tsc;
	}
	if (now >= d->tick) {
		fp_sender_tick(lc, now);
		d->tick = now + hz / 1000;
		if (fp.exit_when_done && fp_sender_all_done())
			__atomic_store_n(&fp.quit, true, __ATOMIC_RELAXED);
		if (fp.run_until_tsc && now >= fp.run_until_tsc)
			__atomic_store_n(&fp.quit, true, __ATOMIC_RELAXED);
	}
	if (now >= d->exp) {
		expiry_scan(now, &d->exp_cursor);
		d->exp = now + hz / 1000000 * EXPIRY_PERIOD_US;
	}
	if (now >= d->watch) {
		fp_ctl_watch(lc, now);
		d->watch = now + hz / 100;
	}
	if (now >= d->stats) {
		fp_ctl_publish(now);
		d->stats = now + fp.stats_interval_tsc;
	}
	if (now >= d->clock) {
		/* refit first: the Error Estimate published with the clock
		 * includes the device fit's */
		fp_port_clock_sync(&fp.port);
		clock_resync();
		d->clock = now + hz;
	}
	if (now >= d->reap) {
		fp_sess_reap(fp.sess, now);
		d->reap = now + hz / 10;
	}
}

/* Sender packets go out in their own burst, so the ones refused (by the
 * port, or by the hand-off ring in split mode) are known and charged to
 * their sender (tx_drops) instead of turning into LOST. */
static unsigned sender_tx(struct fp_lcore *lc, uint64_t now)
{
	struct rte_mbuf *sp[FP_BURST];
	struct fp_sender *who[FP_BURST];
	unsigned total = 0;
	/* one burst per port: a micro-session leaves on its member link */
	for (unsigned p = 0; p == 0 || p < fp.n_ports; p++) {
		unsigned s = fp_sender_tx(lc, now, sp, who, FP_BURST, p);
		if (s) {
			uint16_t sk = fp_ctl_port_tx_on(lc, p, sp, (uint16_t)s);
			if (!fp.split)
				FP_ADD(lc->cnt, TX_PKTS, sk);
			if (sk < s)
				fp_sender_tx_failed(lc, &sp[sk], &who[sk], s - sk);
		}
		total += s;
	}
	return total;
}

/*
 * Split mode (--ctl-lcore): the control lcore.  It never polls a port
 * queue; it moves exception frames from the workers' rings to the kernel
 * TAP and the kernel's frames to the first worker, builds sender packets,
 * and does all the periodic control work.  It makes system calls (TAP
 * read/write, OpenSSL set-up in IPC commands) and sleeps when idle: it is
 * the control thread, so the worker lcores never have to.
 */
static int ctl_loop(struct fp_lcore *lc)
{
	struct rte_mbuf *pkts[FP_BURST];
	uint64_t now = rte_rdtsc();
	uint64_t next_drain = now + fp.drain_tsc;
	struct ctl_deadlines d;
	uint64_t idle = 0;
	ctl_deadlines_init(&d, now);

	while (!__atomic_load_n(&fp.quit, __ATOMIC_RELAXED)) {
		fp_light_quiesce(lc);
		now = rte_rdtsc();
		unsigned work = 0;
		/* workers -> kernel (ARP/ND, ICMP, TCP, closed UDP ports) */
		for (unsigned i = 0; i < fp.nb_lcores; i++) {
			struct fp_lcore *w = fp.lc_by_index[i];
			if (!w->exc_ring)
				continue;
			unsigned k = rte_ring_sc_dequeue_burst(w->exc_ring, (void **)lc->exc,
							       FP_BURST, NULL);
			for (unsigned j = 0; j < k; j++)
				fp_exc_snoop(fp.exc, lc->exc[j], now);
			lc->n_exc = (uint16_t)k;
			exc_flush(lc);
			work += k;
		}
		/* kernel -> port, through the first worker */
		uint16_t k = fp_exc_from_kernel(fp.exc, pkts, FP_BURST, now);
		if (k) {
			uint16_t e = fp_ctl_port_tx(lc, pkts, k);
			FP_ADD(lc->cnt, EXC_FROM_KERNEL, e);
			if (e < k) {
				FP_ADD(lc->cnt, DROP_TX_FULL, k - e);
				rte_pktmbuf_free_bulk(&pkts[e], k - e);
			}
			work += k;
		}
		work += sender_tx(lc, now);
		if (now >= next_drain) {
			(void)fp_ctl_flush(lc);
			next_drain = now + fp.drain_tsc;
		}
		ctl_periodic(lc, now, &d);
		/* Idle: sleep whatever --idle-backoff says (this lcore may share
		 * a CPU with a worker), but never past a sender's due time. */
		if (work) {
			idle = 0;
			continue;
		}
		idle++;
		if (idle > fp.idle_spin && !fp_sender_due_within(now, fp.idle_sleep_us))
			rte_delay_us_sleep(fp.idle_sleep_us);
		else
			rte_pause();
	}
	(void)fp_ctl_flush(lc);
	return 0;
}

int fp_lcore_loop(void *arg)
{
	(void)arg;
	struct fp_lcore *lc = &fp.lc[rte_lcore_id()];
	if (fp.split && lc->main)
		return ctl_loop(lc);
	struct rte_mbuf *pkts[FP_BURST];
	uint64_t now = rte_rdtsc();
	uint64_t next_drain = now + fp.drain_tsc;
	struct ctl_deadlines d;
	uint64_t idle = 0;
	/* TSC of the previous iteration's clock read if that iteration carried
	 * packets, else 0: BUSY_CYCLES (docs/performance.md) */
	uint64_t busy_from = 0;
	uint64_t next_tap = now;
	ctl_deadlines_init(&d, now);

	while (!__atomic_load_n(&fp.quit, __ATOMIC_RELAXED)) {
		fp_light_quiesce(lc); /* holds no listener here */
		FP_STAGE_T0(st);
		uint16_t n = rte_eth_rx_burst(fp.port.port_id, lc->rxq, pkts, FP_BURST);
		/* The iteration's one clock read: deadlines, and T2/T4 of the
		 * whole burst (read after the burst: never before arrival). */
		now = rte_rdtsc();
		/* Capacity (VPP's clocks/vector): the cycles of every iteration
		 * that carried packets, from this read to the next one, so it
		 * costs no extra clock read; it includes the next Rx poll in
		 * place of this one's. */
		if (busy_from) {
			FP_ADD(lc->cnt, BUSY_CYCLES, now - busy_from);
			busy_from = 0;
		}
		if (n) {
			FP_ADD(lc->cnt, RX_PKTS, n);
			FP_INC(lc->cnt, RX_BURSTS);
#ifdef FP_STAGES
			lc->stage[FP_ST_rx] += now - st;
			lc->stage_pkts += n;
#endif
			fp_lcore_rx_burst(lc, pkts, n, now);
			busy_from = now;
#ifdef FP_STAGES
			st = rte_rdtsc();
#endif
		}
		/* The reflections leave first: nothing may sit between their
		 * late T3 and the wire (RFC 5357 §4.2.1: T3 as close as possible
		 * to transmission).  The TAP poll below is a read() system call,
		 * and its deadline has always passed in the iteration that
		 * carries the packets a stall of this CPU held up: before it,
		 * it added its cost to exactly the replies already late
		 * (docs/performance.md, "RTT self-noise"). */
		tx_flush(lc);
#ifdef FP_STAGES
		if (n)
			FP_STAGE_ADD(lc, tx, st);
#endif
		unsigned work = n;
		if (lc->main) {
			/* kernel -> port (ARP/ND replies, ICMP, TWAMP-Control TCP),
			 * on a deadline: a TAP poll is a read() system call, which
			 * once per iteration cost the saturated loop about as much
			 * as a reflection (docs/performance.md) */
			if (now >= next_tap) {
				uint16_t k = fp_exc_from_kernel(fp.exc, lc->tx, FP_BURST, now);
				lc->n_tx = k;
				FP_ADD(lc->cnt, EXC_FROM_KERNEL, k);
				work += k;
				/* more waiting: come back at once */
				next_tap = k == FP_BURST ? now : now + fp.tap_poll_tsc;
			}
			work += sender_tx(lc, now);
		} else if (lc->tx_from_ctl) {
			/* split mode: what the control lcore puts on port 0 (sent
			 * by the flush below) and on the member-link ports */
			unsigned k = rte_ring_sc_dequeue_burst(fp.to_port[0], (void **)lc->tx,
							       FP_BURST, NULL);
			lc->n_tx = (uint16_t)k;
			work += k;
			if (unlikely(fp.n_ports > 1))
				work += ctl_member_tx(lc);
		}
		tx_flush(lc); /* a no-op unless the kernel or control had frames */
		exc_flush(lc);
#ifdef FP_STAGES
		if (n)
			FP_STAGE_ADD(lc, other, st);
#endif
		if (unlikely(fp.n_ports > 1))
			work += lag_ports_poll(lc, pkts);

		if (now >= next_drain) {
			(void)fp_ctl_flush(lc);
			next_drain = now + fp.drain_tsc;
		}
		if (lc->main)
			ctl_periodic(lc, now, &d);
		if (!fp.idle_backoff)
			continue;
		if (work) {
			idle = 0;
			continue;
		}
		idle++;
		if (idle > (uint64_t)fp.idle_spin * 10 && !fp_sender_due_within(now, fp.idle_sleep_us))
			rte_delay_us_sleep(fp.idle_sleep_us);
		else if (idle > fp.idle_spin)
			rte_pause();
	}
	(void)fp_ctl_flush(lc);
	return 0;
}
