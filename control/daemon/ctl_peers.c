/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_peers.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_server.h"

struct peer_ent {
	uint32_t n; /* 0 = empty slot */
	uint8_t family;
	uint8_t addr[16];
};

struct ctl_peers {
	struct peer_ent *e;
	uint32_t mask;
	uint32_t used, max;
};

struct ctl_peers *ctl_peers_new(uint32_t max)
{
	struct ctl_peers *t = calloc(1, sizeof(*t));
	uint32_t size = 16;

	if (!t)
		return NULL;
	/* Load factor at most 1/2 keeps linear probing short. */
	while (size < 2 * (uint64_t)max && size < (1u << 30))
		size <<= 1;
	t->e = calloc(size, sizeof(*t->e));
	if (!t->e) {
		free(t);
		return NULL;
	}
	t->mask = size - 1;
	t->max = max;
	return t;
}

void ctl_peers_free(struct ctl_peers *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

void ctl_peers_key(const struct sockaddr_storage *ss, uint8_t *family, uint8_t addr[16])
{
	*family = ctl_sa_ipvn(ss);
	ctl_sa_bytes(ss, addr);
	/* One IPv6 host gets a whole /64 (RFC 4291 §2.5.1, RFC 7421) and
	 * picks any interface identifier it likes (RFC 8981): per /128 the
	 * per-address limits would not limit anything. */
	if (*family == 6)
		memset(addr + 8, 0, 8);
}

/* FNV-1a over family and address; the peer cannot choose its address
 * freely enough to matter at these table sizes, and a long probe only
 * costs the attacker's own connections' time. */
static uint32_t hash(uint8_t family, const uint8_t addr[16])
{
	uint32_t h = 2166136261u ^ family;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

/* Slot of the address, or of the empty slot where it would go. */
static uint32_t find(const struct ctl_peers *t, uint8_t family, const uint8_t addr[16])
{
	uint32_t i = hash(family, addr) & t->mask;
	while (t->e[i].n && (t->e[i].family != family || memcmp(t->e[i].addr, addr, 16)))
		i = (i + 1) & t->mask;
	return i;
}

uint32_t ctl_peers_inc(struct ctl_peers *t, const struct sockaddr_storage *ss)
{
	uint8_t fam, a[16];
	ctl_peers_key(ss, &fam, a);
	uint32_t i = find(t, fam, a);
	if (!t->e[i].n) {
		if (t->used >= t->max)
			return 0;
		t->e[i].family = fam;
		memcpy(t->e[i].addr, a, 16);
		t->used++;
	}
	return ++t->e[i].n;
}

uint32_t ctl_peers_count(const struct ctl_peers *t, const struct sockaddr_storage *ss)
{
	uint8_t fam, a[16];
	ctl_peers_key(ss, &fam, a);
	return t->e[find(t, fam, a)].n;
}

void ctl_peers_dec(struct ctl_peers *t, const struct sockaddr_storage *ss)
{
	uint8_t fam, a[16];
	ctl_peers_key(ss, &fam, a);
	uint32_t i = find(t, fam, a);
	if (!t->e[i].n || --t->e[i].n)
		return;
	t->used--;
	/* Backward-shift deletion: move later entries of the probe run into
	 * the hole unless their home slot lies (cyclically) after the hole. */
	for (uint32_t j = (i + 1) & t->mask; t->e[j].n; j = (j + 1) & t->mask) {
		uint32_t home = hash(t->e[j].family, t->e[j].addr) & t->mask;
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		t->e[i] = t->e[j];
		t->e[j].n = 0;
		i = j;
	}
}
