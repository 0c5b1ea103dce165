/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_host: this host's UDP drop counters (Linux /proc/net/snmp "Udp:"
 * RcvbufErrors, SndbufErrors and /proc/net/snmp6 Udp6RcvbufErrors,
 * Udp6SndbufErrors), read before and after a measurement so that loss on
 * our own host is reported apart from loss on the network.  Host-wide: any
 * other UDP socket of the host counts too.
 */
#ifndef CLI_HOST_H
#define CLI_HOST_H

#include <stdbool.h>
#include <stdint.h>

struct cli_host_udp {
	uint64_t rcvbuf_errors, sndbuf_errors; /* IPv4 + IPv6 */
};

/* Parse the text of /proc/net/snmp and (may be NULL) /proc/net/snmp6;
 * false if the Udp lines are not there. */
bool cli_host_udp_parse(const char *snmp, const char *snmp6, struct cli_host_udp *out);
/* Read the files; false if unreadable (not Linux, no /proc). */
bool cli_host_udp_read(struct cli_host_udp *out);

/* Whether this twinhop runs from its meson build tree (not installed):
 * then the checkout's bundled files (profiles, YANG modules) are used, so
 * a checkout works as an installed copy does. */
bool cli_host_in_build_tree(void);

#endif
