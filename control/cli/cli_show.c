/* SPDX-License-Identifier: BSD-3-Clause */
#include "cli_show.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli_admin.h"
#include "tw_ipc.h"

static const char *str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : def;
}

static uint64_t u64(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v))
		return (uint64_t)json_real_value(v);
	return 0;
}

void cli_show_dur(char *buf, size_t cap, double ns)
{
	double a = ns < 0 ? -ns : ns;
	if (a >= 1e9)
		snprintf(buf, cap, "%.2f s", ns / 1e9);
	else if (a >= 1e6)
		snprintf(buf, cap, "%.2f ms", ns / 1e6);
	else if (a >= 1e3)
		snprintf(buf, cap, "%.1f us", ns / 1e3);
	else
		snprintf(buf, cap, "%.0f ns", ns);
}

static void uptime(char *buf, size_t cap, uint64_t s)
{
	if (s >= 86400)
		snprintf(buf, cap, "%" PRIu64 " d %" PRIu64 " h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, cap, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, cap, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else
		snprintf(buf, cap, "%" PRIu64 " s", s);
}

/* flags: JSON_DECODE_INT_AS_REAL for replies carrying NTP timestamps
 * (show-sessions "last_rx_ntp"), which exceed jansson's int64 (u64() reads
 * reals too). */
static json_t *load_flags(const char *line, size_t flags)
{
	json_error_t e;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES | flags, &e);
	if (o && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *load(const char *line)
{
	return load_flags(line, 0);
}

int cli_show_status(FILE *f, const char *reply)
{
	json_t *o = load(reply);
	char up[64];
	if (!o)
		return -1;
	uptime(up, sizeof(up), u64(o, "uptime_s"));
	fprintf(f, "twinhopd %s, up %s\n", str(o, "version", "?"), up);
	json_t *fp = json_object_get(o, "fp");
	if (json_is_true(json_object_get(fp, "attached"))) {
		fprintf(f,
		        "%-15s attached (region %s, pid %" PRIu64 ", heartbeat %" PRIu64
		        " ms ago)\n",
		        "Fast path:", str(fp, "region", "?"), u64(fp, "pid"),
		        u64(fp, "heartbeat_age_ms"));
	} else {
		fprintf(f, "%-15s NOT attached (region %s): sessions cannot start\n",
		        "Fast path:", str(fp, "region", "?"));
		if (json_is_string(json_object_get(fp, "attach_error")))
			fprintf(f, "%-15s %s (retrying every %" PRIu64 " ms)\n",
			        "  last attach:", str(fp, "attach_error", "?"),
			        u64(fp, "attach_retry_ms"));
	}
	fprintf(f,
	        "%-15s %" PRIu64 " sent, %" PRIu64 " not sent, %" PRIu64 " acknowledged, %" PRIu64
	        " refused, %" PRIu64 " timed out\n",
	        "  requests:", u64(fp, "sent"), u64(fp, "send_fail"), u64(fp, "acks"),
	        u64(fp, "nacks"), u64(fp, "timeouts"));
	/* Issue 8 §6b: one attach per fast-path (re)start; a lost claim means
	 * the fast path deemed this daemon dead (fp-grace) and it re-attached. */
	if (json_object_get(fp, "attaches"))
		fprintf(f,
		        "%-15s %" PRIu64 " attach(es), %" PRIu64 " claim(s) lost, fp-grace %" PRIu64
		        " s, %" PRIu64 " request(s) pending\n",
		        "  restarts:", u64(fp, "attaches"), u64(fp, "claim_lost"),
		        u64(fp, "grace_ms") / 1000u, u64(fp, "pending"));
	/* IPC version 14: test packets longer than this are refused at
	 * Request-TW-Session (REQ_PADDING_MTU); the fast path reassembles
	 * nothing. */
	if (u64(fp, "ip_mtu"))
		fprintf(f, "%-15s IP packets of at most %" PRIu64 " octets (the ports' IP MTU)\n",
		        "  test packets:", u64(fp, "ip_mtu"));
	json_t *ls = json_object_get(o, "listen");
	fprintf(f, "%-15s ", "TWAMP-Control:");
	if (!json_array_size(ls)) {
		fputs("not listening", f);
	} else {
		fputs("listening on ", f);
		for (size_t i = 0; i < json_array_size(ls); i++)
			fprintf(f, "%s%s", i ? ", " : "",
			        json_string_value(json_array_get(ls, i))
			            ? json_string_value(json_array_get(ls, i))
			            : "?");
	}
	fputc('\n', f);
	fprintf(f, "%-15s %" PRIu64 "\n", "Connections:", u64(o, "connections"));
	fprintf(f, "%-15s %" PRIu64 "\n", "Sessions:", u64(o, "sessions"));
	json_decref(o);
	return 0;
}

/* ---- tables ---------------------------------------------------------------------- */

#define COLS_MAX 12

struct table {
	unsigned ncol, nrow, cap;
	const char *head[COLS_MAX];
	bool right[COLS_MAX];
	char **cell; /* nrow * ncol, malloc'd strings */
};

static void t_add(struct table *t, char **row)
{
	if (t->nrow == t->cap) {
		unsigned nc = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cell, (size_t)nc * t->ncol * sizeof(*n));
		if (!n) {
			for (unsigned i = 0; i < t->ncol; i++)
				free(row[i]);
			return;
		}
		t->cell = n;
		t->cap = nc;
	}
	memcpy(t->cell + (size_t)t->nrow * t->ncol, row, t->ncol * sizeof(*row));
	t->nrow++;
}

static void t_print(FILE *f, struct table *t)
{
	size_t w[COLS_MAX];
	for (unsigned c = 0; c < t->ncol; c++) {
		w[c] = strlen(t->head[c]);
		for (unsigned r = 0; r < t->nrow; r++) {
			const char *s = t->cell[(size_t)r * t->ncol + c];
			if (s && strlen(s) > w[c])
				w[c] = strlen(s);
		}
	}
	for (int r = -1; r < (int)t->nrow; r++) {
		for (unsigned c = 0; c < t->ncol; c++) {
			const char *s = r < 0 ? t->head[c] : t->cell[(size_t)r * t->ncol + c];
			bool last = c + 1 == t->ncol;
			if (!s)
				s = "";
			if (t->right[c])
				fprintf(f, "%*s%s", (int)w[c], s, last ? "" : "  ");
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s  ", (int)w[c], s);
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < (size_t)t->nrow * t->ncol; i++)
		free(t->cell[i]);
	free(t->cell);
}

static char *dup_u64(uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	return strdup(b);
}

int cli_show_sessions(FILE *f, const char *reply)
{
	json_t *o = load_flags(reply, JSON_DECODE_INT_AS_REAL);
	if (!o)
		return -1;
	json_t *ss = json_object_get(o, "sessions");
	json_t *cl = json_object_get(o, "clients");
	if (!json_array_size(ss) && !json_array_size(cl)) {
		fputs("No sessions.\n", f);
		json_decref(o);
		return 0;
	}
	/* twinhopd's own Control-Clients (`twinhop config import` of RFC 8913
	 * control-client ctrl-connections): one line each, the last error
	 * while it retries; their senders follow in the session table. */
	if (json_array_size(cl)) {
		struct table t = {
		    .ncol = 7,
		    .head = {"CLIENT", "NAME", "SERVER", "STATE", "MODE", "SESSIONS", "LAST ERROR"},
		    .right = {true, false, false, false, false, true, false}};
		for (size_t i = 0; i < json_array_size(cl); i++) {
			json_t *c = json_array_get(cl, i);
			char st[64];
			snprintf(st, sizeof(st), "%s", str(c, "state", "?"));
			if (json_object_get(c, "retry_in_ms"))
				snprintf(st, sizeof(st), "%s (%" PRIu64 " s)", str(c, "state", "?"),
				         (u64(c, "retry_in_ms") + 999) / 1000);
			char *row[7] = {dup_u64(u64(c, "client")),
			                strdup(str(c, "name", "?")),
			                strdup(str(c, "server", "?")),
			                strdup(st),
			                strdup(str(c, "mode", "-")),
			                dup_u64(json_array_size(json_object_get(c, "sessions"))),
			                strdup(str(c, "error", "-"))};
			t_add(&t, row);
		}
		t_print(f, &t);
		if (!json_array_size(ss)) {
			json_decref(o);
			return 0;
		}
		fputc('\n', f);
	}
	/* A NAME column only when some session has one (`twinhop config
	 * import` names its senders after the RFC 8913 test sessions). */
	bool named = false;
	for (size_t i = 0; i < json_array_size(ss); i++)
		named |= *str(json_array_get(ss, i), "name", "") != '\0';
	struct table t = {
	    .ncol = named ? 11 : 10,
	    .head = {"ID", "KIND", "PROTO", "STATE", "MODE", "LOCAL", "PEER", "RX", "TX", "DROPS",
	             "NAME"},
	    .right = {true, false, false, false, false, false, false, true, true, true, false}};
	for (size_t i = 0; i < json_array_size(ss); i++) {
		json_t *s = json_array_get(ss, i);
		/* drops come only from the fast path's STATS poll ("live"):
		 * "-" when there is none (detached), not a made-up 0 */
		json_t *live = json_object_get(s, "live");
		char *row[11] = {
		    dup_u64(u64(s, "session")),   strdup(str(s, "kind", "?")),
		    strdup(str(s, "proto", "?")), strdup(str(s, "state", "?")),
		    strdup(str(s, "mode", "-")),  strdup(str(s, "local", "-")),
		    strdup(str(s, "peer", "-")),  dup_u64(u64(s, "rx_pkts")),
		    dup_u64(u64(s, "tx_pkts")),
		    live ? dup_u64(u64(live, "drops")) : strdup("-"),
		    named ? strdup(str(s, "name", "-")) : NULL};
		t_add(&t, row);
	}
	t_print(f, &t);
	json_decref(o);
	return 0;
}

/* What each fast-path port itself counted (RFC 9533: one port per member
 * link), after the lcores' counters. */
static void show_ports(FILE *f, json_t *ports)
{
	if (!json_array_size(ports))
		return;
	struct table t = {.ncol = 10,
	                  .head = {"PORT", "LINK", "STATE", "RX PKTS", "TX PKTS", "RX OCTETS",
	                           "TX OCTETS", "RX MISSED", "RX NOMBUF", "ERRORS RX/TX"},
	                  .right = {true, true, false, true, true, true, true, true, true, true}};
	for (size_t i = 0; i < json_array_size(ports); i++) {
		json_t *p = json_array_get(ports, i);
		char err[48];
		snprintf(err, sizeof(err), "%" PRIu64 "/%" PRIu64, u64(p, "rx_errors"),
		         u64(p, "tx_errors"));
		char *row[10] = {
		    dup_u64(u64(p, "port")),
		    u64(p, "member_link") ? dup_u64(u64(p, "member_link")) : strdup("-"),
		    strdup(json_is_true(json_object_get(p, "link_up")) ? "up" : "down"),
		    dup_u64(u64(p, "rx_pkts")),
		    dup_u64(u64(p, "tx_pkts")),
		    dup_u64(u64(p, "rx_octets")),
		    dup_u64(u64(p, "tx_octets")),
		    dup_u64(u64(p, "rx_missed")),
		    dup_u64(u64(p, "rx_nombuf")),
		    strdup(err)};
		t_add(&t, row);
	}
	fputc('\n', f);
	t_print(f, &t);
}

int cli_show_counters(FILE *f, const char *reply, bool fp, bool all)
{
	json_t *o = load(reply);
	if (!o)
		return -1;
	if (!fp) {
		json_t *c = json_object_get(o, "counters");
		const char *k;
		json_t *v;
		struct table t = {.ncol = 2, .head = {"COUNTER", "VALUE"}, .right = {false, true}};
		unsigned zero = 0;
		json_object_foreach(c, k, v)
		{
			if (!all && !json_integer_value(v)) {
				zero++;
				continue;
			}
			char *row[2] = {strdup(k), dup_u64((uint64_t)json_integer_value(v))};
			t_add(&t, row);
		}
		t_print(f, &t);
		if (zero)
			fprintf(f, "(%u counters at 0 not shown; --all shows them)\n", zero);
		json_decref(o);
		return 0;
	}
	json_t *lc = json_object_get(o, "lcores"), *tot = json_object_get(o, "total");
	unsigned nl = (unsigned)json_array_size(lc);
	if (nl + 2 > COLS_MAX)
		nl = COLS_MAX - 2; /* the total column still counts every lcore */
	struct table t = {.ncol = nl + 2};
	char heads[COLS_MAX][24];
	t.head[0] = "COUNTER";
	for (unsigned l = 0; l < nl; l++) {
		snprintf(heads[l], sizeof(heads[l]), "lcore %" PRIu64,
		         u64(json_array_get(lc, l), "lcore"));
		t.head[l + 1] = heads[l];
		t.right[l + 1] = true;
	}
	t.head[nl + 1] = "TOTAL";
	t.right[nl + 1] = true;
	const char *k;
	json_t *v;
	unsigned zero = 0;
	json_object_foreach(tot, k, v)
	{
		if (!json_is_integer(v))
			continue; /* the derived figures come below */
		if (!all && !json_integer_value(v)) {
			zero++;
			continue;
		}
		char *row[COLS_MAX] = {strdup(k)};
		for (unsigned l = 0; l < nl; l++)
			row[l + 1] =
			    dup_u64(u64(json_object_get(json_array_get(lc, l), "counters"), k));
		row[nl + 1] = dup_u64((uint64_t)json_integer_value(v));
		t_add(&t, row);
	}
	/* capacity figures (docs/performance.md), where the fast path has them */
	static const char *const der[] = {"busy_cycles_per_pkt", "pkts_per_burst"};
	for (unsigned d = 0; d < 2; d++) {
		if (!json_is_number(json_object_get(tot, der[d])) || !u64(tot, "RX_PKTS"))
			continue; /* nothing received: no figure */
		char *row[COLS_MAX] = {strdup(der[d])};
		for (unsigned l = 0; l < nl + 1; l++) {
			json_t *src = l < nl ? json_array_get(lc, l) : tot;
			char b[32];
			snprintf(b, sizeof(b), d ? "%.2f" : "%.1f",
			         json_number_value(json_object_get(src, der[d])));
			row[l + 1] = strdup(b);
		}
		t_add(&t, row);
	}
	t_print(f, &t);
	if (zero)
		fprintf(f, "(%u counters at 0 on every lcore not shown; --all shows them)\n", zero);
	show_ports(f, json_object_get(o, "ports"));
	json_decref(o);
	return 0;
}

/* NTP 32.32 difference -> ns */
static double ntp_ns(int64_t d)
{
	return (double)d * 1e9 / 4294967296.0;
}

int cli_show_event(FILE *f, const char *line)
{
	/* as reals: a result's NTP timestamps exceed int64 (jansson would
	 * refuse the line); the timestamps themselves are read exactly below */
	json_t *o = load_flags(line, JSON_DECODE_INT_AS_REAL);
	if (!o)
		return -1;
	const char *ev = str(o, "event", "");
	uint64_t s = u64(o, "session");
	if (!strcmp(ev, "session")) {
		const char *err = str(o, "err", "OK");
		fprintf(f, "session %" PRIu64 " %s (rx %" PRIu64 ", tx %" PRIu64 ")%s%s\n", s,
		        str(o, "what", "?"), u64(o, "rx_pkts"), u64(o, "tx_pkts"),
		        strcmp(err, "OK") ? ": " : "", strcmp(err, "OK") ? err : "");
	} else if (!strcmp(ev, "result")) {
		uint64_t fl = u64(o, "flags");
		if (fl & TW_IPC_RES_LOST) {
			fprintf(f, "session %" PRIu64 " seq %" PRIu64 ": lost\n", s, u64(o, "seq"));
		} else {
			char rtt[32];
			uint64_t t[4] = {0};
			static const char *const tk[4] = {"t1", "t2", "t3", "t4"};
			for (int i = 0; i < 4; i++)
				(void)cli_json_u64(line, tk[i], &t[i]);
			int64_t d = (int64_t)(t[3] - t[0]) - (int64_t)(t[2] - t[1]);
			cli_show_dur(rtt, sizeof(rtt), ntp_ns(d));
			fprintf(f, "session %" PRIu64 " seq %" PRIu64 ": rtt %s%s%s\n", s,
			        u64(o, "seq"), rtt, fl & TW_IPC_RES_DUP ? " (duplicate)" : "",
			        fl & TW_IPC_RES_LATE ? " (late)" : "");
		}
	} else if (!strcmp(ev, "summary")) {
		fprintf(f,
		        "session %" PRIu64 " ended (%s): sent %" PRIu64 ", replies %" PRIu64
		        ", lost %" PRIu64 ", late %" PRIu64 ", duplicates %" PRIu64
		        ", not sent %" PRIu64 "\n",
		        s, str(o, "reason", "?"), u64(o, "sent"), u64(o, "replies"), u64(o, "lost"),
		        u64(o, "late"), u64(o, "dup"), u64(o, "tx_drops"));
	} else if (!strcmp(ev, "overflow")) {
		fprintf(f, "(%" PRIu64 " events dropped: this client read too slowly)\n",
		        u64(o, "dropped"));
	} else {
		json_decref(o);
		return -1;
	}
	json_decref(o);
	return 0;
}
