/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Golden tests of the twinhopd configuration parser and printer
 * (control/daemon/ctl_conf.c) and of the perfSONAR .pfs key file (ctl_keys.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_conf.h"
#include "ctl_keys.h"
#include "tw_ctl.h"
#include "tw_unit.h"

static const char *print_conf(const struct ctl_conf *c)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	ctl_conf_print(c, f);
	fclose(f);
	return buf;
}

static void test_conf_errors(void)
{
	static const struct {
		const char *in, *err;
	} t[] = {
	    {"bogus 1\n", "t.conf:1: unknown directive 'bogus'"},
	    {"# c\n\nmodes open sideways\n",
	     "t.conf:3: modes: unknown mode 'sideways' (open, authenticated, encrypted, mixed)"},
	    {"modes\n", "t.conf:1: modes: expected at least 1 argument, got 0"},
	    {"pbkdf2-count 1000\n", "t.conf:1: pbkdf2-count: 1000 out of range 1024..1048576"},
	    {"pbkdf2-count 3072\n",
	     "t.conf:1: pbkdf2-count: 3072 is not a power of two (RFC 4656 §3.1)"},
	    {"pbkdf2-count x\n", "t.conf:1: pbkdf2-count: 'x' is not a number"},
	    {"pbkdf2-count -1\n", "t.conf:1: pbkdf2-count: '-1' is not a number"},
	    {"servwait 10 20\n", "t.conf:1: servwait: expected 1 argument, got 2"},
	    {"refwait 0\n", "t.conf:1: refwait: 0 out of range 1..86400"},
	    {"refwait 5\nrefwait 6\n", "t.conf:2: refwait: already set at line 1"},
	    {"listen 1.2.3.400\n", "t.conf:1: listen: '1.2.3.400' is not an IPv4 or IPv6 address"},
	    {"listen ::1 0\n", "t.conf:1: listen: 0 out of range 1..65535"},
	    {"metrics-listen localhost\n",
	     "t.conf:1: metrics-listen: 'localhost' is not an IPv4 or IPv6 address"},
	    {"metrics-listen 127.0.0.1 70000\n",
	     "t.conf:1: metrics-listen: 70000 out of range 1..65535"},
	    {"stats-interval -5\n", "t.conf:1: stats-interval: '-5' is not a number"},
	    {"threshold jitter 5\n",
	     "t.conf:1: threshold: unknown kind 'jitter' (rtt, forward, backward, ipdv, loss)"},
	    {"threshold rtt 100 200\n", "t.conf:1: threshold: 200 out of range 0..100"},
	    {"threshold loss 2000000\n", "t.conf:1: threshold: 2000000 out of range 1..1000000"},
	    {"threshold rtt\n", "t.conf:1: threshold: expected 2 to 3 arguments, got 1"},
	    {"listen ::1 1 2\n", "t.conf:1: listen: expected 1 to 2 arguments, got 3"},
	    {"test-ports 30000\n", "t.conf:1: test-ports: expected MIN-MAX, not '30000'"},
	    {"test-ports 30000-20000\n", "t.conf:1: test-ports: 30000 is above 20000"},
	    {"allow 10.0.0.1/8\n", "t.conf:1: allow: '10.0.0.1/8' has host bits set"},
	    {"allow 10.0.0.0/33\n", "t.conf:1: allow prefix length: 33 out of range 0..32"},
	    {"allow 10.0.0.0/8 open\n",
	     "t.conf:1: allow: expected 'modes' or 'third-party' after the prefix, not 'open'"},
	    {"allow 10.0.0.0/8 third-party modes\n", "t.conf:1: allow modes: expected at least one "
	                                             "of open, authenticated, encrypted, mixed"},
	    {"allow 10.0.0.0/8 third-party open\n",
	     "t.conf:1: allow: expected 'modes' or 'third-party' after the prefix, not 'open'"},
	    {"allow nowhere\n", "t.conf:1: allow: 'nowhere' is not an address prefix"},
	    {"allow 10.0.0.0/8 modes encrypted\n",
	     "t.conf: allow rule 1 names mode encrypted, which 'modes' does not offer"},
	    {"modes open encrypted\n",
	     "t.conf: modes authenticated, encrypted and mixed need a keyfile"},
	    {"features turbo\n", "t.conf:1: features: unknown feature 'turbo' "
	                         "(individual-sessions, reflect-octets, symmetrical-size, dscp-ecn, ptpv2, none)"},
	    {"seccomp maybe\n", "t.conf:1: seccomp: expected yes or no, not 'maybe'"},
	    {"log-level loud\n",
	     "t.conf:1: log-level: expected error, warning, info or debug, not 'loud'"},
	    {"admin-socket run/x.sock\n",
	     "t.conf:1: admin-socket: 'run/x.sock' is not an absolute path"},
	    {"admin-socket /a\nadmin-socket-ro /a\n",
	     "t.conf: admin-socket and admin-socket-ro are the same path"},
	    {"fp-timeout 5\n", "t.conf:1: fp-timeout: 5 out of range 10..60000"},
	    {"fp-grace 0\n", "t.conf:1: fp-grace: 0 out of range 1..3600"},
	    {"max-sessions-per-connection 5000\n",
	     "t.conf:1: max-sessions-per-connection: 5000 out of range 1..4096"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ctl_conf c;
		char err[512] = "";
		ctl_conf_defaults(&c);
		int rc = ctl_conf_parse("t.conf", t[i].in, &c, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, -1);
		if (strcmp(err, t[i].err)) {
			/* fputs: GCC's -Wformat-overflow misfires here under ASan */
			printf("\n  input %zu: got  ", i);
			fputs(err, stdout);
			fputs("\n            want ", stdout);
			fputs(t[i].err, stdout);
			fputs("\n", stdout);
		}
		CU_ASSERT_STRING_EQUAL(err, t[i].err);
	}
}

static const char golden_in[] = "# a full configuration\n"
                                "listen 127.0.0.1 8862   # comment after a directive\n"
                                "listen ::1\n"
                                "modes mixed open encrypted authenticated\n"
                                "features reflect-octets individual-sessions\n"
                                "keyfile /etc/twinhop/keys.pfs\n"
                                "pbkdf2-count 4096\n"
                                "max-connections 10\n"
                                "max-connections-per-address 3\n"
                                "setup-timeout 5\n"
                                "ended-timeout 30\n"
                                "tcp-keepalive 0\n"
                                "max-sessions-per-connection 8\n"
                                "max-sessions 500\n"
                                "max-sessions-per-client 20\n"
                                "allow 10.0.0.0/8 modes open\n"
                                "allow 2001:db8::/32\n"
                                "allow 192.0.2.0/24 third-party modes open mixed\n"
                                "test-ports 30000-30999\n"
                                "servwait 600\n"
                                "refwait 300\n"
                                "fp-region /twinhop-test\n"
                                "fp-timeout 500\n"
                                "fp-grace 30\n"
                                "user twinhop\n"
                                "admin-group twinhop\n"
                                "seccomp no\n"
                                "admin-socket /tmp/t.sock\n"
                                "admin-socket-ro /tmp/t-ro.sock\n"
                                "admin-idle-timeout 30\n"
                                "log-level debug\n"
                                "metrics-listen ::1\n"
                                "stats-interval 250\n"
                                "threshold loss 20000 10000\n"
                                "threshold rtt 5000\n";

static const char golden_out[] = "admin-group twinhop\n"
                                 "admin-idle-timeout 30\n"
                                 "admin-socket /tmp/t.sock\n"
                                 "admin-socket-ro /tmp/t-ro.sock\n"
                                 "allow 10.0.0.0/8 modes open\n"
                                 "allow 2001:db8::/32\n"
                                 "allow 192.0.2.0/24 modes open mixed third-party\n"
                                 "ended-timeout 30\n"
                                 "features individual-sessions reflect-octets\n"
                                 "fp-grace 30\n"
                                 "fp-region /twinhop-test\n"
                                 "fp-timeout 500\n"
                                 "keyfile /etc/twinhop/keys.pfs\n"
                                 "listen 127.0.0.1 8862\n"
                                 "listen ::1 862\n"
                                 "log-level debug\n"
                                 "max-connections 10\n"
                                 "max-connections-per-address 3\n"
                                 "max-sessions 500\n"
                                 "max-sessions-per-client 20\n"
                                 "max-sessions-per-connection 8\n"
                                 "metrics-listen ::1 9862\n"
                                 "modes open authenticated encrypted mixed\n"
                                 "pbkdf2-count 4096\n"
                                 "refwait 300\n"
                                 "seccomp no\n"
                                 "servwait 600\n"
                                 "setup-timeout 5\n"
                                 "stats-interval 250\n"
                                 "tcp-keepalive 0\n"
                                 "test-ports 30000-30999\n"
                                 "threshold rtt 5000 5000\n"
                                 "threshold loss 20000 10000\n"
                                 "user twinhop\n";

static const char defaults_out[] = "admin-idle-timeout 60\n"
                                   "admin-socket /run/twinhop/twinhopd.sock\n"
                                   "admin-socket-ro none\n"
                                   "ended-timeout 60\n"
                                   "features none\n"
                                   "fp-grace 10\n"
                                   "fp-region /twinhop-fp0\n"
                                   "fp-timeout 2000\n"
                                   "listen 0.0.0.0 862\n"
                                   "listen :: 862\n"
                                   "log-level info\n"
                                   "max-connections 64\n"
                                   "max-connections-per-address 8\n"
                                   "max-sessions 4096\n"
                                   "max-sessions-per-client 64\n"
                                   "max-sessions-per-connection 16\n"
                                   "metrics-listen none\n"
                                   "modes open\n"
                                   "pbkdf2-count 2048\n"
                                   "refwait 900\n"
                                   "seccomp yes\n"
                                   "servwait 900\n"
                                   "setup-timeout 10\n"
                                   "stats-interval 1000\n"
                                   "tcp-keepalive 60\n"
                                   "test-ports 20000-39999\n"
                                   "user nobody\n";

static void test_conf_golden(void)
{
	struct ctl_conf c, c2;
	char err[512] = "";

	ctl_conf_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(ctl_conf_parse("g.conf", golden_in, &c, err, sizeof(err)), 0);
	char *out = strdup(print_conf(&c));
	if (strcmp(out, golden_out))
		fputs(out, stdout);
	CU_ASSERT_STRING_EQUAL(out, golden_out);
	/* The canonical form parses to the same configuration. */
	ctl_conf_defaults(&c2);
	CU_ASSERT_EQUAL(ctl_conf_parse("p.conf", out, &c2, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(print_conf(&c2), golden_out);
	free(out);

	ctl_conf_defaults(&c);
	CU_ASSERT_EQUAL(ctl_conf_parse("empty", "# nothing\n", &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(print_conf(&c), defaults_out);
}

static void test_conf_modes_for(void)
{
	struct ctl_conf c;
	char err[256];
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	ctl_conf_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(ctl_conf_parse("m",
	                                     "modes open encrypted\nkeyfile /k\n"
	                                     "features individual-sessions\n"
	                                     "allow 10.0.0.0/8 modes open\n"
	                                     "allow 10.1.0.0/16\n",
	                                     &c, err, sizeof(err)),
	                      0);
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, "10.2.3.4", &s4->sin_addr);
	CU_ASSERT_EQUAL(ctl_conf_modes_for(&c, &ss), 0x11u);
	inet_pton(AF_INET, "10.1.3.4", &s4->sin_addr); /* longest prefix wins */
	CU_ASSERT_EQUAL(ctl_conf_modes_for(&c, &ss), 0x15u);
	inet_pton(AF_INET, "192.0.2.1", &s4->sin_addr);
	CU_ASSERT_EQUAL(ctl_conf_modes_for(&c, &ss), 0u); /* no rule: Modes 0 */

	/* third-party: only from the longest matching rule that says so */
	CU_ASSERT_FALSE(ctl_conf_third_party(&c, &ss));
	ctl_conf_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(ctl_conf_parse("m",
	                                     "modes open\nallow 10.0.0.0/8 third-party\n"
	                                     "allow 10.1.0.0/16\n",
	                                     &c, err, sizeof(err)),
	                      0);
	inet_pton(AF_INET, "10.2.3.4", &s4->sin_addr);
	CU_ASSERT_TRUE(ctl_conf_third_party(&c, &ss));
	CU_ASSERT_EQUAL(ctl_conf_modes_for(&c, &ss), 0x1u);
	inet_pton(AF_INET, "10.1.3.4", &s4->sin_addr);
	CU_ASSERT_FALSE(ctl_conf_third_party(&c, &ss));
	ctl_conf_defaults(&c); /* no allow rule at all: nobody */
	CU_ASSERT_FALSE(ctl_conf_third_party(&c, &ss));
}

static void test_example_conf(void)
{
	struct ctl_conf c;
	char err[512] = "";
	int rc = ctl_conf_load(CTL_EXAMPLE_CONF, &c, err, sizeof(err));
	if (rc)
		printf("\n  %s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
}

static void test_pfs(void)
{
	struct ctl_keys *k = NULL;
	char err[256] = "";
	uint8_t id[80] = "alice";
	const uint8_t *sec;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(ctl_keys_parse("k.pfs",
	                                     "# perfSONAR aespasskeys\n"
	                                     "alice\t74657374736563726574\n"
	                                     "\n  bob   DEADbeef  # trailing comment\n",
	                                     &k, err, sizeof(err)),
	                      0);
	CU_ASSERT_EQUAL(ctl_keys_count(k), 2);
	CU_ASSERT(ctl_keys_lookup(k, id, &sec, &len));
	CU_ASSERT_EQUAL(len, 10);
	CU_ASSERT(!memcmp(sec, "testsecret", 10));
	memcpy(id, "bob\0\0", 5);
	CU_ASSERT(ctl_keys_lookup(k, id, &sec, &len));
	CU_ASSERT_EQUAL(len, 4);
	CU_ASSERT_EQUAL(sec[0], 0xde);
	memcpy(id, "carol", 5);
	CU_ASSERT(!ctl_keys_lookup(k, id, &sec, &len));
	memcpy(id, "bob\0x", 5); /* garbage after the NUL padding */
	CU_ASSERT(!ctl_keys_lookup(k, id, &sec, &len));
	ctl_keys_free(k);

	static const struct {
		const char *in, *err;
	} t[] = {
	    {"alice\n", "k.pfs:1: expected \"identity hex-passphrase\""},
	    {"alice 00 11\n", "k.pfs:1: expected \"identity hex-passphrase\""},
	    {"alice 123\n",
	     "k.pfs:1: pass-phrase must be an even number of hex digits (at most 512 octets)"},
	    {"\nalice zz\n", "k.pfs:2: pass-phrase is not hexadecimal"},
	    {"a 00\na 01\n", "k.pfs:2: identity 'a' given twice"},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	     "00\n",
	     "k.pfs:1: identity longer than 80 octets"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		k = NULL;
		CU_ASSERT_EQUAL(ctl_keys_parse("k.pfs", t[i].in, &k, err, sizeof(err)), -1);
		if (strcmp(err, t[i].err)) {
			printf("\n  pfs %zu: got ", i);
			fputs(err, stdout);
			fputs("\n", stdout);
		}
		CU_ASSERT_STRING_EQUAL(err, t[i].err);
		CU_ASSERT_PTR_NULL(k);
	}
}

int main(void)
{
	static const struct tw_unit_case conf[] = {
	    {"errors", test_conf_errors},
	    {"golden", test_conf_golden},
	    {"modes_for", test_conf_modes_for},
	    {"example", test_example_conf},
	    {NULL, NULL},
	};
	static const struct tw_unit_case keys[] = {
	    {"pfs", test_pfs},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	tw_unit_suite("conf", conf);
	tw_unit_suite("keys", keys);
	return tw_unit_run("ctl_conf");
}
