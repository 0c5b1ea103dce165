/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/profile (tw_profile.h): the bundled profiles,
 * golden parse errors, size and unit conversions, the picker, canonical
 * printing and step expansion.
 *
 * Usage: test_profile [PROFILE_DIR]  (or TW_PROFILE_DIR in the environment);
 * meson passes tools/profiles.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "tw_profile.h"
#include "tw_unit.h"

static const char *profile_dir;

/* Diagnostics for a failed comparison.  A function of its own with NULL
 * guards: with sanitizers GCC's -Wformat-overflow sees null paths otherwise. */
static void __attribute__((noinline))
show_diff(const char *what, size_t i, const char *got, const char *want)
{
	printf("\n  %s %zu:\n    got  %s\n    want %s\n", what, i, got ? got : "(null)",
	       want ? want : "(null)");
}

/* Parse text or fail the test with the message; NULL on failure. */
static struct tw_profile *parse_ok(const char *text)
{
	struct tw_profile *p = NULL;
	struct tw_profile_error err;
	enum tw_err e = tw_profile_parse_string("t.profile", text, strlen(text), &p, &err);
	if (e != TW_OK)
		printf("\n  unexpected error: %s\n", err.text);
	CU_ASSERT_EQUAL(e, TW_OK);
	return p;
}

static char *print_dup(const struct tw_profile *p)
{
	size_t n = tw_profile_print(p, NULL, 0);
	char *b = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(tw_profile_print(p, b, n + 1), n);
	CU_ASSERT_EQUAL(strlen(b), n);
	return b;
}

/* print -> parse -> print must be the identity. */
static void assert_roundtrip(const struct tw_profile *p, const char *what)
{
	char *a = print_dup(p);
	struct tw_profile *q = NULL;
	struct tw_profile_error err;
	enum tw_err e = tw_profile_parse_string("canonical", a, strlen(a), &q, &err);
	if (e != TW_OK)
		printf("\n  %s: canonical form does not parse: %s\n%s", what, err.text, a);
	CU_ASSERT_EQUAL_FATAL(e, TW_OK);
	char *b = print_dup(q);
	if (strcmp(a, b))
		printf("\n  %s: round trip differs:\n%s---\n%s", what, a, b);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_EQUAL(tw_profile_step_count(p), tw_profile_step_count(q));
	free(a);
	free(b);
	tw_profile_free(q);
}

/* ------------------------------------------------------------------------ */
/* Bundled profiles: every file in tools/profiles parses and round-trips.    */

static void test_bundled(void)
{
	static const char *const required[] = {
	    "imix.profile",
	    "imix-ipv6.profile",
	    "size-sweep.profile",
	    "rate-steps.profile",
	    "dscp-mix.profile",
	    "poisson-vs-periodic.profile",
	    "rfc2544-frame-sizes.profile",
	    "latency-baseline.profile",
	};
	bool seen[sizeof(required) / sizeof(required[0])] = {false};
	CU_ASSERT_PTR_NOT_NULL_FATAL(profile_dir);
	DIR *d = opendir(profile_dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	struct dirent *de;
	unsigned n = 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 9 || strcmp(de->d_name + len - 8, ".profile"))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", profile_dir, de->d_name);
		struct tw_profile *p = NULL;
		struct tw_profile_error err;
		enum tw_err e = tw_profile_parse_file(path, &p, &err);
		if (e != TW_OK)
			printf("\n  %s\n", err.text);
		CU_ASSERT_EQUAL(e, TW_OK);
		if (!p)
			continue;
		n++;
		/* The file name is the profile name, so `twinhop bench imix` finds it. */
		char want[256];
		snprintf(want, sizeof(want), "%.*s", (int)(len - 8), de->d_name);
		CU_ASSERT_STRING_EQUAL(tw_profile_name(p), want);
		CU_ASSERT(tw_profile_description(p)[0] != '\0');
		CU_ASSERT(tw_profile_step_count(p) >= 1);
		assert_roundtrip(p, path);
		for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
			if (!strcmp(de->d_name, required[i]))
				seen[i] = true;
		tw_profile_free(p);
	}
	closedir(d);
	CU_ASSERT(n >= 8);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!seen[i])
			printf("\n  missing bundled profile %s\n", required[i]);
		CU_ASSERT(seen[i]);
	}
}

/* ------------------------------------------------------------------------ */
/* Golden errors: exact file:line:col: message.                              */

#define HDR     "name t\n"
#define OK_TAIL "size 64\nrate 1kpps\n"

static const struct {
	const char *in;
	const char *msg;
} bad_inputs[] = {
    {HDR OK_TAIL "bogus 1\n", "t.profile:4:1: unknown directive 'bogus'"},
    {HDR OK_TAIL "  Rate 1kpps\n", "t.profile:4:3: unknown directive 'Rate'"},
    {"size 64\nrate 1kpps\n", "t.profile:1:1: missing 'name' directive"},
    {HDR "rate 1kpps\n",
     "t.profile:1:1: missing frame size: add 'size', 'imix', 'steps size' or 'sweep size'"},
    {HDR "size 64\n", "t.profile:1:1: missing rate: add 'rate', 'steps rate' or 'sweep rate'"},
    {HDR "size 64\nrate 10\n",
     "t.profile:3:6: bad rate '10': missing unit (expected pps, kpps, Mpps, bps, kbps, Mbps or "
     "Gbps)"},
    {HDR "size 64\nrate 10kpp\n",
     "t.profile:3:6: bad rate '10kpp': unknown unit (expected pps, kpps, Mpps, bps, kbps, Mbps "
     "or Gbps)"},
    {HDR "size 64\nrate 10KPPS\n",
     "t.profile:3:6: bad rate '10KPPS': unknown unit (expected pps, kpps, Mpps, bps, kbps, Mbps "
     "or Gbps)"},
    {HDR "size 64\nrate 0pps\n", "t.profile:3:6: rate must be greater than 0"},
    {HDR "size 64\nrate 1.5pps\n",
     "t.profile:3:6: bad rate '1.5pps': not a whole number of the base unit (expected pps, "
     "kpps, Mpps, bps, kbps, Mbps or Gbps)"},
    {HDR "size 64\nrate 2Mpps\n",
     "t.profile:3:6: rate 2Mpps above the sender limit of 1Mpps per session (interval >= 1us)"},
    {HDR "size 64\nrate 1Gbps\n",
     "t.profile:3:6: rate 1Gbps is 1488095 pps at a mean frame of 64.0 octets: above the "
     "sender limit of 1Mpps per session"},
    {HDR "size 63\nrate 1kpps\n", "t.profile:2:6: frame size 63 outside 64..9216 octets"},
    {HDR "size 9217\nrate 1kpps\n", "t.profile:2:6: frame size 9217 outside 64..9216 octets"},
    {HDR "size 64B\nrate 1kpps\n", "t.profile:2:6: bad frame size '64B': expected octets, e.g. 64"},
    {HDR "mode auth\nsize 64\nrate 1kpps\n",
     "t.profile:3:6: frame size 64 too small for mode auth over IPv4: minimum 94 (14 Ethernet "
     "+ 4 FCS + 20 IPv4 + 8 UDP + 48 sender base)"},
    {HDR "size 64\nip 6\nrate 1kpps\n",
     "t.profile:2:6: frame size 64 too small for mode open over IPv6: minimum 80 (14 Ethernet "
     "+ 4 FCS + 40 IPv6 + 8 UDP + 14 sender base)"},
    {HDR "mode stamp\nimix 64:7 594:4\nrate 1kpps\n",
     "t.profile:3:6: frame size 64 too small for mode stamp over IPv4: minimum 90 (14 Ethernet "
     "+ 4 FCS + 20 IPv4 + 8 UDP + 44 sender base)"},
    {HDR "ip 6\nmode enc\nsteps size 128 64\nrate 1kpps\n",
     "t.profile:4:16: frame size 64 too small for mode enc over IPv6: minimum 114 (14 Ethernet "
     "+ 4 FCS + 40 IPv6 + 8 UDP + 48 sender base)"},
    {HDR OK_TAIL "dscp 64\n",
     "t.profile:4:6: bad DSCP '64': expected 0..63, BE, EF, CS0..CS7 or AF11..AF43"},
    {HDR OK_TAIL "dscp AF44\n",
     "t.profile:4:6: bad DSCP 'AF44': expected 0..63, BE, EF, CS0..CS7 or AF11..AF43"},
    {HDR OK_TAIL "dscp-mix EF:10 AF41\n",
     "t.profile:4:16: expected DSCP:WEIGHT (e.g. EF:10), got 'AF41'"},
    {HDR OK_TAIL "dscp-mix EF:10 AF41:0\n", "t.profile:4:21: bad weight '0': expected 1..1000"},
    {HDR OK_TAIL "dscp-mix EF:1 46:2\n", "t.profile:4:15: DSCP 46 listed twice"},
    {HDR OK_TAIL "dscp 0\ndscp-mix EF:1\n",
     "t.profile:5:1: 'dscp-mix' conflicts with 'dscp' at line 4"},
    {HDR OK_TAIL "rate 2kpps\n", "t.profile:4:1: duplicate 'rate' (first at line 3)"},
    {HDR OK_TAIL "imix 64:1\n", "t.profile:4:1: 'imix' conflicts with 'size' at line 2"},
    {HDR OK_TAIL "steps rate 1kpps 2kpps\n",
     "t.profile:4:1: 'steps' conflicts with 'rate' at line 3"},
    {HDR "size 64\nsteps rate 1kpps 2kpps\nsweep size 64..128 step 8\n",
     "t.profile:4:1: 'sweep' conflicts with 'steps' at line 3"},
    {HDR "size 64\nsteps rate 1kpps 1000pps\n", "t.profile:3:18: '1000pps' listed twice"},
    {HDR "size 64\nsteps ttl 1 2\n",
     "t.profile:3:7: 'steps' varies 'rate', 'size', 'schedule' or 'dscp', not 'ttl'"},
    {HDR "rate 1kpps\nsweep size 64-128 step 64\n",
     "t.profile:3:12: expected FROM..TO, got '64-128'"},
    {HDR "rate 1kpps\nsweep size 128..64 step 64\n",
     "t.profile:3:17: sweep end must be above its start"},
    {HDR "rate 1kpps\nsweep size 64..1518 step 64 extra\n",
     "t.profile:3:29: unexpected 'extra' after a parameter, FROM..TO, 'step' and a step"},
    {HDR "rate 1kpps\nsweep size 64..9216 step 1\n",
     "t.profile:3:26: sweep makes 9153 steps (at most 256)"},
    {HDR OK_TAIL "duration-per-step 10\n",
     "t.profile:4:19: bad time '10': missing unit (expected e.g. 10s, 500ms, 250us, 100ns)"},
    {HDR OK_TAIL "duration-per-step 10min\n",
     "t.profile:4:19: bad time '10min': unknown unit (expected e.g. 10s, 500ms, 250us, 100ns)"},
    {HDR OK_TAIL "warmup -1s\n",
     "t.profile:4:8: bad time '-1s': expected a number (expected e.g. 10s, 500ms, 250us, "
     "100ns)"},
    {HDR OK_TAIL "warmup 1.5ns\n",
     "t.profile:4:8: bad time '1.5ns': not a whole number of the base unit (expected e.g. 10s, "
     "500ms, 250us, 100ns)"},
    {HDR OK_TAIL "duration-per-step 25h\n",
     "t.profile:4:19: bad time '25h': unknown unit (expected e.g. 10s, 500ms, 250us, 100ns)"},
    {HDR OK_TAIL "duration-per-step 86401s\n",
     "t.profile:4:19: time '86401s' longer than 24 hours"},
    {HDR OK_TAIL "duration-per-step 0s\n", "t.profile:4:19: duration-per-step 0 needs a 'count'"},
    {HDR OK_TAIL "count 0\n", "t.profile:4:7: bad count '0': expected 1..10^12"},
    {HDR OK_TAIL "schedule random\n",
     "t.profile:4:10: unknown schedule 'random' (periodic or poisson)"},
    {HDR OK_TAIL "mode fast\n",
     "t.profile:4:6: unknown mode 'fast' (open, auth, enc, mixed, light, stamp, stamp-auth)"},
    {HDR OK_TAIL "ip 5\n", "t.profile:4:4: bad IP version '5' (4 or 6)"},
    {HDR OK_TAIL "rate\n", "t.profile:4:5: 'rate' needs a rate"},
    {HDR OK_TAIL "mode open auth\n", "t.profile:4:11: unexpected 'auth' after a mode"},
    {HDR OK_TAIL "description unquoted\n",
     "t.profile:4:13: description must be a quoted string: \"...\""},
    {HDR OK_TAIL "description \"open\n", "t.profile:4:13: unterminated quoted string"},
    {HDR OK_TAIL "description \"a\\nb\"\n",
     "t.profile:4:15: unknown escape '\\n' (only \\\" and \\\\)"},
    {HDR OK_TAIL "mode \"open\"\n", "t.profile:4:6: unexpected quoted string"},
    {"name bad/name\n" OK_TAIL,
     "t.profile:1:6: bad name 'bad/name': letters, digits, '-', '_', '.', at most 63"},
    {HDR OK_TAIL "seed 1\x01\n", "t.profile:4:7: unexpected control character 0x01"},
    {HDR "size 64\nimix 64:7\n", "t.profile:3:1: 'imix' conflicts with 'size' at line 2"},
    {HDR "imix 64:7 64:1\nrate 1kpps\n", "t.profile:2:11: frame size 64 listed twice"},
    {HDR "imix 64:1000 65:1000 66:1000 67:1000 68:1000 69:999\nrate 1kpps\n",
     "t.profile:2:1: imix weights (divided by their gcd) add up to more than 4096"},
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		struct tw_profile *p = (struct tw_profile *)1;
		struct tw_profile_error err;
		enum tw_err e = tw_profile_parse_string("t.profile", bad_inputs[i].in,
		                                        strlen(bad_inputs[i].in), &p, &err);
		CU_ASSERT_EQUAL(e, TW_E_FIELD);
		CU_ASSERT_PTR_NULL(p);
		if (strcmp(err.text, bad_inputs[i].msg))
			show_diff("error case", i, err.text, bad_inputs[i].msg);
		CU_ASSERT_STRING_EQUAL(err.text, bad_inputs[i].msg);
		/* line and col agree with the text */
		char lc[32];
		snprintf(lc, sizeof(lc), "t.profile:%u:%u: ", err.line, err.col);
		CU_ASSERT(strncmp(err.text, lc, strlen(lc)) == 0);
		tw_profile_free(p);
	}
}

static void test_file_errors(void)
{
	struct tw_profile *p;
	struct tw_profile_error err;
	CU_ASSERT_EQUAL(tw_profile_parse_file("/nonexistent/x.profile", &p, &err), TW_E_SYS);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_STRING_EQUAL(err.text, "/nonexistent/x.profile: No such file or directory");
	CU_ASSERT_EQUAL(tw_profile_parse_string("x", NULL, 1, &p, &err), TW_E_ARG);
	/* NULL err is allowed */
	CU_ASSERT_EQUAL(tw_profile_parse_string("x", "bogus\n", 6, &p, NULL), TW_E_FIELD);
	/* not NUL-terminated: len is honoured */
	const char txt[] = "name a\nsize 64\nrate 1kpps\nbogus";
	CU_ASSERT_EQUAL(tw_profile_parse_string("x", txt, sizeof(txt) - 1 - 5, &p, &err), TW_OK);
	tw_profile_free(p);
}

/* ------------------------------------------------------------------------ */
/* Size conversion tables                                                    */

static const struct {
	uint32_t frame;
	unsigned ipver;
	enum tw_pkt_layout l;
	enum tw_err e;
	uint32_t udp, pad;
} conv[] = {
    /* 64-octet frame, IPv4, open: 64 - 14 Ethernet - 4 FCS - 20 IPv4 - 8 UDP = 18
     * octets of UDP payload; 18 - 14 TWAMP open sender base = 4 octets padding. */
    {64, 4, TW_PKT_TWAMP_OPEN, TW_OK, 18, 4},
    /* Smallest open IPv4 frame: 14 + 4 + 20 + 8 + 14 = 60 (< 64, padding 0). */
    {60, 4, TW_PKT_TWAMP_OPEN, TW_OK, 14, 0},
    {59, 4, TW_PKT_TWAMP_OPEN, TW_E_LENGTH, 0, 0},
    /* 1518 IPv4 open: 1518 - 46 = 1472 UDP (the classic max), 1472 - 14 = 1458. */
    {1518, 4, TW_PKT_TWAMP_OPEN, TW_OK, 1472, 1458},
    /* twping-sized: 87 = 18 + 20 + 8 + 41, padding 27 so the reply is 41 too. */
    {87, 4, TW_PKT_TWAMP_OPEN, TW_OK, 41, 27},
    /* Auth/enc base 48: 64 IPv4 has 18 UDP octets < 48; minimum 46 + 48 = 94. */
    {64, 4, TW_PKT_TWAMP_AUTH, TW_E_LENGTH, 0, 0},
    {94, 4, TW_PKT_TWAMP_AUTH, TW_OK, 48, 0},
    {1518, 4, TW_PKT_TWAMP_AUTH, TW_OK, 1472, 1424},
    /* IPv6: overhead 14 + 4 + 40 + 8 = 66, so 64 cannot even carry UDP. */
    {64, 6, TW_PKT_TWAMP_OPEN, TW_E_LENGTH, 0, 0},
    {80, 6, TW_PKT_TWAMP_OPEN, TW_OK, 14, 0},
    /* 84 over IPv6 open: 84 - 66 = 18 UDP, 18 - 14 = 4 (mirrors 64 over IPv4). */
    {84, 6, TW_PKT_TWAMP_OPEN, TW_OK, 18, 4},
    {1518, 6, TW_PKT_TWAMP_OPEN, TW_OK, 1452, 1438},
    {1518, 6, TW_PKT_TWAMP_AUTH, TW_OK, 1452, 1404},
    /* RFC 6038 symmetrical sender bases 41 / 112. */
    {128, 4, TW_PKT_TWAMP_SYM_OPEN, TW_OK, 82, 41},
    {128, 4, TW_PKT_TWAMP_SYM_AUTH, TW_E_LENGTH, 0, 0},
    {158, 4, TW_PKT_TWAMP_SYM_AUTH, TW_OK, 112, 0},
    /* STAMP 44 / 112 (spec §6.2); for STAMP "padding" is the TLV/extra area. */
    {90, 4, TW_PKT_STAMP_OPEN, TW_OK, 44, 0},
    {89, 4, TW_PKT_STAMP_OPEN, TW_E_LENGTH, 0, 0},
    {1518, 4, TW_PKT_STAMP_AUTH, TW_OK, 1472, 1360},
    {178, 6, TW_PKT_STAMP_AUTH, TW_OK, 112, 0},
    {9216, 6, TW_PKT_STAMP_OPEN, TW_OK, 9150, 9106},
    /* bad arguments */
    {64, 5, TW_PKT_TWAMP_OPEN, TW_E_ARG, 0, 0},
    {64, 4, TW_PKT_LAYOUT__COUNT, TW_E_ARG, 0, 0},
};

static void test_conversion(void)
{
	for (size_t i = 0; i < sizeof(conv) / sizeof(conv[0]); i++) {
		uint32_t udp = 0xdead, pad = 0xbeef;
		enum tw_err e = tw_profile_frame_to_padding(conv[i].frame, conv[i].ipver, conv[i].l,
		                                            &udp, &pad);
		if (e != conv[i].e)
			printf("\n  case %zu: frame %u ipv%u layout %d: got %s\n", i, conv[i].frame,
			       conv[i].ipver, conv[i].l, tw_errname(e));
		CU_ASSERT_EQUAL(e, conv[i].e);
		if (e == TW_OK) {
			CU_ASSERT_EQUAL(udp, conv[i].udp);
			CU_ASSERT_EQUAL(pad, conv[i].pad);
			CU_ASSERT(tw_profile_min_frame(conv[i].ipver, conv[i].l) <= conv[i].frame ||
			          conv[i].frame < TW_PROFILE_FRAME_MIN);
		} else {
			CU_ASSERT_EQUAL(udp, 0xdead);
			CU_ASSERT_EQUAL(pad, 0xbeef);
		}
	}
	CU_ASSERT_EQUAL(tw_profile_min_frame(4, TW_PKT_TWAMP_OPEN), 64); /* 60, raised to 64 */
	CU_ASSERT_EQUAL(tw_profile_min_frame(6, TW_PKT_TWAMP_OPEN), 80);
	CU_ASSERT_EQUAL(tw_profile_min_frame(4, TW_PKT_TWAMP_AUTH), 94);
	CU_ASSERT_EQUAL(tw_profile_min_frame(6, TW_PKT_STAMP_AUTH), 178);
	CU_ASSERT_EQUAL(tw_profile_min_frame(7, TW_PKT_STAMP_AUTH), 0);
}

/* A step's per-layout table agrees with tw_profile_frame_to_padding(). */
static void test_step_sizes(void)
{
	struct tw_profile *p = parse_ok("name s\nip 6\nmode enc\nimix 1518:1 128:3\nrate 1kpps\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct tw_profile_step s;
	CU_ASSERT_EQUAL(tw_profile_step(p, 0, &s), TW_OK);
	CU_ASSERT_EQUAL(s.layout, TW_PKT_TWAMP_AUTH);
	CU_ASSERT_EQUAL(s.proto, TW_IPC_PROTO_TWAMP);
	CU_ASSERT_EQUAL(s.sec, TW_IPC_SEC_ENC);
	CU_ASSERT_EQUAL(s.ipver, 6);
	CU_ASSERT_EQUAL(s.n_sizes, 2);
	/* 128 over IPv6: 128 - 66 = 62 UDP; enc base 48 -> 14 padding */
	CU_ASSERT_EQUAL(s.sizes[1].frame_len, 128);
	CU_ASSERT_EQUAL(s.sizes[1].udp_len, 62);
	CU_ASSERT_EQUAL(s.sizes[1].padding_len, 14);
	CU_ASSERT_EQUAL(s.sizes[1].pad_by_layout[TW_PKT_TWAMP_OPEN], 48);
	CU_ASSERT_EQUAL(s.sizes[1].pad_by_layout[TW_PKT_TWAMP_SYM_OPEN], 21);
	CU_ASSERT_EQUAL(s.sizes[1].pad_by_layout[TW_PKT_TWAMP_SYM_AUTH], -1);
	CU_ASSERT_EQUAL(s.sizes[1].pad_by_layout[TW_PKT_STAMP_OPEN], 18);
	CU_ASSERT_EQUAL(s.sizes[1].pad_by_layout[TW_PKT_STAMP_AUTH], -1);
	for (size_t k = 0; k < s.n_sizes; k++)
		for (unsigned l = 0; l < TW_PKT_LAYOUT__COUNT; l++) {
			uint32_t pad;
			enum tw_err e = tw_profile_frame_to_padding(
			    s.sizes[k].frame_len, 6, (enum tw_pkt_layout)l, NULL, &pad);
			CU_ASSERT_EQUAL(s.sizes[k].pad_by_layout[l],
			                e == TW_OK ? (int32_t)pad : -1);
		}
	/* mean frame (1518 + 3 * 128) / 4 = 475.5 */
	CU_ASSERT_DOUBLE_EQUAL(s.mean_frame_len, 475.5, 1e-9);
	CU_ASSERT_EQUAL(tw_profile_step(p, 1, &s), TW_E_ARG);
	tw_profile_free(p);
}

/* ------------------------------------------------------------------------ */
/* Units                                                                     */

static const struct {
	const char *rate, *size;
	double pps;
	uint64_t interval_ns;
	const char *canon; /* canonical "rate" line */
} rates[] = {
    {"1pps", "64", 1, 1000000000, "rate 1pps"},
    {"1000pps", "64", 1000, 1000000, "rate 1kpps"},
    {"1.5kpps", "64", 1500, 666667, "rate 1500pps"},
    {"0.5Mpps", "64", 500000, 2000, "rate 500kpps"},
    {"1Mpps", "64", 1000000, 1000, "rate 1Mpps"},
    {"3pps", "64", 3, 333333333, "rate 3pps"},
    /* bit rates count the frame plus 20 octets (preamble 7 + SFD 1 + IFG 12):
     * 100e6 / ((64 + 20) * 8) = 148809.52 pps, interval 6720 ns. */
    {"100Mbps", "64", 100e6 / 672.0, 6720, "rate 100Mbps"},
    {"0.1Gbps", "64", 100e6 / 672.0, 6720, "rate 100Mbps"},
    /* 1518 + 20 = 1538 octets = 12304 bits: 1 Gbps -> 81274.38 pps */
    {"1Gbps", "1518", 1e9 / 12304.0, 12304, "rate 1Gbps"},
    {"2.5Gbps", "1518", 2.5e9 / 12304.0, 4922, "rate 2500Mbps"},
    {"1500kbps", "87", 1.5e6 / 856.0, 570667, "rate 1500kbps"},
    {"8000bps", "64", 8000 / 672.0, 84000000, "rate 8kbps"},
};

static void test_units_rate(void)
{
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		char txt[256];
		snprintf(txt, sizeof(txt), "name r\nsize %s\nrate %s\n", rates[i].size,
		         rates[i].rate);
		struct tw_profile *p = parse_ok(txt);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		struct tw_profile_step s;
		tw_profile_step(p, 0, &s);
		CU_ASSERT_DOUBLE_EQUAL(s.rate_pps, rates[i].pps, 1e-6);
		if (s.interval_ns != rates[i].interval_ns)
			printf("\n  case %zu: interval %llu\n", i,
			       (unsigned long long)s.interval_ns);
		CU_ASSERT_EQUAL(s.interval_ns, rates[i].interval_ns);
		char *c = print_dup(p);
		char want[64];
		snprintf(want, sizeof(want), "\n%s\n", rates[i].canon);
		if (!strstr(c, want))
			show_diff("rate case (want contained)", i, c, rates[i].canon);
		CU_ASSERT_PTR_NOT_NULL(strstr(c, want));
		free(c);
		assert_roundtrip(p, rates[i].rate);
		tw_profile_free(p);
	}
}

static const struct {
	const char *in;
	uint64_t ns;
	const char *canon;
} times[] = {
    {"10s", 10000000000ull, "10s"},
    {"1500ms", 1500000000ull, "1500ms"},
    {"1.5s", 1500000000ull, "1500ms"},
    {"2000ms", 2000000000ull, "2s"},
    {"250us", 250000ull, "250us"},
    {"0.25ms", 250000ull, "250us"},
    {"100ns", 100ull, "100ns"},
    {"1.000000001s", 1000000001ull, "1000000001ns"},
    {"0s", 0, "0s"},
    {"0ns", 0, "0s"},
    {"86400s", 86400000000000ull, "86400s"},
};

static void test_units_time(void)
{
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char txt[256];
		snprintf(txt, sizeof(txt), "name t\nsize 64\nrate 1kpps\nwarmup %s\n", times[i].in);
		struct tw_profile *p = parse_ok(txt);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		struct tw_profile_step s;
		tw_profile_step(p, 0, &s);
		CU_ASSERT_EQUAL(s.warmup_ns, times[i].ns);
		CU_ASSERT_EQUAL(s.duration_ns, 10000000000ull); /* default */
		char *c = print_dup(p);
		char want[64];
		snprintf(want, sizeof(want), "\nwarmup %s\n", times[i].canon);
		if (!strstr(c, want))
			show_diff("time case (want contained)", i, c, want);
		CU_ASSERT_PTR_NOT_NULL(strstr(c, want));
		free(c);
		tw_profile_free(p);
	}
}

static const struct {
	const char *in;
	int dscp; /* -1 = invalid */
	const char *canon;
} dscps[] = {
    {"BE", 0, "BE"},      {"be", 0, "BE"},      {"0", 0, "BE"},       {"CS0", 0, "BE"},
    {"CS1", 8, "CS1"},    {"cs7", 56, "CS7"},   {"AF11", 10, "AF11"}, {"AF12", 12, "AF12"},
    {"AF13", 14, "AF13"}, {"AF21", 18, "AF21"}, {"AF33", 30, "AF33"}, {"AF41", 34, "AF41"},
    {"AF43", 38, "AF43"}, {"EF", 46, "EF"},     {"46", 46, "EF"},     {"63", 63, "63"},
    {"1", 1, "1"},        {"44", 44, "44"},     {"64", -1, NULL},     {"AF44", -1, NULL},
    {"AF51", -1, NULL},   {"CS8", -1, NULL},    {"007", -1, NULL},    {"", -1, NULL},
    {"E F", -1, NULL},    {"-1", -1, NULL},     {"VA", -1, NULL},
};

static void test_dscp(void)
{
	for (size_t i = 0; i < sizeof(dscps) / sizeof(dscps[0]); i++) {
		uint8_t d = 0xff;
		char buf[8];
		enum tw_err e = tw_profile_dscp_parse(dscps[i].in, &d);
		if (dscps[i].dscp < 0) {
			CU_ASSERT_EQUAL(e, TW_E_FIELD);
			continue;
		}
		CU_ASSERT_EQUAL(e, TW_OK);
		CU_ASSERT_EQUAL(d, dscps[i].dscp);
		CU_ASSERT_STRING_EQUAL(tw_profile_dscp_str(d, buf), dscps[i].canon);
	}
	/* every value 0..63 round-trips through its canonical text */
	for (unsigned v = 0; v < 64; v++) {
		char buf[8];
		uint8_t d = 0xff;
		CU_ASSERT_EQUAL(tw_profile_dscp_parse(tw_profile_dscp_str((uint8_t)v, buf), &d),
		                TW_OK);
		CU_ASSERT_EQUAL(d, v);
	}
}

/* ------------------------------------------------------------------------ */
/* Picker                                                                    */

static void test_picker_imix(void)
{
	struct tw_profile *p = parse_ok("name i\nimix 64:7 594:4 1518:1\nrate 1kpps\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct tw_profile_step s;
	tw_profile_step(p, 0, &s);
	CU_ASSERT_EQUAL(s.size_period, 12);
	/* Smooth weighted round-robin for 7:4:1, worked by hand:
	 * current += weight; pick the largest (first on ties); it loses 12. */
	static const uint32_t want_seq[12] = {64, 594, 64, 64, 594, 64, 1518, 64, 594, 64, 594, 64};
	for (unsigned i = 0; i < 12; i++) {
		struct tw_profile_pick k;
		tw_profile_pick(&s, i, &k);
		CU_ASSERT_EQUAL(k.frame_len, want_seq[i]);
		CU_ASSERT_EQUAL(k.padding_len, k.frame_len - 46 - 14);
		CU_ASSERT_EQUAL(k.udp_len, k.frame_len - 46);
		CU_ASSERT_EQUAL(k.dscp, 0);
	}
	/* Exact proportions over N whole periods, and the deterministic repeat. */
	unsigned cnt[3] = {0};
	const uint64_t n = 12 * 1000;
	for (uint64_t i = 0; i < n; i++) {
		struct tw_profile_pick k, k2;
		tw_profile_pick(&s, i, &k);
		tw_profile_pick(&s, i + 12 * 12345, &k2);
		CU_ASSERT_EQUAL(k.size_idx, k2.size_idx);
		cnt[k.size_idx]++;
	}
	CU_ASSERT_EQUAL(cnt[0], 7000);
	CU_ASSERT_EQUAL(cnt[1], 4000);
	CU_ASSERT_EQUAL(cnt[2], 1000);
	/* the largest gap between two 64-octet frames is 2 packets (smoothness) */
	uint32_t tab[16];
	CU_ASSERT_EQUAL(tw_profile_pad_table(&s, tab, 16), 12);
	for (unsigned i = 0; i < 12; i++)
		CU_ASSERT_EQUAL(tab[i], want_seq[i] - 60);
	CU_ASSERT_EQUAL(tw_profile_pad_table(&s, tab, 4), 12); /* truncated write */
	tw_profile_free(p);
}

static const struct {
	const char *mix;
	unsigned n;
	unsigned w[4];
	size_t period;
} mixes[] = {
    {"EF:10 AF41:30 BE:60", 3, {1, 3, 6}, 10}, /* gcd 10 */
    {"EF:1", 1, {1}, 1},
    {"CS1:999 CS2:1000", 2, {999, 1000}, 1999},
    {"1:2 2:4 3:6 4:8", 4, {1, 2, 3, 4}, 10},
    {"EF:7 BE:5", 2, {7, 5}, 12},
};

static void test_picker_dscp(void)
{
	for (size_t m = 0; m < sizeof(mixes) / sizeof(mixes[0]); m++) {
		char txt[256];
		snprintf(txt, sizeof(txt), "name d\nsize 64\nrate 1kpps\ndscp-mix %s\n",
		         mixes[m].mix);
		struct tw_profile *p = parse_ok(txt);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		struct tw_profile_step s;
		tw_profile_step(p, 0, &s);
		CU_ASSERT_EQUAL(s.dscp_period, mixes[m].period);
		CU_ASSERT_EQUAL(s.n_dscps, mixes[m].n);
		const uint64_t periods = 37;
		unsigned cnt[4] = {0};
		for (uint64_t i = 0; i < periods * s.dscp_period; i++) {
			struct tw_profile_pick k;
			tw_profile_pick(&s, i, &k);
			CU_ASSERT_EQUAL(k.dscp, s.dscps[k.dscp_idx].dscp);
			CU_ASSERT_EQUAL(k.frame_len, 64);
			cnt[k.dscp_idx]++;
		}
		for (unsigned k = 0; k < mixes[m].n; k++)
			CU_ASSERT_EQUAL(cnt[k], periods * mixes[m].w[k]);
		/* every prefix stays within one packet per entry of its share
		 * (the smoothness bound of SWRR) */
		unsigned run[4] = {0};
		for (uint64_t i = 0; i < s.dscp_period; i++) {
			struct tw_profile_pick k;
			tw_profile_pick(&s, i, &k);
			run[k.dscp_idx]++;
			for (unsigned j = 0; j < mixes[m].n; j++) {
				double share =
				    (double)(i + 1) * mixes[m].w[j] / (double)s.dscp_period;
				CU_ASSERT(run[j] + 1.0 >= share && run[j] <= share + 1.0);
			}
		}
		assert_roundtrip(p, mixes[m].mix);
		tw_profile_free(p);
	}
}

/* ------------------------------------------------------------------------ */
/* Canonical print and step expansion                                        */

static void test_canonical(void)
{
	static const char in[] = "# comment line\n"
	                         "\n"
	                         "   name\tmix   # trailing comment\n"
	                         "warmup 500ms\r\n"
	                         "dscp-mix ef:10 af41:30 0:60\n"
	                         "rate 0.01Mpps\n"
	                         "description \"say \\\"hi\\\" \\\\ # not a comment\"\n"
	                         "imix 128:7 594:4 1518:1\n"
	                         "seed 42\n"
	                         "count 1000\n"
	                         "duration-per-step 2000ms\n"
	                         "schedule poisson\n"
	                         "mode stamp\n"
	                         "ip 6\n";
	static const char *want = "name mix\n"
	                          "description \"say \\\"hi\\\" \\\\ # not a comment\"\n"
	                          "ip 6\n"
	                          "mode stamp\n"
	                          "schedule poisson\n"
	                          "dscp-mix EF:10 AF41:30 BE:60\n"
	                          "imix 128:7 594:4 1518:1\n"
	                          "rate 10kpps\n"
	                          "duration-per-step 2s\n"
	                          "warmup 500ms\n"
	                          "count 1000\n"
	                          "seed 42\n";
	/* 128, not 64: 64 cannot carry STAMP over IPv6 (minimum 110) */
	struct tw_profile *p = parse_ok(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	char *c = print_dup(p);
	const char *w = want;
	if (strcmp(c, w))
		show_diff("canonical", 0, c, w);
	CU_ASSERT_STRING_EQUAL(c, w);
	CU_ASSERT_STRING_EQUAL(tw_profile_description(p), "say \"hi\" \\ # not a comment");
	struct tw_profile_step s;
	tw_profile_step(p, 0, &s);
	CU_ASSERT_EQUAL(s.proto, TW_IPC_PROTO_STAMP);
	CU_ASSERT_EQUAL(s.sched, TW_IPC_SCHED_POISSON);
	CU_ASSERT_EQUAL(s.count, 1000);
	CU_ASSERT_EQUAL(s.seed, 42);
	CU_ASSERT_EQUAL(s.duration_ns, 2000000000ull);
	CU_ASSERT_EQUAL(s.warmup_ns, 500000000ull);
	CU_ASSERT_EQUAL(s.sizes[0].padding_len, 128 - 66 - 44);
	CU_ASSERT_STRING_EQUAL(s.mode_name, "stamp");
	/* snprintf-style truncation */
	char small[8];
	size_t n = tw_profile_print(p, small, sizeof(small));
	CU_ASSERT_EQUAL(n, strlen(c));
	CU_ASSERT_STRING_EQUAL(small, "name mi");
	free(c);
	tw_profile_free(p);
}

static void test_steps(void)
{
	struct tw_profile *p =
	    parse_ok("name r\nsize 64\nsteps rate 1kpps 10kpps 100kpps 1Mpps\nwarmup 1s\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(tw_profile_step_count(p), 4);
	static const uint64_t iv[] = {1000000, 100000, 10000, 1000};
	static const char *const names[] = {"rate=1kpps", "rate=10kpps", "rate=100kpps",
	                                    "rate=1Mpps"};
	for (unsigned i = 0; i < 4; i++) {
		struct tw_profile_step s;
		CU_ASSERT_EQUAL(tw_profile_step(p, i, &s), TW_OK);
		CU_ASSERT_EQUAL(s.index, i);
		CU_ASSERT_EQUAL(s.interval_ns, iv[i]);
		CU_ASSERT_STRING_EQUAL(s.name, names[i]);
		CU_ASSERT_EQUAL(s.warmup_ns, 1000000000ull);
		/* L1 rate: pps * (64 + 20) * 8 */
		CU_ASSERT_DOUBLE_EQUAL(s.l1_bps, s.rate_pps * 672.0, 1e-3);
	}
	tw_profile_free(p);

	/* The sweep end is always included. */
	p = parse_ok("name s\nsweep size 64..1518 step 64\nrate 1kpps\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(tw_profile_step_count(p), 24);
	struct tw_profile_step s;
	tw_profile_step(p, 22, &s);
	CU_ASSERT_EQUAL(s.sizes[0].frame_len, 1472);
	tw_profile_step(p, 23, &s);
	CU_ASSERT_EQUAL(s.sizes[0].frame_len, 1518);
	CU_ASSERT_STRING_EQUAL(s.name, "size=1518");
	assert_roundtrip(p, "sweep size");
	tw_profile_free(p);

	p = parse_ok("name s\nsize 128\nsweep rate 100kpps..1Mpps step 300kpps\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(tw_profile_step_count(p), 4); /* 100k 400k 700k 1M */
	tw_profile_step(p, 3, &s);
	CU_ASSERT_EQUAL(s.interval_ns, 1000);
	assert_roundtrip(p, "sweep rate");
	tw_profile_free(p);

	/* steps over bit rates with an IMIX: pps from the weighted mean frame
	 * (7*64 + 4*594 + 1518)/12 = 361.83; + 20 = 381.83 octets = 3054.67 bits */
	p = parse_ok("name b\nimix 64:7 594:4 1518:1\nsteps rate 10Mbps 1Gbps\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	tw_profile_step(p, 1, &s);
	CU_ASSERT_DOUBLE_EQUAL(s.rate_pps, 1e9 / ((4342.0 / 12.0 + 20.0) * 8.0), 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(s.l1_bps, 1e9, 1e-3);
	tw_profile_free(p);

	/* steps dscp: one DSCP per step */
	p = parse_ok("name d\nsize 64\nrate 1kpps\nsteps dscp BE AF41 EF 7\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(tw_profile_step_count(p), 4);
	tw_profile_step(p, 1, &s);
	CU_ASSERT_EQUAL(s.n_dscps, 1);
	CU_ASSERT_EQUAL(s.dscps[0].dscp, 34);
	CU_ASSERT_STRING_EQUAL(s.name, "dscp=AF41");
	assert_roundtrip(p, "steps dscp");
	tw_profile_free(p);

	/* count-only steps */
	p = parse_ok("name c\nsize 64\nrate 1kpps\nduration-per-step 0s\ncount 500\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	tw_profile_step(p, 0, &s);
	CU_ASSERT_EQUAL(s.duration_ns, 0);
	CU_ASSERT_EQUAL(s.count, 500);
	assert_roundtrip(p, "count only");
	tw_profile_free(p);
}

static const struct tw_unit_case cases[] = {
    {"bundled profiles parse and round-trip", test_bundled},
    {"golden errors", test_errors},
    {"file and argument errors", test_file_errors},
    {"frame size to padding", test_conversion},
    {"step size table", test_step_sizes},
    {"rate units", test_units_rate},
    {"time units", test_units_time},
    {"dscp names", test_dscp},
    {"picker imix 7:4:1", test_picker_imix},
    {"picker dscp mixes", test_picker_dscp},
    {"canonical print", test_canonical},
    {"step expansion", test_steps},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
	profile_dir = argc > 1 ? argv[1] : getenv("TW_PROFILE_DIR");
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (tw_unit_suite("profile", cases))
		return 1;
	return tw_unit_run("profile");
}
