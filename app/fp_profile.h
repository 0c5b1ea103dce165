/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_profile: one driver profile (drivers-config/<driver>.conf).
 *
 * A profile is a key=value file, '#' comments, one setting per line.  It says
 * how to create the port (vdev or PCI allow-list template with ${var}
 * placeholders filled from --pvar), how many queues and descriptors, which
 * offloads to ask for, and where Rx timestamps come from.  Offloads and the
 * hardware timestamp are requests: fp_port keeps only what the device
 * reports as capable and falls back to software/TSC otherwise.
 */
#ifndef FP_PROFILE_H
#define FP_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#define FP_PROFILE_STR 512
#define FP_PROFILE_MAX_VARS 16

enum fp_ts_mode {
	FP_TS_TSC,	   /* one TSC read per Rx burst */
	FP_TS_HW_DYNFIELD, /* RTE_ETH_RX_OFFLOAD_TIMESTAMP, mbuf dynamic field */
};

struct fp_profile {
	char path[FP_PROFILE_STR];
	char driver[64];
	char vdev[FP_PROFILE_STR];  /* expanded --vdev argument, or "" */
	char allow[FP_PROFILE_STR]; /* expanded -a argument, or "" */
	uint16_t rx_queues, tx_queues;
	uint16_t rx_desc, tx_desc;
	uint16_t mtu;
	char rx_offloads[FP_PROFILE_STR]; /* comma list of offload names */
	char tx_offloads[FP_PROFILE_STR];
	char rss[128];			  /* comma list: ip,udp,tcp */
	enum fp_ts_mode ts_mode;
	bool promisc;
	char notes[FP_PROFILE_STR];
};

/* Template variables given with --pvar key=value. */
struct fp_profile_vars {
	unsigned n;
	char key[FP_PROFILE_MAX_VARS][32];
	char val[FP_PROFILE_MAX_VARS][256];
};

/* Add "key=value" to vars; -1 on syntax error or overflow. */
int fp_profile_var_add(struct fp_profile_vars *v, const char *kv);
/* Parse a profile file; on error returns -1 and writes a message to err. */
int fp_profile_load(struct fp_profile *p, const char *path, const struct fp_profile_vars *v,
		    char *err, unsigned errlen);
const char *fp_ts_mode_name(enum fp_ts_mode m);

#endif
