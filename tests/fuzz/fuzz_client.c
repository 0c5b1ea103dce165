/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TWAMP-Control Control-Client (control/client/ctl_client.c, sans-I/O),
 * which twinhopd now runs in its event loop against the servers of its
 * RFC 8913 control-client sessions (ctl_cc): whatever octets a server
 * sends, in any split, the client never crashes, reads nothing outside its
 * buffers, ends FAILED with a named error and a message or goes on, keeps
 * its session table within bounds, and queues bounded output.  The harness
 * drives it like ctl_cc: three Request-TW-Session, Start-Sessions, then
 * Stop-Sessions, as the state allows.
 *
 * Input: [modes:1][chunk:1][server octets...]; modes bits 0-3 the allowed
 * base modes (0 = open), bit 4 an RFC 8913 preference order, bit 6 end with
 * EOF (bit 7: a reset) rather than a timeout; chunk: octets per feed
 * (chunk % 64 + 1; 16 keeps the messages of a real exchange whole, so the
 * harness answers each).
 */
#include "fuzz_common.h"

#include "ctl_client.h"
#include "tw_ctl.h"

static int det_rand(void *arg, void *buf, size_t len)
{
	uint8_t *b = buf, *ctr = arg;
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(*ctr + i * 7u);
	(*ctr)++;
	return 0;
}

static void check(const struct ctl_client *c)
{
	enum ctl_client_state st = ctl_client_state(c);
	FUZZ_ASSERT(st <= CTL_CLIENT_FAILED);
	enum ctl_client_err e = ctl_client_error(c);
	FUZZ_ASSERT(e < CTL_CLIENT_E__COUNT);
	if (st == CTL_CLIENT_FAILED) {
		FUZZ_ASSERT(e != CTL_CLIENT_E_NONE);
		FUZZ_ASSERT(ctl_client_errmsg(c)[0] != '\0');
	}
	FUZZ_ASSERT(ctl_client_nsessions(c) <= CTL_CLIENT_SESSIONS_MAX);
	for (unsigned i = 0; i < ctl_client_nsessions(c); i++)
		FUZZ_ASSERT(ctl_client_session(c, i) != NULL);
	uint32_t m = ctl_client_mode(c) & TW_CTL_MODE_BASE_MASK;
	FUZZ_ASSERT(!m || !(m & (m - 1))); /* one base mode, or none yet */
}

/* Take what the client queued, as a socket would. */
static void drain(struct ctl_client *c)
{
	size_t n;
	const uint8_t *p = ctl_client_tx(c, &n);
	FUZZ_ASSERT(n <= 65536);
	if (n) {
		uint8_t *copy = fz_dup(p, n); /* every octet readable */
		free(copy);
		ctl_client_tx_done(c, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint8_t modes = fz_u8(&f), chunk = (uint8_t)(fz_u8(&f) % 64u + 1u);
	uint8_t ctr = 0;
	struct ctl_client_cfg cfg = {0};
	cfg.modes =
	    modes & TW_CTL_MODE_BASE_MASK ? modes & TW_CTL_MODE_BASE_MASK : TW_CTL_MODE_OPEN;
	snprintf(cfg.key_id, sizeof(cfg.key_id), "alice");
	memcpy(cfg.secret, "testsecret", 10);
	cfg.secret_len = 10;
	cfg.pbkdf2_max = 2048; /* bounded work per input */
	cfg.rand = det_rand;
	cfg.rand_arg = &ctr;
	if (modes & 0x10) {
		static const uint32_t order[] = {TW_CTL_MODE_OPEN, TW_CTL_MODE_MIXED,
		                                 TW_CTL_MODE_AUTH, TW_CTL_MODE_ENCRYPTED};
		unsigned k = 0;
		for (unsigned i = 0; i < 4; i++)
			if (cfg.modes & order[i])
				cfg.prefer[k++] = order[i];
	}
	struct ctl_client *c = ctl_client_new(&cfg);
	if (!c)
		return 0;
	unsigned requested = 0;
	bool started = false, stopped = false;
	while (f.len) {
		size_t n = chunk < f.len ? chunk : f.len;
		uint8_t *piece = fz_dup(f.p, n);
		ctl_client_feed(c, piece, n);
		free(piece);
		f.p += n;
		f.len -= n;
		check(c);
		drain(c);
		enum ctl_client_state st = ctl_client_state(c);
		if (st == CTL_CLIENT_READY && requested < 3 && !started) {
			struct ctl_client_req r = {0};
			r.ipvn = 4;
			r.sender_port = (uint16_t)(50000 + requested);
			r.receiver_port = 862;
			r.padding = 64;
			r.timeout = 2ull << 32;
			FUZZ_ASSERT(ctl_client_request(c, &r) == CTL_CLIENT_E_NONE);
			requested++;
		} else if (st == CTL_CLIENT_READY && !started) {
			FUZZ_ASSERT(ctl_client_start(c) == CTL_CLIENT_E_NONE);
			started = true;
		} else if (st == CTL_CLIENT_RUNNING && !stopped) {
			FUZZ_ASSERT(ctl_client_stop(c, 0) == CTL_CLIENT_E_NONE);
			stopped = true;
		}
		check(c);
		drain(c);
	}
	if (modes & 0x40)
		ctl_client_eof(c, modes & 0x80);
	else
		ctl_client_timeout(c);
	check(c);
	ctl_client_free(c);
	return 0;
}
