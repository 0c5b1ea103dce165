/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "ipc": tw_ipc_validate() (lib/tw_ipc.c), the one check the
 * fast path (root) runs on each command a control process wrote into shared
 * memory before acting on it (issue 8 §6).
 *
 * Input: [dir:1][hdr:16][payload...]
 *   dir % 3 is the ring direction (NONE, CMD, EVT); the header is taken as
 *   it is (host order), except that with dir & 0x80 clear its version and
 *   length are forced to TW_IPC_VERSION and the payload's size, so most
 *   inputs reach the field checks.
 *
 * Invariants (abort() on violation):
 *  - validate never reads beyond the payload (ASan) and accepts only what
 *    tw_ipc_check() accepts;
 *  - an accepted command has every field the fast path computes with in
 *    range: padding_len <= TW_PKT_MAX_LEN (so base + padding never wraps),
 *    hmac_len <= 32 (the key array), 32 for TWAMP AUTH/ENC, dscp <= 63,
 *    n_addrs <= TW_IPC_PORT_ADDRS, VLAN <= 4094, sessions != 0;
 *  - a refused message reports an offset inside the payload.
 */
#include "fuzz_common.h"

#include "tw_ipc.h"
#include "tw_pkt.h"

static void keys_in_range(uint8_t proto, uint8_t sec, const struct tw_ipc_keys *k)
{
	FUZZ_ASSERT(k->hmac_len <= sizeof(k->hmac));
	if ((sec == TW_IPC_SEC_AUTH || sec == TW_IPC_SEC_ENC) && proto != TW_IPC_PROTO_STAMP)
		FUZZ_ASSERT(k->hmac_len == 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint8_t d = fz_u8(&f);
	struct tw_ipc_hdr h;
	memset(&h, 0, sizeof(h));
	size_t n = f.len < sizeof(h) ? f.len : sizeof(h);
	memcpy(&h, f.p, n);
	f.p += n;
	f.len -= n;
	if (f.len > TW_IPC_PAYLOAD_MAX)
		f.len = TW_IPC_PAYLOAD_MAX;
	if (!(d & 0x80)) {
		h.version = TW_IPC_VERSION;
		h.length = (uint32_t)f.len;
	}
	/* The payload buffer holds exactly h.length octets (ASan sees any
	 * read past it); a header claiming more than we have is refused by
	 * the caller's framing in real use, so clamp it here. */
	if (h.length > f.len)
		h.length = (uint32_t)f.len;
	uint8_t *pl = malloc(h.length ? h.length : 1);
	FUZZ_ASSERT(pl);
	memcpy(pl, f.p, h.length);
	enum tw_ipc_dir dir = (enum tw_ipc_dir)(d % 3);
	uint32_t bad = 0xdeadbeef;
	enum tw_err e = tw_ipc_validate(&h, pl, dir, &bad);
	enum tw_err chk = tw_ipc_check(&h, pl, dir);
	if (chk != TW_OK) {
		FUZZ_ASSERT(e == chk);
		free(pl);
		return 0;
	}
	if (e != TW_OK) {
		FUZZ_ASSERT(bad < h.length);
		free(pl);
		return 0;
	}
	switch (h.type) {
	case TW_IPC_SENDER_ADD: {
		struct tw_ipc_sender_add m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.session && m.pad.padding_len <= TW_PKT_MAX_LEN && m.dscp <= 63);
		FUZZ_ASSERT(m.flow.vlan <= 4094 && m.interval_ns >= TW_IPC_INTERVAL_MIN_NS);
		keys_in_range(m.proto, m.sec, &m.keys);
		break;
	}
	case TW_IPC_REFLECTOR_ADD: {
		struct tw_ipc_reflector_add m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.session && m.pad.padding_len <= TW_PKT_MAX_LEN && m.dscp <= 63);
		FUZZ_ASSERT(m.flow.local.family == m.flow.peer.family && m.flow.vlan <= 4094);
		keys_in_range(m.proto, m.sec, &m.keys);
		break;
	}
	case TW_IPC_LIGHT_LISTEN: {
		struct tw_ipc_light_listen m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.session && m.flow.local_port && m.dscp <= 63);
		FUZZ_ASSERT(m.proto == TW_IPC_PROTO_LIGHT || m.proto == TW_IPC_PROTO_STAMP);
		keys_in_range(m.proto, m.sec, &m.keys);
		break;
	}
	case TW_IPC_PORT_CONFIG: {
		struct tw_ipc_port_config m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.n_addrs <= TW_IPC_PORT_ADDRS && m.vlan <= 4094);
		break;
	}
	case TW_IPC_HELLO: {
		struct tw_ipc_hello m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.ipc_version == TW_IPC_VERSION && memchr(m.name, 0, sizeof(m.name)));
		FUZZ_ASSERT(m.grace_ms == 0 ||
		            (m.grace_ms >= TW_IPC_GRACE_MIN_MS && m.grace_ms <= TW_IPC_GRACE_MAX_MS));
		break;
	}
	default:
		break;
	}
	free(pl);
	return 0;
}
