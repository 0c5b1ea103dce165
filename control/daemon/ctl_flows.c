/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_flows.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tw_crypto.h"

/* Chained hash of flows, grown by doubling when the load passes 1. */
struct flow_node {
	struct flow_node *next;
	struct tw_ipc_flow k;
};

struct ctl_flows {
	uint8_t *port_used;
	uint32_t refs[65536]; /* flows per port */
	struct flow_node **b;
	size_t nb, n;
	unsigned ports;
	uint64_t seed;
	uint16_t cursor; /* where the search for another port starts */
};

/* Only the fields that identify a flow, MBZ fields zeroed. */
static struct tw_ipc_flow norm(const struct tw_ipc_flow *in)
{
	struct tw_ipc_flow k;
	memset(&k, 0, sizeof(k));
	k.local.family = in->local.family;
	memcpy(k.local.addr, in->local.addr, in->local.family == 4 ? 4 : 16);
	k.peer.family = in->peer.family;
	memcpy(k.peer.addr, in->peer.addr, in->peer.family == 4 ? 4 : 16);
	k.local_port = in->local_port;
	k.peer_port = in->peer_port;
	k.vlan = in->vlan;
	k.port_id = in->port_id;
	return k;
}

/* FNV-1a from a random seed, then a multiply-xorshift finish. */
static size_t hash(const struct ctl_flows *f, const struct tw_ipc_flow *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull ^ f->seed;
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)(h & (f->nb - 1));
}

static struct flow_node **find(struct ctl_flows *f, const struct tw_ipc_flow *k)
{
	struct flow_node **pp = &f->b[hash(f, k)];
	while (*pp && memcmp(&(*pp)->k, k, sizeof(*k)))
		pp = &(*pp)->next;
	return pp;
}

static int grow(struct ctl_flows *f)
{
	size_t nb = f->nb * 2;
	struct flow_node **b = calloc(nb, sizeof(*b));
	if (!b)
		return -1;
	struct flow_node **old = f->b;
	size_t onb = f->nb;
	f->b = b;
	f->nb = nb;
	for (size_t i = 0; i < onb; i++)
		for (struct flow_node *n = old[i], *nx; n; n = nx) {
			nx = n->next;
			size_t h = hash(f, &n->k);
			n->next = b[h];
			b[h] = n;
		}
	free(old);
	return 0;
}

struct ctl_flows *ctl_flows_new(uint8_t port_used[65536])
{
	struct ctl_flows *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->nb = 1024;
	f->b = calloc(f->nb, sizeof(*f->b));
	if (!f->b || tw_crypto_random(&f->seed, sizeof(f->seed)) != TW_OK) {
		free(f->b);
		free(f);
		return NULL;
	}
	f->port_used = port_used;
	return f;
}

void ctl_flows_free(struct ctl_flows *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nb; i++)
		for (struct flow_node *n = f->b[i], *nx; n; n = nx) {
			nx = n->next;
			free(n);
		}
	free(f->b);
	free(f);
}

/* Port p can carry k (with local_port = p): not a listener's, flow free. */
static bool usable(struct ctl_flows *f, struct tw_ipc_flow *k, uint32_t p)
{
	if (f->port_used[p] && !f->refs[p])
		return false; /* an admin Light listener owns the whole port */
	k->local_port = (uint16_t)p;
	return *find(f, k) == NULL;
}

uint16_t ctl_flows_reserve(struct ctl_flows *f, struct tw_ipc_flow *flow, uint16_t wanted,
                           uint16_t lo, uint16_t hi)
{
	struct tw_ipc_flow k = norm(flow);
	uint32_t p = 0;

	if (!lo || lo > hi)
		return 0;
	if (wanted >= lo && wanted <= hi && usable(f, &k, wanted)) {
		p = wanted;
	} else {
		/* A clash (or a port outside the policy): the next port after
		 * the last one picked this way, so picks spread over the range. */
		uint32_t span = (uint32_t)hi - lo + 1;
		uint32_t start = f->cursor >= lo && f->cursor <= hi ? f->cursor : lo;
		for (uint32_t i = 0; i < span && !p; i++) {
			uint32_t c = lo + (start - lo + i) % span;
			if (usable(f, &k, c))
				p = c;
		}
		if (!p)
			return 0;
		f->cursor = (uint16_t)(p == hi ? lo : p + 1);
	}
	if (f->n >= f->nb && grow(f) != 0)
		return 0;
	struct flow_node *n = malloc(sizeof(*n));
	if (!n)
		return 0;
	k.local_port = (uint16_t)p;
	n->k = k;
	struct flow_node **pp = find(f, &k);
	n->next = NULL;
	*pp = n;
	f->n++;
	if (f->refs[p]++ == 0) {
		f->ports++;
		f->port_used[p] = 1;
	}
	flow->local_port = (uint16_t)p;
	return (uint16_t)p;
}

void ctl_flows_release(struct ctl_flows *f, const struct tw_ipc_flow *flow)
{
	struct tw_ipc_flow k = norm(flow);
	struct flow_node **pp = find(f, &k);
	struct flow_node *n = *pp;

	if (!n)
		return;
	*pp = n->next;
	free(n);
	f->n--;
	if (--f->refs[k.local_port] == 0) {
		f->ports--;
		f->port_used[k.local_port] = 0;
	}
}

size_t ctl_flows_count(const struct ctl_flows *f)
{
	return f->n;
}

unsigned ctl_flows_ports(const struct ctl_flows *f)
{
	return f->ports;
}
