/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_peers: open TWAMP-Control connections per source address, for the
 * per-address connection cap (max-connections-per-address, docs/control.md
 * "Connection limits"); an address is an IPv4 address or an IPv6 /64.  An
 * open-addressing hash table with linear probing and backward-shift
 * deletion: O(1) per accept and close, whatever the number of connections,
 * and no tombstones to clean up.
 */
#ifndef CTL_PEERS_H
#define CTL_PEERS_H

#include <stdint.h>
#include <sys/socket.h>

struct ctl_peers;

/* The key the per-address limits count under: the IPv4 address, or the
 * IPv6 address with its interface identifier (last 64 bits) zeroed. */
void ctl_peers_key(const struct sockaddr_storage *ss, uint8_t *family, uint8_t addr[16]);
/* A table for up to `max` distinct addresses (rounded up internally). */
struct ctl_peers *ctl_peers_new(uint32_t max);
void ctl_peers_free(struct ctl_peers *t);
/* One more connection from ss: the new count, or 0 if the table is full. */
uint32_t ctl_peers_inc(struct ctl_peers *t, const struct sockaddr_storage *ss);
/* One connection from ss closed (no-op for an address not in the table). */
void ctl_peers_dec(struct ctl_peers *t, const struct sockaddr_storage *ss);
/* Open connections from ss now. */
uint32_t ctl_peers_count(const struct ctl_peers *t, const struct sockaddr_storage *ss);

#endif
