/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The end of a test program that ran DPDK's EAL in-process (tests/system
 * test_fp_*): rte_eal_cleanup() leaves the run-time directory
 * (/var/run/dpdk/<file-prefix>, with its config file) behind, one per run
 * and per unique --file-prefix.  This removes it too: the prefix is the
 * test's own (it carries the pid), so nothing in it is anyone else's.
 */
#ifndef TWT_EAL_H
#define TWT_EAL_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

static inline void twt_eal_cleanup(void)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char f[PATH_MAX];
		if (snprintf(f, sizeof(f), "%s/%s", dir, e->d_name) < (int)sizeof(f))
			(void)unlink(f);
	}
	closedir(d);
	if (rmdir(dir) != 0)
		fprintf(stderr, "note: %s left behind\n", dir);
}

#endif
