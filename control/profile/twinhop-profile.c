/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhop-profile: check, print and expand traffic profiles (docs/profiles.md).
 *
 *   twinhop-profile check FILE...   validate; one line per file, then
 *                                    "TWRESULT profile-check <passed> <failed>"
 *   twinhop-profile show FILE       print the canonical form
 *   twinhop-profile steps FILE      print the expanded steps, one per line
 *
 * Exit status: 0 all good, 1 a profile is invalid, 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "tw_profile.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: twinhop-profile check FILE...\n"
	           "       twinhop-profile show FILE\n"
	           "       twinhop-profile steps FILE\n");
}

static struct tw_profile *load(const char *path)
{
	struct tw_profile *p;
	struct tw_profile_error err;
	if (tw_profile_parse_file(path, &p, &err) != TW_OK) {
		fprintf(stderr, "%s\n", err.text);
		return NULL;
	}
	return p;
}

static int cmd_check(int argc, char **argv)
{
	unsigned ok = 0, bad = 0;
	for (int i = 0; i < argc; i++) {
		struct tw_profile *p = load(argv[i]);
		if (!p) {
			printf("%s: FAILED\n", argv[i]);
			bad++;
			continue;
		}
		printf("%s: ok (%s, %zu step%s)\n", argv[i], tw_profile_name(p),
		       tw_profile_step_count(p), tw_profile_step_count(p) == 1 ? "" : "s");
		tw_profile_free(p);
		ok++;
	}
	printf("TWRESULT profile-check %u %u\n", ok, bad);
	return bad ? 1 : 0;
}

static int cmd_show(const char *path)
{
	struct tw_profile *p = load(path);
	if (!p)
		return 1;
	int rc = tw_profile_fprint(p, stdout) ? 1 : 0;
	tw_profile_free(p);
	return rc;
}

static int cmd_steps(const char *path)
{
	struct tw_profile *p = load(path);
	if (!p)
		return 1;
	printf("# %s: %s\n", tw_profile_name(p), tw_profile_description(p));
	printf("%-4s %-22s %-10s %-8s %-4s %12s %12s %10s %10s %9s %6s %s\n", "step", "name",
	       "mode", "schedule", "ip", "rate_pps", "interval_ns", "l1_Mbps", "duration", "warmup",
	       "count", "sizes frame/udp/pad:weight  dscp:weight");
	for (size_t i = 0; i < tw_profile_step_count(p); i++) {
		struct tw_profile_step s;
		char db[8];
		tw_profile_step(p, i, &s);
		printf("%-4u %-22s %-10s %-8s v%-3u %12.3f %12llu %10.3f %9.3fs %8.3fs %6llu ",
		       s.index, s.name, s.mode_name,
		       s.sched == TW_IPC_SCHED_POISSON ? "poisson" : "periodic", s.ipver,
		       s.rate_pps, (unsigned long long)s.interval_ns, s.l1_bps / 1e6,
		       (double)s.duration_ns / 1e9, (double)s.warmup_ns / 1e9,
		       (unsigned long long)s.count);
		for (size_t k = 0; k < s.n_sizes; k++)
			printf("%s%u/%u/%u:%u", k ? "," : "", s.sizes[k].frame_len,
			       s.sizes[k].udp_len, s.sizes[k].padding_len, s.sizes[k].weight);
		printf("  ");
		for (size_t k = 0; k < s.n_dscps; k++)
			printf("%s%s:%u", k ? "," : "", tw_profile_dscp_str(s.dscps[k].dscp, db),
			       s.dscps[k].weight);
		printf("\n");
	}
	tw_profile_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "check"))
		return cmd_check(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "show"))
		return cmd_show(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "steps"))
		return cmd_steps(argv[2]);
	usage(stderr);
	return 2;
}
