/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared CUnit scaffolding for the unit tests.
 *
 * Each test program registers its suites and calls tw_unit_main(), which
 * runs them and prints one machine-readable line
 *     TWRESULT <program> <tests passed> <tests failed>
 * that tools/test-summary.py adds up across every suite and build.
 */
#ifndef TW_UNIT_H
#define TW_UNIT_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

struct tw_unit_case {
	const char *name;
	void (*fn)(void);
};

/* Register a suite from a NULL-terminated case table. */
static inline int tw_unit_suite(const char *name, const struct tw_unit_case *cases)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);
	if (!s)
		return -1;
	for (; cases->name; cases++)
		if (!CU_add_test(s, cases->name, cases->fn))
			return -1;
	return 0;
}

static inline int tw_unit_run(const char *prog)
{
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned ran = CU_get_number_of_tests_run();
	unsigned failed = CU_get_number_of_tests_failed();
	unsigned failures = CU_get_number_of_failures();
	printf("\nTWRESULT %s %u %u\n", prog, ran - failed, failed);
	CU_cleanup_registry();
	return (failed || failures) ? 1 : 0;
}

/* Compare two byte strings and report the first difference on failure. */
#define TW_ASSERT_BYTES(got, want, n)                                                       \
	do {                                                                               \
		const unsigned char *g_ = (const unsigned char *)(got);                    \
		const unsigned char *w_ = (const unsigned char *)(want);                   \
		size_t n_ = (n), i_;                                                       \
		for (i_ = 0; i_ < n_ && g_[i_] == w_[i_]; i_++)                            \
			;                                                                  \
		if (i_ < n_)                                                               \
			printf("\n  bytes differ at %zu: got %02x want %02x\n", i_, g_[i_], \
			       w_[i_]);                                                    \
		CU_ASSERT_EQUAL(i_, n_);                                                   \
	} while (0)

/* Parse a hex string (spaces ignored) into out; returns octets written. */
static inline size_t tw_unit_hex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *hex; hex++) {
		int v;
		char c = *hex;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				out[n] = (unsigned char)(hi << 4 | v);
			n++;
			hi = -1;
		}
	}
	return n;
}

#endif
