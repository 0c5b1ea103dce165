/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "profile": the traffic-profile parser (control/profile,
 * tw_profile_parse_string), which reads operator files and `twinhop bench
 * --profile` arguments, then every accessor on what it accepted.
 *
 * Input: the profile text (not NUL-terminated).
 *
 * Invariants (abort() on violation):
 *  - no read outside the text (ASan: a buffer of exactly its length), no
 *    leak (the profile is freed);
 *  - TW_OK comes with a profile, an error without one;
 *  - every step of an accepted profile has >= 1 size and >= 1 DSCP, DSCPs
 *    0..63, a positive finite rate, an interval >= 1 ns, and its picker
 *    yields only listed sizes and DSCPs;
 *  - printing an accepted profile fits the size the printer reports.
 */
#include <math.h>

#include "fuzz_common.h"

#include "tw_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *t = malloc(size ? size : 1);
	FUZZ_ASSERT(t);
	memcpy(t, data, size);
	struct tw_profile *p = NULL;
	struct tw_profile_error err;
	memset(&err, 0, sizeof(err));
	enum tw_err e = tw_profile_parse_string("fuzz", t, size, &p, &err);
	if (e != TW_OK) {
		FUZZ_ASSERT(p == NULL);
		free(t);
		return 0;
	}
	FUZZ_ASSERT(p != NULL);
	FUZZ_ASSERT(tw_profile_name(p) && tw_profile_description(p));
	size_t n = tw_profile_step_count(p);
	for (size_t i = 0; i < n && i < 64; i++) {
		struct tw_profile_step s;
		FUZZ_ASSERT(tw_profile_step(p, i, &s) == TW_OK);
		FUZZ_ASSERT(s.n_sizes >= 1 && s.n_dscps >= 1);
		FUZZ_ASSERT(isfinite(s.rate_pps) && s.rate_pps > 0);
		FUZZ_ASSERT(s.interval_ns >= 1);
		for (size_t k = 0; k < s.n_dscps; k++)
			FUZZ_ASSERT(s.dscps[k].dscp <= 63);
		for (uint64_t j = 0; j < 64; j++) {
			struct tw_profile_pick pk;
			tw_profile_pick(&s, j, &pk);
			FUZZ_ASSERT(pk.size_idx < s.n_sizes && pk.dscp_idx < s.n_dscps);
			FUZZ_ASSERT(pk.dscp <= 63);
		}
	}
	char buf[8192];
	size_t need = tw_profile_print(p, buf, sizeof(buf));
	if (need < sizeof(buf))
		FUZZ_ASSERT(strlen(buf) == need);
	tw_profile_free(p);
	free(t);
	return 0;
}
