/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhop: the command-line client.
 *
 *   twinhop measure HOST[:PORT] [options]   TWAMP client (RFC 5357): control
 *                                           via ctl_client, test packets via
 *                                           a cli_engine, metrics via tw_stats
 *   twinhop light-send HOST:PORT [options]  TWAMP Light / STAMP sender, no control
 *   twinhop status|sessions|counters|light|sender|admin ...
 *                                           twinhopd admin socket
 *   twinhop config import FILE | export     RFC 8913 YANG configuration
 *                                           (cli_yang, with libyang)
 * See docs/client.md.  Exit status: 0 success, 1 failure (message on stderr),
 * 2 usage error, 3 measurement ran but no reply came back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_admin.h"
#include "cli_bench.h"
#include "cli_engine.h"
#include "cli_meas.h"
#include "cli_run.h"
#include "cli_show.h"
#include "cli_top.h"
#ifdef TW_HAVE_YANG
#include "cli_yang.h"
#endif
#include "ctl_client.h"
#include "tw_config.h"
#include "tw_crypto.h"
#include "tw_hex.h"
#include "tw_time.h"

#define EXIT_USAGE   2
#define EXIT_NOREPLY 3

/* 0 = running; 1 = the first SIGINT/SIGTERM: a measurement stops sending
 * and still collects the replies in flight (up to its loss timeout, the way
 * the fast-path engine's sender-stop does); 2 = the second one: stop now. */
static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_drain_note; /* a measurement is running */

static void on_signal(int sig)
{
	(void)sig;
	if (g_stop < 2)
		g_stop = (sig_atomic_t)(g_stop + 1);
	if (g_stop == 1 && g_drain_note) {
		static const char m[] = "twinhop: interrupted: collecting the replies still in "
		                        "flight (interrupt again to stop now)\n";
		ssize_t w = write(STDERR_FILENO, m, sizeof(m) - 1);
		(void)w;
	}
}

#define die_msg cli_err

/* ---- options --------------------------------------------------------------- */

struct opts {
	const char *target, *target2;
	uint32_t modes;
	char key_id[TW_CTL_KEYID_LEN + 1];
	const char *keyfile;
	const char *secret;
	uint64_t count;
	double interval;
	bool poisson;
	long padding; /* -1: default for the mode (wire ref §4.5) */
	/* light-send --stamp --tlv: RFC 8972 / RFC 9503 TLVs, in order */
	struct tw_stlv_spec tlv[TW_STLV_SPECS];
	unsigned ntlv;
	int dscp;
	int ecn; /* RFC 3168 §5 codepoint of test packets, 0..3 */
	unsigned sessions;
	const char *micro; /* --micro-sessions S:R,... (RFC 9533) */
	double timeout;
	double loss_timeout;
	int family;
	const char *engine;
	const char *local;
	unsigned sender_port;
	bool json, quiet;
	const char *csv, *om, *html;
	double report_interval; /* -1: default */
	struct tw_stats_thr thr[TW_STATS_THR__COUNT];
	double stagger;
	bool zero_addr;           /* -Z: zero Sender/Receiver Address (twping -Z) */
	const char *profiles_dir; /* bench */
	uint32_t pbkdf2_max;
	uint32_t features;
	const char *admin;
	/* light-send */
	bool stamp;
	unsigned ssid;
	const char *stamp_key;
};

/* The command list; `twinhop --help` prints it with every option below. */
static void usage_cmds(FILE *f)
{
	fputs("usage:\n"
	      "  twinhop measure HOST[:PORT] [options]     TWAMP client (control port 862)\n"
	      "  twinhop light-send HOST:PORT [options]    TWAMP Light / STAMP sender\n"
	      "  twinhop bench PROFILE TARGET [options]    run a traffic profile step by step\n"
	      "  twinhop status | sessions | counters [--fp] [--all] [--json]\n"
	      "  twinhop top [--interval S] [--count N]     live view of the appliance\n"
	      "  twinhop light add --proto light|stamp --port N [--KEY VALUE ...]\n"
	      "  twinhop light del ID\n"
	      "  twinhop sender add --proto light|stamp --peer A --peer-port N --local A\n"
	      "                     --local-port N [--KEY VALUE ...]\n"
	      "  twinhop sender start|stop|del|watch ID\n"
	      "  twinhop admin '{\"cmd\":...}'               raw admin request\n"
	      "  twinhop config import FILE [--replace] [--dry-run]\n"
	      "  twinhop config export [-o FILE]           ietf-twamp (RFC 8913) JSON\n"
	      "  twinhop COMMAND --help                    one command's usage\n",
	      f);
}

static void usage_opts(FILE *f)
{
	fputs("measure / light-send / bench options:\n"
	      "  --mode LIST        allowed modes: open,auth,enc,mixed (default all)\n"
	      "  --keyid ID         KeyID (identity)\n"
	      "  --keyfile FILE     perfSONAR pass-phrase file (identity hex-passphrase)\n"
	      "  --secret TEXT      shared secret as text\n"
	      "  --count N          packets per session (default 100; 0 = until Ctrl-C)\n"
	      "  --interval S       mean seconds between packets (default 0.1)\n"
	      "  --rate PPS         packets per second (instead of --interval)\n"
	      "  --poisson          exponential gaps instead of periodic\n"
	      "  --padding N        Padding Length (default 27 open/mixed, 64 auth/enc)\n"
	      "  --dscp N           DSCP of test packets (Type-P)\n"
	      "  --ecn E            ECN of test packets: not-ect, ect0, ect1, ce or 0..3\n"
	      "  --sessions N       parallel test sessions (default 1)\n"
	      "  --micro-sessions S:R[,S:R...]  measure: RFC 9533 LAG micro-sessions in one\n"
	      "                     Request-TW-Micro-Sessions, one result each; S = our\n"
	      "                     member link 1..65535, R = the reflector's (0 = unknown);\n"
	      "                     light-send --stamp: RFC 9534, the IDs in a TLV\n"
	      "  --stagger S        start session i i*S seconds after the first (Start-N\n"
	      "                     per session when --features indiv is negotiated)\n"
	      "  -Z, --zero-addresses  zero Sender/Receiver Address in Request-TW-Session\n"
	      "                     (the server uses the control connection's, twping -Z)\n"
	      "  --timeout S        control reply deadline (default 10)\n"
	      "  --loss-timeout S   a packet is lost after this (default 2)\n"
	      "  -4, -6             address family\n"
	      "  --engine E         socket (default) or fastpath\n"
	      "  --local ADDR       local address for control and test\n"
	      "  --sender-port N    first local test port (default: a random free one)\n"
	      "  --pbkdf2-max N     largest PBKDF2 count accepted (default 32768)\n"
	      "  --features LIST    ask for indiv,reflect-octets,symmetrical,dscp-ecn\n"
	      "                     (RFC 7750),ptp (RFC 8186) if the server offers them;\n"
	      "                     light-send --stamp: ptp = PTP timestamps (RFC 8762)\n"
	      "  --admin PATH       twinhopd admin socket (fastpath engine, appliance cmds)\n"
	      "  --stamp            light-send: STAMP packets (default TWAMP Light)\n"
	      "  --ssid N           light-send: STAMP SSID\n"
	      "  --stamp-key HEX    light-send, bench: STAMP authenticated mode key\n"
	      "  --tlv WORD         light-send --stamp: add a STAMP TLV (repeatable, sent in\n"
	      "                     order): pad=N location tsinfo cos=DSCP[,ecn=E] dm\n"
	      "                     access=ID,CODE followup hmac dna=ADDR return-path=CODE\n"
	      "                     type=N[,len=L]; results in the report\n"
	      "  --json             JSON on stdout (docs/schema/report.schema.json;\n"
	      "                     several sessions: one document per line)\n"
	      "  --format text|json same as default / --json\n"
	      "  --csv FILE         per-packet CSV, lost packets included (FILE.N per session)\n"
	      "  --openmetrics FILE session totals as OpenMetrics text\n"
	      "  --html FILE        one self-contained HTML page with charts (bench: the steps)\n"
	      "  --report-interval S  interval reports (default 1 on runs > 2 s; 0 = none)\n"
	      "  --threshold K=R[:C]  raise/clear events: rtt|owd|fwd|bwd|ipdv=5ms:4ms,\n"
	      "                     loss=1%:0.5% (repeat, or comma-separated)\n"
	      "  --profiles-dir DIR bench: where to look up profile names first\n"
	      "  --quiet            no progress on stderr\n",
	      f);
}

static void usage(FILE *f)
{
	usage_cmds(f);
	usage_opts(f);
}

/* One line naming the problem, one line with the way out (no 60-line usage
 * after a typo). */
__attribute__((format(printf, 2, 3))) static void usage_err(const char *cmd, const char *fmt,
                                                            ...)
{
	va_list ap;
	fprintf(stderr, "twinhop%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'twinhop %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
}

/* The synopsis and purpose of each command, for `twinhop CMD --help`. */
static const struct {
	const char *name, *text;
	bool opts; /* followed by the measure/light-send/bench options */
} cmd_help[] = {
    {"measure",
     "usage: twinhop measure HOST[:PORT] [options]\n"
     "Run TWAMP test sessions against HOST's TWAMP-Control server (RFC 5357) and\n"
     "print round-trip, one-way and loss statistics (docs/client.md, docs/output.md).\n",
     true},
    {"light-send",
     "usage: twinhop light-send HOST:PORT [options]\n"
     "Send TWAMP Light (or, with --stamp, STAMP) test packets to a reflector at\n"
     "HOST:PORT, without TWAMP-Control, and report as measure does.\n",
     true},
    {"bench",
     "usage: twinhop bench PROFILE TARGET [options]\n"
     "Run a traffic profile (twinhop-profile(5)) step by step against TARGET and\n"
     "print one row per step.  PROFILE is a file or the name of a bundled profile.\n",
     true},
    {"status", "usage: twinhop status [--json] [--admin PATH]\n"
               "twinhopd's version, uptime, fast-path attachment, listeners and session\n"
               "count.\n"},
    {"sessions", "usage: twinhop sessions [--json] [--admin PATH]\n"
                 "Every session of the appliance: TWAMP reflectors, Light/STAMP listeners\n"
                 "and senders, one per line.\n"},
    {"counters", "usage: twinhop counters [--fp] [--all] [--json] [--admin PATH]\n"
                 "twinhopd's event and bad-input counters; with --fp the fast path's, one\n"
                 "column per lcore.  Counters at 0 are left out unless --all.\n"},
    {"top", "usage: twinhop top [--interval S] [--count N] [--admin PATH]\n"
            "A live view of the appliance, refreshed every S seconds (default 1): sessions\n"
            "with rate, loss and RTT, and each lcore's load.  q or Ctrl-C quits; --count N\n"
            "stops after N screens.\n"},
    {"light", "usage: twinhop light add --proto light|stamp --port N [--addr A] [--peer A]\n"
              "                         [--stateless] [--copy-dscp] [--dscp N] [--ttl N] [--ptp]\n"
              "                         [--sec open|auth --key HEX] [--max-peers N]\n"
              "                         [--idle-s S] [--port-id N] [--vlan N] [--json]\n"
              "       twinhop light del ID [--json]\n"
              "Add or delete a TWAMP Light / STAMP reflector on the fast path\n"
              "(docs/admin-protocol.md, light-add).\n"},
    {"sender", "usage: twinhop sender add --proto light|stamp --peer A --peer-port N --local A\n"
               "                          --local-port N [--interval-us N] [--count N]\n"
               "                          [--duration-ms N] [--poisson] [--padding N]\n"
               "                          [--dscp N] [--ttl N] [--next-hop-mac MAC]\n"
               "                          [--sec open|auth --key HEX] [--start] [--json]\n"
               "       twinhop sender start|stop|del ID [--json]\n"
               "       twinhop sender watch ID [--json]\n"
               "Fast-path senders (docs/admin-protocol.md, sender-add); watch prints the\n"
               "session's events and per-packet results until it ends.\n"},
    {"admin", "usage: twinhop admin '{\"cmd\":\"NAME\",...}' [--admin PATH]\n"
              "Send one raw admin request (docs/admin-protocol.md) and print the reply line.\n"},
    {"config", "usage: twinhop config import FILE [--replace] [--dry-run] [--admin PATH]\n"
               "       twinhop config export [-o FILE] [--state] [--admin PATH]\n"
               "Apply / write the appliance's TWAMP configuration as ietf-twamp (RFC 8913)\n"
               "data in RFC 7951 JSON, validated with libyang (docs/yang.md).  import\n"
               "refuses, with the path, any leaf twinhop cannot do, and applies nothing\n"
               "then; ctrl-connections become twinhopd's own Control-Clients;\n"
               "--replace deletes every control-client first; --dry-run checks only.\n"
               "FILE '-' is stdin.  export writes to stdout or -o FILE; --state adds\n"
               "the control-clients' operational state (config false, not importable).\n"},
};

static bool cmd_usage(FILE *f, const char *cmd)
{
	for (size_t i = 0; i < sizeof(cmd_help) / sizeof(cmd_help[0]); i++)
		if (!strcmp(cmd_help[i].name, cmd)) {
			fputs(cmd_help[i].text, f);
			if (cmd_help[i].opts)
				usage_opts(f);
			else if (!strcmp(cmd, "config"))
				fputs("  --admin PATH       twinhopd admin socket (default "
				      "$TWINHOP_ADMIN, "
				      "then " CLI_ADMIN_DEFAULT_SOCK ")\n",
				      f);
			else
				fputs("  --admin PATH       twinhopd admin socket (default $TWINHOP_ADMIN, "
				      "then " CLI_ADMIN_DEFAULT_SOCK ")\n"
				      "  --json             the admin reply as JSON (docs/admin-protocol.md)\n",
				      f);
			return true;
		}
	return false;
}

static int parse_hex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	return tw_hex_decode(hex, strlen(hex), out, cap, len) == TW_OK ? 0 : -1;
}

enum {
	O_MODE = 256,
	O_KEYID,
	O_KEYFILE,
	O_SECRET,
	O_COUNT,
	O_INTERVAL,
	O_RATE,
	O_POISSON,
	O_PADDING,
	O_DSCP,
	O_ECN,
	O_SESSIONS,
	O_MICRO,
	O_TIMEOUT,
	O_LOSS,
	O_ENGINE,
	O_LOCAL,
	O_SPORT,
	O_JSON,
	O_QUIET,
	O_PBKDF2,
	O_FEATURES,
	O_ADMIN,
	O_STAMP,
	O_SSID,
	O_STAMPKEY,
	O_TLV,
	O_CSV,
	O_OM,
	O_HTML,
	O_RINTV,
	O_THR,
	O_STAGGER,
	O_ZERO,
	O_PROFDIR,
	O_FORMAT,
	O_HELP,
};

static const struct option long_opts[] = {
    {"mode", required_argument, 0, O_MODE},
    {"keyid", required_argument, 0, O_KEYID},
    {"keyfile", required_argument, 0, O_KEYFILE},
    {"secret", required_argument, 0, O_SECRET},
    {"count", required_argument, 0, O_COUNT},
    {"interval", required_argument, 0, O_INTERVAL},
    {"rate", required_argument, 0, O_RATE},
    {"poisson", no_argument, 0, O_POISSON},
    {"padding", required_argument, 0, O_PADDING},
    {"dscp", required_argument, 0, O_DSCP},
    {"ecn", required_argument, 0, O_ECN},
    {"sessions", required_argument, 0, O_SESSIONS},
    {"micro-sessions", required_argument, 0, O_MICRO},
    {"timeout", required_argument, 0, O_TIMEOUT},
    {"loss-timeout", required_argument, 0, O_LOSS},
    {"engine", required_argument, 0, O_ENGINE},
    {"local", required_argument, 0, O_LOCAL},
    {"sender-port", required_argument, 0, O_SPORT},
    {"json", no_argument, 0, O_JSON},
    {"quiet", no_argument, 0, O_QUIET},
    {"pbkdf2-max", required_argument, 0, O_PBKDF2},
    {"features", required_argument, 0, O_FEATURES},
    {"admin", required_argument, 0, O_ADMIN},
    {"stamp", no_argument, 0, O_STAMP},
    {"ssid", required_argument, 0, O_SSID},
    {"stamp-key", required_argument, 0, O_STAMPKEY},
    {"tlv", required_argument, 0, O_TLV},
    {"csv", required_argument, 0, O_CSV},
    {"openmetrics", required_argument, 0, O_OM},
    {"html", required_argument, 0, O_HTML},
    {"report-interval", required_argument, 0, O_RINTV},
    {"threshold", required_argument, 0, O_THR},
    {"stagger", required_argument, 0, O_STAGGER},
    {"zero-addresses", no_argument, 0, O_ZERO},
    {"profiles-dir", required_argument, 0, O_PROFDIR},
    {"format", required_argument, 0, O_FORMAT},
    {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0},
};

static bool num(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

static int parse_opts(int argc, char **argv, struct opts *o, int npos)
{
	memset(o, 0, sizeof(*o));
	o->count = 100;
	o->interval = 0.1;
	o->padding = -1;
	o->sessions = 1;
	o->timeout = 10;
	o->loss_timeout = 2;
	o->engine = "socket";
	o->family = AF_UNSPEC;
	o->admin = getenv("TWINHOP_ADMIN");
	o->report_interval = -1;
	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's */
	int c;
	double v;
	while ((c = getopt_long(argc, argv, ":46hqZ", long_opts, NULL)) != -1) {
		switch (c) {
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case O_MODE:
			if (!(o->modes = ctl_client_parse_modes(optarg))) {
				die_msg("--mode: '%s' is not a list of open,auth,enc,mixed",
				        optarg);
				return -1;
			}
			break;
		case O_KEYID:
			if (strlen(optarg) > TW_CTL_KEYID_LEN) {
				die_msg("--keyid: longer than 80 octets");
				return -1;
			}
			snprintf(o->key_id, sizeof(o->key_id), "%s", optarg);
			break;
		case O_KEYFILE:
			o->keyfile = optarg;
			break;
		case O_SECRET:
			o->secret = optarg;
			break;
		case O_COUNT:
			if (!num(optarg, 0, 4e9, &v)) {
				die_msg("--count: need 0..4000000000");
				return -1;
			}
			o->count = (uint64_t)v;
			break;
		case O_INTERVAL:
			if (!num(optarg, 1e-6, 3600, &v)) {
				die_msg("--interval: need 0.000001..3600 seconds");
				return -1;
			}
			o->interval = v;
			break;
		case O_RATE:
			if (!num(optarg, 1e-3, 1e6, &v)) {
				die_msg("--rate: need 0.001..1000000 packets per second");
				return -1;
			}
			o->interval = 1.0 / v;
			break;
		case O_POISSON:
			o->poisson = true;
			break;
		case O_PADDING:
			if (!num(optarg, 0, 65000, &v)) {
				die_msg("--padding: need 0..65000");
				return -1;
			}
			o->padding = (long)v;
			break;
		case O_DSCP:
			if (!num(optarg, 0, 63, &v)) {
				die_msg("--dscp: need 0..63");
				return -1;
			}
			o->dscp = (int)v;
			break;
		case O_ECN: {
			/* RFC 3168 §5 names of the 2-bit codepoints */
			static const char *const en[] = {"not-ect", "ect1", "ect0", "ce"};
			int k = -1;
			for (int j = 0; j < 4; j++)
				if (!strcmp(optarg, en[j]))
					k = j;
			if (k < 0 && num(optarg, 0, 3, &v))
				k = (int)v;
			if (k < 0) {
				die_msg("--ecn: need not-ect, ect0, ect1, ce or 0..3");
				return -1;
			}
			o->ecn = k;
			break;
		}
		case O_SESSIONS:
			if (!num(optarg, 1, CLI_ENGINE_SESSIONS_MAX, &v)) {
				die_msg("--sessions: need 1..%d", CLI_ENGINE_SESSIONS_MAX);
				return -1;
			}
			o->sessions = (unsigned)v;
			break;
		case O_MICRO:
			o->micro = optarg;
			break;
		case O_TIMEOUT:
			if (!num(optarg, 0.01, 3600, &v)) {
				die_msg("--timeout: need 0.01..3600 seconds");
				return -1;
			}
			o->timeout = v;
			break;
		case O_LOSS:
			if (!num(optarg, 0.001, 3600, &v)) {
				die_msg("--loss-timeout: need 0.001..3600 seconds");
				return -1;
			}
			o->loss_timeout = v;
			break;
		case O_ENGINE:
			o->engine = optarg;
			break;
		case O_LOCAL:
			o->local = optarg;
			break;
		case O_SPORT:
			if (!num(optarg, 1, 65535, &v)) {
				die_msg("--sender-port: need 1..65535");
				return -1;
			}
			o->sender_port = (unsigned)v;
			break;
		case O_JSON:
			o->json = true;
			break;
		case 'q':
		case O_QUIET:
			o->quiet = true;
			break;
		case O_PBKDF2:
			if (!num(optarg, 1, 4294967295.0, &v)) {
				die_msg("--pbkdf2-max: need a positive count");
				return -1;
			}
			o->pbkdf2_max = (uint32_t)v;
			break;
		case O_FEATURES: {
			char *dup = strdup(optarg), *save = NULL;
			if (!dup) {
				die_msg("out of memory");
				return -1;
			}
			for (char *t = strtok_r(dup, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				if (!strcmp(t, "indiv") || !strcmp(t, "individual"))
					o->features |= TW_CTL_MODE_INDIV_SESSIONS;
				else if (!strcmp(t, "reflect-octets"))
					o->features |= TW_CTL_MODE_REFLECT_OCTETS;
				else if (!strcmp(t, "symmetrical"))
					o->features |= TW_CTL_MODE_SYMMETRICAL;
				else if (!strcmp(t, "dscp-ecn"))
					o->features |= TW_CTL_MODE_DSCP_ECN;
				else if (!strcmp(t, "ptp") || !strcmp(t, "ptpv2"))
					o->features |= TW_CTL_MODE_PTPV2;
				else {
					die_msg("--features: unknown '%s'", t);
					free(dup);
					return -1;
				}
			}
			free(dup);
			break;
		}
		case O_ADMIN:
			o->admin = optarg;
			break;
		case O_STAMP:
			o->stamp = true;
			break;
		case O_SSID:
			if (!num(optarg, 0, 65535, &v)) {
				die_msg("--ssid: need 0..65535");
				return -1;
			}
			o->ssid = (unsigned)v;
			break;
		case O_STAMPKEY:
			o->stamp_key = optarg;
			break;
		case O_TLV: {
			/* RFC 8972 §4, RFC 9503: lib/tw_stlv parses the word. */
			char e[200];
			if (o->ntlv >= TW_STLV_SPECS) {
				die_msg("--tlv: at most %u TLVs", TW_STLV_SPECS);
				return -1;
			}
			if (tw_stlv_parse(optarg, &o->tlv[o->ntlv], e, sizeof(e)) != TW_OK) {
				die_msg("%s", e);
				return -1;
			}
			o->ntlv++;
			break;
		}
		case O_CSV:
			o->csv = optarg;
			break;
		case O_OM:
			o->om = optarg;
			break;
		case O_HTML:
			o->html = optarg;
			break;
		case O_RINTV:
			if (!num(optarg, 0, 86400, &v)) {
				die_msg("--report-interval: need 0..86400 seconds (0: none)");
				return -1;
			}
			o->report_interval = v;
			break;
		case O_THR: {
			char err[512];
			if (cli_meas_parse_threshold(optarg, o->thr, err, sizeof(err)) < 0) {
				die_msg("%s", err);
				return -1;
			}
			break;
		}
		case 'Z':
		case O_ZERO:
			o->zero_addr = true;
			break;
		case O_STAGGER:
			if (!num(optarg, 0, 3600, &v)) {
				die_msg("--stagger: need 0..3600 seconds");
				return -1;
			}
			o->stagger = v;
			break;
		case O_PROFDIR:
			o->profiles_dir = optarg;
			break;
		case O_FORMAT: /* docs/output.md's name for the main stream's format */
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				die_msg("--format: text or json (CSV and OpenMetrics go to files: "
				        "--csv FILE, --openmetrics FILE)");
				return -1;
			}
			o->json = !strcmp(optarg, "json");
			break;
		case 'h':
		case O_HELP:
			cmd_usage(stdout, argv[0]);
			exit(0);
		case ':':
			usage_err(argv[0], "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			if (optopt && optopt < 256)
				usage_err(argv[0], "unknown option '-%c'", optopt);
			else if (optopt)
				usage_err(argv[0], "option '%s' takes no value", argv[optind - 1]);
			else
				usage_err(argv[0], "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind + npos != argc) {
		if (optind + npos > argc)
			usage_err(argv[0], "missing %s",
			          npos == 2 && optind + 1 == argc ? "TARGET"
			          : npos == 2                     ? "PROFILE"
			                                          : "HOST");
		else
			usage_err(argv[0], "unexpected argument '%s'", argv[optind + npos]);
		return -1;
	}
	o->target = argv[optind];
	o->target2 = npos == 2 ? argv[optind + 1] : NULL;
	return 0;
}

/* ---- measure / light-send ------------------------------------------------------ */

static int conn_from_opts(const struct opts *o, struct cli_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->target = o->target;
	c->family = o->family;
	c->local = o->local;
	c->timeout = o->timeout;
	c->stagger_ns = (int64_t)(o->stagger * 1e9);
	c->zero_addr = o->zero_addr;
	c->quiet = o->quiet;
	c->ctl.modes = o->modes;
	c->ctl.features = o->features;
	c->ctl.pbkdf2_max = o->pbkdf2_max;
	snprintf(c->ctl.key_id, sizeof(c->ctl.key_id), "%s", o->key_id);
	char err[512];
	if (o->keyfile) {
		if (ctl_client_read_pfs(o->keyfile, c->ctl.key_id, c->ctl.secret,
		                        sizeof(c->ctl.secret), &c->ctl.secret_len, err,
		                        sizeof(err)) < 0) {
			die_msg("%s", err);
			return 1;
		}
	} else if (o->secret) {
		c->ctl.secret_len = strlen(o->secret);
		if (c->ctl.secret_len > sizeof(c->ctl.secret)) {
			die_msg("--secret too long");
			return EXIT_USAGE;
		}
		memcpy(c->ctl.secret, o->secret, c->ctl.secret_len);
	}
	if (c->ctl.secret_len && !c->ctl.key_id[0]) {
		die_msg("a shared secret needs --keyid");
		return EXIT_USAGE;
	}
	return 0;
}

/* Interval reports: --report-interval, else 1 s on runs planned longer than 2 s
 * (or without an end), else none. */
static int64_t report_interval_ns(const struct opts *o)
{
	if (o->report_interval >= 0)
		return (int64_t)(o->report_interval * 1e9);
	double planned =
	    o->count ? (double)o->count * o->interval + o->stagger * (o->sessions - 1) : 1e9;
	return planned > 2.0 ? 1000000000 : 0;
}

static void meas_cfg_from_opts(const struct opts *o, struct cli_meas_cfg *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->loss_timeout_ns = (int64_t)(o->loss_timeout * 1e9);
	memcpy(mc->thr, o->thr, sizeof(mc->thr));
	mc->report_interval_ns = report_interval_ns(o);
	mc->out = stdout;
	mc->json = o->json;
	mc->progress = !o->quiet;
	mc->csv_path = o->csv;
	mc->om_path = o->om;
	mc->html_path = o->html;
	mc->engine = o->engine;
}

static void plan_from_opts(const struct opts *o, struct cli_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->padding = o->padding >= 0 ? (uint32_t)o->padding : CLI_PAD_DEFAULT;
	pl->dscp = (uint8_t)o->dscp;
	pl->ecn = (uint8_t)o->ecn;
	pl->count = o->count;
	pl->interval_ns = (uint64_t)(o->interval * 1e9) ? (uint64_t)(o->interval * 1e9) : 1;
	pl->poisson = o->poisson;
}

/* Exit status from the totals: 3 when nothing came back. */
static int no_reply_check(const struct cli_meas *m, const char *target)
{
	uint64_t received = 0;
	for (unsigned i = 0; i < m->n; i++) {
		struct tw_stats_summary s;
		cli_meas_summary(m, i, &s);
		received += s.received;
	}
	if (!received && !g_stop) {
		die_msg("no reply received from %s (reflector unreachable, or test packets "
		        "filtered?)",
		        target);
		return EXIT_NOREPLY;
	}
	return 0;
}

/* The part of measure and light-send after the plans are made: engine,
 * measurement, the run itself (TWAMP-Control or Light/STAMP) and the exit
 * status. */
static int run_plans(const struct opts *o, const struct cli_conn *conn,
                     const struct cli_plan *plan, bool light)
{
	char err[512], title[300];
	struct cli_meas_cfg mc;
	meas_cfg_from_opts(o, &mc);
	snprintf(title, sizeof(title), "twinhop %s %s", light ? "light-send" : "measure",
	         o->target);
	mc.html_title = title;
	struct cli_meas *m = calloc(1, sizeof(*m));
	struct cli_engine *e = cli_engine_new(o->engine, o->admin, err, sizeof(err));
	int rc = 1;
	if (!m || !e) {
		die_msg("%s", e ? "out of memory" : err);
	} else if (cli_meas_init(m, &mc, o->sessions, err, sizeof(err)) < 0) {
		die_msg("%s", err);
	} else {
		struct cli_run_out ro;
		g_drain_note = 1;
		rc = light ? cli_run_light(conn, plan, o->sessions, e, m, &g_stop, &ro)
		           : cli_run_twamp(conn, plan, o->sessions, e, m, &g_stop, &ro);
		if (!rc)
			rc = no_reply_check(m, o->target);
	}
	if (m)
		cli_meas_free(m);
	free(m);
	cli_engine_free(e);
	return rc;
}

/* --micro-sessions S:R,... (RFC 9533 measure, RFC 9534 light-send --stamp):
 * the micro-sessions are the run's sessions; -1 after the message. */
static int micro_opts(struct opts *o, struct cli_conn *conn)
{
	char err[256];
	if (o->sessions != 1) {
		die_msg("--micro-sessions and --sessions: the micro-sessions are the sessions");
		return -1;
	}
	if (cli_parse_micro(o->micro, conn, err, sizeof(err)) < 0) {
		die_msg("%s", err);
		return -1;
	}
	o->sessions = conn->n_micro;
	return 0;
}

static int cmd_measure(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o, 1) < 0)
		return EXIT_USAGE;
	if (o.ntlv) {
		die_msg("--tlv is for light-send --stamp");
		return EXIT_USAGE;
	}
	struct cli_conn conn;
	int rc = conn_from_opts(&o, &conn);
	if (rc)
		return rc;
	/* RFC 9533: one run session per micro-session, one control session */
	if (o.micro && micro_opts(&o, &conn) < 0)
		return EXIT_USAGE;
	if (o.stagger > 0 && !(o.features & TW_CTL_MODE_INDIV_SESSIONS) && !o.quiet)
		fprintf(stderr, "twinhop: --stagger without --features indiv: sessions start one "
		                "after another, but under one Start-Sessions\n");
	struct cli_plan plan[CLI_ENGINE_SESSIONS_MAX];
	for (unsigned i = 0; i < o.sessions; i++) {
		plan_from_opts(&o, &plan[i]);
		plan[i].sender_port = o.sender_port ? (uint16_t)(o.sender_port + i) : 0;
	}
	rc = run_plans(&o, &conn, plan, false);
	tw_crypto_cleanse(&conn, sizeof(conn));
	return rc;
}

static int cmd_light_send(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o, 1) < 0)
		return EXIT_USAGE;
	struct cli_conn conn;
	int rc = conn_from_opts(&o, &conn);
	if (rc)
		return rc;
	struct cli_plan plan[CLI_ENGINE_SESSIONS_MAX];
	uint8_t key[64];
	size_t keylen = 0;
	if (o.ntlv && !o.stamp) {
		die_msg("--tlv needs --stamp");
		return EXIT_USAGE;
	}
	if (o.micro) {
		/* RFC 9534: STAMP micro-sessions carry their IDs in a
		 * Micro-session ID TLV; TWAMP ones need TWAMP-Control
		 * (RFC 9533: measure --micro-sessions) */
		if (!o.stamp) {
			die_msg("light-send --micro-sessions needs --stamp (RFC 9534); TWAMP "
			        "micro-sessions are measure --micro-sessions (RFC 9533)");
			return EXIT_USAGE;
		}
		if (micro_opts(&o, &conn) < 0)
			return EXIT_USAGE;
		/* the TLV the IDs go in (the engine writes them), unless
		 * --tlv type=11,len=4 already asked for one */
		bool have = false;
		for (unsigned i = 0; i < o.ntlv; i++)
			have |= o.tlv[i].kind == TW_STLV_RAW &&
			        o.tlv[i].type == TW_PKT_TLV_MICRO_SESSION_ID &&
			        o.tlv[i].len == TW_PKT_MICRO_IDS_LEN;
		if (!have) {
			if (o.ntlv >= TW_STLV_SPECS) {
				die_msg("--micro-sessions: no room for its TLV beside %u --tlv",
				        o.ntlv);
				return EXIT_USAGE;
			}
			o.tlv[o.ntlv++] = (struct tw_stlv_spec){.kind = TW_STLV_RAW,
			                                        .type = TW_PKT_TLV_MICRO_SESSION_ID,
			                                        .len = TW_PKT_MICRO_IDS_LEN,
			                                        .ecn = -1};
		}
	}
	/* No TWAMP-Control, nothing to negotiate: only STAMP's timestamp
	 * format is the sender's own choice (RFC 8762 §4.2.1). */
	if (o.features & ~TW_CTL_MODE_PTPV2 || (o.features && !o.stamp)) {
		die_msg("light-send: --features takes only ptp, with --stamp");
		return EXIT_USAGE;
	}
	/* With TLVs the STAMP way to grow a packet is the Extra Padding TLV
	 * (RFC 8972 §4.1): --padding N becomes one of N octets in all (its
	 * 4-octet header included), after the other TLVs and before an HMAC
	 * TLV, so the packet is exactly N octets longer (docs/client.md). */
	if (o.ntlv && o.padding > 0) {
		if (o.padding < TW_PKT_TLV_HDR_LEN || o.ntlv >= TW_STLV_SPECS) {
			die_msg(
			    "--padding with --tlv: N is the whole Extra Padding TLV, at least 4");
			return EXIT_USAGE;
		}
		o.tlv[o.ntlv++] =
		    (struct tw_stlv_spec){.kind = TW_STLV_PAD,
		                          .len = (uint16_t)(o.padding - TW_PKT_TLV_HDR_LEN),
		                          .ecn = -1};
		o.padding = 0;
	}
	if (o.stamp_key) {
		if (!o.stamp) {
			die_msg("--stamp-key needs --stamp");
			return EXIT_USAGE;
		}
		if (parse_hex(o.stamp_key, key, sizeof(key), &keylen) < 0 || !keylen) {
			die_msg("--stamp-key: need 1..64 octets of hex");
			return EXIT_USAGE;
		}
	}
	for (unsigned i = 0; i < o.sessions; i++) {
		plan_from_opts(&o, &plan[i]);
		plan[i].sender_port = o.sender_port ? (uint16_t)(o.sender_port + i) : 0;
		plan[i].layout =
		    o.stamp ? (keylen ? TW_PKT_STAMP_AUTH : TW_PKT_STAMP_OPEN) : TW_PKT_TWAMP_OPEN;
		plan[i].prot = keylen ? TW_PKT_PROT_AUTH : TW_PKT_PROT_NONE;
		plan[i].stamp_key = key;
		plan[i].stamp_key_len = keylen;
		plan[i].ssid = (uint16_t)o.ssid;
		plan[i].tlv = o.tlv;
		plan[i].ntlv = o.ntlv;
	}
	rc = run_plans(&o, &conn, plan, true);
	tw_crypto_cleanse(key, sizeof(key));
	return rc;
}

/* ---- bench --------------------------------------------------------------------- */

static int cmd_bench(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o, 2) < 0)
		return EXIT_USAGE;
	if (o.micro) {
		die_msg("--micro-sessions is for measure, not bench");
		return EXIT_USAGE;
	}
	if (o.ntlv) {
		die_msg("--tlv is for light-send --stamp");
		return EXIT_USAGE;
	}
	struct cli_bench_args a = {0};
	a.profile = o.target;
	a.profiles_dir = o.profiles_dir;
	o.target = o.target2;
	int rc = conn_from_opts(&o, &a.conn);
	if (rc)
		return rc;
	a.conn.stagger_ns = 0;
	a.engine = o.engine;
	a.admin = o.admin;
	a.json = o.json;
	a.html = o.html;
	a.quiet = o.quiet;
	a.loss_timeout_ns = (int64_t)(o.loss_timeout * 1e9);
	a.sender_port = (uint16_t)o.sender_port;
	uint8_t key[64];
	size_t keylen = 0;
	if (o.stamp_key && (parse_hex(o.stamp_key, key, sizeof(key), &keylen) < 0 || !keylen)) {
		die_msg("--stamp-key: need 1..64 octets of hex");
		return EXIT_USAGE;
	}
	a.stamp_key = key;
	a.stamp_key_len = keylen;
	rc = cli_bench(&a, &g_stop);
	tw_crypto_cleanse(&a.conn, sizeof(a.conn));
	tw_crypto_cleanse(key, sizeof(key));
	return rc;
}
/* ---- appliance commands (docs/admin-protocol.md) --------------------------------- */

static const char *admin_path(int *argc, char **argv)
{
	const char *p = getenv("TWINHOP_ADMIN");
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--admin") && i + 1 < *argc) {
			p = argv[i + 1];
			memmove(argv + i, argv + i + 2, (size_t)(*argc - i - 2) * sizeof(char *));
			*argc -= 2;
			break;
		}
	}
	return p ? p : CLI_ADMIN_DEFAULT_SOCK;
}

static bool has_flag(int *argc, char **argv, const char *flag)
{
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], flag)) {
			memmove(argv + i, argv + i + 1, (size_t)(*argc - i - 1) * sizeof(char *));
			(*argc)--;
			return true;
		}
	}
	return false;
}

static void print_event(void *arg, const char *line)
{
	bool json = arg != NULL;
	if (json || cli_show_event(stdout, line) < 0)
		printf("%s\n", line);
	fflush(stdout);
}

enum show { SHOW_RAW, SHOW_STATUS, SHOW_SESSIONS, SHOW_COUNTERS, SHOW_FP_COUNTERS, SHOW_DONE };

/* One request; print the reply (JSON, or for people: a table or `done`, a
 * sentence); returns the exit status. */
static int admin_once(const char *path, const char *req, bool json, enum show how, bool all,
                      const char *done)
{
	struct cli_admin a;
	char err[512];
	if (cli_admin_open(&a, path, err, sizeof(err)) < 0) {
		die_msg("%s", err);
		return 1;
	}
	char *rep = cli_admin_call(&a, req, 15000, NULL, NULL, err, sizeof(err));
	cli_admin_close(&a);
	if (!rep) {
		die_msg("%s", err);
		return 1;
	}
	if (!cli_admin_ok(rep, err, sizeof(err))) {
		die_msg("%s", err);
		free(rep);
		return 1;
	}
	int r = 0;
	if (json || how == SHOW_RAW)
		printf("%s\n", rep);
	else if (how == SHOW_STATUS)
		r = cli_show_status(stdout, rep);
	else if (how == SHOW_SESSIONS)
		r = cli_show_sessions(stdout, rep);
	else if (how == SHOW_COUNTERS || how == SHOW_FP_COUNTERS)
		r = cli_show_counters(stdout, rep, how == SHOW_FP_COUNTERS, all);
	else {
		uint64_t id = 0;
		if (cli_json_u64(rep, "session", &id)) {
			char sid[32];
			snprintf(sid, sizeof(sid), "%" PRIu64, id);
			for (const char *p = done; *p; p++)
				if (*p == '#')
					fputs(sid, stdout);
				else
					putchar(*p);
		} else {
			fputs(done, stdout);
		}
		putchar('\n');
	}
	if (r < 0) /* not the reply this version knows: show it as it is */
		printf("%s\n", rep);
	free(rep);
	return 0;
}

/* --key value / --flag arguments to a flat JSON request (dashes -> underscores). */
static int build_req(const char *cmd, int argc, char **argv, int first, char *out, size_t cap)
{
	int n = snprintf(out, cap, "{\"cmd\":\"%s\"", cmd);
	for (int i = first; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) || !argv[i][2]) {
			die_msg("expected --KEY [VALUE], got '%s'", argv[i]);
			return -1;
		}
		char key[64];
		snprintf(key, sizeof(key), "%s", argv[i] + 2);
		for (char *k = key; *k; k++)
			if (*k == '-')
				*k = '_';
		const char *val = "true";
		if (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
			val = argv[++i];
		char *end;
		strtoll(val, &end, 10);
		bool isnum = *val && !*end;
		bool isbool = !strcmp(val, "true") || !strcmp(val, "false");
		char esc[512];
		cli_json_escape(val, esc, sizeof(esc));
		n += snprintf(out + n, cap - (size_t)n,
		              isnum || isbool ? ",\"%s\":%s" : ",\"%s\":\"%s\"", key, esc);
		if ((size_t)n >= cap) {
			die_msg("request too long");
			return -1;
		}
	}
	snprintf(out + n, cap - (size_t)n, "}");
	return 0;
}

/* Edit distance of two short words, for "did you mean". */
static unsigned edit_distance(const char *x, const char *y)
{
	unsigned d[32][32];
	size_t n = strlen(x), m = strlen(y);
	if (n > 30 || m > 30)
		return 99;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			unsigned c = d[i - 1][j - 1] + (x[i - 1] != y[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	return d[n][m];
}

static const char *const commands[] = {"measure",  "light-send", "bench", "status", "sessions",
                                       "counters", "top",        "light", "sender", "admin",
                                       "config",   "version",    "help"};

static int cmd_watch(const char *path, const char *req, bool json)
{
	struct cli_admin a;
	char err[512];
	if (cli_admin_open(&a, path, err, sizeof(err)) < 0) {
		die_msg("%s", err);
		return 1;
	}
	void *evarg = json ? (void *)1 : NULL;
	char *rep = cli_admin_call(&a, req, 10000, print_event, evarg, err, sizeof(err));
	int rc = 1;
	if (!rep || !cli_admin_ok(rep, err, sizeof(err))) {
		die_msg("%s", err);
	} else {
		rc = 0;
		/* The summary may come before the last results (a worker's ring
		 * lags ring 0 in split mode, docs/admin-protocol.md): after it,
		 * read on until the results it counts are in, or 250 ms. */
		uint64_t nres = 0, want = 0;
		int64_t end_at = 0;
		while (!g_stop) {
			int64_t wait_ms = 1000;
			if (end_at) {
				wait_ms = (end_at - cli_mono_ns()) / 1000000;
				if (wait_ms <= 0 || nres >= want)
					break;
			}
			char *l = NULL;
			int r = cli_admin_read_line(&a, (int)wait_ms, &l, err, sizeof(err));
			if (r < 0) {
				die_msg("%s", err);
				rc = 1;
				break;
			}
			if (r > 0) {
				print_event(evarg, l);
				if (strstr(l, "\"result\""))
					nres++;
				if (!end_at && strstr(l, "\"summary\"")) {
					(void)cli_json_u64(l, "results_sent", &want);
					end_at = cli_mono_ns() + 250000000;
				}
				free(l);
			}
		}
	}
	free(rep);
	cli_admin_close(&a);
	return rc;
}

static int cmd_admin(int argc, char **argv)
{
	const char *sub = argv[0];
	if (has_flag(&argc, argv, "--help") || has_flag(&argc, argv, "-h")) {
		cmd_usage(stdout, sub);
		return 0;
	}
	const char *path = admin_path(&argc, argv);
	if (!strcmp(sub, "config")) { /* its own options; JSON is what it reads and writes */
#ifdef TW_HAVE_YANG
		return cli_config(argc, argv, path);
#else
		die_msg("this twinhop was built without libyang (meson -Dyang=disabled)");
		return 1;
#endif
	}
	bool json = has_flag(&argc, argv, "--json");
	char req[4096];
	if (!strcmp(sub, "status") || !strcmp(sub, "sessions") || !strcmp(sub, "counters")) {
		bool fp = !strcmp(sub, "counters") && has_flag(&argc, argv, "--fp");
		bool all = !strcmp(sub, "counters") && has_flag(&argc, argv, "--all");
		if (argc > 1) {
			usage_err(sub, "unexpected argument '%s'", argv[1]);
			return EXIT_USAGE;
		}
		if (!strcmp(sub, "status"))
			return admin_once(path, "{\"cmd\":\"show-status\"}", json, SHOW_STATUS, false,
			                  NULL);
		if (!strcmp(sub, "sessions"))
			return admin_once(path, "{\"cmd\":\"show-sessions\"}", json, SHOW_SESSIONS,
			                  false, NULL);
		return admin_once(path,
		                  fp ? "{\"cmd\":\"show-fp-counters\"}" : "{\"cmd\":\"show-counters\"}",
		                  json, fp ? SHOW_FP_COUNTERS : SHOW_COUNTERS, all, NULL);
	}
	if (!strcmp(sub, "top"))
		return cli_top(argc, argv, path, &g_stop);
	if (!strcmp(sub, "admin")) {
		if (argc != 2) {
			usage_err(sub, "expects one JSON request, e.g. '{\"cmd\":\"show-status\"}'");
			return EXIT_USAGE;
		}
		return admin_once(path, argv[1], true, SHOW_RAW, false, NULL);
	}
	bool light = !strcmp(sub, "light");
	if (argc < 2) {
		usage_err(sub, "missing %s", light ? "add or del" : "add, start, stop, del or watch");
		return EXIT_USAGE;
	}
	const char *verb = argv[1];
	if (!strcmp(verb, "add")) {
		if (build_req(light ? "light-add" : "sender-add", argc, argv, 2, req, sizeof(req)) <
		    0)
			return EXIT_USAGE;
		return admin_once(path, req, json, SHOW_DONE, false,
		                  light ? "Light/STAMP listener # added."
		                  : strstr(req, "\"start\":true")
		                      ? "Sender # added and started."
		                      : "Sender # added; start it with: twinhop sender start #");
	}
	const char *cmd = !strcmp(verb, "del")               ? "session-del"
	                  : !light && !strcmp(verb, "start") ? "sender-start"
	                  : !light && !strcmp(verb, "stop")  ? "sender-stop"
	                  : !light && !strcmp(verb, "watch") ? "subscribe"
	                                                     : NULL;
	if (!cmd) {
		usage_err(sub, "unknown action '%s' (%s)", verb,
		          light ? "add or del" : "add, start, stop, del or watch");
		return EXIT_USAGE;
	}
	if (argc != 3) {
		usage_err(sub, argc < 3 ? "%s: missing the session ID" : "%s: one session ID only",
		          verb);
		return EXIT_USAGE;
	}
	char *end;
	unsigned long long id = strtoull(argv[2], &end, 10);
	if (*end || !*argv[2]) {
		usage_err(sub, "%s: session ID '%s' is not a number", verb, argv[2]);
		return EXIT_USAGE;
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"session\":%llu}", cmd, id);
	if (!strcmp(verb, "watch"))
		return cmd_watch(path, req, json);
	char done[96];
	if (!strcmp(verb, "del"))
		snprintf(done, sizeof(done), "%s %llu deleted.", light ? "Listener" : "Session", id);
	else if (!strcmp(verb, "start"))
		snprintf(done, sizeof(done), "Sender %llu started.", id);
	else
		snprintf(done, sizeof(done), "Sender %llu stopping; its summary follows the last "
		                             "replies.",
		         id);
	return admin_once(path, req, json, SHOW_DONE, false, done);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage_err(NULL, "missing a command (measure, bench, status, sessions, top, ...)");
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "measure"))
		return cmd_measure(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (!strcmp(cmd, "light-send"))
		return cmd_light_send(argc - 1, argv + 1);
	if (!strcmp(cmd, "status") || !strcmp(cmd, "sessions") || !strcmp(cmd, "counters") ||
	    !strcmp(cmd, "light") || !strcmp(cmd, "sender") || !strcmp(cmd, "admin") ||
	    !strcmp(cmd, "top") || !strcmp(cmd, "config"))
		return cmd_admin(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("twinhop %s\n", TW_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		if (argc > 2 && cmd_usage(stdout, argv[2]))
			return 0;
		usage(stdout);
		return 0;
	}
	if (cmd[0] == '-') {
		/* e.g. `twinhop --json status`: options belong to a command */
		usage_err(NULL, "'%s' is an option of a command; put it after one, as in "
		                "'twinhop status %s'",
		          cmd, cmd);
		return EXIT_USAGE;
	}
	const char *best = NULL;
	unsigned bd = 3;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		unsigned d = edit_distance(cmd, commands[i]);
		if (d < bd) {
			bd = d;
			best = commands[i];
		}
	}
	if (best)
		usage_err(NULL, "unknown command '%s'; did you mean '%s'?", cmd, best);
	else
		usage_err(NULL, "unknown command '%s'", cmd);
	return EXIT_USAGE;
}
