/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "net": the fast path's frame parser fp_parse_buf()
 * (app/fp_parse.h: Ethernet, 802.1Q, IPv4 with options, IPv6, UDP), which
 * sees every frame from the wire.  Pure C, so it runs without EAL.
 *
 * Input: the frame.
 *
 * Invariants (abort() on violation):
 *  - never a read outside the frame (ASan: the frame sits in a buffer of
 *    exactly its length);
 *  - FP_PARSE_UDP: ipv is 4 or 6 and in the key; l3_off is 14 or 18 (VLAN);
 *    the UDP header and the payload lie inside the frame, the payload right
 *    after the header; the key's padding is zero (it is hashed raw);
 *  - the parse is deterministic (a second parse gives the same result).
 */
#include "fuzz_common.h"

#include "../../app/fp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535)
		return 0;
	uint8_t *f = malloc(size ? size : 1);
	FUZZ_ASSERT(f);
	memcpy(f, data, size);
	struct fp_pinfo a, b;
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	enum fp_parse_res r = fp_parse_buf(f, (uint32_t)size, 1500, &a);
	FUZZ_ASSERT(r == fp_parse_buf(f, (uint32_t)size, 1500, &b));
	if (r == FP_PARSE_UDP) {
		FUZZ_ASSERT(a.ipv == 4 || a.ipv == 6);
		FUZZ_ASSERT(a.key.ipv == a.ipv);
		FUZZ_ASSERT(a.l3_off == (a.vlan ? 18 : 14));
		FUZZ_ASSERT(a.l4_off >= a.l3_off + (a.ipv == 4 ? 20 : 40));
		FUZZ_ASSERT((size_t)a.l4_off + 8 <= size);
		FUZZ_ASSERT(a.pl_off == a.l4_off + 8);
		FUZZ_ASSERT((size_t)a.pl_off + a.pl_len <= size);
		/* no test packet longer than the IP MTU given */
		FUZZ_ASSERT((uint32_t)a.pl_off + a.pl_len - a.l3_off <= 1500);
		static const uint8_t zero[16];
		FUZZ_ASSERT(memcmp(a.key.pad, zero, sizeof(a.key.pad)) == 0);
		FUZZ_ASSERT(fp_key_eq(&a.key, &b.key));
		FUZZ_ASSERT(a.pl_len == b.pl_len && a.ttl == b.ttl && a.tos == b.tos);
		if (a.ipv == 4)
			FUZZ_ASSERT(memcmp(a.key.local.a + 4, zero, 12) == 0);
	}
	free(f);
	return 0;
}
