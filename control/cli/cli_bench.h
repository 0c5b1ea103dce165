/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_bench: `twinhop bench PROFILE TARGET` runs a traffic profile
 * (control/profile, docs/profiles.md) step by step and reports per step the
 * rate requested and achieved, packets sent/received, loss and RTT
 * percentiles, as a text table or JSON {"profile":..., "steps":[...]}, and
 * with --html as a page with the same table and a chart per quantity.
 */
#ifndef CLI_BENCH_H
#define CLI_BENCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_run.h"

struct cli_bench_args {
	const char *profile;      /* path, or a name looked up in the profile directories */
	const char *profiles_dir; /* --profiles-dir, may be NULL */
	struct cli_conn conn;     /* target, control options (modes are set per step) */
	const char *engine, *admin;
	bool json, quiet;
	const char *html; /* --html FILE: a page with the step table and charts, or NULL */
	int64_t loss_timeout_ns;
	uint16_t sender_port; /* first local port, 0 = any */
	const uint8_t *stamp_key;
	size_t stamp_key_len;
};

/* Exit status: 0, 1 failure, 2 usage (bad profile). */
int cli_bench(const struct cli_bench_args *a, volatile sig_atomic_t *stop);

/* Resolve PROFILE: an existing path as is; else NAME or NAME.profile in
 * dir (if not NULL), $TWINHOP_PROFILES, then the installed directory.
 * 0 with out filled, -1 if not found. */
int cli_bench_resolve(const char *profile, const char *dir, char *out, size_t cap);

#endif
