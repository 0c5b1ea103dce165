/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_meas: option parsing (--threshold, durations), profile lookup, and the
 * engine-callback -> tw_stats -> tw_report path without a network: a crafted
 * sequence of sent packets and replies must give the exact CSV lost rows,
 * loss counts and threshold events.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_bench.h"
#include "cli_meas.h"
#include "cli_host.h"
#include "tw_unit.h"

static void test_duration(void)
{
	static const struct {
		const char *in;
		int64_t want;
	} t[] = {
	    {"5ms", 5000000}, {"250us", 250000}, {"1.5s", 1500000000},
	    {"100ns", 100},   {"2", 2000000000}, {"0.5", 500000000},
	    {"", -1},         {"5 ms", -1},      {"-1ms", -1},
	    {"1h", -1},       {"ms", -1},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t got = cli_parse_duration_ns(t[i].in);
		if (got != t[i].want)
			printf("\n  '%s': got %lld want %lld\n", t[i].in, (long long)got,
			       (long long)t[i].want);
		CU_ASSERT_EQUAL(got, t[i].want);
	}
}

static void test_threshold(void)
{
	static const struct {
		const char *in;
		int ok;
		int kind;
		int64_t raise, clear;
	} t[] = {
	    {"rtt=5ms:4ms", 1, TW_STATS_THR_RTT, 5000000, 4000000},
	    {"rtt=5ms", 1, TW_STATS_THR_RTT, 5000000, 5000000},
	    {"owd=10ms:1ms", 1, TW_STATS_THR_BWD, 10000000, 1000000},
	    {"ipdv=1ms:500us", 1, TW_STATS_THR_IPDV, 1000000, 500000},
	    {"loss=1%:0.5%", 1, TW_STATS_THR_LOSS, 10000, 5000},
	    {"loss=500ppm", 1, TW_STATS_THR_LOSS, 500, 500},
	    {"loss=0.02:0.01", 1, TW_STATS_THR_LOSS, 20000, 10000},
	    {"rtt=4ms:5ms", 0, 0, 0, 0},
	    {"rtt", 0, 0, 0, 0},
	    {"jitter=1ms", 0, 0, 0, 0},
	    {"loss=200%", 0, 0, 0, 0},
	    {"rtt=0ms", 0, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_stats_thr thr[TW_STATS_THR__COUNT] = {{0, 0}};
		char err[512];
		int rc = cli_meas_parse_threshold(t[i].in, thr, err, sizeof(err));
		CU_ASSERT_EQUAL(rc == 0, t[i].ok);
		if (rc == 0 && t[i].ok) {
			CU_ASSERT_EQUAL(thr[t[i].kind].raise, t[i].raise);
			CU_ASSERT_EQUAL(thr[t[i].kind].clear, t[i].clear);
		}
	}
	/* owd sets both directions, and several may be given at once. */
	struct tw_stats_thr thr[TW_STATS_THR__COUNT] = {{0, 0}};
	char err[512];
	CU_ASSERT_EQUAL(cli_meas_parse_threshold("owd=2ms,rtt=3ms:1ms", thr, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(thr[TW_STATS_THR_FWD].raise, 2000000);
	CU_ASSERT_EQUAL(thr[TW_STATS_THR_BWD].raise, 2000000);
	CU_ASSERT_EQUAL(thr[TW_STATS_THR_RTT].clear, 1000000);
}

static void test_resolve(void)
{
	char dir[] = "/tmp/twcli-prof.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char p[4200], out[4200];
	snprintf(p, sizeof(p), "%s/twcli-unit.profile", dir);
	FILE *f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	CU_ASSERT_EQUAL(cli_bench_resolve("twcli-unit", dir, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, p);
	CU_ASSERT_EQUAL(cli_bench_resolve(p, NULL, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(cli_bench_resolve("nosuch-profile-xyz", dir, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(cli_bench_resolve("/nonexistent/x.profile", dir, out, sizeof(out)), -1);
	unlink(p);
	rmdir(dir);
}

/* 20 packets 10 ms apart; no reply to 3 and 7; 12 comes back after 30 ms. */
static void test_feed(void)
{
	char csvp[] = "/tmp/twcli-csv.XXXXXX";
	int fd = mkstemp(csvp);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	char *json = NULL;
	size_t jlen = 0;
	FILE *out = open_memstream(&json, &jlen);
	struct cli_meas_cfg mc = {0};
	mc.loss_timeout_ns = 100000000;
	mc.thr[TW_STATS_THR_RTT] = (struct tw_stats_thr){20000000, 10000000};
	mc.out = out;
	mc.json = true;
	mc.csv_path = csvp;
	struct cli_meas *m = calloc(1, sizeof(*m));
	char err[512];
	CU_ASSERT_FATAL(cli_meas_init(m, &mc, 1, err, sizeof(err)) == 0);
	struct cli_meas_sess_info in = {.name = "t",
	                                .peer = "p",
	                                .local = "l",
	                                .mode = "open",
	                                .count = 20,
	                                .interval_ns = 10000000};
	cli_meas_session(m, 0, &in);
	CU_ASSERT_FATAL(cli_meas_start(m, err, sizeof(err)) == 0);
	const struct cli_engine_cb *cb = cli_meas_callbacks(m);
	int64_t t0 = m->t0;
	for (uint32_t s = 0; s < 20; s++) {
		int64_t t1 = t0 + (int64_t)s * 10000000;
		cb->sent(cb->arg, 0, s, t1);
		if (s == 3 || s == 7)
			continue;
		int64_t d = s == 12 ? 30000000 : 1000000;
		struct tw_stats_reply r = {.snd_seq = s,
		                           .refl_seq = s,
		                           .t1 = t1,
		                           .t2 = t1 + d / 2,
		                           .t3 = t1 + d / 2,
		                           .t4 = t1 + d,
		                           .e1 = 1,
		                           .e2 = 1,
		                           .e3 = 1,
		                           .e4 = 1,
		                           .snd_sync = true,
		                           .refl_sync = true,
		                           .snd_ttl = 255,
		                           .rx_ttl = 255};
		cb->reply(cb->arg, 0, &r);
	}
	CU_ASSERT_EQUAL(cli_meas_finish(m, err, sizeof(err)), 0);
	struct tw_stats_summary sum;
	cli_meas_summary(m, 0, &sum);
	CU_ASSERT_EQUAL(sum.sent, 20);
	CU_ASSERT_EQUAL(sum.received, 18);
	CU_ASSERT_EQUAL(sum.lost, 2);
	cli_meas_free(m);
	free(m);
	fclose(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"round_trip\": {\n\t\t\t\t\t\"count\": 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"state\": \"raised\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"state\": \"cleared\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"seq\": 12"));
	free(json);
	/* CSV: header + 18 reply rows + 2 lost rows (seqs 3 and 7, lost = 1). */
	FILE *c = fopen(csvp, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	char line[1024];
	unsigned rows = 0, lost = 0, lostseq = 0;
	while (fgets(line, sizeof(line), c)) {
		rows++;
		size_t n = strlen(line);
		if (n > 3 && !strcmp(line + n - 3, ",1\n")) {
			lost++;
			lostseq += (unsigned)atoi(line);
		}
	}
	fclose(c);
	unlink(csvp);
	CU_ASSERT_EQUAL(rows, 21);
	CU_ASSERT_EQUAL(lost, 2);
	CU_ASSERT_EQUAL(lostseq, 10);
}

/* /proc/net/snmp and snmp6 as Linux writes them: the Udp column names, then
 * the values; IPv6 on its own lines. */
static void test_host_udp(void)
{
	static const char snmp[] =
	    "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
	    "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
	    "InCsumErrors IgnoredMulti MemErrors\n"
	    "Udp: 1000 2 4064 990 4061 3 0 0 0\n"
	    "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n"
	    "UdpLite: 0 0 0 0 77 77\n";
	static const char snmp6[] = "Udp6InDatagrams                 \t5\n"
	                            "Udp6RcvbufErrors                \t7\n"
	                            "Udp6SndbufErrors                \t1\n"
	                            "UdpLite6RcvbufErrors            \t99\n";
	struct cli_host_udp h;
	CU_ASSERT_FATAL(cli_host_udp_parse(snmp, snmp6, &h));
	CU_ASSERT_EQUAL(h.rcvbuf_errors, 4061 + 7);
	CU_ASSERT_EQUAL(h.sndbuf_errors, 3 + 1);
	CU_ASSERT_FATAL(cli_host_udp_parse(snmp, NULL, &h));
	CU_ASSERT_EQUAL(h.rcvbuf_errors, 4061);
	CU_ASSERT(!cli_host_udp_parse("Ip: a\nIp: 1\n", NULL, &h));
	CU_ASSERT(!cli_host_udp_parse("Udp: RcvbufErrors\n", NULL, &h));
	/* this machine's files, when there are any, parse */
	if (access("/proc/net/snmp", R_OK) == 0)
		CU_ASSERT(cli_host_udp_read(&h));
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"duration parsing", test_duration},
	    {"--threshold parsing", test_threshold},
	    {"profile lookup", test_resolve},
	    {"callbacks -> stats, CSV lost rows, events", test_feed},
	    {"host UDP drop counters", test_host_udp},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("cli_meas", cases))
		return 1;
	return tw_unit_run("cli_meas");
}
