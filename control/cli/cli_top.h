/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_top: `twinhop top`, a live view of the appliance in plain ANSI (no
 * curses), like htop for twinhopd: every --interval seconds it asks the
 * admin socket for show-status, show-sessions and show-fp-counters and
 * redraws sessions (rates, loss, RTT p50/p99) and lcores (busy share from
 * BUSY_CYCLES and the TSC rate, cycles per packet, packets per burst).
 */
#ifndef CLI_TOP_H
#define CLI_TOP_H

#include <signal.h>

/* argv[0] is "top"; returns the exit status. */
int cli_top(int argc, char **argv, const char *admin_path, volatile sig_atomic_t *stop);

#endif
