/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_live.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_daemon.h"

#define LIVE_MAX 8192u /* sessions whose STATS are kept (power of two) */

struct live_ent {
	uint32_t session;
	uint32_t gen; /* poll that last reported it */
	uint64_t at_ms;
	struct tw_ipc_stats s;
};

struct ctl_live {
	struct ctl_daemon *d;
	uint64_t next_poll;
	bool polling;
	uint32_t gen;
	struct live_ent *ent;
	unsigned n_ent;
	int32_t idx[LIVE_MAX * 2]; /* open addressing over ent[]; -1 empty */
};

static unsigned live_hash(uint32_t s)
{
	return (s * 2654435761u) & (LIVE_MAX * 2 - 1);
}

static void live_reindex(struct ctl_live *l)
{
	for (unsigned i = 0; i < LIVE_MAX * 2; i++)
		l->idx[i] = -1;
	for (unsigned i = 0; i < l->n_ent; i++) {
		unsigned h = live_hash(l->ent[i].session);
		while (l->idx[h] >= 0)
			h = (h + 1) & (LIVE_MAX * 2 - 1);
		l->idx[h] = (int32_t)i;
	}
}

static struct live_ent *live_find(const struct ctl_live *l, uint32_t session)
{
	for (unsigned h = live_hash(session);; h = (h + 1) & (LIVE_MAX * 2 - 1)) {
		int32_t i = l->idx[h];
		if (i < 0)
			return NULL;
		if (l->ent[i].session == session)
			return &l->ent[i];
	}
}

static void live_put(struct ctl_live *l, const struct tw_ipc_stats *s, uint64_t now)
{
	struct live_ent *e = live_find(l, s->session);
	if (!e) {
		if (l->n_ent == LIVE_MAX)
			return;
		e = &l->ent[l->n_ent];
		unsigned h = live_hash(s->session);
		while (l->idx[h] >= 0)
			h = (h + 1) & (LIVE_MAX * 2 - 1);
		l->idx[h] = (int32_t)l->n_ent++;
	}
	e->session = s->session;
	e->gen = l->gen;
	e->at_ms = now;
	e->s = *s;
}

/* A complete poll: forget sessions it did not report. */
static void live_sweep(struct ctl_live *l, bool all)
{
	unsigned k = 0;
	for (unsigned i = 0; i < l->n_ent; i++)
		if (!all && l->ent[i].gen == l->gen)
			l->ent[k++] = l->ent[i];
	if (k != l->n_ent) {
		l->n_ent = k;
		live_reindex(l);
	}
}

const struct tw_ipc_stats *ctl_live_get(const struct ctl_live *l, uint32_t session,
                                        uint64_t *age_ms)
{
	if (!l)
		return NULL;
	const struct live_ent *e = live_find(l, session);
	if (!e)
		return NULL;
	uint64_t now = ctl_now_ms();
	if (age_ms)
		*age_ms = now > e->at_ms ? now - e->at_ms : 0;
	return &e->s;
}

static void stats_reply(void *arg, uint32_t req, enum tw_err err, const struct tw_ipc_hdr *h,
                        const void *payload)
{
	struct ctl_live *l = arg;
	(void)req;

	if (err != TW_E_OK || !h) {
		l->d->cnt.c[CTL_CNT_STATS_FAILED]++;
		l->polling = false;
		return;
	}
	if (h->type == TW_IPC_STATS) {
		struct tw_ipc_stats s;
		memcpy(&s, payload, sizeof(s));
		live_put(l, &s, ctl_now_ms());
		if (h->flags & TW_IPC_F_MORE)
			return;
	}
	/* last STATS, or the ACK for "no session at all" */
	live_sweep(l, false);
	l->polling = false;
}

void ctl_live_poll(struct ctl_live *l, uint64_t now)
{
	struct ctl_daemon *d;

	if (!l)
		return;
	d = l->d;
	if (!ctl_fp_attached(d->fp)) {
		if (l->n_ent)
			live_sweep(l, true); /* session ids die with the fast path */
		return;
	}
	if (!d->conf.stats_interval_ms || l->polling || now < l->next_poll)
		return;
	l->next_poll = now + d->conf.stats_interval_ms;
	struct tw_ipc_stats_request rq = {.session = 0};
	l->gen++;
	if (!ctl_fp_send(d->fp, TW_IPC_STATS_REQUEST, &rq, sizeof(rq), stats_reply, l, now)) {
		d->cnt.c[CTL_CNT_STATS_FAILED]++;
		return;
	}
	l->polling = true;
}

uint64_t ctl_live_deadline(const struct ctl_live *l)
{
	/* Detached: no poll is due until the fast path is back (the loop's own
	 * attach retry wakes it).  ctl_live_poll() does not move next_poll
	 * then, so returning it made the loop spin at 100 % of a CPU whenever
	 * twinhopd ran without its fast path. */
	if (!l || !l->d->conf.stats_interval_ms || l->polling || !ctl_fp_attached(l->d->fp))
		return UINT64_MAX;
	return l->next_poll;
}

struct ctl_live *ctl_live_new(struct ctl_daemon *d)
{
	struct ctl_live *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->d = d;
	l->ent = calloc(LIVE_MAX, sizeof(*l->ent));
	if (!l->ent) {
		free(l);
		return NULL;
	}
	live_reindex(l);
	return l;
}

void ctl_live_free(struct ctl_live *l)
{
	if (!l)
		return;
	ctl_fp_cancel(l->d->fp, l);
	free(l->ent);
	free(l);
}
