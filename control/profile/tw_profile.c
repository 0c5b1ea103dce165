/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_profile: traffic-profile parser, validator, canonical printer and step
 * expansion.  Format and semantics: docs/profiles.md.
 *
 * The parser works in two passes: every line is tokenised and its directive
 * stored with the position of each token (so that a later, whole-profile
 * check can still point at the offending token), then the profile is
 * validated as a whole (frame sizes against the mode and IP version, rates
 * against the sender's pacing limit) and expanded into steps.
 */
#include "tw_profile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Static tables                                                             */

static const struct {
	const char *name;
	uint8_t proto, sec;
	enum tw_pkt_layout layout;
} mode_tab[TW_PROFILE_MODE__COUNT] = {
    [TW_PROFILE_MODE_OPEN] = {"open", TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_PKT_TWAMP_OPEN},
    [TW_PROFILE_MODE_AUTH] = {"auth", TW_IPC_PROTO_TWAMP, TW_IPC_SEC_AUTH, TW_PKT_TWAMP_AUTH},
    [TW_PROFILE_MODE_ENC] = {"enc", TW_IPC_PROTO_TWAMP, TW_IPC_SEC_ENC, TW_PKT_TWAMP_AUTH},
    [TW_PROFILE_MODE_MIXED] = {"mixed", TW_IPC_PROTO_TWAMP, TW_IPC_SEC_MIXED, TW_PKT_TWAMP_OPEN},
    [TW_PROFILE_MODE_LIGHT] = {"light", TW_IPC_PROTO_LIGHT, TW_IPC_SEC_OPEN, TW_PKT_TWAMP_OPEN},
    [TW_PROFILE_MODE_STAMP] = {"stamp", TW_IPC_PROTO_STAMP, TW_IPC_SEC_OPEN, TW_PKT_STAMP_OPEN},
    [TW_PROFILE_MODE_STAMP_AUTH] = {"stamp-auth", TW_IPC_PROTO_STAMP, TW_IPC_SEC_AUTH,
                                    TW_PKT_STAMP_AUTH},
};

const char *tw_profile_mode_str(enum tw_profile_mode m)
{
	return (unsigned)m < TW_PROFILE_MODE__COUNT ? mode_tab[m].name : "?";
}

enum tw_pkt_layout tw_profile_mode_layout(enum tw_profile_mode m)
{
	return (unsigned)m < TW_PROFILE_MODE__COUNT ? mode_tab[m].layout : TW_PKT_LAYOUT__COUNT;
}

static const char *const sched_names[] = {
    [TW_IPC_SCHED_PERIODIC] = "periodic",
    [TW_IPC_SCHED_POISSON] = "poisson",
};

/* ------------------------------------------------------------------------ */
/* Size conversion (spec §4.5, tw_pkt.h base sizes)                          */

static uint32_t l2_l4_overhead(unsigned ipver)
{
	uint32_t ip = ipver == 4 ? TW_PROFILE_IPV4_HDR : TW_PROFILE_IPV6_HDR;
	return TW_PROFILE_ETH_HDR + TW_PROFILE_ETH_FCS + ip + TW_PROFILE_UDP_HDR;
}

uint32_t tw_profile_min_frame(unsigned ipver, enum tw_pkt_layout l)
{
	if ((ipver != 4 && ipver != 6) || !tw_pkt_layout_valid(l))
		return 0;
	uint32_t n = l2_l4_overhead(ipver) + (uint32_t)tw_pkt_sender_base(l);
	return n < TW_PROFILE_FRAME_MIN ? TW_PROFILE_FRAME_MIN : n;
}

enum tw_err tw_profile_frame_to_padding(uint32_t frame_len, unsigned ipver, enum tw_pkt_layout l,
                                        uint32_t *udp_len, uint32_t *padding_len)
{
	if ((ipver != 4 && ipver != 6) || !tw_pkt_layout_valid(l))
		return TW_E_ARG;
	uint32_t ovh = l2_l4_overhead(ipver);
	uint32_t base = (uint32_t)tw_pkt_sender_base(l);
	if (frame_len < ovh + base)
		return TW_E_LENGTH;
	if (udp_len)
		*udp_len = frame_len - ovh;
	if (padding_len)
		*padding_len = frame_len - ovh - base;
	return TW_OK;
}

/* ------------------------------------------------------------------------ */
/* DSCP names (RFC 2474 CS, RFC 2597 AF, RFC 3246 EF)                        */

enum tw_err tw_profile_dscp_parse(const char *s, uint8_t *dscp)
{
	char u[8];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof(u))
		return TW_E_FIELD;
	for (size_t i = 0; i <= n; i++)
		u[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
	if (u[0] >= '0' && u[0] <= '9') {
		unsigned v = 0;
		for (size_t i = 0; i < n; i++) {
			if (u[i] < '0' || u[i] > '9' || (i == 0 && u[0] == '0' && n > 1))
				return TW_E_FIELD;
			v = v * 10 + (unsigned)(u[i] - '0');
			if (v > 63)
				return TW_E_FIELD;
		}
		*dscp = (uint8_t)v;
		return TW_OK;
	}
	if (!strcmp(u, "BE")) {
		*dscp = 0;
		return TW_OK;
	}
	if (!strcmp(u, "EF")) {
		*dscp = 46;
		return TW_OK;
	}
	if (n == 3 && u[0] == 'C' && u[1] == 'S' && u[2] >= '0' && u[2] <= '7') {
		*dscp = (uint8_t)((u[2] - '0') * 8);
		return TW_OK;
	}
	if (n == 4 && u[0] == 'A' && u[1] == 'F' && u[2] >= '1' && u[2] <= '4' && u[3] >= '1' &&
	    u[3] <= '3') {
		*dscp = (uint8_t)((u[2] - '0') * 8 + (u[3] - '0') * 2);
		return TW_OK;
	}
	return TW_E_FIELD;
}

const char *tw_profile_dscp_str(uint8_t dscp, char buf[8])
{
	if (dscp == 0)
		snprintf(buf, 8, "BE");
	else if (dscp == 46)
		snprintf(buf, 8, "EF");
	else if (dscp % 8 == 0 && dscp <= 56)
		snprintf(buf, 8, "CS%u", dscp / 8u);
	else if (dscp >= 10 && dscp <= 38 && dscp % 2 == 0 && (dscp % 8) / 2 >= 1 &&
	         (dscp % 8) / 2 <= 3)
		snprintf(buf, 8, "AF%u%u", dscp / 8u, (dscp % 8u) / 2u);
	else
		snprintf(buf, 8, "%u", dscp & 63u);
	return buf;
}

/* ------------------------------------------------------------------------ */
/* Internal model                                                            */

struct loc {
	unsigned line, col;
};

/* A rate as written: packets or bits per second. */
struct rate {
	uint64_t v; /* pps or bps */
	bool bps;
};

enum axis { AX_NONE, AX_RATE, AX_SIZE, AX_SCHED, AX_DSCP };
static const char *const axis_names[] = {"", "rate", "size", "schedule", "dscp"};

/* Directive "slots": a value may be set once; steps/sweep also take the slot
 * of the parameter they vary. */
enum slot {
	S_NAME,
	S_DESCR,
	S_IP,
	S_MODE,
	S_SCHED,
	S_DSCP,
	S_SIZE,
	S_RATE,
	S_AXIS,
	S_DURATION,
	S_WARMUP,
	S_COUNT,
	S_SEED,
	S__COUNT
};

struct istep {
	struct tw_profile_step s;
	struct tw_profile_size sizes[TW_PROFILE_MIX_MAX];
	struct tw_profile_dscp dscps[TW_PROFILE_MIX_MAX];
};

struct tw_profile {
	char name[TW_PROFILE_NAME_MAX];
	char descr[TW_PROFILE_DESCR_MAX];
	unsigned ipver;
	enum tw_profile_mode mode;
	uint8_t sched;
	uint64_t duration_ns, warmup_ns, count, seed;

	bool imix; /* size written as imix (else size) */
	size_t n_sizes;
	uint32_t frame[TW_PROFILE_MIX_MAX], frame_w[TW_PROFILE_MIX_MAX];
	struct loc frame_loc[TW_PROFILE_MIX_MAX];

	bool dscp_mix;
	size_t n_dscps;
	uint8_t dscp[TW_PROFILE_MIX_MAX];
	uint32_t dscp_w[TW_PROFILE_MIX_MAX];

	struct rate rate;
	struct loc rate_loc;

	enum axis axis;
	bool sweep;
	struct rate sw_a, sw_b, sw_s; /* sweep bounds and step (rates or sizes in .v) */
	size_t n_vals;
	struct rate vals[TW_PROFILE_STEPS_MAX]; /* axis values (size/sched/dscp in .v) */
	struct loc val_loc[TW_PROFILE_STEPS_MAX];

	/* definition lines, for duplicate/conflict messages and late checks */
	unsigned slot_line[S__COUNT];
	const char *slot_word[S__COUNT];
	struct loc duration_loc;

	/* expansion */
	uint8_t size_seq[TW_PROFILE_PERIOD_MAX];
	size_t size_period;
	uint8_t dscp_seq[TW_PROFILE_PERIOD_MAX];
	size_t dscp_period;
	size_t n_steps;
	struct istep *steps;
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

struct parser {
	struct tw_profile *p;
	const char *file;
	struct tw_profile_error *err;
	unsigned line;
};

static enum tw_err perr(struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum tw_err perr(struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
{
	if (!ps->err)
		return TW_E_FIELD;
	char *b = ps->err->text;
	size_t cap = sizeof(ps->err->text);
	int n = snprintf(b, cap, "%s:%u:%u: ", ps->file, line, col);
	if (n > 0 && (size_t)n < cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b + n, cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	ps->err->line = line;
	ps->err->col = col;
	return TW_E_FIELD;
}

/* ------------------------------------------------------------------------ */
/* Tokens                                                                    */

#define TOK_MAX (TW_PROFILE_STEPS_MAX + 8)

struct tok {
	const char *s; /* NUL-terminated, unescaped */
	unsigned col;
	bool quoted;
};

/* Split one line (modified in place) into tokens.  '#' outside quotes starts
 * a comment. */
static enum tw_err tokenize(struct parser *ps, char *line, struct tok *t, size_t *nt)
{
	size_t n = 0;
	char *q = line;
	for (;;) {
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0' || *q == '#')
			break;
		unsigned col = (unsigned)(q - line) + 1;
		if (n == TOK_MAX)
			return perr(ps, ps->line, col, "too many words on one line (at most %u)",
			            TOK_MAX);
		if (*q == '"') {
			char *w = q, *r = q + 1;
			t[n].s = w;
			for (;;) {
				if (*r == '\0')
					return perr(ps, ps->line, col,
					            "unterminated quoted string");
				if (*r == '"')
					break;
				if (*r == '\\') {
					if (r[1] != '"' && r[1] != '\\')
						return perr(
						    ps, ps->line, (unsigned)(r - line) + 1,
						    "unknown escape '\\%c' (only \\\" and \\\\)",
						    r[1] ? r[1] : ' ');
					r++;
				}
				*w++ = *r++;
			}
			r++;
			if (*r != '\0' && *r != ' ' && *r != '\t' && *r != '#')
				return perr(ps, ps->line, (unsigned)(r - line) + 1,
				            "expected a space after the closing quote");
			*w = '\0';
			t[n].quoted = true;
			t[n].col = col;
			q = r;
		} else {
			t[n].s = q;
			t[n].quoted = false;
			t[n].col = col;
			while (*q && *q != ' ' && *q != '\t' && *q != '#') {
				if (*q == '"')
					return perr(ps, ps->line, (unsigned)(q - line) + 1,
					            "unexpected '\"' inside a word");
				q++;
			}
			if (*q == '#') {
				*q = '\0';
				n++;
				break;
			}
			if (*q)
				*q++ = '\0';
		}
		n++;
	}
	*nt = n;
	return TW_OK;
}

/* ------------------------------------------------------------------------ */
/* Numbers and units                                                         */

struct unit {
	const char *sfx;
	uint64_t mult;
};

static const struct unit time_units[] = {
    {"s", 1000000000ull}, {"ms", 1000000ull}, {"us", 1000ull}, {"ns", 1ull}, {NULL, 0}};
static const struct unit pps_units[] = {
    {"Mpps", 1000000ull}, {"kpps", 1000ull}, {"pps", 1ull}, {NULL, 0}};
static const struct unit bps_units[] = {
    {"Gbps", 1000000000ull}, {"Mbps", 1000000ull}, {"kbps", 1000ull}, {"bps", 1ull}, {NULL, 0}};

/* Plain decimal integer, no sign, no leading zeros, <= max. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/*
 * "<decimal><unit>" with one unit table; the value in base units must be a
 * whole number.  Returns NULL or a message.
 */
static const char *parse_unit(const char *s, const struct unit *u, uint64_t *out)
{
	const char *p = s;
	uint64_t ip = 0, fp = 0, fscale = 1;
	if (*p < '0' || *p > '9')
		return "expected a number";
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return "leading zeros are not allowed";
	for (; *p >= '0' && *p <= '9'; p++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return "number too large";
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return "expected digits after '.'";
		for (; *p >= '0' && *p <= '9'; p++) {
			if (fscale >= 1000000000ull)
				return "too many decimals";
			fp = fp * 10 + (uint64_t)(*p - '0');
			fscale *= 10;
		}
	}
	if (!*p)
		return "missing unit";
	for (; u->sfx; u++) {
		if (strcmp(p, u->sfx))
			continue;
		if (ip > UINT64_MAX / u->mult)
			return "number too large";
		uint64_t v = ip * u->mult;
		/* fp < fscale <= 1e9 and mult <= 1e9: fp * mult fits */
		if ((fp * u->mult) % fscale)
			return "not a whole number of the base unit";
		uint64_t f = fp * u->mult / fscale;
		if (v > UINT64_MAX - f)
			return "number too large";
		*out = v + f;
		return NULL;
	}
	return "unknown unit";
}

/* Print v (base units) with the largest unit that divides it exactly. */
static void fmt_unit(char *buf, size_t cap, uint64_t v, const struct unit *u)
{
	for (; u->sfx; u++)
		if (u->mult == 1 || v % u->mult == 0) {
			snprintf(buf, cap, "%llu%s", (unsigned long long)(v / u->mult), u->sfx);
			return;
		}
}

static void fmt_rate(char *buf, size_t cap, const struct rate *r)
{
	fmt_unit(buf, cap, r->v, r->bps ? bps_units : pps_units);
}

static enum tw_err parse_time(struct parser *ps, const struct tok *t, uint64_t *ns)
{
	const char *why = parse_unit(t->s, time_units, ns);
	if (why)
		return perr(ps, ps->line, t->col,
		            "bad time '%s': %s (expected e.g. 10s, 500ms, 250us, 100ns)", t->s,
		            why);
	if (*ns > 86400ull * 1000000000ull)
		return perr(ps, ps->line, t->col, "time '%s' longer than 24 hours", t->s);
	return TW_OK;
}

static enum tw_err parse_rate(struct parser *ps, const struct tok *t, struct rate *r)
{
	const char *why = parse_unit(t->s, pps_units, &r->v);
	r->bps = false;
	if (why && !strcmp(why, "unknown unit")) {
		why = parse_unit(t->s, bps_units, &r->v);
		r->bps = true;
	}
	if (why)
		return perr(ps, ps->line, t->col,
		            "bad rate '%s': %s (expected pps, kpps, Mpps, bps, kbps, Mbps or Gbps)",
		            t->s, why);
	if (r->v == 0)
		return perr(ps, ps->line, t->col, "rate must be greater than 0");
	if (!r->bps && r->v > TW_PROFILE_RATE_MAX_PPS)
		return perr(ps, ps->line, t->col,
		            "rate %s above the sender limit of 1Mpps per session (interval >= 1us)",
		            t->s);
	if (r->bps && r->v > 400000000000ull)
		return perr(ps, ps->line, t->col, "rate %s above 400Gbps", t->s);
	return TW_OK;
}

static enum tw_err parse_frame(struct parser *ps, const char *s, unsigned col, uint32_t *frame)
{
	uint64_t v;
	if (!parse_uint(s, UINT32_MAX, &v))
		return perr(ps, ps->line, col, "bad frame size '%s': expected octets, e.g. 64", s);
	if (v < TW_PROFILE_FRAME_MIN || v > TW_PROFILE_FRAME_MAX)
		return perr(ps, ps->line, col, "frame size %llu outside %u..%u octets",
		            (unsigned long long)v, TW_PROFILE_FRAME_MIN, TW_PROFILE_FRAME_MAX);
	*frame = (uint32_t)v;
	return TW_OK;
}

static enum tw_err parse_dscp_tok(struct parser *ps, const char *s, unsigned col, uint8_t *d)
{
	if (tw_profile_dscp_parse(s, d) != TW_OK)
		return perr(ps, ps->line, col,
		            "bad DSCP '%s': expected 0..63, BE, EF, CS0..CS7 or AF11..AF43", s);
	return TW_OK;
}

static enum tw_err parse_weight(struct parser *ps, const char *s, unsigned col, uint32_t *w)
{
	uint64_t v;
	if (!parse_uint(s, UINT32_MAX, &v) || v < 1 || v > TW_PROFILE_WEIGHT_MAX)
		return perr(ps, ps->line, col, "bad weight '%s': expected 1..%u", s,
		            TW_PROFILE_WEIGHT_MAX);
	*w = (uint32_t)v;
	return TW_OK;
}

/* ------------------------------------------------------------------------ */
/* Directives                                                                */

static enum tw_err take_slot(struct parser *ps, enum slot sl, const struct tok *t, const char *word)
{
	struct tw_profile *p = ps->p;
	if (p->slot_line[sl]) {
		if (!strcmp(p->slot_word[sl], t->s))
			return perr(ps, ps->line, t->col, "duplicate '%s' (first at line %u)", t->s,
			            p->slot_line[sl]);
		return perr(ps, ps->line, t->col, "'%s' conflicts with '%s' at line %u", t->s,
		            p->slot_word[sl], p->slot_line[sl]);
	}
	p->slot_line[sl] = ps->line;
	p->slot_word[sl] = word; /* a string literal: outlives the line buffer */
	return TW_OK;
}

static enum tw_err want_args(struct parser *ps, const struct tok *t, size_t nt, size_t min,
                             size_t max, const char *usage)
{
	if (nt - 1 < min)
		return perr(ps, ps->line, t[nt - 1].col + (unsigned)strlen(t[nt - 1].s),
		            "'%s' needs %s", t[0].s, usage);
	if (nt - 1 > max)
		return perr(ps, ps->line, t[max + 1].col, "unexpected '%s' after %s", t[max + 1].s,
		            usage);
	return TW_OK;
}

static bool ident_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* Split "A:B" in place; returns the part after ':' or NULL. */
static char *split_colon(char *s)
{
	char *c = strchr(s, ':');
	if (!c)
		return NULL;
	*c = '\0';
	return c + 1;
}

static enum tw_err check_unquoted(struct parser *ps, const struct tok *t, size_t nt)
{
	for (size_t i = 0; i < nt; i++)
		if (t[i].quoted && !(i == 1 && !strcmp(t[0].s, "description")))
			return perr(ps, ps->line, t[i].col, "unexpected quoted string");
	return TW_OK;
}

/* Parse an axis value token for steps <param>. */
static enum tw_err axis_value(struct parser *ps, enum axis ax, const struct tok *t, struct rate *v)
{
	uint32_t f;
	uint8_t d;
	enum tw_err e;
	memset(v, 0, sizeof(*v));
	switch (ax) {
	case AX_RATE:
		return parse_rate(ps, t, v);
	case AX_SIZE:
		if ((e = parse_frame(ps, t->s, t->col, &f)) != TW_OK)
			return e;
		v->v = f;
		return TW_OK;
	case AX_SCHED:
		if (!strcmp(t->s, "periodic"))
			v->v = TW_IPC_SCHED_PERIODIC;
		else if (!strcmp(t->s, "poisson"))
			v->v = TW_IPC_SCHED_POISSON;
		else
			return perr(ps, ps->line, t->col,
			            "unknown schedule '%s' (periodic or poisson)", t->s);
		return TW_OK;
	case AX_DSCP:
		if ((e = parse_dscp_tok(ps, t->s, t->col, &d)) != TW_OK)
			return e;
		v->v = d;
		return TW_OK;
	case AX_NONE:
		break;
	}
	return TW_E_ARG;
}

static enum tw_err axis_param(struct parser *ps, const struct tok *t, enum axis *ax, bool sweep)
{
	for (unsigned a = AX_RATE; a <= AX_DSCP; a++)
		if (!strcmp(t->s, axis_names[a])) {
			if (sweep && a != AX_RATE && a != AX_SIZE)
				return perr(ps, ps->line, t->col,
				            "'sweep' varies 'size' or 'rate', not '%s'", t->s);
			*ax = (enum axis)a;
			return TW_OK;
		}
	return perr(ps, ps->line, t->col,
	            sweep ? "'sweep' varies 'size' or 'rate', not '%s'"
	                  : "'steps' varies 'rate', 'size', 'schedule' or 'dscp', not '%s'",
	            t->s);
}

static const enum slot axis_slot[] = {S__COUNT, S_RATE, S_SIZE, S_SCHED, S_DSCP};

static enum tw_err directive(struct parser *ps, struct tok *t, size_t nt)
{
	struct tw_profile *p = ps->p;
	const char *d = t[0].s;
	enum tw_err e;

	if ((e = check_unquoted(ps, t, nt)) != TW_OK)
		return e;

	if (!strcmp(d, "name")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a name")) ||
		    (e = take_slot(ps, S_NAME, t, "name")))
			return e;
		if (!ident_ok(t[1].s) || strlen(t[1].s) >= TW_PROFILE_NAME_MAX)
			return perr(ps, ps->line, t[1].col,
			            "bad name '%s': letters, digits, '-', '_', '.', at most %u",
			            t[1].s, TW_PROFILE_NAME_MAX - 1);
		snprintf(p->name, sizeof(p->name), "%s", t[1].s);
	} else if (!strcmp(d, "description")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a quoted string")) ||
		    (e = take_slot(ps, S_DESCR, t, "description")))
			return e;
		if (!t[1].quoted)
			return perr(ps, ps->line, t[1].col,
			            "description must be a quoted string: \"...\"");
		if (strlen(t[1].s) >= TW_PROFILE_DESCR_MAX)
			return perr(ps, ps->line, t[1].col, "description longer than %u octets",
			            TW_PROFILE_DESCR_MAX - 1);
		snprintf(p->descr, sizeof(p->descr), "%s", t[1].s);
	} else if (!strcmp(d, "ip")) {
		if ((e = want_args(ps, t, nt, 1, 1, "4 or 6")) ||
		    (e = take_slot(ps, S_IP, t, "ip")))
			return e;
		if (strcmp(t[1].s, "4") && strcmp(t[1].s, "6"))
			return perr(ps, ps->line, t[1].col, "bad IP version '%s' (4 or 6)", t[1].s);
		p->ipver = (unsigned)(t[1].s[0] - '0');
	} else if (!strcmp(d, "mode")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a mode")) ||
		    (e = take_slot(ps, S_MODE, t, "mode")))
			return e;
		unsigned m;
		for (m = 0; m < TW_PROFILE_MODE__COUNT; m++)
			if (!strcmp(t[1].s, mode_tab[m].name))
				break;
		if (m == TW_PROFILE_MODE__COUNT)
			return perr(ps, ps->line, t[1].col,
			            "unknown mode '%s' (open, auth, enc, mixed, light, stamp, "
			            "stamp-auth)",
			            t[1].s);
		p->mode = (enum tw_profile_mode)m;
	} else if (!strcmp(d, "schedule")) {
		struct rate v;
		if ((e = want_args(ps, t, nt, 1, 1, "periodic or poisson")) ||
		    (e = take_slot(ps, S_SCHED, t, "schedule")))
			return e;
		if ((e = axis_value(ps, AX_SCHED, &t[1], &v)))
			return e;
		p->sched = (uint8_t)v.v;
	} else if (!strcmp(d, "duration-per-step")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a time")) ||
		    (e = take_slot(ps, S_DURATION, t, "duration-per-step")))
			return e;
		if ((e = parse_time(ps, &t[1], &p->duration_ns)))
			return e;
		p->duration_loc = (struct loc){ps->line, t[1].col};
	} else if (!strcmp(d, "warmup")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a time")) ||
		    (e = take_slot(ps, S_WARMUP, t, "warmup")))
			return e;
		if ((e = parse_time(ps, &t[1], &p->warmup_ns)))
			return e;
	} else if (!strcmp(d, "count")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a packet count")) ||
		    (e = take_slot(ps, S_COUNT, t, "count")))
			return e;
		if (!parse_uint(t[1].s, 1000000000000ull, &p->count) || p->count == 0)
			return perr(ps, ps->line, t[1].col, "bad count '%s': expected 1..10^12",
			            t[1].s);
	} else if (!strcmp(d, "seed")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a number")) ||
		    (e = take_slot(ps, S_SEED, t, "seed")))
			return e;
		if (!parse_uint(t[1].s, UINT64_MAX, &p->seed) || p->seed == 0)
			return perr(ps, ps->line, t[1].col,
			            "bad seed '%s': expected 1..18446744073709551615", t[1].s);
	} else if (!strcmp(d, "dscp")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a DSCP")) ||
		    (e = take_slot(ps, S_DSCP, t, "dscp")))
			return e;
		if ((e = parse_dscp_tok(ps, t[1].s, t[1].col, &p->dscp[0])))
			return e;
		p->dscp_w[0] = 1;
		p->n_dscps = 1;
	} else if (!strcmp(d, "dscp-mix")) {
		if ((e = want_args(ps, t, nt, 1, TW_PROFILE_MIX_MAX, "DSCP:WEIGHT pairs")) ||
		    (e = take_slot(ps, S_DSCP, t, "dscp-mix")))
			return e;
		p->dscp_mix = true;
		for (size_t i = 1; i < nt; i++) {
			char *w = split_colon((char *)t[i].s);
			if (!w)
				return perr(ps, ps->line, t[i].col,
				            "expected DSCP:WEIGHT (e.g. EF:10), got '%s'", t[i].s);
			if ((e = parse_dscp_tok(ps, t[i].s, t[i].col, &p->dscp[i - 1])) ||
			    (e = parse_weight(ps, w, t[i].col + (unsigned)(w - t[i].s),
			                      &p->dscp_w[i - 1])))
				return e;
			for (size_t j = 0; j + 1 < i; j++)
				if (p->dscp[j] == p->dscp[i - 1])
					return perr(ps, ps->line, t[i].col, "DSCP %u listed twice",
					            p->dscp[j]);
		}
		p->n_dscps = nt - 1;
	} else if (!strcmp(d, "size")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a frame size")) ||
		    (e = take_slot(ps, S_SIZE, t, "size")))
			return e;
		if ((e = parse_frame(ps, t[1].s, t[1].col, &p->frame[0])))
			return e;
		p->frame_w[0] = 1;
		p->frame_loc[0] = (struct loc){ps->line, t[1].col};
		p->n_sizes = 1;
	} else if (!strcmp(d, "imix")) {
		if ((e = want_args(ps, t, nt, 1, TW_PROFILE_MIX_MAX, "SIZE:WEIGHT pairs")) ||
		    (e = take_slot(ps, S_SIZE, t, "imix")))
			return e;
		p->imix = true;
		for (size_t i = 1; i < nt; i++) {
			char *w = split_colon((char *)t[i].s);
			if (!w)
				return perr(ps, ps->line, t[i].col,
				            "expected SIZE:WEIGHT (e.g. 64:7), got '%s'", t[i].s);
			if ((e = parse_frame(ps, t[i].s, t[i].col, &p->frame[i - 1])) ||
			    (e = parse_weight(ps, w, t[i].col + (unsigned)(w - t[i].s),
			                      &p->frame_w[i - 1])))
				return e;
			p->frame_loc[i - 1] = (struct loc){ps->line, t[i].col};
			for (size_t j = 0; j + 1 < i; j++)
				if (p->frame[j] == p->frame[i - 1])
					return perr(ps, ps->line, t[i].col,
					            "frame size %u listed twice", p->frame[j]);
		}
		p->n_sizes = nt - 1;
	} else if (!strcmp(d, "rate")) {
		if ((e = want_args(ps, t, nt, 1, 1, "a rate")) ||
		    (e = take_slot(ps, S_RATE, t, "rate")))
			return e;
		if ((e = parse_rate(ps, &t[1], &p->rate)))
			return e;
		p->rate_loc = (struct loc){ps->line, t[1].col};
	} else if (!strcmp(d, "steps")) {
		enum axis ax;
		if ((e = want_args(ps, t, nt, 2, TW_PROFILE_STEPS_MAX + 1,
		                   "a parameter and values")))
			return e;
		if ((e = axis_param(ps, &t[1], &ax, false)))
			return e;
		if ((e = take_slot(ps, S_AXIS, t, "steps")))
			return e;
		if ((e = take_slot(ps, axis_slot[ax], t, "steps")))
			return e;
		p->axis = ax;
		for (size_t i = 2; i < nt; i++) {
			if ((e = axis_value(ps, ax, &t[i], &p->vals[i - 2])))
				return e;
			p->val_loc[i - 2] = (struct loc){ps->line, t[i].col};
			for (size_t j = 0; j + 2 < i; j++)
				if (p->vals[j].v == p->vals[i - 2].v &&
				    p->vals[j].bps == p->vals[i - 2].bps)
					return perr(ps, ps->line, t[i].col, "'%s' listed twice",
					            t[i].s);
		}
		p->n_vals = nt - 2;
	} else if (!strcmp(d, "sweep")) {
		enum axis ax;
		if ((e = want_args(ps, t, nt, 4, 4, "a parameter, FROM..TO, 'step' and a step")))
			return e;
		if ((e = axis_param(ps, &t[1], &ax, true)))
			return e;
		if ((e = take_slot(ps, S_AXIS, t, "sweep")))
			return e;
		if ((e = take_slot(ps, axis_slot[ax], t, "sweep")))
			return e;
		p->axis = ax;
		p->sweep = true;
		char *dots = strstr(t[2].s, "..");
		if (!dots)
			return perr(ps, ps->line, t[2].col, "expected FROM..TO, got '%s'", t[2].s);
		*(char *)dots = '\0';
		struct tok ta = {t[2].s, t[2].col, false};
		struct tok tb = {dots + 2, t[2].col + (unsigned)(dots + 2 - t[2].s), false};
		if ((e = axis_value(ps, ax, &ta, &p->sw_a)) ||
		    (e = axis_value(ps, ax, &tb, &p->sw_b)))
			return e;
		if (strcmp(t[3].s, "step"))
			return perr(ps, ps->line, t[3].col, "expected 'step', got '%s'", t[3].s);
		if (ax == AX_SIZE) {
			uint64_t s;
			if (!parse_uint(t[4].s, TW_PROFILE_FRAME_MAX, &s) || s == 0)
				return perr(ps, ps->line, t[4].col,
				            "bad step '%s': expected 1..%u octets", t[4].s,
				            TW_PROFILE_FRAME_MAX);
			p->sw_s.v = s;
		} else {
			if ((e = parse_rate(ps, &t[4], &p->sw_s)))
				return e;
			if (p->sw_a.bps != p->sw_b.bps || p->sw_a.bps != p->sw_s.bps)
				return perr(ps, ps->line, t[2].col,
				            "sweep bounds and step must all be packet rates or all "
				            "bit rates");
		}
		if (p->sw_a.v >= p->sw_b.v)
			return perr(ps, ps->line, tb.col, "sweep end must be above its start");
		uint64_t n = (p->sw_b.v - p->sw_a.v) / p->sw_s.v + 1;
		if ((p->sw_b.v - p->sw_a.v) % p->sw_s.v)
			n++; /* the end is always included */
		if (n > TW_PROFILE_STEPS_MAX)
			return perr(ps, ps->line, t[4].col, "sweep makes %llu steps (at most %u)",
			            (unsigned long long)n, TW_PROFILE_STEPS_MAX);
		p->n_vals = (size_t)n;
		for (size_t i = 0; i < n; i++) {
			uint64_t v = p->sw_a.v + i * p->sw_s.v;
			p->vals[i].v = v > p->sw_b.v ? p->sw_b.v : v;
			p->vals[i].bps = p->sw_a.bps;
			p->val_loc[i] = (struct loc){ps->line, t[2].col};
		}
	} else {
		return perr(ps, ps->line, t[0].col, "unknown directive '%s'", d);
	}
	return TW_OK;
}

/* ------------------------------------------------------------------------ */
/* Validation and expansion                                                  */

static uint32_t gcd32(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Smooth weighted round-robin (the nginx upstream algorithm) over one period
 * of sum(w)/gcd(w) picks: each turn every entry gains its weight, the
 * largest (first on ties) is picked and loses the total.  Over one period
 * entry i is picked exactly w[i]/gcd times, spread as evenly as possible
 * (7:4:1 gives 0 1 0 0 1 0 2 0 1 0 1 0).
 */
static size_t swrr(const uint32_t *w, size_t n, uint8_t *seq)
{
	uint32_t g = 0, rw[TW_PROFILE_MIX_MAX];
	int64_t cur[TW_PROFILE_MIX_MAX] = {0};
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		g = gcd32(g, w[i]);
	for (size_t i = 0; i < n; i++) {
		rw[i] = w[i] / g;
		total += rw[i];
	}
	if (total > TW_PROFILE_PERIOD_MAX)
		return 0;
	for (size_t k = 0; k < total; k++) {
		size_t best = 0;
		for (size_t i = 0; i < n; i++) {
			cur[i] += rw[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= (int64_t)total;
		seq[k] = (uint8_t)best;
	}
	return total;
}

static const uint8_t zero_seq[1] = {0};

static void fill_size(struct tw_profile_size *z, uint32_t frame, uint32_t weight, unsigned ipver,
                      enum tw_pkt_layout l)
{
	memset(z, 0, sizeof(*z));
	z->frame_len = frame;
	z->weight = weight;
	z->udp_len = frame - l2_l4_overhead(ipver);
	for (unsigned k = 0; k < TW_PKT_LAYOUT__COUNT; k++) {
		uint32_t pad;
		z->pad_by_layout[k] = tw_profile_frame_to_padding(
		                          frame, ipver, (enum tw_pkt_layout)k, NULL, &pad) == TW_OK
		                          ? (int32_t)pad
		                          : -1;
	}
	z->padding_len = (uint32_t)z->pad_by_layout[l];
}

static enum tw_err check_frame(struct parser *ps, uint32_t frame, struct loc at)
{
	const struct tw_profile *p = ps->p;
	enum tw_pkt_layout l = mode_tab[p->mode].layout;
	uint32_t min = tw_profile_min_frame(p->ipver, l);
	if (frame >= min)
		return TW_OK;
	return perr(ps, at.line, at.col,
	            "frame size %u too small for mode %s over IPv%u: minimum %u (14 Ethernet + "
	            "4 FCS + %u IPv%u + 8 UDP + %zu sender base)",
	            frame, mode_tab[p->mode].name, p->ipver, min,
	            p->ipver == 4 ? TW_PROFILE_IPV4_HDR : TW_PROFILE_IPV6_HDR, p->ipver,
	            tw_pkt_sender_base(l));
}

static enum tw_err expand(struct parser *ps)
{
	struct tw_profile *p = ps->p;
	enum tw_err e;
	enum tw_pkt_layout l = mode_tab[p->mode].layout;

	if (!p->slot_line[S_NAME])
		return perr(ps, 1, 1, "missing 'name' directive");
	if (!p->slot_line[S_SIZE])
		return perr(ps, 1, 1,
		            "missing frame size: add 'size', 'imix', 'steps size' or 'sweep size'");
	if (!p->slot_line[S_RATE])
		return perr(ps, 1, 1, "missing rate: add 'rate', 'steps rate' or 'sweep rate'");
	if (p->duration_ns == 0 && p->count == 0)
		return perr(ps, p->duration_loc.line, p->duration_loc.col,
		            "duration-per-step 0 needs a 'count'");

	/* Frame sizes against the mode and IP version. */
	if (p->axis == AX_SIZE) {
		for (size_t i = 0; i < p->n_vals; i++)
			if ((e = check_frame(ps, (uint32_t)p->vals[i].v, p->val_loc[i])))
				return e;
	} else {
		for (size_t i = 0; i < p->n_sizes; i++)
			if ((e = check_frame(ps, p->frame[i], p->frame_loc[i])))
				return e;
	}

	/* Picker periods. */
	if (p->axis != AX_SIZE) {
		p->size_period = swrr(p->frame_w, p->n_sizes, p->size_seq);
		if (!p->size_period)
			return perr(ps, p->slot_line[S_SIZE], 1,
			            "imix weights (divided by their gcd) add up to more than %u",
			            TW_PROFILE_PERIOD_MAX);
	}
	if (p->n_dscps == 0) {
		p->dscp[0] = 0;
		p->dscp_w[0] = 1;
		p->n_dscps = 1;
	}
	if (p->axis != AX_DSCP) {
		p->dscp_period = swrr(p->dscp_w, p->n_dscps, p->dscp_seq);
		if (!p->dscp_period)
			return perr(
			    ps, p->slot_line[S_DSCP], 1,
			    "dscp-mix weights (divided by their gcd) add up to more than %u",
			    TW_PROFILE_PERIOD_MAX);
	}

	p->n_steps = p->axis == AX_NONE ? 1 : p->n_vals;
	p->steps = calloc(p->n_steps, sizeof(*p->steps));
	if (!p->steps)
		return TW_E_SYS;

	for (size_t i = 0; i < p->n_steps; i++) {
		struct istep *is = &p->steps[i];
		struct tw_profile_step *s = &is->s;
		struct rate rate = p->rate;
		struct loc rloc = p->rate_loc;
		char vb[32];

		s->index = (unsigned)i;
		s->duration_ns = p->duration_ns;
		s->warmup_ns = p->warmup_ns;
		s->count = p->count;
		s->seed = p->seed;
		s->mode = p->mode;
		s->mode_name = mode_tab[p->mode].name;
		s->sched = p->sched;
		s->proto = mode_tab[p->mode].proto;
		s->sec = mode_tab[p->mode].sec;
		s->ipver = (uint8_t)p->ipver;
		s->layout = l;

		if (p->axis == AX_SIZE) {
			fill_size(&is->sizes[0], (uint32_t)p->vals[i].v, 1, p->ipver, l);
			s->n_sizes = 1;
			s->size_period = 1;
			s->size_seq = zero_seq;
		} else {
			for (size_t k = 0; k < p->n_sizes; k++)
				fill_size(&is->sizes[k], p->frame[k], p->frame_w[k], p->ipver, l);
			s->n_sizes = p->n_sizes;
			s->size_period = p->size_period;
			s->size_seq = p->size_seq;
		}
		s->sizes = is->sizes;

		if (p->axis == AX_DSCP) {
			is->dscps[0].dscp = (uint8_t)p->vals[i].v;
			is->dscps[0].weight = 1;
			s->n_dscps = 1;
			s->dscp_period = 1;
			s->dscp_seq = zero_seq;
		} else {
			for (size_t k = 0; k < p->n_dscps; k++) {
				is->dscps[k].dscp = p->dscp[k];
				is->dscps[k].weight = p->dscp_w[k];
			}
			s->n_dscps = p->n_dscps;
			s->dscp_period = p->dscp_period;
			s->dscp_seq = p->dscp_seq;
		}
		s->dscps = is->dscps;

		if (p->axis == AX_SCHED)
			s->sched = (uint8_t)p->vals[i].v;
		if (p->axis == AX_RATE) {
			rate = p->vals[i];
			rloc = p->val_loc[i];
		}

		/* Weighted mean frame size, then rate in pps. */
		double wsum = 0, fsum = 0;
		for (size_t k = 0; k < s->n_sizes; k++) {
			wsum += s->sizes[k].weight;
			fsum += (double)s->sizes[k].weight * s->sizes[k].frame_len;
		}
		s->mean_frame_len = fsum / wsum;
		if (rate.bps)
			s->rate_pps =
			    (double)rate.v / (8.0 * (s->mean_frame_len + TW_PROFILE_ETH_L1));
		else
			s->rate_pps = (double)rate.v;
		double iv = 1e9 / s->rate_pps;
		if (s->rate_pps > TW_PROFILE_RATE_MAX_PPS || iv < 1000.0) {
			fmt_rate(vb, sizeof(vb), &rate);
			return perr(ps, rloc.line, rloc.col,
			            "rate %s is %.0f pps at a mean frame of %.1f octets: above the "
			            "sender limit of 1Mpps per session",
			            vb, s->rate_pps, s->mean_frame_len);
		}
		if (iv > 1e15) {
			fmt_rate(vb, sizeof(vb), &rate);
			return perr(ps, rloc.line, rloc.col, "rate %s too low", vb);
		}
		s->interval_ns = (uint64_t)llround(iv);
		s->l1_bps = s->rate_pps * (s->mean_frame_len + TW_PROFILE_ETH_L1) * 8.0;

		/* Step name. */
		switch (p->axis) {
		case AX_NONE:
			snprintf(s->name, sizeof(s->name), "%s", p->name);
			break;
		case AX_RATE:
			fmt_rate(vb, sizeof(vb), &rate);
			snprintf(s->name, sizeof(s->name), "rate=%s", vb);
			break;
		case AX_SIZE:
			snprintf(s->name, sizeof(s->name), "size=%u", s->sizes[0].frame_len);
			break;
		case AX_SCHED:
			snprintf(s->name, sizeof(s->name), "schedule=%s", sched_names[s->sched]);
			break;
		case AX_DSCP:
			snprintf(s->name, sizeof(s->name), "dscp=%s",
			         tw_profile_dscp_str(s->dscps[0].dscp, vb));
			break;
		}
	}
	return TW_OK;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */

enum tw_err tw_profile_parse_string(const char *file, const char *text, size_t len,
                                    struct tw_profile **out, struct tw_profile_error *err)
{
	if (!out || (!text && len))
		return TW_E_ARG;
	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	struct tw_profile *p = calloc(1, sizeof(*p));
	struct tok *t = calloc(TOK_MAX, sizeof(*t));
	char *line = malloc(len + 1);
	if (!p || !t || !line) {
		free(p);
		free(t);
		free(line);
		if (err)
			snprintf(err->text, sizeof(err->text), "%s: out of memory",
			         file ? file : "<string>");
		return TW_E_SYS;
	}
	p->ipver = 4;
	p->mode = TW_PROFILE_MODE_OPEN;
	p->sched = TW_IPC_SCHED_PERIODIC;
	p->duration_ns = 10ull * 1000000000ull;
	p->duration_loc = (struct loc){1, 1};

	struct parser ps = {p, file ? file : "<string>", err, 0};
	enum tw_err e = TW_OK;
	size_t off = 0;
	while (off < len && e == TW_OK) {
		size_t end = off;
		while (end < len && text[end] != '\n')
			end++;
		size_t n = end - off;
		ps.line++;
		memcpy(line, text + off, n);
		if (n && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		off = end + 1;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)line[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				e = perr(&ps, ps.line, (unsigned)i + 1,
				         "unexpected control character 0x%02x", c);
				break;
			}
		}
		if (e != TW_OK)
			break;
		size_t nt = 0;
		if ((e = tokenize(&ps, line, t, &nt)) != TW_OK || nt == 0)
			continue;
		e = directive(&ps, t, nt);
	}
	free(t);
	free(line);
	if (e == TW_OK)
		e = expand(&ps);
	if (e != TW_OK) {
		tw_profile_free(p);
		return e;
	}
	*out = p;
	return TW_OK;
}

enum tw_err tw_profile_parse_file(const char *path, struct tw_profile **out,
                                  struct tw_profile_error *err)
{
	if (!path || !out)
		return TW_E_ARG;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	if (f) {
		for (;;) {
			if (len == cap) {
				size_t nc = cap ? cap * 2 : 4096;
				char *nb = nc <= (1u << 20) ? realloc(buf, nc) : NULL;
				if (!nb) {
					errno = nc > (1u << 20) ? EFBIG : ENOMEM;
					break;
				}
				buf = nb;
				cap = nc;
			}
			size_t r = fread(buf + len, 1, cap - len, f);
			len += r;
			if (r == 0) {
				if (!ferror(f))
					errno = 0;
				break;
			}
		}
		fclose(f);
	}
	if (!f || errno) {
		int saved = errno;
		if (err) {
			memset(err, 0, sizeof(*err));
			snprintf(err->text, sizeof(err->text), "%s: %s", path, strerror(saved));
		}
		free(buf);
		errno = saved;
		return TW_E_SYS;
	}
	enum tw_err e = tw_profile_parse_string(path, buf, len, out, err);
	free(buf);
	return e;
}

void tw_profile_free(struct tw_profile *p)
{
	if (!p)
		return;
	free(p->steps);
	free(p);
}

const char *tw_profile_name(const struct tw_profile *p)
{
	return p->name;
}
const char *tw_profile_description(const struct tw_profile *p)
{
	return p->descr;
}
size_t tw_profile_step_count(const struct tw_profile *p)
{
	return p->n_steps;
}

enum tw_err tw_profile_step(const struct tw_profile *p, size_t i, struct tw_profile_step *s)
{
	if (!p || !s || i >= p->n_steps)
		return TW_E_ARG;
	*s = p->steps[i].s;
	return TW_OK;
}

void tw_profile_pick(const struct tw_profile_step *s, uint64_t i, struct tw_profile_pick *out)
{
	uint8_t si = s->size_seq[i % s->size_period];
	uint8_t di = s->dscp_seq[i % s->dscp_period];
	const struct tw_profile_size *z = &s->sizes[si];
	memset(out, 0, sizeof(*out));
	out->frame_len = z->frame_len;
	out->udp_len = z->udp_len;
	out->padding_len = z->padding_len;
	out->dscp = s->dscps[di].dscp;
	out->size_idx = si;
	out->dscp_idx = di;
}

size_t tw_profile_pad_table(const struct tw_profile_step *s, uint32_t *out, size_t cap)
{
	for (size_t k = 0; k < s->size_period && k < cap; k++)
		out[k] = s->sizes[s->size_seq[k]].padding_len;
	return s->size_period;
}

/* ------------------------------------------------------------------------ */
/* Canonical printing                                                        */

struct sbuf {
	char *p;
	size_t cap, len;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = b->len < b->cap ? b->cap - b->len : 0;
	int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

static void print_axis_value(struct sbuf *b, enum axis ax, const struct rate *v)
{
	char vb[32];
	switch (ax) {
	case AX_RATE:
		fmt_rate(vb, sizeof(vb), v);
		break;
	case AX_SIZE:
		snprintf(vb, sizeof(vb), "%llu", (unsigned long long)v->v);
		break;
	case AX_SCHED:
		snprintf(vb, sizeof(vb), "%s", sched_names[v->v]);
		break;
	case AX_DSCP:
		tw_profile_dscp_str((uint8_t)v->v, vb);
		break;
	case AX_NONE:
		vb[0] = '\0';
		break;
	}
	sb_printf(b, "%s", vb);
}

size_t tw_profile_print(const struct tw_profile *p, char *buf, size_t cap)
{
	struct sbuf b = {buf, cap, 0};
	char vb[32];
	if (cap)
		buf[0] = '\0';

	sb_printf(&b, "name %s\n", p->name);
	if (p->descr[0]) {
		sb_printf(&b, "description \"");
		for (const char *c = p->descr; *c; c++)
			sb_printf(&b, "%s%c", (*c == '"' || *c == '\\') ? "\\" : "", *c);
		sb_printf(&b, "\"\n");
	}
	sb_printf(&b, "ip %u\n", p->ipver);
	sb_printf(&b, "mode %s\n", mode_tab[p->mode].name);
	if (p->axis != AX_SCHED)
		sb_printf(&b, "schedule %s\n", sched_names[p->sched]);
	if (p->axis != AX_DSCP) {
		if (p->dscp_mix) {
			sb_printf(&b, "dscp-mix");
			for (size_t i = 0; i < p->n_dscps; i++)
				sb_printf(&b, " %s:%u", tw_profile_dscp_str(p->dscp[i], vb),
				          p->dscp_w[i]);
			sb_printf(&b, "\n");
		} else {
			sb_printf(&b, "dscp %s\n", tw_profile_dscp_str(p->dscp[0], vb));
		}
	}
	if (p->axis != AX_SIZE) {
		if (p->imix) {
			sb_printf(&b, "imix");
			for (size_t i = 0; i < p->n_sizes; i++)
				sb_printf(&b, " %u:%u", p->frame[i], p->frame_w[i]);
			sb_printf(&b, "\n");
		} else {
			sb_printf(&b, "size %u\n", p->frame[0]);
		}
	}
	if (p->axis != AX_RATE) {
		fmt_rate(vb, sizeof(vb), &p->rate);
		sb_printf(&b, "rate %s\n", vb);
	}
	if (p->axis != AX_NONE && p->sweep) {
		sb_printf(&b, "sweep %s ", axis_names[p->axis]);
		print_axis_value(&b, p->axis, &p->sw_a);
		sb_printf(&b, "..");
		print_axis_value(&b, p->axis, &p->sw_b);
		sb_printf(&b, " step ");
		print_axis_value(&b, p->axis, &p->sw_s);
		sb_printf(&b, "\n");
	} else if (p->axis != AX_NONE) {
		sb_printf(&b, "steps %s", axis_names[p->axis]);
		for (size_t i = 0; i < p->n_vals; i++) {
			sb_printf(&b, " ");
			print_axis_value(&b, p->axis, &p->vals[i]);
		}
		sb_printf(&b, "\n");
	}
	fmt_unit(vb, sizeof(vb), p->duration_ns, time_units);
	sb_printf(&b, "duration-per-step %s\n", vb);
	fmt_unit(vb, sizeof(vb), p->warmup_ns, time_units);
	sb_printf(&b, "warmup %s\n", vb);
	if (p->count)
		sb_printf(&b, "count %llu\n", (unsigned long long)p->count);
	if (p->seed)
		sb_printf(&b, "seed %llu\n", (unsigned long long)p->seed);
	return b.len;
}

int tw_profile_fprint(const struct tw_profile *p, FILE *f)
{
	size_t n = tw_profile_print(p, NULL, 0);
	char *buf = malloc(n + 1);
	if (!buf)
		return -1;
	tw_profile_print(p, buf, n + 1);
	int rc = fwrite(buf, 1, n, f) == n ? 0 : -1;
	free(buf);
	return rc;
}
