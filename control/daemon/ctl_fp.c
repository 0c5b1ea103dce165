/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_fp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_log.h"
#include "ctl_loop.h"
#include "tw_ring.h"

/* While detached: one attach a tenth of a second.  A failed attach is one
 * shm_open (no region) or five syscalls (a region not ready yet), and the
 * fast path's test sessions wait for it (twinhopd programs them again on
 * attach): until then their packets go to the kernel. */
#define FP_ATTACH_EVERY_MS CTL_FP_ATTACH_EVERY_MS
/* The fast path beats at least every 100 ms (tw_ring.h fp_heartbeat_ns): a
 * heartbeat that stood still this long makes us ask, every
 * FP_ATTACH_EVERY_MS, whether a new fast path has replaced the region. */
#define FP_HB_STALE_MS     300u
#define FP_ATTACH_SOON_MS  5u    /* the region exists, not ready yet ... */
#define FP_ATTACH_SOON_FOR 1000u /* ... for at most this long (a creator that died half-way) */
#define FP_ATTACH_LOG_MS   60000u /* a repeated attach failure: at most one line a minute */
#define FP_MAX_PENDING     4096u
#define FP_DEL_RETRY_MS    1000u /* SESSION_DEL unanswered: ask again this much later */

struct fp_pending {
	uint32_t req;
	uint16_t type;
	ctl_fp_reply_cb cb;
	void *arg;
	uint64_t deadline;
};

/* A deferred SESSION_DEL: a min-heap on `at`, grown as needed (the number
 * is bounded by the sessions the quotas allow, never by a fixed table). */
struct fp_del {
	uint64_t at;
	uint32_t session;
	ctl_fp_del_cb cb;
	void *arg;
};

struct ctl_fp {
	char region[TW_RING_NAME_MAX];
	uint64_t timeout_ms;
	uint32_t grace_ms;
	struct ctl_fp_hooks hk;
	struct tw_ring *ring;
	uint64_t next_attach;
	uint32_t next_req;
	struct fp_pending pend[FP_MAX_PENDING];
	unsigned n_pend;
	struct fp_del *del;
	size_t n_del, cap_del;
	size_t n_del_flight; /* SESSION_DELs sent, not yet answered */
	/* Failed attaches: every reason is logged, a repeated one at most
	 * once per FP_ATTACH_LOG_MS with the count since (issue 8 §6b). */
	char last_why[TW_RING_WHY_MAX];
	uint64_t last_log_ms;
	unsigned fails_unlogged;
	/* Heartbeat age is measured on our own clock, from when the value last
	 * changed: the fast path counts in its own (TSC) nanoseconds, which
	 * cannot be compared with our CLOCK_MONOTONIC. */
	uint64_t hb_seen, hb_changed_ms;
	uint64_t next_replaced_check;
	uint64_t not_ready_since; /* first of a run of EAGAIN attaches, 0 = none */
	struct ctl_fp_stats st;
	_Alignas(16) uint8_t buf[TW_IPC_MSG_MAX];
};

struct ctl_fp *ctl_fp_new(const char *region, uint64_t timeout_ms, uint32_t grace_ms,
                          const struct ctl_fp_hooks *hk)
{
	struct ctl_fp *fp = calloc(1, sizeof(*fp));

	if (!fp)
		return NULL;
	snprintf(fp->region, sizeof(fp->region), "%s", region);
	fp->timeout_ms = timeout_ms;
	fp->grace_ms = grace_ms;
	fp->hk = *hk;
	fp->next_req = 1;
	return fp;
}

static void del_reply(void *arg, uint32_t req, enum tw_err err, const struct tw_ipc_hdr *h,
                      const void *payload);
static struct fp_del del_pop(struct ctl_fp *fp);

void ctl_fp_free(struct ctl_fp *fp)
{
	if (!fp)
		return;
	/* Complete every delete (its owner releases what it holds). */
	for (unsigned i = 0; i < fp->n_pend; i++)
		if (fp->pend[i].cb == del_reply)
			del_reply(fp->pend[i].arg, fp->pend[i].req, TW_E_SYS, NULL, NULL);
	while (fp->n_del) {
		struct fp_del d = del_pop(fp);
		d.cb(d.arg, d.session, TW_E_SYS);
	}
	if (fp->ring)
		tw_ring_detach(fp->ring);
	free(fp->del);
	free(fp);
}

uint64_t ctl_fp_heartbeat_age_ms(const struct ctl_fp *fp, uint64_t now_ms)
{
	return fp->ring && now_ms > fp->hb_changed_ms ? now_ms - fp->hb_changed_ms : 0;
}

bool ctl_fp_attached(const struct ctl_fp *fp)
{
	return fp->ring != NULL;
}
uint64_t ctl_fp_next_attach(const struct ctl_fp *fp)
{
	return fp->next_attach;
}
struct tw_ring *ctl_fp_ring(struct ctl_fp *fp)
{
	return fp->ring;
}
const char *ctl_fp_region(const struct ctl_fp *fp)
{
	return fp->region;
}
const char *ctl_fp_attach_error(const struct ctl_fp *fp)
{
	return fp->ring ? "" : fp->last_why;
}
void ctl_fp_set_grace(struct ctl_fp *fp, uint32_t grace_ms)
{
	fp->grace_ms = grace_ms;
}

void ctl_fp_stats(const struct ctl_fp *fp, struct ctl_fp_stats *st)
{
	*st = fp->st;
	st->grace_ms = fp->grace_ms;
	st->pending = fp->n_pend;
	st->cmd_ring_used = st->evt_ring_used = 0;
	if (!fp->ring)
		return;
	struct tw_ring_qstats q;
	tw_ring_qstats(tw_ring_cmd(fp->ring), &q);
	st->cmd_ring_used = q.used;
	for (unsigned i = 0; i < tw_ring_n_evt(fp->ring); i++) {
		tw_ring_qstats(tw_ring_evt(fp->ring, i), &q);
		st->evt_ring_used += q.used;
	}
}

static bool enqueue(struct ctl_fp *fp, uint16_t type, uint32_t id, const void *payload,
                    uint32_t len)
{
	struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = type, .id = id, .length = len};
	enum tw_err rc = tw_ring_enqueue(tw_ring_cmd(fp->ring), &h, payload);

	if (rc != TW_OK) {
		fp->st.send_fail++;
		log_warnx("fast path: cannot enqueue %s: %s", tw_ipc_type_name(type),
		          tw_strerror(rc));
		return false;
	}
	fp->st.sent++;
	return true;
}

static void fail_all(struct ctl_fp *fp, enum tw_err err)
{
	/* Callbacks may send again; take the list first. */
	unsigned n = fp->n_pend;
	struct fp_pending *copy = malloc(n * sizeof(*copy) + 1);
	if (!copy)
		return;
	memcpy(copy, fp->pend, n * sizeof(*copy));
	fp->n_pend = 0;
	for (unsigned i = 0; i < n; i++)
		if (copy[i].cb)
			copy[i].cb(copy[i].arg, copy[i].req, err, NULL, NULL);
	free(copy);
}

static void detach(struct ctl_fp *fp, const char *why)
{
	log_warnx("fast path %s: detached (%s)", fp->region, why);
	tw_ring_detach(fp->ring);
	fp->ring = NULL;
	fp->hb_changed_ms = 0;
	fail_all(fp, TW_E_SYS);
	if (fp->hk.detached)
		fp->hk.detached(fp->hk.arg);
}

static void try_attach(struct ctl_fp *fp, uint64_t now_ms)
{
	char why[TW_RING_WHY_MAX];

	if (now_ms < fp->next_attach)
		return;
	fp->next_attach = now_ms + FP_ATTACH_EVERY_MS;
	if (tw_ring_attach(fp->region, 0, &fp->ring, why, sizeof(why)) != TW_OK) {
		fp->ring = NULL;
		/* A region being made (EAGAIN: too short, or not READY yet) is
		 * milliseconds from ready: look again soon, for a while. */
		if (errno != EAGAIN)
			fp->not_ready_since = 0;
		else if (!fp->not_ready_since)
			fp->not_ready_since = now_ms;
		if (fp->not_ready_since && now_ms - fp->not_ready_since < FP_ATTACH_SOON_FOR)
			fp->next_attach = now_ms + FP_ATTACH_SOON_MS;
		bool same = strcmp(why, fp->last_why) == 0;
		if (same && now_ms - fp->last_log_ms < FP_ATTACH_LOG_MS) {
			fp->fails_unlogged++;
			return;
		}
		if (fp->fails_unlogged)
			log_info("fast path %s not attached: %s (retrying every %u ms; %u more "
			         "failed attach(es) not logged)",
			         fp->region, why, FP_ATTACH_EVERY_MS, fp->fails_unlogged);
		else
			log_info("fast path %s not attached: %s (retrying every %u ms)", fp->region,
			         why, FP_ATTACH_EVERY_MS);
		snprintf(fp->last_why, sizeof(fp->last_why), "%s", why);
		fp->last_log_ms = now_ms;
		fp->fails_unlogged = 0;
		return;
	}
	fp->last_why[0] = '\0';
	fp->fails_unlogged = 0;
	fp->not_ready_since = 0;
	fp->st.attaches++;
	/* A restarted control plane owns no session: RESET (tw_ipc.h HELLO). */
	/* grace_ms: the fast path drops our sessions if we stop (kill -9)
	 * and our heartbeat (every poll, ctl_fp_poll) stays still that long. */
	struct tw_ipc_hello hello = {.ctl_pid = (uint32_t)getpid(),
	                             .flags = TW_IPC_HELLO_F_RESET,
	                             .ipc_version = TW_IPC_VERSION,
	                             .grace_ms = fp->grace_ms};
	snprintf(hello.name, sizeof(hello.name), "twinhopd");
	tw_ring_ctl_heartbeat(fp->ring, now_ms * 1000000u);
	enqueue(fp, TW_IPC_HELLO, fp->next_req++, &hello, sizeof(hello));
	log_info("fast path %s attached (pid %u)", fp->region,
	         tw_ring_super(fp->ring)->creator_pid);
	if (fp->hk.attached)
		fp->hk.attached(fp->hk.arg);
}

static void dispatch(struct ctl_fp *fp, const struct tw_ipc_hdr *h, const void *payload)
{
	if (h->type == TW_IPC_ACK || h->type == TW_IPC_NACK) {
		struct tw_ipc_ack ack;
		memcpy(&ack, payload, sizeof(ack));
		if (h->type == TW_IPC_ACK)
			fp->st.acks++;
		else
			fp->st.nacks++;
		for (unsigned i = 0; i < fp->n_pend; i++) {
			if (fp->pend[i].req != h->id)
				continue;
			struct fp_pending p = fp->pend[i];
			fp->pend[i] = fp->pend[--fp->n_pend];
			enum tw_err err = h->type == TW_IPC_ACK              ? TW_E_OK
			                  : ack.err && ack.err < TW_E__COUNT ? (enum tw_err)ack.err
			                                                     : TW_E_FIELD;
			if (p.cb)
				p.cb(p.arg, p.req, err, h, payload);
			return;
		}
		return; /* late or for a HELLO/STOP nobody waits for */
	}
	if (h->type == TW_IPC_HELLO_REPLY) {
		struct tw_ipc_hello_reply hr;
		memcpy(&hr, payload, sizeof(hr));
		fp->st.tsc_hz = hr.tsc_hz;
		fp->st.ip_mtu = hr.ip_mtu;
		fp->st.member_link = (hr.caps & TW_IPC_CAP_MICRO) ? hr.member_link : 0;
		for (unsigned i = 0; i < TW_IPC_MEMBER_LINKS; i++)
			fp->st.member_links[i] =
			    (hr.caps & TW_IPC_CAP_MICRO) && i < hr.n_ports ? hr.member_links[i] : 0;
		return;
	}
	if (h->id && (h->type == TW_IPC_STATS || h->type == TW_IPC_COUNTERS)) {
		for (unsigned i = 0; i < fp->n_pend; i++) {
			if (fp->pend[i].req != h->id)
				continue;
			struct fp_pending p = fp->pend[i];
			if (!(h->flags & TW_IPC_F_MORE))
				fp->pend[i] = fp->pend[--fp->n_pend];
			if (p.cb)
				p.cb(p.arg, p.req, TW_E_OK, h, payload);
			return;
		}
	}
	fp->st.events++;
	if (fp->hk.event)
		fp->hk.event(fp->hk.arg, h, payload);
}

/* ---- deferred deletes ---------------------------------------------------------------- */

static void del_swap(struct fp_del *a, struct fp_del *b)
{
	struct fp_del t = *a;
	*a = *b;
	*b = t;
}

static int del_push(struct ctl_fp *fp, const struct fp_del *d)
{
	if (fp->n_del == fp->cap_del) {
		size_t cap = fp->cap_del ? 2 * fp->cap_del : 256;
		struct fp_del *n = realloc(fp->del, cap * sizeof(*n));
		if (!n)
			return -1;
		fp->del = n;
		fp->cap_del = cap;
	}
	size_t i = fp->n_del++;
	fp->del[i] = *d;
	while (i && fp->del[(i - 1) / 2].at > fp->del[i].at) {
		del_swap(&fp->del[(i - 1) / 2], &fp->del[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct fp_del del_pop(struct ctl_fp *fp)
{
	struct fp_del top = fp->del[0];
	fp->del[0] = fp->del[--fp->n_del];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < fp->n_del && fp->del[l].at < fp->del[m].at)
			m = l;
		if (r < fp->n_del && fp->del[r].at < fp->del[m].at)
			m = r;
		if (m == i)
			break;
		del_swap(&fp->del[i], &fp->del[m]);
		i = m;
	}
	return top;
}

struct del_flight {
	struct ctl_fp *fp;
	struct fp_del d;
};

static void del_reply(void *arg, uint32_t req, enum tw_err err, const struct tw_ipc_hdr *h,
                      const void *payload)
{
	struct del_flight *f = arg;
	struct ctl_fp *fp = f->fp;
	(void)req;
	(void)h;
	(void)payload;
	fp->n_del_flight--;
	if (err == TW_E_EMPTY && fp->ring) {
		/* No answer: the session may still be there; ask again. */
		f->d.at = ctl_now_ms() + FP_DEL_RETRY_MS;
		if (del_push(fp, &f->d) == 0) {
			free(f);
			return;
		}
	}
	/* ACK; NACK (no such session: already gone); or the fast path is gone
	 * and takes every session with it (it RESETs at the next HELLO). */
	f->d.cb(f->d.arg, f->d.session, err);
	free(f);
}

/* Due deletes; when detached, every delete completes at once. */
static void del_run(struct ctl_fp *fp, uint64_t now_ms)
{
	while (fp->n_del && (!fp->ring || fp->del[0].at <= now_ms)) {
		if (!fp->ring) {
			struct fp_del d = del_pop(fp);
			d.cb(d.arg, d.session, TW_E_SYS);
			continue;
		}
		struct del_flight *f = malloc(sizeof(*f));
		if (!f)
			return; /* retry at the next poll */
		f->fp = fp;
		f->d = fp->del[0];
		struct tw_ipc_session_ctl sc = {.session = f->d.session};
		if (!ctl_fp_send(fp, TW_IPC_SESSION_DEL, &sc, sizeof(sc), del_reply, f, now_ms)) {
			free(f); /* ring or request table full: next poll */
			return;
		}
		(void)del_pop(fp);
		fp->n_del_flight++;
	}
}

size_t ctl_fp_del_pending(const struct ctl_fp *fp)
{
	return fp->n_del + fp->n_del_flight;
}

void ctl_fp_poll(struct ctl_fp *fp, uint64_t now_ms)
{
	if (!fp->ring) {
		try_attach(fp, now_ms);
		if (!fp->ring) {
			del_run(fp, now_ms);
			return;
		}
	}
	if (!tw_ring_live(fp->ring)) {
		detach(fp, "fast path gone");
		return;
	}
	if (!tw_ring_ctl_owned(fp->ring)) {
		/* The fast path deemed us dead (our heartbeat stood still for
		 * grace_ms: a stall, a stopped process) and removed our sessions:
		 * attach again, RESET and program what must live on. */
		fp->st.lost++;
		detach(fp, "the fast path released our claim after our heartbeat stood still "
		           "for fp-grace; attaching again");
		fp->next_attach = 0;
		return;
	}
	tw_ring_ctl_heartbeat(fp->ring, now_ms * 1000000u);
	uint64_t hb = atomic_load_explicit(
	    &((struct tw_ring_super *)tw_ring_super(fp->ring))->fp_heartbeat_ns,
	    memory_order_relaxed);
	if (hb != fp->hb_seen || !fp->hb_changed_ms) {
		fp->hb_seen = hb;
		fp->hb_changed_ms = now_ms;
	}
	/* A killed fast path stays alive to tw_ring_live() while it is a
	 * zombie, for as long as its parent takes to reap it (1.6 s seen under
	 * a slow init), and its successor may be running already.  Its region
	 * says so: the name now names the successor's. */
	if (now_ms - fp->hb_changed_ms >= FP_HB_STALE_MS && now_ms >= fp->next_replaced_check) {
		fp->next_replaced_check = now_ms + FP_ATTACH_EVERY_MS;
		if (tw_ring_replaced(fp->ring)) {
			char why[96];
			snprintf(why, sizeof(why),
			         "its heartbeat stopped %llu ms ago and a new fast path has "
			         "replaced the region",
			         (unsigned long long)(now_ms - fp->hb_changed_ms));
			detach(fp, why);
			fp->next_attach = 0;
			return;
		}
	}
	for (unsigned i = 0; i < tw_ring_n_evt(fp->ring); i++) {
		struct tw_ring_q *q = tw_ring_evt(fp->ring, i);
		for (unsigned n = 0; n < 4096; n++) {
			struct tw_ipc_hdr h;
			enum tw_err rc = tw_ring_dequeue(q, &h, fp->buf, sizeof(fp->buf));
			if (rc == TW_E_EMPTY)
				break;
			if (rc != TW_OK || tw_ipc_check(&h, fp->buf, TW_IPC_DIR_EVT) != TW_OK) {
				fp->st.malformed++;
				continue;
			}
			dispatch(fp, &h, fp->buf);
			if (!fp->ring)
				return;
		}
	}
	/* Expire requests (the FSM has its own, shorter deadline). */
	for (unsigned i = 0; i < fp->n_pend;) {
		if (now_ms < fp->pend[i].deadline) {
			i++;
			continue;
		}
		struct fp_pending p = fp->pend[i];
		fp->pend[i] = fp->pend[--fp->n_pend];
		fp->st.timeouts++;
		if (p.cb)
			p.cb(p.arg, p.req, TW_E_EMPTY, NULL, NULL);
	}
	del_run(fp, now_ms);
	if (!fp->next_req)
		fp->next_req = 1;
}

uint32_t ctl_fp_send(struct ctl_fp *fp, uint16_t type, const void *payload, uint32_t len,
                     ctl_fp_reply_cb cb, void *arg, uint64_t now_ms)
{
	if (!fp->ring || fp->n_pend == FP_MAX_PENDING)
		return 0;
	uint32_t id = fp->next_req++;
	if (!fp->next_req)
		fp->next_req = 1;
	if (!enqueue(fp, type, id, payload, len))
		return 0;
	fp->pend[fp->n_pend++] = (struct fp_pending){id, type, cb, arg, now_ms + fp->timeout_ms};
	return id;
}

void ctl_fp_cancel(struct ctl_fp *fp, void *arg)
{
	for (unsigned i = 0; i < fp->n_pend; i++)
		if (fp->pend[i].arg == arg)
			fp->pend[i].cb = NULL;
}

void ctl_fp_del_at(struct ctl_fp *fp, uint32_t session, uint64_t at_ms, ctl_fp_del_cb cb, void *arg)
{
	struct fp_del d = {at_ms, session, cb, arg};
	if (del_push(fp, &d) != 0) {
		/* Out of memory: delete now rather than keep anything forever. */
		log_err("fast path: out of memory for a deferred delete: session %u now", session);
		struct tw_ipc_session_ctl sc = {.session = session};
		if (fp->ring)
			(void)enqueue(fp, TW_IPC_SESSION_DEL, fp->next_req++, &sc, sizeof(sc));
		cb(arg, session, TW_E_NOSPACE);
	}
}
