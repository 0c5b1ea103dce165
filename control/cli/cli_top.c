/* SPDX-License-Identifier: BSD-3-Clause */
#include "cli_top.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli_admin.h"
#include "cli_run.h"
#include "cli_show.h"

#define TOP_SESS_MAX  4096
#define TOP_LCORE_MAX 128
#define TOP_PORT_MAX  8 /* TW_IPC_PORTS_MAX */

struct prev_sess {
	uint64_t id, rx, tx;
};

struct top {
	struct cli_admin a;
	double interval;
	uint64_t t_prev_ns;
	struct prev_sess ps[TOP_SESS_MAX];
	unsigned n_ps;
	uint64_t lc_busy[TOP_LCORE_MAX], lc_rx[TOP_LCORE_MAX], lc_tx[TOP_LCORE_MAX];
	unsigned n_lc;
	/* each port's own counts at the previous refresh (rates) */
	uint64_t pt_rx[TOP_PORT_MAX], pt_tx[TOP_PORT_MAX], pt_miss[TOP_PORT_MAX];
	unsigned n_pt;
	bool have_prev;
};

static void show_ports(struct top *t, FILE *f, json_t *ports, unsigned npt, double dt);

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static json_t *call(struct top *t, const char *req, char *err, size_t errlen)
{
	char *rep = cli_admin_call(&t->a, req, 5000, NULL, NULL, err, errlen);
	if (!rep)
		return NULL;
	json_t *o = NULL;
	if (cli_admin_ok(rep, err, errlen)) {
		json_error_t je;
		/* as reals: show-sessions' NTP timestamps exceed int64 */
		o = json_loads(rep, JSON_DECODE_INT_AS_REAL, &je);
		if (!o)
			snprintf(err, errlen, "bad reply: %s", je.text);
	}
	free(rep);
	return o;
}

static uint64_t ju(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_real(v) && json_real_value(v) > 0 ? (uint64_t)json_real_value(v) : 0;
}

static const char *js(const json_t *o, const char *k, const char *def)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : def;
}

static void rate_str(char *b, size_t cap, double v)
{
	if (v < 0)
		snprintf(b, cap, "-");
	else if (v >= 1e6)
		snprintf(b, cap, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(b, cap, "%.1fk", v / 1e3);
	else
		snprintf(b, cap, "%.0f", v);
}

static unsigned term_rows(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 10)
		return ws.ws_row;
	return 24;
}

/* One screen into f; 0, or -1 with err (the daemon went away). */
static int screen(struct top *t, FILE *f, char *err, size_t errlen)
{
	json_t *st = call(t, "{\"cmd\":\"show-status\"}", err, errlen);
	if (!st)
		return -1;
	json_t *ss = call(t, "{\"cmd\":\"show-sessions\"}", err, errlen);
	if (!ss) {
		json_decref(st);
		return -1;
	}
	json_t *fp = json_object_get(st, "fp");
	bool attached = json_is_true(json_object_get(fp, "attached"));
	char e2[256];
	json_t *fc = attached ? call(t, "{\"cmd\":\"show-fp-counters\"}", e2, sizeof(e2)) : NULL;
	uint64_t now = now_ns();
	double dt = t->have_prev ? (double)(now - t->t_prev_ns) / 1e9 : 0;
	time_t wall = time(NULL);
	struct tm tmv;
	char clock[16], up[64];
	localtime_r(&wall, &tmv);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tmv);
	uint64_t us = ju(st, "uptime_s");
	snprintf(up, sizeof(up), "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, us / 3600, us / 60 % 60,
	         us % 60);

	fprintf(f, "twinhop top - %s  twinhopd %s, up %s, fast path %s", clock,
	        js(st, "version", "?"), up, attached ? "attached" : "NOT attached");
	if (attached)
		fprintf(f, " (pid %" PRIu64 ")", ju(fp, "pid"));
	fprintf(f, ", refresh %.1f s\n", t->interval);
	json_t *arr = json_object_get(ss, "sessions");
	size_t n = json_array_size(arr);
	unsigned nk[3] = {0};
	for (size_t i = 0; i < n; i++) {
		const char *k = js(json_array_get(arr, i), "kind", "");
		nk[!strcmp(k, "reflector") ? 0 : !strcmp(k, "light") ? 1 : 2]++;
	}
	fprintf(f,
	        "Sessions: %zu (%u reflector, %u light/stamp, %u sender)   TWAMP-Control "
	        "connections: %" PRIu64 "\n\n",
	        n, nk[0], nk[1], nk[2], ju(st, "connections"));

	/* sessions */
	unsigned rows = term_rows();
	unsigned nlc = fc ? (unsigned)json_array_size(json_object_get(fc, "lcores")) : 0;
	unsigned npt = fc ? (unsigned)json_array_size(json_object_get(fc, "ports")) : 0;
	if (npt > TOP_PORT_MAX)
		npt = TOP_PORT_MAX;
	unsigned below = nlc + (npt ? npt + 2 : 0);
	unsigned room = rows > 8 + below ? rows - 8 - below : 2;
	fprintf(f, "%6s %-9s %-5s %-10s %-24s %9s %9s %7s %9s %9s\n", "ID", "KIND", "PROTO",
	        "STATE", "PEER", "RX/s", "TX/s", "LOSS", "RTT p50", "RTT p99");
	struct prev_sess cur[TOP_SESS_MAX];
	unsigned ncur = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, i);
		uint64_t id = ju(s, "session"), rx = ju(s, "rx_pkts"), tx = ju(s, "tx_pkts");
		double rxr = -1, txr = -1;
		for (unsigned j = 0; j < t->n_ps && dt > 0; j++)
			if (t->ps[j].id == id) {
				rxr = rx >= t->ps[j].rx ? (double)(rx - t->ps[j].rx) / dt : 0;
				txr = tx >= t->ps[j].tx ? (double)(tx - t->ps[j].tx) / dt : 0;
				break;
			}
		if (ncur < TOP_SESS_MAX)
			cur[ncur++] = (struct prev_sess){id, rx, tx};
		if (i >= room) {
			if (i == room)
				fprintf(f, "  ... %zu more (twinhop sessions lists all)\n",
				        n - room);
			continue;
		}
		char r1[16], r2[16], loss[16] = "-", p50[24] = "-", p99[24] = "-";
		rate_str(r1, sizeof(r1), rxr);
		rate_str(r2, sizeof(r2), txr);
		json_t *sx = json_object_get(s, "stats");
		if (sx) {
			snprintf(loss, sizeof(loss), "%.2f%%", (double)ju(sx, "loss_ppm") / 1e4);
			if (json_object_get(sx, "rtt_p50_ns")) {
				cli_show_dur(p50, sizeof(p50), (double)ju(sx, "rtt_p50_ns"));
				cli_show_dur(p99, sizeof(p99), (double)ju(sx, "rtt_p99_ns"));
			}
		}
		fprintf(f, "%6" PRIu64 " %-9s %-5s %-10s %-24s %9s %9s %7s %9s %9s\n", id,
		        js(s, "kind", "?"), js(s, "proto", "?"), js(s, "state", "?"),
		        js(s, "peer", "-"), r1, r2, loss, p50, p99);
	}
	if (!n)
		fputs("  (no sessions)\n", f);
	memcpy(t->ps, cur, ncur * sizeof(cur[0]));
	t->n_ps = ncur;

	/* lcores */
	fputc('\n', f);
	if (!fc) {
		fprintf(f, "Fast path: %s\n", attached ? "no counters" : "not attached");
	} else {
		uint64_t hz = ju(fp, "tsc_hz");
		fprintf(f, "%6s %7s %11s %11s %10s %10s\n", "LCORE", "BUSY %", "CYCLES/PKT",
		        "PKTS/BURST", "RX/s", "TX/s");
		json_t *lc = json_object_get(fc, "lcores");
		for (unsigned l = 0; l < nlc && l < TOP_LCORE_MAX; l++) {
			json_t *o = json_array_get(lc, l), *c = json_object_get(o, "counters");
			bool has_busy = json_object_get(c, "BUSY_CYCLES") != NULL;
			uint64_t busy = ju(c, "BUSY_CYCLES"), rx = ju(c, "RX_PKTS"),
			         tx = ju(c, "TX_PKTS");
			char b[16] = "-", cpp[16] = "-", ppb[16] = "-", r1[16] = "-", r2[16] = "-";
			bool d = t->have_prev && l < t->n_lc && dt > 0;
			if (has_busy && d && hz && busy >= t->lc_busy[l])
				snprintf(b, sizeof(b), "%.1f",
				         100.0 * (double)(busy - t->lc_busy[l]) /
				             ((double)hz * dt));
			/* per interval when packets came, else the average since start */
			if (has_busy && d && rx > t->lc_rx[l])
				snprintf(cpp, sizeof(cpp), "%.0f",
				         (double)(busy - t->lc_busy[l]) /
				             (double)(rx - t->lc_rx[l]));
			else if (json_is_number(json_object_get(o, "busy_cycles_per_pkt")) && rx)
				snprintf(
				    cpp, sizeof(cpp), "%.0f",
				    json_number_value(json_object_get(o, "busy_cycles_per_pkt")));
			if (json_is_number(json_object_get(o, "pkts_per_burst")) && rx)
				snprintf(ppb, sizeof(ppb), "%.2f",
				         json_number_value(json_object_get(o, "pkts_per_burst")));
			if (d) {
				rate_str(r1, sizeof(r1),
				         rx >= t->lc_rx[l] ? (double)(rx - t->lc_rx[l]) / dt : 0);
				rate_str(r2, sizeof(r2),
				         tx >= t->lc_tx[l] ? (double)(tx - t->lc_tx[l]) / dt : 0);
			}
			fprintf(f, "%6" PRIu64 " %7s %11s %11s %10s %10s\n", ju(o, "lcore"), b, cpp,
			        ppb, r1, r2);
			t->lc_busy[l] = busy;
			t->lc_rx[l] = rx;
			t->lc_tx[l] = tx;
		}
		t->n_lc = nlc < TOP_LCORE_MAX ? nlc : TOP_LCORE_MAX;
		if (!hz)
			fputs("(busy % needs the TSC rate from the fast path's HELLO_REPLY)\n", f);
		show_ports(t, f, json_object_get(fc, "ports"), npt, dt);
	}
	fputs("\nq: quit\n", f);
	t->t_prev_ns = now;
	t->have_prev = true;
	json_decref(st);
	json_decref(ss);
	json_decref(fc);
	return 0;
}

/* What each fast-path port itself counted (RFC 9533: one per member link):
 * its link and its rates since the previous refresh. */
static void show_ports(struct top *t, FILE *f, json_t *ports, unsigned npt, double dt)
{
	if (!npt)
		return;
	fprintf(f, "\n%6s %5s %5s %10s %10s %10s\n", "PORT", "LINK", "STATE", "RX/s", "TX/s",
	        "MISSED/s");
	for (unsigned i = 0; i < npt; i++) {
		json_t *o = json_array_get(ports, i);
		uint64_t rx = ju(o, "rx_pkts"), tx = ju(o, "tx_pkts"),
		         miss = ju(o, "rx_missed") + ju(o, "rx_nombuf");
		char link[16] = "-", r1[16] = "-", r2[16] = "-", r3[16] = "-";
		if (ju(o, "member_link"))
			snprintf(link, sizeof(link), "%" PRIu64, ju(o, "member_link"));
		if (t->have_prev && i < t->n_pt && dt > 0) {
			rate_str(r1, sizeof(r1),
			         rx >= t->pt_rx[i] ? (double)(rx - t->pt_rx[i]) / dt : 0);
			rate_str(r2, sizeof(r2),
			         tx >= t->pt_tx[i] ? (double)(tx - t->pt_tx[i]) / dt : 0);
			rate_str(r3, sizeof(r3),
			         miss >= t->pt_miss[i] ? (double)(miss - t->pt_miss[i]) / dt : 0);
		}
		fprintf(f, "%6" PRIu64 " %5s %5s %10s %10s %10s\n", ju(o, "port"), link,
		        json_is_true(json_object_get(o, "link_up")) ? "up" : "down", r1, r2, r3);
		t->pt_rx[i] = rx;
		t->pt_tx[i] = tx;
		t->pt_miss[i] = miss;
	}
	t->n_pt = npt;
}

int cli_top(int argc, char **argv, const char *path, volatile sig_atomic_t *stop)
{
	struct top *t = calloc(1, sizeof(*t));
	long count = 0;
	char err[512];

	if (!t)
		return 1;
	t->interval = 1.0;
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			t->interval = strtod(argv[++i], &end);
			if (*end || !(t->interval >= 0.1 && t->interval <= 3600)) {
				fprintf(stderr, "twinhop top: --interval: need 0.1..3600 seconds\n"
				                "Try 'twinhop top --help'.\n");
				free(t);
				return 2;
			}
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = strtol(argv[++i], &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "twinhop top: --count: need a positive number\n"
				                "Try 'twinhop top --help'.\n");
				free(t);
				return 2;
			}
		} else {
			fprintf(
			    stderr,
			    "twinhop top: unexpected argument '%s'\nTry 'twinhop top --help'.\n",
			    argv[i]);
			free(t);
			return 2;
		}
	}
	if (cli_admin_open(&t->a, path, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		free(t);
		return 1;
	}
	struct termios old, raw;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	fputs("\033[?25l", stdout); /* hide the cursor while drawing */
	int rc = 0;
	for (long k = 0; !*stop && (!count || k < count); k++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (!m) {
			rc = 1;
			break;
		}
		int r = screen(t, m, err, sizeof(err));
		fclose(m);
		if (r < 0) {
			free(buf);
			fputs("\033[?25h", stdout);
			cli_err("%s", err);
			rc = 1;
			break;
		}
		/* home, the screen, clear what the last one left below */
		fputs("\033[H", stdout);
		for (char *p = buf; *p;) {
			char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			fwrite(p, 1, n, stdout);
			fputs("\033[K\n", stdout);
			p += n + (nl ? 1 : 0);
		}
		fputs("\033[J", stdout);
		fflush(stdout);
		free(buf);
		if (count && k + 1 == count)
			break;
		/* wait for the next refresh, or a key */
		uint64_t until = now_ns() + (uint64_t)(t->interval * 1e9);
		bool quit = false;
		while (!*stop && !quit) {
			uint64_t n = now_ns();
			if (n >= until)
				break;
			struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
			int ms = (int)((until - n) / 1000000u) + 1;
			int pr = poll(&pfd, tty ? 1 : 0, ms);
			if (pr > 0) {
				char ch;
				if (read(STDIN_FILENO, &ch, 1) == 1 && (ch == 'q' || ch == 'Q'))
					quit = true;
			} else if (pr < 0 && errno != EINTR) {
				break;
			}
		}
		if (quit)
			break;
	}
	fputs("\033[?25h", stdout);
	fflush(stdout);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	cli_admin_close(&t->a);
	free(t);
	return rc;
}
