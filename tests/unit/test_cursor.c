/* SPDX-License-Identifier: BSD-3-Clause */
#include "tw_cursor.h"
#include "tw_err.h"
#include "tw_hex.h"
#include "tw_unit.h"

static void test_read_be(void)
{
	static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	struct tw_rd r;
	tw_rd_init(&r, b, sizeof b);
	CU_ASSERT_EQUAL(tw_rd_u8(&r), 0x01);
	CU_ASSERT_EQUAL(tw_rd_u16(&r), 0x0203);
	CU_ASSERT_EQUAL(tw_rd_u32(&r), 0x04050607u);
	CU_ASSERT_EQUAL(tw_rd_u64(&r), 0x08090a0b0c0d0e0full);
	CU_ASSERT_TRUE(tw_rd_ok(&r));
	CU_ASSERT_EQUAL(tw_rd_left(&r), 0);
}

static void test_read_overrun_sticky(void)
{
	static const uint8_t b[] = {0xaa, 0xbb, 0xcc};
	struct tw_rd r;
	uint8_t out[4] = {9, 9, 9, 9};
	tw_rd_init(&r, b, sizeof b);
	CU_ASSERT_EQUAL(tw_rd_u16(&r), 0xaabb);
	CU_ASSERT_EQUAL(tw_rd_u32(&r), 0); /* only one octet left */
	CU_ASSERT_FALSE(tw_rd_ok(&r));
	/* once failed, even a read that would fit returns zero */
	CU_ASSERT_EQUAL(tw_rd_u8(&r), 0);
	tw_rd_bytes(&r, out, sizeof out);
	CU_ASSERT_EQUAL(out[0], 0);
	CU_ASSERT_EQUAL(tw_rd_left(&r), 0);
}

static void test_read_huge_skip(void)
{
	static const uint8_t b[8];
	struct tw_rd r;
	tw_rd_init(&r, b, sizeof b);
	tw_rd_skip(&r, 4);
	tw_rd_skip(&r, SIZE_MAX); /* must not wrap around */
	CU_ASSERT_FALSE(tw_rd_ok(&r));
}

static void test_write_and_overflow(void)
{
	uint8_t buf[8];
	struct tw_wr w;
	tw_wr_init(&w, buf, sizeof buf);
	tw_wr_u16(&w, 0x1234);
	tw_wr_u32(&w, 0xdeadbeef);
	tw_wr_zero(&w, 2);
	CU_ASSERT_TRUE(tw_wr_ok(&w));
	CU_ASSERT_EQUAL(tw_wr_off(&w), 8);
	static const uint8_t want[] = {0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0, 0};
	TW_ASSERT_BYTES(buf, want, 8);
	tw_wr_u8(&w, 1);
	CU_ASSERT_FALSE(tw_wr_ok(&w));
	CU_ASSERT_EQUAL(tw_wr_off(&w), 8);
}

static void test_unaligned_helpers(void)
{
	uint8_t b[11] = {0};
	tw_put_be64(b + 1, 0x0102030405060708ull);
	tw_put_be16(b + 9, 0xa1b2);
	CU_ASSERT_EQUAL(tw_be64(b + 1), 0x0102030405060708ull);
	CU_ASSERT_EQUAL(tw_be32(b + 5), 0x05060708u);
	CU_ASSERT_EQUAL(tw_be16(b + 9), 0xa1b2);
}

static void test_err_names(void)
{
	CU_ASSERT_STRING_EQUAL(tw_errname(TW_E_TRUNCATED), "TRUNCATED");
	CU_ASSERT_STRING_EQUAL(tw_errname(TW_OK), "OK");
	CU_ASSERT_STRING_EQUAL(tw_errname((enum tw_err)999), "UNKNOWN");
	for (int e = 0; e < TW_E__COUNT; e++) {
		CU_ASSERT_PTR_NOT_NULL(tw_strerror((enum tw_err)e));
		CU_ASSERT_PTR_NOT_NULL(tw_errname((enum tw_err)e));
	}
}

static void test_hex(void)
{
	static const struct {
		const char *in;
		size_t cap;
		enum tw_err want;
		size_t len;
		const char *bytes;
	} t[] = {
	    {"", 4, TW_OK, 0, ""},
	    {"00ff7F", 4, TW_OK, 3, "\x00\xff\x7f"},
	    {"aBcD", 2, TW_OK, 2, "\xab\xcd"},
	    {"abc", 4, TW_E_LENGTH, 0, NULL},   /* odd */
	    {"aabbcc", 2, TW_E_LENGTH, 0, NULL}, /* longer than cap */
	    {" f", 4, TW_E_FIELD, 0, NULL},      /* sscanf("%2x") would take it */
	    {"+f", 4, TW_E_FIELD, 0, NULL},
	    {"0x", 4, TW_E_FIELD, 0, NULL},
	    {"g0", 4, TW_E_FIELD, 0, NULL},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t out[4] = {0x55, 0x55, 0x55, 0x55};
		size_t len = 99;
		enum tw_err e = tw_hex_decode(t[i].in, strlen(t[i].in), out, t[i].cap, &len);
		CU_ASSERT_EQUAL(e, t[i].want);
		if (e == TW_OK) {
			CU_ASSERT_EQUAL(len, t[i].len);
			TW_ASSERT_BYTES(out, t[i].bytes, t[i].len);
		} else {
			CU_ASSERT_EQUAL(out[0], 0x55); /* untouched on error */
		}
	}
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
		{"read big-endian", test_read_be},
		{"read overrun is sticky", test_read_overrun_sticky},
		{"skip cannot wrap", test_read_huge_skip},
		{"write and overflow", test_write_and_overflow},
		{"unaligned helpers", test_unaligned_helpers},
		{"error names", test_err_names},
		{"strict hex decoding", test_hex},
		{NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("cursor", cases))
		return 2;
	return tw_unit_run("cursor");
}
