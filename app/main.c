/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhop-fp: the DPDK fast path.  main() only parses options, initialises
 * the modules in dependency order, launches the lcore loops and tears down
 * in reverse.
 *
 *   twinhop-fp [EAL args] -- --profile FILE [--pvar k=v]... [app options]
 *
 * EAL arguments from the profile (vdev / allow list) are appended to the
 * ones given, so one profile serves every invocation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fp.h"
#include "fp_ctl.h"
#include "fp_exc.h"
#include "fp_lcore.h"
#include "fp_port.h"
#include "fp_profile.h"
#include "fp_reflector.h"
#include "fp_sender.h"
#include "fp_sess.h"
#include "tw_config.h"
#include "tw_hex.h"
#include "tw_crypto.h"

struct fp_ctx fp;
struct fp_counters fp_cnt[RTE_MAX_LCORE];

#define MAX_CLI_SESS 16

static struct {
	const char *profile;
	struct fp_profile_vars vars;
	const char *shm;
	const char *shm_group; /* group given the region (twinhopd's), or NULL */
	unsigned shm_mode;     /* mode of the region; 0 = 0600 */
	const char *tap;
	const char *record;
	unsigned n_links; /* --member-link-id: one per port (RFC 9533 LAG) */
	uint16_t links[FP_MAX_PORTS];
	unsigned stats_ms;
	uint32_t max_sessions, max_senders, max_peers;
	unsigned n_light;
	struct tw_ipc_light_listen light[FP_MAX_LIGHT];
	uint8_t light_proto, light_sec;
	const char *light_key, *light_aes; /* key names in --key-file */
	unsigned n_refl, n_send;
	const char *refl[MAX_CLI_SESS], *send[MAX_CLI_SESS];
	double duration_s;
	bool print_counters;
	bool linger; /* --linger: close the port only after the peer has gone */
	bool ctl_lcore; /* --ctl-lcore: split control / worker lcores */
	int rx_ts; /* --rx-timestamp: -1 = the profile's, else enum fp_ts_mode */
	enum tw_crypto_impl crypto; /* --crypto */
	uint64_t sched_stats; /* --sched-stats: packets to record, 0 = off */
} opt = {
	.rx_ts = -1,
	.stats_ms = 100,
	.max_sessions = 131072,
	.max_senders = 64,
	.max_peers = 65536,
	.light_proto = TW_IPC_PROTO_LIGHT,
	.light_sec = TW_IPC_SEC_OPEN,
};

static void usage(const char *prog)
{
	printf("usage: %s [EAL options] -- --profile FILE [options]\n"
	       "  --profile FILE          driver profile (drivers-config/*.conf)\n"
	       "  --pvar KEY=VALUE        profile template variable (${KEY})\n"
	       "  --shm NAME              IPC shared-memory region to create\n"
	       "  --shm-group GROUP       group of the region (twinhopd's user's group)\n"
	       "  --shm-mode MODE         octal mode of the region, at most 0660 (default 0600)\n"
	       "  --addr IP[/LEN]         the port's IPv4 and/or IPv6 address (repeat)\n"
	       "  --gw IP                 next hop for off-link sender destinations\n"
	       "  --vlan ID               802.1Q VLAN of the addresses (default untagged)\n"
	       "  --member-link-id N[,N...]  RFC 9533 member link (1..65535) of the port in its\n"
	       "                          LAG: enables TWAMP micro-session reflection; a list\n"
	       "                          drives one port per ID (the profile's, then the EAL\n"
	       "                          --vdev/-a ports in DPDK order; one lcore)\n"
	       "  --tap NAME              kernel interface of the exception path\n"
	       "  --light-port N[:stateless][:stamp|:light][:ptp]  TWAMP-Light/STAMP reflection on\n"
	       "                          UDP port N (:ptp: STAMP timestamps in the PTP format)\n"
	       "  --rx-timestamp hw|tsc   override the profile's Rx timestamp source\n"
	       "  --light-proto light|stamp   --light-sec open|auth|enc\n"
	       "  --key-file FILE         test keys, one \"NAME HEX\" per line (mode 0600)\n"
	       "  --light-key NAME        HMAC key (Light/STAMP auth)   --light-aes NAME\n"
	       "  --reflector SPEC        static reflector session (k=v,...; see docs)\n"
	       "  --sender SPEC           static sender session (k=v,...; see docs)\n"
	       "  --record FILE           write every sender reply as text at exit\n"
	       "  --exit-when-done        exit when all senders finished\n"
	       "  --linger                at exit, stop polling, print LINGER and close the port\n"
	       "                          only once the link is down (the memif peer has gone)\n"
	       "                          or at a further SIGINT (30 s at most)\n"
	       "  --duration SECONDS      exit after this long\n"
	       "  --stats-interval MS     counter publication period (default 100)\n"
	       "  --idle-backoff on|off   pause/sleep when idle (default on)\n"
	       "  --idle-spin N           empty iterations before pausing; sleep after 10 x N\n"
	       "                          (default 1000)\n"
	       "  --sched-stats N         benchmarks: record the send schedule of the first N\n"
	       "                          packets, print its accuracy at exit\n"
	       "  --crypto auto|openssl|ipsec-mb|sha-ni  test-packet crypto engine (default\n"
	       "                          auto: SHA-NI lanes where the CPU has SHA-NI and\n"
	       "                          AES-NI, else intel-ipsec-mb where built in, else\n"
	       "                          OpenSSL)\n"
	       "  --max-sessions N  --max-senders N  --max-light-peers N\n"
	       "  --counters              print non-zero counters at exit\n"
	       "  --ctl-lcore             split mode (the default with 2+ lcores): the EAL main\n"
	       "                          lcore does only control work (needs 2+ lcores)\n",
	       prog);
}

/*
 * Test keys never appear on the command line (ps and /proc/PID/cmdline show
 * it to every local user, issue 8 §7): they live in --key-file, one
 * "NAME HEX" per line (the layout of twinhopd's perfSONAR-style keyfile;
 * '#' starts a comment), and the command line names them: --light-key NAME,
 * aes=NAME, hmac=NAME.  The file must be a regular file of root or of the
 * invoking user that no one else can read or write (OpenSSH's rule for
 * private keys).  Hex goes through lib/tw_hex.h, the one strict decoder.
 */
#define MAX_KEYS 64
/*
 * RFC 9533 LAG (--member-link-id A,B,...): port 0 is the profile's device
 * (found by its vdev name, else the first port), then every other port in
 * DPDK order, one per member link.  Every packet lcore polls its queue of
 * every port; in split mode the control lcore hands its frames for port i
 * to the first worker through fp.to_port[i].
 */
static void lag_ports(const struct fp_profile *prof, uint16_t *port0)
{
	if (prof->vdev[0]) {
		char name[RTE_ETH_NAME_MAX_LEN];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(prof->vdev, ","), prof->vdev);
		if (rte_eth_dev_get_port_by_name(name, port0) != 0)
			rte_exit(EXIT_FAILURE, "no port %s (the profile's)\n", name);
	}
	unsigned n = 1;
	uint16_t pid;
	RTE_ETH_FOREACH_DEV(pid)
	{
		if (pid == *port0)
			continue;
		if (n == opt.n_links)
			break;
		fp.port_ids[n] = pid;
		fp.port_links[n] = opt.links[n];
		n++;
	}
	if (n != opt.n_links)
		rte_exit(EXIT_FAILURE,
			 "--member-link-id: %u member links but %u port(s): add the others "
			 "with EAL --vdev or -a\n",
			 opt.n_links, n);
	fp.n_ports = (uint16_t)n;
}

static struct {
	char name[64];
	uint8_t k[32];
	uint8_t len;
} keytab[MAX_KEYS];
static unsigned n_keys;
static const char *key_file;

static int load_keys(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "--key-file %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 077)) {
		fprintf(stderr,
			"--key-file %s: must be a regular file of root or uid %u with no access for "
			"group or others (mode %04o, uid %u)\n",
			path, (unsigned)geteuid(), (unsigned)(st.st_mode & 07777),
			(unsigned)st.st_uid);
		close(fd);
		return -1;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -1;
	}
	char line[512];
	unsigned ln = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		ln++;
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		char *sv = NULL;
		char *name = strtok_r(line, " \t\r\n", &sv);
		if (!name)
			continue;
		char *hex = strtok_r(NULL, " \t\r\n", &sv);
		size_t len = 0;
		if (!hex || strtok_r(NULL, " \t\r\n", &sv) || strlen(name) >= sizeof(keytab[0].name) ||
		    n_keys == MAX_KEYS ||
		    tw_hex_decode(hex, strlen(hex), keytab[n_keys].k, sizeof(keytab[0].k), &len) !=
			    TW_OK ||
		    len == 0) {
			fprintf(stderr, "--key-file %s:%u: want \"NAME HEX\" (1..32 octets)\n", path,
				ln);
			rc = -1;
			break;
		}
		snprintf(keytab[n_keys].name, sizeof(keytab[0].name), "%s", name);
		keytab[n_keys++].len = (uint8_t)len;
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

/* Copy key `name` into out (exactly `want` octets if want, else 1..cap). */
static int key_ref(const char *name, uint8_t *out, unsigned cap, unsigned want, uint8_t *len)
{
	if (!key_file) {
		fprintf(stderr, "key '%s': keys come from --key-file, never the command line\n",
			name);
		return -1;
	}
	for (unsigned i = 0; i < n_keys; i++) {
		if (strcmp(keytab[i].name, name))
			continue;
		if (keytab[i].len > cap || (want && keytab[i].len != want)) {
			fprintf(stderr, "key '%s' in %s: %u octets, want %s%u\n", name, key_file,
				keytab[i].len, want ? "" : "at most ", want ? want : cap);
			return -1;
		}
		memcpy(out, keytab[i].k, keytab[i].len);
		if (len)
			*len = keytab[i].len;
		return 0;
	}
	fprintf(stderr, "key '%s' not in %s\n", name, key_file);
	return -1;
}

/* "IP" or "IP/len" into family/addr/plen. */
static int parse_ip(const char *s, uint8_t *fam, uint8_t *a, uint8_t *plen)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	char *sl = strchr(buf, '/');
	if (sl)
		*sl++ = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, buf, a) == 1) {
		*fam = 4;
		if (plen)
			*plen = sl ? (uint8_t)atoi(sl) : 24;
	} else if (inet_pton(AF_INET6, buf, a) == 1) {
		*fam = 6;
		if (plen)
			*plen = sl ? (uint8_t)atoi(sl) : 64;
	} else {
		return -1;
	}
	return 0;
}

/* "IP:port" or "[IPv6]:port". */
static int parse_ep(const char *s, struct tw_ipc_addr *a, uint16_t *port)
{
	char buf[80];
	snprintf(buf, sizeof(buf), "%s", s);
	char *host = buf, *p;
	if (buf[0] == '[') {
		host = buf + 1;
		p = strchr(host, ']');
		if (!p || p[1] != ':')
			return -1;
		*p = '\0';
		p += 2;
	} else {
		p = strrchr(buf, ':');
		if (!p)
			return -1;
		*p++ = '\0';
	}
	memset(a, 0, sizeof(*a));
	if (parse_ip(host, &a->family, a->addr, NULL))
		return -1;
	*port = (uint16_t)atoi(p);
	return 0;
}

static uint64_t parse_ns(const char *v)
{
	char *end;
	double x = strtod(v, &end);
	if (!strcmp(end, "s"))
		x *= 1e9;
	else if (!strcmp(end, "ms"))
		x *= 1e6;
	else if (!strcmp(end, "us"))
		x *= 1e3;
	return (uint64_t)x;
}

static uint8_t parse_sec(const char *v)
{
	return !strcmp(v, "auth") ? TW_IPC_SEC_AUTH
	       : !strcmp(v, "enc") ? TW_IPC_SEC_ENC
	       : !strcmp(v, "mixed") ? TW_IPC_SEC_MIXED
	       : !strcmp(v, "open") ? TW_IPC_SEC_OPEN
				    : 0;
}

static uint8_t parse_proto(const char *v)
{
	return !strcmp(v, "twamp") ? TW_IPC_PROTO_TWAMP
	       : !strcmp(v, "light") ? TW_IPC_PROTO_LIGHT
	       : !strcmp(v, "stamp") ? TW_IPC_PROTO_STAMP
				     : 0;
}

/* k=v,... into a SENDER_ADD or REFLECTOR_ADD request.  Shared keys:
 * id proto sec local peer pad dscp aes hmac sym ptp ttl; sender: count
 * interval sched ssid loss mac duration; reflector: copydscp timeout. */
/* at=+S of the last parsed spec: start S seconds after set-up (scheduled
 * START through the IPC at_ntp path); < 0 = start now. */
static double spec_at_s;

static int parse_spec(const char *spec, bool sender, struct tw_ipc_sender_add *s,
		      struct tw_ipc_reflector_add *r, bool *echo)
{
	*echo = false;
	spec_at_s = -1;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", spec);
	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	s->proto = r->proto = TW_IPC_PROTO_TWAMP;
	s->sec = r->sec = TW_IPC_SEC_OPEN;
	s->sched = TW_IPC_SCHED_PERIODIC;
	s->interval_ns = 1000000;
	s->count = 10;
	s->flags = TW_IPC_SF_START_NOW | TW_IPC_SF_RESOLVE;
	r->flags = TW_IPC_SF_START_NOW;
	struct tw_ipc_flow fl;
	memset(&fl, 0, sizeof(fl));
	struct tw_ipc_keys keys;
	memset(&keys, 0, sizeof(keys));
	uint16_t flags = 0;
	uint32_t id = 0, pad = 0;
	uint8_t dscp = 0, ttl = 0;
	for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
		char *v = strchr(t, '=');
		if (!v)
			return -1;
		*v++ = '\0';
		int bad = 0;
		if (!strcmp(t, "id"))
			id = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(t, "proto"))
			bad = !(s->proto = r->proto = parse_proto(v));
		else if (!strcmp(t, "sec"))
			bad = !(s->sec = r->sec = parse_sec(v));
		else if (!strcmp(t, "local"))
			bad = parse_ep(v, &fl.local, &fl.local_port);
		else if (!strcmp(t, "peer"))
			bad = parse_ep(v, &fl.peer, &fl.peer_port);
		else if (!strcmp(t, "pad"))
			pad = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(t, "dscp"))
			dscp = (uint8_t)strtoul(v, NULL, 0);
		else if (!strcmp(t, "ttl"))
			ttl = (uint8_t)strtoul(v, NULL, 0);
		else if (!strcmp(t, "aes"))
			bad = key_ref(v, keys.aes, 16, 16, NULL);
		else if (!strcmp(t, "hmac"))
			bad = key_ref(v, keys.hmac, 32, 0, &keys.hmac_len);
		else if (!strcmp(t, "sym"))
			flags |= atoi(v) ? TW_IPC_SF_SYMMETRIC : 0;
		else if (!strcmp(t, "ptp"))
			flags |= atoi(v) ? TW_IPC_SF_PTP_TS : 0;
		else if (!strcmp(t, "echo") && sender)
			*echo = atoi(v) != 0;
		else if (!strcmp(t, "copydscp"))
			flags |= atoi(v) ? TW_IPC_SF_COPY_DSCP : 0;
		else if (!strcmp(t, "timeout"))
			r->timeout_ns = parse_ns(v);
		else if (!strcmp(t, "refwait"))
			r->refwait_ns = parse_ns(v);
		else if (!strcmp(t, "count"))
			s->count = strtoull(v, NULL, 0);
		else if (!strcmp(t, "interval"))
			s->interval_ns = parse_ns(v);
		else if (!strcmp(t, "duration"))
			s->duration_ns = parse_ns(v);
		else if (!strcmp(t, "loss"))
			s->loss_timeout_ns = parse_ns(v);
		else if (!strcmp(t, "sched"))
			s->sched = !strcmp(v, "poisson") ? TW_IPC_SCHED_POISSON
							 : TW_IPC_SCHED_PERIODIC;
		else if (!strcmp(t, "ssid"))
			s->ssid = (uint16_t)strtoul(v, NULL, 0);
		else if (!strcmp(t, "at") && v[0] == '+')
			spec_at_s = atof(v + 1);
		else if (!strcmp(t, "mac")) {
			unsigned m[6];
			bad = sscanf(v, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
				     &m[5]) != 6;
			for (int i = 0; !bad && i < 6; i++)
				s->next_hop_mac[i] = (uint8_t)m[i];
			s->flags &= (uint16_t)~TW_IPC_SF_RESOLVE;
		} else
			bad = 1;
		if (bad) {
			fprintf(stderr, "bad %s spec item '%s=%s'\n", sender ? "sender" : "reflector",
				t, v);
			return -1;
		}
	}
	s->session = r->session = id;
	s->flow = r->flow = fl;
	s->keys = r->keys = keys;
	s->pad.padding_len = r->pad.padding_len = pad;
	s->dscp = r->dscp = dscp;
	s->ttl = r->ttl = ttl;
	s->flags |= flags;
	r->flags |= flags;
	if (spec_at_s >= 0) {
		s->flags &= (uint16_t)~TW_IPC_SF_START_NOW;
		r->flags &= (uint16_t)~TW_IPC_SF_START_NOW;
	}
	return 0;
}

/* Command-line at=+S: a START with at_ntp, as control would send it. */
static void start_at(uint16_t type, uint32_t session, const char *what)
{
	if (spec_at_s < 0)
		return;
	struct tw_ipc_session_ctl q = {.session = session};
	uint64_t now = rte_rdtsc();
	q.at_ntp = fp_tsc_ntp(now) + (uint64_t)(spec_at_s * 4294967296.0);
	uint32_t detail;
	enum tw_err e = fp_ctl_apply(type, &q, sizeof(q), now, &detail);
	if (e != TW_OK)
		rte_exit(EXIT_FAILURE, "%s at=+%g: %s\n", what, spec_at_s, tw_strerror(e));
}

static int parse_app(int argc, char **argv)
{
	enum {
		O_PROFILE = 256, O_PVAR, O_SHM, O_ADDR, O_GW, O_VLAN, O_TAP, O_LIGHT, O_LPROTO,
		O_LSEC, O_LKEY, O_LAES, O_KEYFILE, O_REFL, O_SEND, O_RECORD, O_EXITDONE, O_DURATION,
		O_LINGER,
		O_STATS, O_IDLE, O_IDLE_SPIN, O_MAXS, O_MAXSND, O_MAXPEER, O_COUNTERS, O_RXTS, O_CTL_LCORE, O_HELP,
		O_SHM_GROUP, O_SHM_MODE, O_CRYPTO, O_SCHED, O_MEMBER_LINK
	};
	static const struct option lo[] = {
		{"profile", 1, 0, O_PROFILE}, {"pvar", 1, 0, O_PVAR}, {"shm", 1, 0, O_SHM},
		{"shm-group", 1, 0, O_SHM_GROUP}, {"shm-mode", 1, 0, O_SHM_MODE},
		{"addr", 1, 0, O_ADDR}, {"gw", 1, 0, O_GW}, {"vlan", 1, 0, O_VLAN},
		{"tap", 1, 0, O_TAP}, {"light-port", 1, 0, O_LIGHT},
		{"light-proto", 1, 0, O_LPROTO}, {"light-sec", 1, 0, O_LSEC},
		{"light-key", 1, 0, O_LKEY}, {"light-aes", 1, 0, O_LAES},
		{"key-file", 1, 0, O_KEYFILE},
		{"reflector", 1, 0, O_REFL}, {"sender", 1, 0, O_SEND}, {"record", 1, 0, O_RECORD},
		{"exit-when-done", 0, 0, O_EXITDONE}, {"duration", 1, 0, O_DURATION},
		{"linger", 0, 0, O_LINGER},
		{"stats-interval", 1, 0, O_STATS}, {"idle-backoff", 1, 0, O_IDLE},
		{"idle-spin", 1, 0, O_IDLE_SPIN},
		{"max-sessions", 1, 0, O_MAXS}, {"max-senders", 1, 0, O_MAXSND},
		{"max-light-peers", 1, 0, O_MAXPEER}, {"counters", 0, 0, O_COUNTERS},
		{"rx-timestamp", 1, 0, O_RXTS}, {"ctl-lcore", 0, 0, O_CTL_LCORE},
		{"crypto", 1, 0, O_CRYPTO}, {"sched-stats", 1, 0, O_SCHED},
		{"member-link-id", 1, 0, O_MEMBER_LINK},
		{"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_PROFILE:
			opt.profile = optarg;
			break;
		case O_PVAR:
			if (fp_profile_var_add(&opt.vars, optarg))
				return -1;
			break;
		case O_SHM_GROUP:
			opt.shm_group = optarg;
			break;
		case O_SHM_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (*end || !m || (m & ~0660ul)) {
				fprintf(stderr, "--shm-mode %s: octal, owner/group bits only "
						"(at most 0660)\n", optarg);
				return -1;
			}
			opt.shm_mode = (unsigned)m;
			break;
		}
		case O_SHM:
			opt.shm = optarg;
			break;
		case O_ADDR: {
			uint8_t fam, a[16], plen;
			if (parse_ip(optarg, &fam, a, &plen))
				return -1;
			if (fam == 4) {
				fp_set_addr4(a, plen);
			} else {
				memcpy(fp.addr6, a, 16);
				fp.plen6 = plen;
				fp.have6 = true;
			}
			break;
		}
		case O_GW: {
			uint8_t fam, a[16];
			if (parse_ip(optarg, &fam, a, NULL))
				return -1;
			if (fam == 4) {
				memcpy(fp.gw4, a, 4);
				fp.have_gw4 = true;
			} else {
				memcpy(fp.gw6, a, 16);
				fp.have_gw6 = true;
			}
			break;
		}
		case O_VLAN:
			fp.vlan = atoi(optarg);
			if (fp.vlan < 1 || fp.vlan > 4094)
				return -1;
			break;
		case O_TAP:
			opt.tap = optarg;
			break;
		case O_MEMBER_LINK: {
			/* RFC 9533: the port's member link in its LAG; 0 is the
			 * "unknown" Reflector Micro-session ID, so 1..65535.  A
			 * comma list drives one port per ID, in port order. */
			const char *p = optarg;
			opt.n_links = 0;
			for (;;) {
				char *end;
				unsigned long v = strtoul(p, &end, 10);
				if (p == end || *p == '-' || *p == '+' || v < 1 || v > 65535 ||
				    (*end && *end != ',')) {
					fprintf(stderr, "--member-link-id %s: a number 1..65535\n",
						optarg);
					return -1;
				}
				for (unsigned k = 0; k < opt.n_links; k++)
					if (opt.links[k] == v) {
						fprintf(stderr,
							"--member-link-id %s: member link %lu twice\n",
							optarg, v);
						return -1;
					}
				if (opt.n_links == FP_MAX_PORTS) {
					fprintf(stderr, "--member-link-id %s: at most %d ports\n",
						optarg, FP_MAX_PORTS);
					return -1;
				}
				opt.links[opt.n_links++] = (uint16_t)v;
				if (!*end)
					break;
				p = end + 1;
			}
			fp.member_link = opt.links[0];
			break;
		}
		case O_LIGHT: {
			if (opt.n_light >= FP_MAX_LIGHT)
				return -1;
			struct tw_ipc_light_listen *l = &opt.light[opt.n_light++];
			memset(l, 0, sizeof(*l));
			l->flow.local_port = (uint16_t)atoi(optarg);
			if (strstr(optarg, ":stateless"))
				l->flags |= TW_IPC_SF_STATELESS;
			if (strstr(optarg, ":ptp")) /* STAMP, RFC 8762 §4.2.1 */
				l->flags |= TW_IPC_SF_PTP_TS;
			/* per-port protocol over --light-proto: 864:stamp */
			if (strstr(optarg, ":stamp"))
				l->proto = TW_IPC_PROTO_STAMP;
			else if (strstr(optarg, ":light"))
				l->proto = TW_IPC_PROTO_LIGHT;
			l->session = 0x4c000000u + opt.n_light;
			break;
		}
		case O_RXTS:
			/* Override of the profile's timestamp= (hw still needs the
			 * device's capability and read_clock: fp_port falls back). */
			if (!strcmp(optarg, "hw") || !strcmp(optarg, "hw-dynfield"))
				opt.rx_ts = FP_TS_HW_DYNFIELD;
			else if (!strcmp(optarg, "tsc"))
				opt.rx_ts = FP_TS_TSC;
			else
				return -1;
			break;
		case O_LPROTO:
			if (!(opt.light_proto = parse_proto(optarg)))
				return -1;
			break;
		case O_LSEC:
			if (!(opt.light_sec = parse_sec(optarg)))
				return -1;
			break;
		case O_LKEY:
			opt.light_key = optarg;
			break;
		case O_LAES:
			opt.light_aes = optarg;
			break;
		case O_KEYFILE:
			if (key_file) {
				fprintf(stderr, "--key-file given twice\n");
				return -1;
			}
			key_file = optarg;
			if (load_keys(optarg))
				return -1;
			break;
		case O_REFL:
			if (opt.n_refl >= MAX_CLI_SESS)
				return -1;
			opt.refl[opt.n_refl++] = optarg;
			break;
		case O_SEND:
			if (opt.n_send >= MAX_CLI_SESS)
				return -1;
			opt.send[opt.n_send++] = optarg;
			break;
		case O_RECORD:
			opt.record = optarg;
			break;
		case O_EXITDONE:
			fp.exit_when_done = true;
			break;
		case O_LINGER:
			opt.linger = true;
			break;
		case O_DURATION:
			opt.duration_s = atof(optarg);
			break;
		case O_STATS:
			opt.stats_ms = (unsigned)atoi(optarg);
			if (!opt.stats_ms)
				return -1;
			break;
		case O_SCHED: {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || v == 0 || v > 100000000ULL)
				return -1;
			opt.sched_stats = v;
			break;
		}
		case O_CRYPTO:
			if (!strcmp(optarg, "auto"))
				opt.crypto = TW_CRYPTO_IMPL_AUTO;
			else if (!strcmp(optarg, "openssl"))
				opt.crypto = TW_CRYPTO_IMPL_OPENSSL;
			else if (!strcmp(optarg, "ipsec-mb"))
				opt.crypto = TW_CRYPTO_IMPL_IPSEC_MB;
			else if (!strcmp(optarg, "sha-ni"))
				opt.crypto = TW_CRYPTO_IMPL_SHANI;
			else
				return -1;
			break;
		case O_IDLE:
			if (!strcmp(optarg, "on"))
				fp.idle_backoff = true;
			else if (!strcmp(optarg, "off"))
				fp.idle_backoff = false;
			else
				return -1;
			break;
		case O_IDLE_SPIN: {
			/* a CPU shared with other processes (tools/demo.sh on two
			 * CPUs): sleep sooner, so they run while this lcore waits */
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || v > 1000000)
				return -1;
			fp.idle_spin = (unsigned)v;
			break;
		}
		case O_MAXS:
			opt.max_sessions = (uint32_t)atoi(optarg);
			break;
		case O_MAXSND:
			opt.max_senders = (uint32_t)atoi(optarg);
			break;
		case O_MAXPEER:
			opt.max_peers = (uint32_t)atoi(optarg);
			break;
		case O_COUNTERS:
			opt.print_counters = true;
			break;
		case O_CTL_LCORE:
			opt.ctl_lcore = true;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || !opt.profile)
		return -1;
	return 0;
}

static volatile sig_atomic_t n_signals; /* --linger waits for one more */

static void on_signal(int sig)
{
	(void)sig;
	n_signals++;
	__atomic_store_n(&fp.quit, true, __ATOMIC_RELAXED);
}

/*
 * --linger (docs/performance.md, "Stopping a memif pair"): the lcores have
 * stopped; keep the port open until its link goes down or another signal
 * comes.  The DPDK 22.11 memif PMD unmaps the shared rings in its
 * interrupt thread when the peer disconnects, even while an lcore of the
 * same process is inside a burst on them, so the end still polling when
 * the other closes can die of SIGSEGV.  A twinhop-fp that stops polling
 * first and closes last cannot be that end, nor make its peer one: the
 * peer is stopped (its lcores first) while this one waits.
 */
static void linger(uint16_t port_id)
{
	printf("LINGER\n");
	fflush(stdout);
	sig_atomic_t seen = n_signals;
	for (unsigned i = 0; i < 3000 && n_signals == seen; i++) {
		struct rte_eth_link l;
		if (rte_eth_link_get_nowait(port_id, &l) == 0 && l.link_status == RTE_ETH_LINK_DOWN) {
			/* the interrupt thread's memif_disconnect() marks the
			 * link down before it closes the queues' fds and frees
			 * the regions, and our close does the same teardown:
			 * let it finish first (bench_gen.c, the same wait) */
			rte_delay_us_sleep(100000);
			break;
		}
		rte_delay_us_sleep(10000);
	}
}

static uint64_t rdtsc_fn(void)
{
	return rte_rdtsc();
}

void fp_counters_sum(uint64_t *out)
{
	memset(out, 0, sizeof(uint64_t) * FP_C__COUNT);
	for (unsigned i = 0; i < fp.nb_lcores; i++)
		for (unsigned k = 0; k < FP_C__COUNT; k++)
			out[k] += fp.lc_by_index[i]->cnt->c[k];
}

static void print_counters(void)
{
	uint64_t sum[FP_C__COUNT];
	fp_counters_sum(sum);
	for (unsigned k = 0; k < FP_C__COUNT; k++)
		if (sum[k])
			printf("counter %-28s %" PRIu64 "\n", tw_ipc_cnt_name(k), sum[k]);
#ifdef FP_STAGES
	/* -Dfp_stages=true: cycles/packet per stage of the bursts measured
	 * (docs/performance.md) */
	static const char *const names[FP_ST__COUNT] = {
#define FP_STAGE_NAME(n) #n,
		FP_STAGE_LIST(FP_STAGE_NAME)
#undef FP_STAGE_NAME
	};
	uint64_t st[FP_ST__COUNT] = {0}, pk = 0;
	for (unsigned i = 0; i < fp.nb_lcores; i++) {
		for (unsigned k = 0; k < FP_ST__COUNT; k++)
			st[k] += fp.lc_by_index[i]->stage[k];
		pk += fp.lc_by_index[i]->stage_pkts;
	}
	for (unsigned k = 0; pk && k < FP_ST__COUNT; k++)
		printf("stage %-10s %8.1f cycles/packet\n", names[k], (double)st[k] / (double)pk);
#endif
}

int main(int argc, char **argv)
{
	fp.vlan = -1;
	fp.idle_backoff = true;
	fp.idle_spin = 1000;
	fp.idle_sleep_us = 50;

	/* Split at "--": EAL before, application after. */
	int sep = -1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			sep = i;
			break;
		}
	if (sep < 0) {
		usage(argv[0]);
		return 2;
	}
	int app_argc = argc - sep;
	char **app_argv = argv + sep;
	app_argv[0] = argv[0];
	if (parse_app(app_argc, app_argv) != 0) {
		usage(argv[0]);
		return 2;
	}
	struct fp_profile prof;
	char err[512];
	if (fp_profile_load(&prof, opt.profile, &opt.vars, err, sizeof(err)) != 0) {
		fprintf(stderr, "twinhop-fp: %s\n", err);
		return 2;
	}
	if (opt.rx_ts >= 0) {
		prof.ts_mode = (enum fp_ts_mode)opt.rx_ts;
	}
	/* EAL argv: ours plus the profile's device. */
	char *eal_argv[128];
	int eal_argc = 0;
	for (int i = 0; i < sep && eal_argc < 120; i++)
		eal_argv[eal_argc++] = argv[i];
	char vdev_arg[FP_PROFILE_STR + 8];
	if (prof.vdev[0]) {
		snprintf(vdev_arg, sizeof(vdev_arg), "--vdev=%s", prof.vdev);
		eal_argv[eal_argc++] = vdev_arg;
	}
	if (prof.allow[0]) {
		eal_argv[eal_argc++] = (char *)"-a";
		eal_argv[eal_argc++] = prof.allow;
	}
	eal_argv[eal_argc] = NULL;
	int rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed: %s\n", rte_strerror(rte_errno));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_INFO);
	/* Every mapping made from here on is populated (and kept) at once:
	 * the memif regions mapped when a link comes up, the IPC ring, the
	 * benchmark arrays.  Without it the first lap of a memif ring took a
	 * page fault per 4 KiB in the lcore loop of each end (about 1,170 in
	 * each process over the first 2,048 packets), which held replies for
	 * up to 1 ms (docs/performance.md, RTT self-noise).  EAL memory is
	 * already mapped and is not affected (it is populated by fp_zalloc,
	 * or is hugepages).  Not fatal: it needs CAP_IPC_LOCK or a memlock
	 * limit, and the fast path works without it. */
	if (mlockall(MCL_FUTURE) != 0)
		RTE_LOG(WARNING, USER1, "mlockall(MCL_FUTURE): %s: pages of later mappings "
					"(memif regions) are faulted in by the lcore loop\n",
			strerror(errno));

	/* The TSC rate is measured against CLOCK_REALTIME over 100 ms (.hz 0),
	 * not taken from rte_get_tsc_hz(): that is a nominal figure (CPUID or
	 * DPDK's own short calibration), off by 0.4 % on a 2-vCPU VM, which
	 * left T2/T3 ~4 ms ahead of UTC for the first seconds while the
	 * resync slewed it away at 500 ppm (docs/fastpath.md). */
	struct tw_tsc_cfg tcfg = {.read = rdtsc_fn, .hz = 0, .cal_ms = 100, .resync_ms = 1000};
	if (tw_tsc_clock_init(&fp.clk[0], &tcfg) != TW_OK)
		rte_exit(EXIT_FAILURE, "cannot anchor the TSC clock\n");
	struct tw_sync sync;
	(void)tw_time_sync_read(&sync); /* init only: adjtimex is a syscall */
	tw_tsc_clock_set_sync(&fp.clk[0], &sync);
	fp.clk_cur = &fp.clk[0];
	/* Every interval the fast path schedules (the Session-Sender's
	 * send times, loss timeouts, REFWAIT, polls) is converted with the
	 * measured rate too, not the nominal one: with rte_get_tsc_hz() a
	 * 1 us periodic schedule ran at 998.3 ns on the 2-vCPU VM, 0.17 %
	 * fast against the T1 stamps of its own packets (docs/fastpath.md,
	 * "Loop shape").  Read once: the resync refines the clock's rate
	 * later, by parts per million, for the timestamps only. */
	fp.tsc_hz = fp.clk[0].hz;
	fp.drain_tsc = fp.tsc_hz / 10000;    /* 100 us */
	fp.ipc_poll_tsc = fp.tsc_hz / 10000; /* 100 us */
	fp.tap_poll_tsc = fp.tsc_hz / 50000; /* 20 us */
	fp.stats_interval_tsc = fp.tsc_hz / 1000 * opt.stats_ms;
	fp.errest[0] = fp_clock_errest(&fp.clk[0], false);
	fp.errest[1] = fp_clock_errest(&fp.clk[0], true);

	/* lcores.  One lcore (development / CI on small machines): it owns the
	 * port queue pair and also does the control work.  Two or more (or
	 * --ctl-lcore): split mode, always — the main lcore does only control
	 * work and owns no port queue, the workers own one queue pair each and
	 * do only packet work, so no worker ever allocates or makes a syscall
	 * (and the TAP keeps one queue pair, as net_tap requires). */
	fp.split = opt.ctl_lcore || rte_lcore_count() > 1;
	if (fp.split && rte_lcore_count() < 2)
		rte_exit(EXIT_FAILURE, "--ctl-lcore needs at least 2 lcores (e.g. --lcores "
				       "'0@0,1@0' puts both on CPU 0)\n");
	unsigned lcid, idx = 0, nq = 0;
	RTE_LCORE_FOREACH(lcid)
	{
		struct fp_lcore *lc = &fp.lc[lcid];
		lc->index = idx;
		lc->lcore_id = lcid;
		lc->exc_txq = (uint16_t)idx;
		lc->main = lcid == rte_get_main_lcore();
		if (fp.split && lc->main) {
			lc->rxq = lc->txq = UINT16_MAX; /* polls no port queue */
			lc->exc_txq = 0;		/* the TAP's only queue pair */
		} else {
			lc->rxq = lc->txq = (uint16_t)nq;
			lc->tx_from_ctl = fp.split && nq == 0;
			nq++;
		}
		lc->active = true;
		lc->cnt = &fp_cnt[lcid];
		fp.lc_by_index[idx++] = lc;
	}
	fp.nb_lcores = idx;
	if (fp.split) {
		/* SPSC hand-off rings, sized at start (never allocated later);
		 * the control lcore's per port once the ports are known. */
		for (unsigned i = 0; i < fp.nb_lcores; i++) {
			struct fp_lcore *lc = fp.lc_by_index[i];
			if (lc->main)
				continue;
			char rn[RTE_RING_NAMESIZE];
			snprintf(rn, sizeof(rn), "fp_exc%u", lc->lcore_id);
			lc->exc_ring = rte_ring_create(rn, 1024, (int)rte_socket_id(),
						       RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!lc->exc_ring)
				rte_exit(EXIT_FAILURE, "ring %s: %s\n", rn,
					 rte_strerror(rte_errno));
		}
	}

	uint16_t port_id = RTE_MAX_ETHPORTS;
	uint16_t pid;
	RTE_ETH_FOREACH_DEV(pid)
	{
		port_id = pid;
		break;
	}
	if (port_id == RTE_MAX_ETHPORTS)
		rte_exit(EXIT_FAILURE, "no port: check the profile's vdev/allow\n");
	fp.n_ports = 1;
	if (opt.n_links > 1)
		lag_ports(&prof, &port_id);
	fp.port_ids[0] = port_id;
	fp.port_links[0] = fp.member_link;
	for (unsigned i = 0; fp.split && i < fp.n_ports; i++) {
		char rn[RTE_RING_NAMESIZE];
		snprintf(rn, sizeof(rn), "fp_to_port%u", i);
		fp.to_port[i] = rte_ring_create(rn, 1024, (int)rte_socket_id(),
						RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!fp.to_port[i])
			rte_exit(EXIT_FAILURE, "ring %s: %s\n", rn, rte_strerror(rte_errno));
	}
	unsigned nmbuf = 8192 * fp.nb_lcores * fp.n_ports + 4096 +
			 (fp.split ? 1024 * (fp.nb_lcores + fp.n_ports) : 0);
	fp.mp = rte_pktmbuf_pool_create("fp_mbufs", nmbuf, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (!fp.mp)
		rte_exit(EXIT_FAILURE, "mbuf pool: %s\n", rte_strerror(rte_errno));
	if (fp_port_init(&fp.port, port_id, &prof, (uint16_t)nq, fp.mp) != 0)
		rte_exit(EXIT_FAILURE, "port init failed\n");
	fp.mac = fp.port.mac;
	fp.link_of[port_id] = fp.member_link;
	for (unsigned i = 1; i < fp.n_ports; i++) {
		struct fp_port *x = &fp.xport[i];
		if (fp_port_init(x, fp.port_ids[i], &prof, (uint16_t)nq, fp.mp) != 0)
			rte_exit(EXIT_FAILURE, "port %u (member link %u) init failed\n", i,
				 fp.port_links[i]);
		/* the same offloads and clock as port 0: the packet paths
		 * read fp.port's (one profile for every member link) */
		if (x->tx_cksum != fp.port.tx_cksum || x->ts_mode != FP_TS_TSC ||
		    fp.port.ts_mode != FP_TS_TSC)
			rte_exit(EXIT_FAILURE,
				 "port %u (member link %u): offloads or timestamps differ from port "
				 "0's; member-link ports need the same device kind and TSC "
				 "timestamps\n",
				 i, fp.port_links[i]);
		/* A LAG's members share one MAC (IEEE 802.1AX): peers learn
		 * port 0's through the exception path and send to it on
		 * every member. */
		if (rte_eth_dev_default_mac_addr_set(fp.port_ids[i], &fp.mac) != 0)
			RTE_LOG(WARNING, USER1,
				"port %u: cannot take port 0's MAC; frames to it are still "
				"accepted (the fast path filters on port 0's MAC)\n",
				i);
		fp.link_of[fp.port_ids[i]] = fp.port_links[i];
	}
	fp.ip_mtu = (uint16_t)RTE_MIN(rte_pktmbuf_data_room_size(fp.mp) - RTE_PKTMBUF_HEADROOM -
					   RTE_ETHER_HDR_LEN - RTE_VLAN_HLEN,
				       UINT16_MAX);
	for (unsigned i = 0; i < fp.n_ports; i++) {
		uint16_t mtu;
		if (rte_eth_dev_get_mtu(fp.port_ids[i], &mtu) == 0 && mtu >= 68 &&
		    mtu < fp.ip_mtu)
			fp.ip_mtu = mtu;
	}
	RTE_LOG(INFO, USER1, "IP MTU %u: longer test packets are refused\n", fp.ip_mtu);
	(void)fp_port_check_kernel_iface(&prof);
	(void)fp_port_kernel_ring_init(&prof);

	static struct fp_sess_table sess;
	static struct fp_exc exc;
	static struct fp_light light[FP_MAX_LIGHT];
	fp.sess = &sess;
	fp.exc = &exc;
	fp.light = light;
	if (fp_sess_table_init(&sess, opt.max_sessions, (int)rte_socket_id()) != 0)
		rte_exit(EXIT_FAILURE, "session table (%u) failed\n", opt.max_sessions);
	RTE_LOG(INFO, USER1,
		"session table: %u slots, %zu octets per slot (entry %zu: state + key; cold %zu; "
		"index %.1f; the rest lists and the id hash); "
		"an authenticated session adds %zu (crypto pool)\n",
		opt.max_sessions, fp_sess_bytes_per_slot, sizeof(struct fp_session),
		sizeof(struct fp_sess_cold),
		(double)fp_sess_nbuckets(opt.max_sessions) * sizeof(struct fp_sess_bucket) /
			opt.max_sessions,
		FP_SESS_CRYPTO_BYTES);
	/* One crypto engine per lcore (the library's state is per thread). */
	for (unsigned i = 0; i < fp.nb_lcores; i++) {
		struct fp_lcore *lc = fp.lc_by_index[i];
		lc->crypto = tw_crypto_engine_new(opt.crypto);
		if (fp_crypto_lcore_init(lc) != 0)
			rte_exit(EXIT_FAILURE, "crypto batch: out of memory\n");
		if (!lc->crypto)
			rte_exit(EXIT_FAILURE, "crypto engine: %s not available here\n",
				 opt.crypto == TW_CRYPTO_IMPL_IPSEC_MB ? "intel-ipsec-mb"
				 : opt.crypto == TW_CRYPTO_IMPL_SHANI  ? "sha-ni (SHA-NI and AES-NI)"
								       : "any");
	}
	RTE_LOG(INFO, USER1, "test-packet crypto: %s\n",
		tw_crypto_engine_name(fp.lc_by_index[0]->crypto));
	for (unsigned i = 0; i < fp.nb_lcores; i++)
		if (fp_light_lcore_init(fp.lc_by_index[i], fp.lc_by_index[i]->lcore_id,
					opt.max_peers) != 0)
			rte_exit(EXIT_FAILURE, "light peer table failed\n");
	if (fp_sender_pool_init(opt.max_senders) != 0)
		rte_exit(EXIT_FAILURE, "sender pool failed\n");
	if (opt.sched_stats && fp_sched_init(opt.sched_stats) != 0)
		rte_exit(EXIT_FAILURE, "--sched-stats: out of memory\n");
	char tapname[32];
	if (opt.tap)
		snprintf(tapname, sizeof(tapname), "%s", opt.tap);
	else
		snprintf(tapname, sizeof(tapname), "twh-x%d", (int)getpid());
	/* net_tap wants as many Rx as Tx queues, and a multi-queue TAP would
	 * spread the kernel's frames over Rx queues nobody polls; in split
	 * mode only the control lcore touches the TAP: one queue pair. */
	if (fp_exc_init(&exc, tapname, fp.split ? 1 : (uint16_t)fp.nb_lcores, prof.mtu) != 0)
		rte_exit(EXIT_FAILURE, "exception path failed\n");
	uint32_t shm_gid = 0;
	bool set_gid = false;
	if (opt.shm_group) {
		char *end;
		unsigned long g = strtoul(opt.shm_group, &end, 10);
		struct group *gr = *end ? getgrnam(opt.shm_group) : NULL;
		if (*end && !gr)
			rte_exit(EXIT_FAILURE, "--shm-group %s: no such group\n", opt.shm_group);
		shm_gid = gr ? (uint32_t)gr->gr_gid : (uint32_t)g;
		set_gid = true;
	}
	if (fp_ctl_init(opt.shm, fp.nb_lcores, set_gid, shm_gid, opt.shm_mode) != 0)
		rte_exit(EXIT_FAILURE, "IPC init failed\n");

	/* Command-line sessions go through the IPC command code. */
	uint64_t now = rte_rdtsc();
	for (unsigned i = 0; i < opt.n_light; i++) {
		struct tw_ipc_light_listen *l = &opt.light[i];
		if (!l->proto)
			l->proto = opt.light_proto;
		l->sec = opt.light_sec;
		l->flags |= TW_IPC_SF_START_NOW;
		if ((opt.light_key &&
		     key_ref(opt.light_key, l->keys.hmac, 32, 0, &l->keys.hmac_len) != 0) ||
		    (opt.light_aes && key_ref(opt.light_aes, l->keys.aes, 16, 16, NULL) != 0))
			rte_exit(EXIT_FAILURE, "--light-key/--light-aes: see above\n");
		uint32_t detail;
		enum tw_err e = fp_ctl_apply(TW_IPC_LIGHT_LISTEN, l, sizeof(*l), now, &detail);
		if (e != TW_OK)
			rte_exit(EXIT_FAILURE, "--light-port %u: %s\n", l->flow.local_port,
				 tw_strerror(e));
		(void)fp_ctl_mark_static(l->session);
	}
	for (unsigned i = 0; i < opt.n_refl; i++) {
		struct tw_ipc_sender_add s;
		struct tw_ipc_reflector_add r;
		bool echo;
		if (parse_spec(opt.refl[i], false, &s, &r, &echo) != 0)
			rte_exit(EXIT_FAILURE, "bad --reflector\n");
		if (!r.session)
			r.session = 0x52000000u + i + 1;
		uint32_t detail;
		enum tw_err e = fp_ctl_apply(TW_IPC_REFLECTOR_ADD, &r, sizeof(r), now, &detail);
		if (e != TW_OK)
			rte_exit(EXIT_FAILURE, "--reflector %s: %s\n", opt.refl[i], tw_strerror(e));
		(void)fp_ctl_mark_static(r.session);
		start_at(TW_IPC_REFLECTOR_START, r.session, opt.refl[i]);
	}
	for (unsigned i = 0; i < opt.n_send; i++) {
		struct tw_ipc_sender_add s;
		struct tw_ipc_reflector_add r;
		bool echo;
		if (parse_spec(opt.send[i], true, &s, &r, &echo) != 0)
			rte_exit(EXIT_FAILURE, "bad --sender\n");
		if (!s.session)
			s.session = 0x53000000u + i + 1;
		enum tw_err e;
		uint64_t cap = opt.record ? (s.count ? s.count * 2 + 16 : 100000) : 0;
		struct fp_sender *snd = fp_sender_add(&s, cap, &e);
		if (!snd)
			rte_exit(EXIT_FAILURE, "--sender %s: %s\n", opt.send[i], tw_strerror(e));
		snd->echo = echo;
		(void)fp_ctl_mark_static(s.session);
		start_at(TW_IPC_SENDER_START, s.session, opt.send[i]);
	}
	if (opt.duration_s > 0)
		fp.run_until_tsc = rte_rdtsc() + (uint64_t)(opt.duration_s * (double)fp.tsc_hz);

	RTE_LOG(INFO, USER1,
		"twinhop-fp %s: %u lcore(s), timestamps %s, idle back-off %s, profile %s\n",
		TW_VERSION, fp.nb_lcores, fp_ts_mode_name(fp.port.ts_mode),
		fp.idle_backoff ? "on" : "off", prof.path);
	if (fp.split)
		RTE_LOG(NOTICE, USER1,
			"split mode: lcore %u does the control work only, %u worker lcore(s) "
			"poll the port\n",
			rte_get_main_lcore(), nq);
	printf("READY\n");
	fflush(stdout);
	rte_eal_mp_remote_launch(fp_lcore_loop, NULL, CALL_MAIN);
	rte_eal_mp_wait_lcore();

	fp_ctl_publish(rte_rdtsc());
	if (opt.record && fp_sender_dump(opt.record) != 0)
		fprintf(stderr, "twinhop-fp: cannot write %s\n", opt.record);
	if (opt.print_counters)
		print_counters();
	fp_sched_report(stdout);
	fflush(stdout);
	if (opt.linger)
		linger(fp.port.port_id);
	fp_ctl_close();
	fp_exc_close(&exc);
	fp_port_close(&fp.port);
	for (unsigned i = 1; i < fp.n_ports; i++)
		fp_port_close(&fp.xport[i]);
	for (unsigned i = 0; i < fp.nb_lcores; i++)
		tw_crypto_engine_free(fp.lc_by_index[i]->crypto);
	rte_eal_cleanup();
	return 0;
}
