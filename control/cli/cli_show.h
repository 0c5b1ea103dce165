/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_show: the appliance commands' output for people.  Each function reads
 * one admin-protocol reply or event line (docs/admin-protocol.md) and
 * writes aligned tables or sentences, as ip, bgpctl show and chronyc do;
 * `--json` prints the line itself instead (the stable interface).
 * Replies are read with jansson (a Debian library), not by hand.
 *
 * Each returns 0, or -1 when the line is not the JSON it expects (the
 * caller then prints the raw line).
 */
#ifndef CLI_SHOW_H
#define CLI_SHOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

int cli_show_status(FILE *f, const char *reply);
int cli_show_sessions(FILE *f, const char *reply);
/* show-counters; with fp, show-fp-counters (one column per lcore, counters
 * that are zero on every lcore left out unless all). */
int cli_show_counters(FILE *f, const char *reply, bool fp, bool all);
/* One event line of `sender watch`. */
int cli_show_event(FILE *f, const char *line);

/* A second, with its unit: "1.23 ms", "456 us", "2.00 s". */
void cli_show_dur(char *buf, size_t cap, double ns);

#endif
