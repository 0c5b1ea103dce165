/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_yang: the ietf-twamp YANG module (RFC 8913) in RFC 7951 JSON, read and
 * written with libyang, applied to and read back from a running twinhopd
 * through its admin socket (docs/yang.md has the mapping).
 *
 * A Control-Client ctrl-connection becomes one of twinhopd's own
 * Control-Clients (admin client-add, control/daemon/ctl_cc): twinhopd opens
 * the TWAMP-Control connection, negotiates the mode, requests each
 * test-session-request joined with the session-sender test-session of the
 * same name, starts them and sends the test packets from the fast path.  A
 * leaf that asks for something twinhop cannot do is refused with its path; a
 * leaf at the value twinhop does anyway (its YANG default, mostly) is
 * accepted.  Nothing is applied unless the whole document maps.
 */
#include "cli_host.h"
#include "cli_yang.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_admin.h"

#ifndef TW_YANG_DIR
#define TW_YANG_DIR "/usr/share/twinhop/yang"
#endif

#define YANG_MODULE   "ietf-twamp"
#define YANG_REVISION "2021-11-17"
#define TOP           "/" YANG_MODULE ":twamp"
#define NAME_MAX_LEN  63 /* twinhopd's CTL_REG_NAME_MAX - 1 */
#define FILE_MAX      (1u << 20)

/* ---- the module ------------------------------------------------------------------- */

static bool has_module(const char *dir)
{
	char p[4096];
	struct stat st;
	if (snprintf(p, sizeof(p), "%s/%s@%s.yang", dir, YANG_MODULE, YANG_REVISION) >=
	    (int)sizeof(p))
		return false;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The checkout's copy, only for a twinhop that runs from its build tree
 * (as cli_bench finds the bundled profiles). */
static const char *build_tree_dir(void)
{
#ifdef TW_SRC_YANG_DIR
	if (cli_host_in_build_tree())
		return TW_SRC_YANG_DIR;
#endif
	return NULL;
}

/* A libyang context with ietf-twamp and its four features (ietf-inet-types
 * is built into libyang).  NULL after a message on stderr. */
static struct ly_ctx *yang_ctx(void)
{
	const char *dirs[] = {getenv("TWINHOP_YANG_DIR"), build_tree_dir(), TW_YANG_DIR};
	const char *dir = NULL;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !dir; i++)
		if (dirs[i] && *dirs[i] && has_module(dirs[i]))
			dir = dirs[i];
	if (!dir) {
		fprintf(stderr, "twinhop config: %s@%s.yang not found ($TWINHOP_YANG_DIR, %s)\n",
		        YANG_MODULE, YANG_REVISION, TW_YANG_DIR);
		return NULL;
	}
	/* Messages are printed by us, one line each, not by libyang. */
	ly_log_options(LY_LOSTORE_LAST);
	struct ly_ctx *ctx = NULL;
	if (ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY | LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx)) {
		fprintf(stderr, "twinhop config: libyang: cannot create a context\n");
		return NULL;
	}
	const char *feat[] = {"control-client", "server", "session-sender", "session-reflector",
	                      NULL};
	if (!ly_ctx_load_module(ctx, YANG_MODULE, YANG_REVISION, feat)) {
		fprintf(stderr, "twinhop config: %s/%s@%s.yang: %s\n", dir, YANG_MODULE,
		        YANG_REVISION, ly_errmsg(ctx));
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

/* ---- the admin socket ------------------------------------------------------------- */

struct adm {
	struct cli_admin a;
	char err[512];
};

/* One request (a flat object, built with jansson so strings are escaped);
 * the reply object, or NULL with a message on stderr. */
static json_t *call(struct adm *m, json_t *req)
{
	char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line) {
		fprintf(stderr, "twinhop config: out of memory\n");
		return NULL;
	}
	char *rep = cli_admin_call(&m->a, line, 15000, NULL, NULL, m->err, sizeof(m->err));
	free(line);
	if (!rep || !cli_admin_ok(rep, m->err, sizeof(m->err))) {
		fprintf(stderr, "twinhop config: %s\n", m->err);
		free(rep);
		return NULL;
	}
	json_error_t e;
	/* show-sessions has uint64 members beyond jansson's int64 (NTP
	 * times, "last_rx_ntp"): as reals, which ju64() reads back. */
	json_t *o = json_loads(rep, JSON_DECODE_INT_AS_REAL, &e);
	free(rep);
	if (!json_is_object(o)) {
		fprintf(stderr, "twinhop config: twinhopd's reply is not a JSON object\n");
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *call_cmd(struct adm *m, const char *cmd)
{
	return call(m, json_pack("{ss}", "cmd", cmd));
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static uint64_t ju64(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	double d = json_number_value(v); /* exact below 2^53: ids, ports, counts */
	return d <= 0 ? 0 : d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
}

/* "192.0.2.1:862" / "[2001:db8::1]:862" -> address, port. */
static bool split_addrport(const char *s, char *addr, size_t cap, unsigned *port)
{
	const char *c = strrchr(s, ':');
	if (!c)
		return false;
	const char *a = s, *e = c;
	if (*a == '[') {
		a++;
		if (e == a || e[-1] != ']')
			return false;
		e--;
	}
	if ((size_t)(e - a) >= cap)
		return false;
	memcpy(addr, a, (size_t)(e - a));
	addr[e - a] = '\0';
	*port = (unsigned)strtoul(c + 1, NULL, 10);
	return true;
}

/* ---- mapping rules ---------------------------------------------------------------- */

/* Every configuration leaf of the module, below /ietf-twamp:twamp.  only:
 * NULL = mapped (the code below reads it); "" = twinhop has no equivalent;
 * otherwise the one value that describes what twinhop does anyway. */
static const struct rule {
	const char *path, *only, *why;
} rules[] = {
    {"/client/admin-state", "true",
     "twinhop's Control-Client cannot be disabled; leave out its ctrl-connections"},
    {"/client/mode-preference-chain/priority", NULL, NULL},
    {"/client/mode-preference-chain/mode", NULL, NULL},
    {"/client/key-chain/key-id", NULL, NULL},
    {"/client/key-chain/secret-key", "",
     "twinhopd reads secrets from its keyfile (twinhopd.conf keyfile); they are never "
     "imported"},
    {"/client/ctrl-connection/name", NULL, NULL},
    {"/client/ctrl-connection/client-ip", NULL, NULL},
    {"/client/ctrl-connection/server-ip", NULL, NULL},
    {"/client/ctrl-connection/server-tcp-port", NULL, NULL},
    {"/client/ctrl-connection/control-packet-dscp", "0",
     "twinhopd leaves the DSCP of its TWAMP-Control packets to the kernel"},
    {"/client/ctrl-connection/key-id", NULL, NULL},
    {"/client/ctrl-connection/max-count-exponent", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/name", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/sender-ip", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/sender-udp-port", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/reflector-ip", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/reflector-udp-port", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/timeout", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/padding-length", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/test-packet-dscp", NULL, NULL},
    {"/client/ctrl-connection/test-session-request/start-time", "0",
     "twinhopd requests and starts the sessions when the import starts them"},
    {"/client/ctrl-connection/test-session-request/repeat", "0",
     "twinhop does not repeat test sessions"},
    {"/client/ctrl-connection/test-session-request/repeat-interval", "0",
     "twinhop does not repeat test sessions"},
    {"/client/ctrl-connection/test-session-request/pm-reg-list/pm-index", "",
     "twinhop measures what it measures (docs/output.md), not Registry entries"},
    {"/server/admin-state", "true", "twinhopd always runs its Server; stop twinhopd instead"},
    {"/server/server-tcp-port", NULL, NULL},
    {"/server/servwait", NULL, NULL},
    {"/server/control-packet-dscp", "",
     "twinhopd leaves the DSCP of its TWAMP-Control packets to the kernel"},
    {"/server/count", NULL, NULL},
    {"/server/max-count-exponent", "20", "twinhopd's Server has no such limit"},
    {"/server/modes", NULL, NULL},
    {"/server/key-chain/key-id", NULL, NULL},
    {"/server/key-chain/secret-key", "",
     "twinhopd reads secrets from its keyfile (twinhopd.conf keyfile); they are never "
     "imported"},
    {"/session-sender/admin-state", NULL, NULL},
    {"/session-sender/test-session/name", NULL, NULL},
    {"/session-sender/test-session/fill-mode", "zero", "twinhop pads with zeros"},
    {"/session-sender/test-session/number-of-packets", NULL, NULL},
    {"/session-sender/test-session/periodic-interval", NULL, NULL},
    {"/session-sender/test-session/lambda", NULL, NULL},
    {"/session-sender/test-session/max-interval", "",
     "twinhop's Poisson schedule has no maximum interval"},
    {"/session-reflector/admin-state", "true", "twinhopd always reflects; stop twinhopd instead"},
    {"/session-reflector/refwait", NULL, NULL},
};

/* twamp-modes bits and twinhopd.conf's names ("" = none: refused). */
static const struct {
	const char *bit, *name;
	bool feature;
} mode_map[] = {
    {"unauthenticated", "open", false},
    {"authenticated", "authenticated", false},
    {"encrypted", "encrypted", false},
    {"unauth-test-encrypt-control", "mixed", false},
    {"individual-session-control", "individual-sessions", true},
    {"reflect-octets", "reflect-octets", true},
    {"symmetrical-size", "symmetrical-size", true},
    {"IKEv2Derived", "", false},
};

/* ---- import ----------------------------------------------------------------------- */

/* One test session (test-session-request + session-sender test-session). */
struct snd {
	char name[NAME_MAX_LEN + 1];
	size_t conn;                  /* index into imp.conn */
	char peer[INET6_ADDRSTRLEN];  /* reflector-ip; "" = the server */
	char local[INET6_ADDRSTRLEN]; /* the connection's local address, "" = any */
	unsigned local_port;          /* 0: autoallocate */
	unsigned peer_port;           /* the wish; 0 = the server picks */
	uint64_t loss_ms, count, interval_us;
	uint32_t padding;
	unsigned dscp;
	bool poisson;
};

/* One ctrl-connection: a twinhopd Control-Client (client-add). */
struct conn {
	char name[NAME_MAX_LEN + 1];
	char server[INET6_ADDRSTRLEN];
	unsigned server_port;
	char local[INET6_ADDRSTRLEN]; /* client-ip or the common sender-ip; "" = none */
	char modes[64];               /* "open,auth", in order of preference */
	char key_id[81];
	unsigned max_exp;
	const struct lyd_node *node;
};

struct imp {
	const char *file;
	struct snd *snd;
	size_t n, cap;
	struct conn *conn;
	size_t nconn, conncap;
	bool start; /* session-sender admin-state */
	/* Server / Session-Reflector leaves given explicitly (merge: the
	 * others keep their running value). */
	json_t *set; /* config-set arguments */
	char summary[512];
};

__attribute__((format(printf, 3, 4))) static int
refuse(const struct imp *im, const struct lyd_node *n, const char *fmt, ...)
{
	char *path = n ? lyd_path(n, LYD_PATH_STD, NULL, 0) : NULL;
	va_list ap;
	fprintf(stderr, "twinhop config import: %s: %s%s", im->file, path ? path : "",
	        path ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	free(path);
	return -1;
}

/* Every leaf of the document against the rules. */
static int check_rules(const struct imp *im, struct lyd_node *top)
{
	struct lyd_node *n;
	LYD_TREE_DFS_BEGIN(top, n)
	{
		if (n->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
			char sp[512];
			lysc_path(n->schema, LYSC_PATH_DATA, sp, sizeof(sp));
			const char *rel = strncmp(sp, TOP, strlen(TOP)) ? sp : sp + strlen(TOP);
			const struct rule *r = NULL;
			for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]) && !r; i++)
				if (!strcmp(rules[i].path, rel))
					r = &rules[i];
			if (!r)
				return refuse(im, n, "not supported by twinhop");
			if (r->only && (!*r->only || strcmp(lyd_get_value(n), r->only)))
				return refuse(im, n, "%s%s%s", r->why, *r->only ? ": only " : "",
				              r->only);
		}
		LYD_TREE_DFS_END(top, n);
	}
	return 0;
}

static struct lyd_node *child(const struct lyd_node *parent, const char *name)
{
	struct lyd_node *c;
	LY_LIST_FOR(lyd_child(parent), c)
	if (!strcmp(c->schema->name, name))
		return c;
	return NULL;
}

/* A leaf's value; with explicit_only, NULL for a default the validation
 * filled in. */
static const char *leaf(const struct lyd_node *parent, const char *name, bool explicit_only,
                        struct lyd_node **node)
{
	struct lyd_node *c = child(parent, name);
	if (node)
		*node = c;
	if (!c || (explicit_only && (c->flags & LYD_DEFAULT)))
		return NULL;
	return lyd_get_value(c);
}

/* decimal64 seconds (fraction-digits 5) to microseconds; -1 if <= 0 or
 * over an hour (twinhop's longest interval). */
static int64_t dec_us(const char *v)
{
	if (*v == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long s = strtoull(v, &end, 10);
	if (errno || s > 3600)
		return -1;
	int64_t us = (int64_t)s * 1000000;
	if (*end == '.') {
		int64_t scale = 100000;
		for (const char *p = end + 1; *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
			us += (*p - '0') * scale;
	}
	return us > 0 && us <= 3600000000ll ? us : -1;
}

/* The canonical text form twinhopd writes (inet_ntop), for comparisons
 * with show-sessions. */
static int canon_ip(const char *in, char *out, size_t cap)
{
	unsigned char x[16];
	int f = strchr(in, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(f, in, x) != 1 || !inet_ntop(f, x, out, (socklen_t)cap))
		return -1;
	return f;
}

static int label(const struct imp *im, const struct lyd_node *n, const char *v, char *out)
{
	size_t len = strlen(v);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return refuse(im, n, "twinhop keeps names without control characters");
	if (len > NAME_MAX_LEN)
		return refuse(im, n, "twinhop keeps names of at most %d octets", NAME_MAX_LEN);
	memcpy(out, v, len + 1);
	return 0;
}

/* twamp-modes of a mode-preference-chain entry -> client-add's name. */
static const char *client_mode(const char *bit)
{
	static const char *const m[][2] = {{"unauthenticated", "open"},
	                                   {"authenticated", "auth"},
	                                   {"encrypted", "enc"},
	                                   {"unauth-test-encrypt-control", "mixed"}};
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(bit, m[i][0]))
			return m[i][1];
	return NULL;
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	size_t c = *cap ? 2 * *cap : 16;
	void *q = realloc(p, c * size);
	if (q)
		*cap = c;
	return q;
}

/* One ctrl-connection: server, local address, modes, key. */
static int map_conn(struct imp *im, const struct lyd_node *client, const struct lyd_node *cc)
{
	struct conn c = {.node = cc};
	struct lyd_node *n;
	if (label(im, child(cc, "name"), leaf(cc, "name", false, NULL), c.name))
		return -1;
	const char *server = leaf(cc, "server-ip", false, &n);
	if (strchr(server, '%'))
		return refuse(im, n, "twinhop takes addresses without a zone index");
	if (canon_ip(server, c.server, sizeof(c.server)) < 0)
		return refuse(im, n, "not an IP address");
	c.server_port = (unsigned)strtoul(leaf(cc, "server-tcp-port", false, NULL), NULL, 10);
	const char *cip = leaf(cc, "client-ip", false, &n);
	if (cip && (strchr(cip, '%') || canon_ip(cip, c.local, sizeof(c.local)) < 0 ||
	            !strchr(c.local, ':') != !strchr(c.server, ':')))
		return refuse(im, n,
		              "%s: an address of the IP version of server-ip, without a "
		              "zone index",
		              cip);
	c.max_exp = (unsigned)strtoul(leaf(cc, "max-count-exponent", false, &n), NULL, 10);
	if (c.max_exp > 20)
		return refuse(im, n,
		              "twinhopd computes PBKDF2 in its event loop: a Count of at "
		              "most 2^20");
	/* The client's mode-preference-chain, by priority (RFC 8913 §5.1). */
	const struct lyd_node *e[4] = {0};
	unsigned long prio[4] = {0};
	size_t ne = 0;
	LY_LIST_FOR(client ? lyd_child(client) : NULL, n)
	{
		if (strcmp(n->schema->name, "mode-preference-chain"))
			continue;
		const char *mode = leaf(n, "mode", false, NULL);
		if (!client_mode(mode ? mode : ""))
			return refuse(im, n,
			              "one base mode per entry (unauthenticated, authenticated, "
			              "encrypted, unauth-test-encrypt-control): twinhop's "
			              "Control-Client negotiates no RFC 5938/6038/7717 feature");
		if (ne == 4)
			return refuse(im, n, "at most the four base modes");
		unsigned long p = strtoul(leaf(n, "priority", false, NULL), NULL, 10);
		size_t k = ne++;
		for (; k > 0 && prio[k - 1] > p; k--) {
			prio[k] = prio[k - 1];
			e[k] = e[k - 1];
		}
		prio[k] = p;
		e[k] = n;
	}
	bool secure = false;
	for (size_t k = 0; k < ne; k++) {
		const char *m = client_mode(leaf(e[k], "mode", false, NULL));
		size_t l = strlen(c.modes);
		snprintf(c.modes + l, sizeof(c.modes) - l, "%s%s", l ? "," : "", m);
		secure |= strcmp(m, "open") != 0;
	}
	if (!ne)
		snprintf(c.modes, sizeof(c.modes), "open");
	const char *kid = leaf(cc, "key-id", false, &n);
	if (kid)
		snprintf(c.key_id, sizeof(c.key_id), "%s", kid);
	if (secure && !kid)
		return refuse(im, cc,
		              "key-id is needed: the mode-preference-chain names a mode other "
		              "than unauthenticated");
	for (size_t k = 0; k < im->nconn; k++)
		if (!strcmp(im->conn[k].name, c.name))
			return refuse(im, cc, "a second ctrl-connection of that name");
	struct conn *q = grow(im->conn, &im->conncap, im->nconn, sizeof(*q));
	if (!q)
		return refuse(im, NULL, "out of memory");
	im->conn = q;
	im->conn[im->nconn++] = c;
	return 0;
}

/* One test-session-request with its session-sender test-session. */
static int map_session(struct imp *im, const struct lyd_node *req, const struct lyd_node *ss)
{
	struct snd s = {.conn = im->nconn - 1};
	struct conn *c = &im->conn[s.conn];
	struct lyd_node *n;

	if (label(im, child(req, "name"), leaf(req, "name", false, NULL), s.name))
		return -1;
	const char *refl = leaf(req, "reflector-ip", false, &n);
	if (strchr(refl, '%'))
		return refuse(im, n, "twinhop takes addresses without a zone index");
	char peer[INET6_ADDRSTRLEN];
	if (canon_ip(refl, peer, sizeof(peer)) < 0 || !strchr(peer, ':') != !strchr(c->server, ':'))
		return refuse(im, n, "%s is not of the IP version of server-ip %s", refl,
		              c->server);
	/* The Server's own address goes as zeros (RFC 4656 §3.5). */
	if (strcmp(peer, c->server))
		memcpy(s.peer, peer, sizeof(s.peer));
	/* One source address per connection: the fast path sends every
	 * session of it from the same address. */
	const char *src = leaf(req, "sender-ip", false, &n);
	if (src) {
		char a[INET6_ADDRSTRLEN];
		if (strchr(src, '%') || canon_ip(src, a, sizeof(a)) < 0 ||
		    !strchr(a, ':') != !strchr(c->server, ':'))
			return refuse(im, n,
			              "%s: an address of the IP version of server-ip, "
			              "without a zone index",
			              src);
		if (*c->local && strcmp(a, c->local))
			return refuse(im, n,
			              "differs from %s, the connection's client-ip or first "
			              "sender-ip: twinhop sends every session of a ctrl-connection "
			              "from one address",
			              c->local);
		memcpy(c->local, a, sizeof(c->local));
	}
	const char *sp = leaf(req, "sender-udp-port", false, NULL);
	s.local_port = strcmp(sp, "autoallocate") ? (unsigned)strtoul(sp, NULL, 10) : 0;
	const char *rp = leaf(req, "reflector-udp-port", false, NULL);
	s.peer_port = rp ? (unsigned)strtoul(rp, NULL, 10) : 0;
	/* Timeout is the loss threshold, as in twping/owping (RFC 4656 §3.5). */
	uint64_t to = strtoull(leaf(req, "timeout", false, &n), NULL, 10);
	if (to < 1 || to > 3600)
		return refuse(im, n, "twinhop's loss timeout is 1 to 3600 seconds");
	s.loss_ms = to * 1000u;
	const char *pad = leaf(req, "padding-length", false, NULL);
	s.padding = pad ? (uint32_t)strtoul(pad, NULL, 10) : 0;
	s.dscp = (unsigned)strtoul(leaf(req, "test-packet-dscp", false, NULL), NULL, 10);

	s.count = strtoull(leaf(ss, "number-of-packets", false, &n), NULL, 10);
	if (!s.count)
		return refuse(im, n, "a sender sends at least one packet");
	const char *per = leaf(ss, "periodic-interval", false, &n);
	const char *lam = leaf(ss, "lambda", false, per ? NULL : &n);
	int64_t us = 1000000; /* neither: twinhop's default, 1 s */
	if (per || lam) {
		us = dec_us(per ? per : lam);
		if (us < 0)
			return refuse(im, n, "twinhop sends every 10 us to 3600 s");
	}
	s.interval_us = (uint64_t)us;
	s.poisson = lam != NULL;

	for (size_t i = 0; i < im->n; i++)
		if (!strcmp(im->snd[i].name, s.name))
			return refuse(im, req, "a second test-session-request of that name");
	struct snd *q = grow(im->snd, &im->cap, im->n, sizeof(*q));
	if (!q)
		return refuse(im, NULL, "out of memory");
	im->snd = q;
	im->snd[im->n++] = s;
	return 0;
}

static int map_senders(struct imp *im, const struct lyd_node *top)
{
	const struct lyd_node *client = child(top, "client");
	const struct lyd_node *sender = child(top, "session-sender");
	const struct lyd_node *cc, *req, *ss;

	im->start = sender ? !strcmp(leaf(sender, "admin-state", false, NULL), "true") : true;
	LY_LIST_FOR(client ? lyd_child(client) : NULL, cc)
	{
		if (strcmp(cc->schema->name, "ctrl-connection"))
			continue;
		if (map_conn(im, client, cc))
			return -1;
		size_t first = im->n;
		LY_LIST_FOR(lyd_child(cc), req)
		{
			if (strcmp(req->schema->name, "test-session-request"))
				continue;
			const char *name = leaf(req, "name", false, NULL);
			const struct lyd_node *match = NULL;
			LY_LIST_FOR(sender ? lyd_child(sender) : NULL, ss)
			if (!strcmp(ss->schema->name, "test-session") &&
			    !strcmp(leaf(ss, "name", false, NULL), name))
				match = ss;
			if (!match)
				return refuse(
				    im, req,
				    "no session-sender test-session of that name (it gives "
				    "number-of-packets and the schedule)");
			if (map_session(im, req, match))
				return -1;
		}
		if (im->n == first)
			return refuse(im, cc, "no test-session-request: nothing to request");
		for (size_t k = first; k < im->n; k++)
			memcpy(im->snd[k].local, im->conn[im->nconn - 1].local,
			       sizeof(im->snd[k].local));
	}
	LY_LIST_FOR(sender ? lyd_child(sender) : NULL, ss)
	{
		if (strcmp(ss->schema->name, "test-session"))
			continue;
		const char *name = leaf(ss, "name", false, NULL);
		bool found = false;
		for (size_t i = 0; i < im->n && !found; i++)
			found = !strcmp(im->snd[i].name, name);
		if (!found)
			return refuse(im, ss,
			              "no client test-session-request of that name (it gives the "
			              "addresses and ports)");
	}
	return 0;
}

static void summary_add(struct imp *im, const char *what, const char *v)
{
	size_t l = strlen(im->summary);
	snprintf(im->summary + l, sizeof(im->summary) - l, "%s%s%s", l ? ", " : "", what, v);
}

/* Server and Session-Reflector: the leaves given explicitly become one
 * config-set; running state (listeners, keys) is checked, not changed. */
static int map_server(struct imp *im, const struct lyd_node *top, const json_t *conf)
{
	const struct lyd_node *srv = child(top, "server");
	const struct lyd_node *refl = child(top, "session-reflector");
	struct lyd_node *n;
	const char *v;

	im->set = json_pack("{ss}", "cmd", "config-set");
	if (srv && (v = leaf(srv, "server-tcp-port", true, &n))) {
		bool ok = false;
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(conf, "listen"), i, e)
		{
			char a[INET6_ADDRSTRLEN + 2];
			unsigned port;
			if (split_addrport(json_string_value(e) ? json_string_value(e) : "", a,
			                   sizeof(a), &port))
				ok |= port == (unsigned)strtoul(v, NULL, 10);
		}
		if (!ok)
			return refuse(im, n,
			              "twinhopd does not listen on port %s; set 'listen' in "
			              "twinhopd.conf and restart it",
			              v);
	}
	if (srv && (v = leaf(srv, "servwait", true, &n))) {
		if (strtoul(v, NULL, 10) > 86400)
			return refuse(im, n, "twinhopd's servwait is at most 86400 seconds");
		json_object_set_new(im->set, "servwait", json_integer(strtoll(v, NULL, 10)));
		summary_add(im, "servwait ", v);
	}
	if (srv && (v = leaf(srv, "count", true, &n))) {
		unsigned e = (unsigned)strtoul(v, NULL, 10);
		if (e > 20)
			return refuse(im, n, "twinhopd's PBKDF2 count is at most 2^20");
		json_object_set_new(im->set, "pbkdf2_count", json_integer(1ll << e));
		summary_add(im, "count 2^", v);
	}
	if (srv && (v = leaf(srv, "modes", true, &n))) {
		char modes[160] = "", feats[160] = "";
		char *dup = strdup(v), *save = NULL;
		if (!dup)
			return refuse(im, NULL, "out of memory");
		for (char *t = strtok_r(dup, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			for (size_t i = 0; i < sizeof(mode_map) / sizeof(mode_map[0]); i++) {
				if (strcmp(t, mode_map[i].bit))
					continue;
				if (!*mode_map[i].name) {
					free(dup);
					return refuse(im, n,
					              "twinhopd does not offer %s (RFC 7717)",
					              mode_map[i].bit);
				}
				char *dst = mode_map[i].feature ? feats : modes;
				size_t l = strlen(dst);
				snprintf(dst + l, 160 - l, "%s%s", l ? " " : "", mode_map[i].name);
			}
		}
		free(dup);
		if (!*modes)
			return refuse(im, n,
			              "names no base mode (unauthenticated, authenticated, "
			              "encrypted, unauth-test-encrypt-control)");
		json_object_set_new(im->set, "modes", json_string(modes));
		json_object_set_new(im->set, "features", json_string(*feats ? feats : "none"));
		summary_add(im, "modes ", v);
	}
	LY_LIST_FOR(srv ? lyd_child(srv) : NULL, n)
	{
		if (strcmp(n->schema->name, "key-chain"))
			continue;
		const char *kid = leaf(n, "key-id", false, NULL);
		bool ok = false;
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(conf, "key_ids"), i, e) ok |=
		    json_string_value(e) && !strcmp(json_string_value(e), kid);
		if (!ok)
			return refuse(
			    im, n,
			    "twinhopd's keyfile has no KeyID '%s' (twinhop checks the key "
			    "chain against the keyfile; it does not import secrets)",
			    kid);
	}
	if (refl && (v = leaf(refl, "refwait", true, &n))) {
		if (strtoul(v, NULL, 10) > 86400)
			return refuse(im, n, "twinhopd's refwait is at most 86400 seconds");
		json_object_set_new(im->set, "refwait", json_integer(strtoll(v, NULL, 10)));
		summary_add(im, "refwait ", v);
	}
	return 0;
}

/* A KeyID in twinhopd's keyfile? */
static bool has_key(const json_t *conf, const char *kid)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(conf, "key_ids"), i, e)
	{
		if (json_string_value(e) && !strcmp(json_string_value(e), kid))
			return true;
	}
	return false;
}

/* A control-client's session (replace: they go first). */
static bool replaced(const json_t *e, bool replace)
{
	return replace && ju64(e, "client");
}

/* Names, KeyIDs and local ports: refuse a clash before anything is
 * applied; give autoallocate ports the lowest free dynamic port. */
static int check_sessions(struct imp *im, const json_t *top, const json_t *conf, bool replace)
{
	const json_t *sess = json_object_get(top, "sessions");
	const json_t *cls = json_object_get(top, "clients");
	size_t i, j;
	json_t *e, *t;
	for (size_t k = 0; k < im->nconn; k++) {
		const struct conn *c = &im->conn[k];
		if (*c->key_id && !has_key(conf, c->key_id))
			return refuse(im, c->node,
			              "twinhopd's keyfile has no KeyID '%s' (twinhopd uses the "
			              "secret of its keyfile; secrets are never imported)",
			              c->key_id);
		json_array_foreach(cls, i, e)
		{
			if (!replace && !strcmp(jstr(e, "name"), c->name))
				return refuse(im, c->node,
				              "twinhopd already has a control-client of that name "
				              "(%" PRIu64 "); delete it or use --replace",
				              ju64(e, "client"));
		}
	}
	for (size_t k = 0; k < im->n; k++) {
		struct snd *s = &im->snd[k];
		json_array_foreach(sess, i, e)
		{
			if (replaced(e, replace))
				continue;
			if (!strcmp(jstr(e, "name"), s->name))
				return refuse(
				    im, NULL,
				    "test-session '%s': twinhopd already has a session of "
				    "that name (%" PRIu64 "); delete it or use --replace",
				    s->name, ju64(e, "session"));
		}
		json_array_foreach(cls, i, e)
		{
			if (replace)
				continue;
			json_array_foreach(json_object_get(e, "sessions"), j, t)
			{
				if (!strcmp(jstr(t, "name"), s->name))
					return refuse(
					    im, NULL,
					    "test-session '%s': control-client '%s' has a "
					    "session of that name; delete it or use --replace",
					    s->name, jstr(e, "name"));
			}
		}
		if (s->local_port)
			continue;
		/* The dynamic ports (RFC 6335) in use on this address ("": on any). */
		static bool used[65536 - 49152];
		memset(used, 0, sizeof(used));
		json_array_foreach(sess, i, e)
		{
			char a[INET6_ADDRSTRLEN + 2];
			unsigned port;
			if (replaced(e, replace) ||
			    !split_addrport(jstr(e, "local"), a, sizeof(a), &port))
				continue;
			if (port >= 49152 && port <= 65535 &&
			    (!*s->local || !strcmp(a, s->local) || !strcmp(a, "*")))
				used[port - 49152] = true;
		}
		json_array_foreach(cls, i, e)
		{
			if (replace)
				continue;
			json_array_foreach(json_object_get(e, "sessions"), j, t)
			{
				unsigned port = (unsigned)ju64(t, "local_port");
				if (port >= 49152 && port <= 65535)
					used[port - 49152] = true;
			}
		}
		for (size_t m = 0; m < im->n; m++)
			if (im->snd[m].local_port >= 49152 && (!*s->local || !*im->snd[m].local ||
			                                       !strcmp(im->snd[m].local, s->local)))
				used[im->snd[m].local_port - 49152] = true;
		for (unsigned p = 49152; p <= 65535 && !s->local_port; p++)
			if (!used[p - 49152])
				s->local_port = p;
		if (!s->local_port)
			return refuse(im, NULL, "test-session '%s': no free dynamic UDP port on %s",
			              s->name, *s->local ? s->local : "the sender");
	}
	return 0;
}

static json_t *client_req(const struct conn *c)
{
	json_t *r = json_pack("{ss ss ss sI ss sI}", "cmd", "client-add", "name", c->name, "server",
	                      c->server, "server_port", (json_int_t)c->server_port, "modes",
	                      c->modes, "max_count_exp", (json_int_t)c->max_exp);
	if (r && *c->local)
		json_object_set_new(r, "local", json_string(c->local));
	if (r && *c->key_id)
		json_object_set_new(r, "key_id", json_string(c->key_id));
	return r;
}

static json_t *session_req(const struct conn *c, const struct snd *s)
{
	json_t *r = json_pack(
	    "{ss ss ss sI sI sI sb sI sI sI sI}", "cmd", "client-session-add", "client", c->name,
	    "name", s->name, "local_port", (json_int_t)s->local_port, "count", (json_int_t)s->count,
	    "interval_us", (json_int_t)s->interval_us, "poisson", s->poisson, "padding",
	    (json_int_t)s->padding, "dscp", (json_int_t)s->dscp, "loss_timeout_ms",
	    (json_int_t)s->loss_ms, "peer_port", (json_int_t)s->peer_port);
	if (r && *s->peer)
		json_object_set_new(r, "peer", json_string(s->peer));
	return r;
}

/* The running policy as a config-set that restores it. */
static json_t *restore_req(const json_t *conf)
{
	char modes[160] = "", feats[160] = "";
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(conf, "modes"), i, e)
	{
		size_t l = strlen(modes);
		snprintf(modes + l, sizeof(modes) - l, "%s%s", l ? " " : "", json_string_value(e));
	}
	json_array_foreach(json_object_get(conf, "features"), i, e)
	{
		size_t l = strlen(feats);
		snprintf(feats + l, sizeof(feats) - l, "%s%s", l ? " " : "", json_string_value(e));
	}
	return json_pack("{ss ss ss sI sI sI}", "cmd", "config-set", "modes", modes, "features",
	                 *feats ? feats : "none", "servwait", (json_int_t)ju64(conf, "servwait"),
	                 "refwait", (json_int_t)ju64(conf, "refwait"), "pbkdf2_count",
	                 (json_int_t)ju64(conf, "pbkdf2_count"));
}

/* One control-client with its sessions, started or not; false after a
 * message. */
static bool add_client(struct imp *im, struct adm *m, size_t k)
{
	const struct conn *c = &im->conn[k];
	json_t *r = call(m, client_req(c));
	if (!r)
		return false;
	json_decref(r);
	unsigned n = 0;
	for (size_t i = 0; i < im->n; i++) {
		if (im->snd[i].conn != k)
			continue;
		if (!(r = call(m, session_req(c, &im->snd[i]))))
			return false;
		json_decref(r);
		n++;
	}
	if (im->start) {
		if (!(r = call(m, json_pack("{ss ss}", "cmd", "client-start", "client", c->name))))
			return false;
		json_decref(r);
	}
	printf("Control-client '%s' -> %s:%u (modes %s%s%s): %u test session%s, %s.\n", c->name,
	       c->server, c->server_port, c->modes, *c->key_id ? ", KeyID " : "", c->key_id, n,
	       n == 1 ? "" : "s", im->start ? "started" : "not started (admin-state false)");
	return true;
}

static void del_client(struct adm *m, const char *name)
{
	json_decref(call(m, json_pack("{ss ss}", "cmd", "client-del", "client", name)));
}

static int apply(struct imp *im, struct adm *m, const json_t *conf, const json_t *cls, bool replace)
{
	bool server = json_object_size(im->set) > 1;
	json_t *r;
	if (server) {
		if (!(r = call(m, json_incref(im->set))))
			return -1;
		json_decref(r);
		printf("Server: %s.\n", im->summary);
	}
	size_t i;
	json_t *e;
	if (replace)
		json_array_foreach(cls, i, e)
		{
			r = call(m, json_pack("{ss ss}", "cmd", "client-del", "client",
			                      jstr(e, "name")));
			if (!r) {
				if (server)
					json_decref(call(m, restore_req(conf)));
				fprintf(stderr,
				        "twinhop config import: %s: stopped; the Server settings "
				        "were put back, the control-clients deleted so far stay "
				        "deleted\n",
				        im->file);
				return -1;
			}
			json_decref(r);
			printf("Control-client '%s' deleted (--replace).\n", jstr(e, "name"));
		}
	size_t k;
	for (k = 0; k < im->nconn; k++)
		if (!add_client(im, m, k))
			break;
	if (k == im->nconn)
		return 0;
	/* Undo what this import did (what --replace deleted stays deleted). */
	for (size_t j = 0; j <= k; j++)
		del_client(m, im->conn[j].name);
	if (server)
		json_decref(call(m, restore_req(conf)));
	fprintf(stderr,
	        "twinhop config import: %s: ctrl-connection '%s' failed; the import was "
	        "undone\n",
	        im->file, im->conn[k].name);
	return -1;
}

static char *read_file(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "twinhop config import: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
	bool err = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!buf || err || n > FILE_MAX) {
		fprintf(stderr, "twinhop config import: %s: %s\n", path,
		        err ? "read error" : "larger than 1 MiB or out of memory");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static int do_import(const char *file, const char *admin, bool replace, bool dry)
{
	struct imp im = {.file = file};
	struct adm m;
	struct lyd_node *tree = NULL;
	json_t *conf = NULL, *ss = NULL;
	int rc = 1;

	char *text = read_file(file);
	struct ly_ctx *ctx = text ? yang_ctx() : NULL;
	if (!ctx) {
		free(text);
		return 1;
	}
	/* Strict: an unknown member is an error; config only: state data is
	 * not configuration. */
	if (lyd_parse_data_mem(ctx, text, LYD_JSON, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
	                       LYD_VALIDATE_NO_STATE, &tree)) {
		const char *p = ly_errpath(ctx);
		fprintf(stderr, "twinhop config import: %s: %s%s%s%s\n", file, ly_errmsg(ctx),
		        p ? " (" : "", p ? p : "", p ? ")" : "");
		goto out;
	}
	struct lyd_node *top = NULL, *n;
	LY_LIST_FOR(tree, n)
	if (!strcmp(n->schema->module->name, YANG_MODULE) && !strcmp(n->schema->name, "twamp"))
		top = n;
	if (!top) {
		refuse(&im, NULL, "no %s data", TOP);
		goto out;
	}
	if (check_rules(&im, top) || map_senders(&im, top))
		goto out;
	if (cli_admin_open(&m.a, admin, m.err, sizeof(m.err)) < 0) {
		fprintf(stderr, "twinhop config import: %s\n", m.err);
		goto out;
	}
	json_t *sr = NULL;
	if ((conf = call_cmd(&m, "config-get")) && (sr = call_cmd(&m, "show-sessions")) &&
	    !map_server(&im, top, conf) && !check_sessions(&im, sr, conf, replace)) {
		ss = json_incref(json_object_get(sr, "clients"));
		if (dry) {
			printf("%s: valid; would set the server (%s) and add %zu control-client%s "
			       "with %zu test session%s.\n",
			       file, *im.summary ? im.summary : "nothing", im.nconn,
			       im.nconn == 1 ? "" : "s", im.n, im.n == 1 ? "" : "s");
			rc = 0;
		} else if (!apply(&im, &m, conf, ss, replace)) {
			rc = 0;
		}
	}
	json_decref(sr);
	cli_admin_close(&m.a);
out:
	json_decref(conf);
	json_decref(ss);
	json_decref(im.set);
	free(im.snd);
	free(im.conn);
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
	free(text);
	return rc;
}

/* ---- export ----------------------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
	va_list ap;
	fputs("twinhop config export: note: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Set one leaf below parent (a relative path); false after a message. */
static bool put(struct ly_ctx *ctx, struct lyd_node *parent, const char *path, const char *val)
{
	if (lyd_new_path(parent, ctx, path, val, 0, NULL)) {
		fprintf(stderr, "twinhop config export: %s = %s: %s\n", path, val ? val : "",
		        ly_errmsg(ctx));
		return false;
	}
	return true;
}

static bool putu(struct ly_ctx *ctx, struct lyd_node *parent, const char *path, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRIu64, v);
	return put(ctx, parent, path, s);
}

/* A container under parent, made if missing. */
static struct lyd_node *inner(struct ly_ctx *ctx, struct lyd_node *parent, const char *name)
{
	struct lyd_node *n = child(parent, name);
	if (n)
		return n;
	if (lyd_new_inner(parent, NULL, name, 0, &n)) {
		fprintf(stderr, "twinhop config export: %s: %s\n", name, ly_errmsg(ctx));
		return NULL;
	}
	return n;
}

/* A list entry under parent by its one key (libyang quotes the value). */
static struct lyd_node *entry(struct ly_ctx *ctx, struct lyd_node *parent, const char *list,
                              const char *key)
{
	struct lyd_node *n = NULL;
	LY_LIST_FOR(lyd_child(parent), n)
	if (!strcmp(n->schema->name, list) && !strcmp(lyd_get_value(lyd_child(n)), key))
		return n;
	if (lyd_new_list(parent, NULL, list, 0, &n, key)) {
		fprintf(stderr, "twinhop config export: %s '%s': %s\n", list, key, ly_errmsg(ctx));
		return NULL;
	}
	return n;
}

/* client-add's mode name -> twamp-modes. */
static const char *yang_mode(const char *m)
{
	static const char *const t[][2] = {{"open", "unauthenticated"},
	                                   {"auth", "authenticated"},
	                                   {"enc", "encrypted"},
	                                   {"mixed", "unauth-test-encrypt-control"}};
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(m, t[i][0]))
			return t[i][1];
	return NULL;
}

/* One of twinhopd's Control-Clients as a ctrl-connection with its
 * test-session-requests and session-sender test-sessions.  Returns the
 * number of sessions written, -1 on error; *chain: the modes in order. */
static int export_client(struct ly_ctx *ctx, struct lyd_node *top, const json_t *c,
                         unsigned *n_started, const json_t **chain, bool state)
{
	char server[INET6_ADDRSTRLEN + 2];
	unsigned sport = 0;
	if (!split_addrport(jstr(c, "server"), server, sizeof(server), &sport)) {
		note("control-client '%s' left out: unreadable server address", jstr(c, "name"));
		return 0;
	}
	struct lyd_node *client = inner(ctx, top, "client");
	struct lyd_node *sender = inner(ctx, top, "session-sender");
	struct lyd_node *cc =
	    client && sender ? entry(ctx, client, "ctrl-connection", jstr(c, "name")) : NULL;
	if (!cc || !put(ctx, cc, "server-ip", server))
		return -1;
	if (sport != 862 && !putu(ctx, cc, "server-tcp-port", sport))
		return -1;
	if (*jstr(c, "local") && !put(ctx, cc, "client-ip", jstr(c, "local")))
		return -1;
	if (*jstr(c, "key_id") && !put(ctx, cc, "key-id", jstr(c, "key_id")))
		return -1;
	uint64_t mx = ju64(c, "max_count_exp");
	if (mx && mx != 20 && !putu(ctx, cc, "max-count-exponent", mx))
		return -1;
	*chain = json_object_get(c, "modes");
	/* --state: RFC 8913's operational leaves that twinhopd knows (no
	 * Token or Client-IV: key material stays in the daemon). */
	const char *st = jstr(c, "state");
	bool up = !strcmp(st, "negotiating") || !strcmp(st, "negotiated") || !strcmp(st, "running");
	if (state && !put(ctx, cc, "state", up ? "active" : "idle"))
		return -1;
	static const char *const sel[][2] = {{"open", "unauthenticated"},
	                                     {"authenticated", "authenticated"},
	                                     {"encrypted", "encrypted"},
	                                     {"mixed", "unauth-test-encrypt-control"}};
	for (size_t k = 0; state && k < 4; k++)
		if (!strcmp(jstr(c, "mode"), sel[k][0]) &&
		    !put(ctx, cc, "selected-mode", sel[k][1]))
			return -1;
	size_t i;
	json_t *t;
	int n = 0;
	json_array_foreach(json_object_get(c, "sessions"), i, t)
	{
		const char *nm = jstr(t, "name");
		struct lyd_node *req = entry(ctx, cc, "test-session-request", nm);
		struct lyd_node *ts = entry(ctx, sender, "test-session", nm);
		if (!req || !ts)
			return -1;
		uint64_t us = ju64(t, "interval_us");
		char iv[40];
		snprintf(iv, sizeof(iv), "%" PRIu64 ".%05" PRIu64, us / 1000000u,
		         us % 1000000u / 10u);
		if (!putu(ctx, req, "sender-udp-port", ju64(t, "local_port")) ||
		    !put(ctx, req, "reflector-ip", *jstr(t, "peer") ? jstr(t, "peer") : server) ||
		    (ju64(t, "peer_port") &&
		     !putu(ctx, req, "reflector-udp-port", ju64(t, "peer_port"))) ||
		    !putu(ctx, req, "timeout", ju64(t, "loss_timeout_ms") / 1000u) ||
		    (ju64(t, "padding") && !putu(ctx, req, "padding-length", ju64(t, "padding"))) ||
		    !putu(ctx, req, "test-packet-dscp", ju64(t, "dscp")) ||
		    !putu(ctx, ts, "number-of-packets", ju64(t, "count")) ||
		    !put(ctx, ts,
		         json_is_true(json_object_get(t, "poisson")) ? "lambda"
		                                                     : "periodic-interval",
		         iv))
			return -1;
		if (state && *jstr(t, "sid") &&
		    (!put(ctx, req, "state", "accepted") || !put(ctx, req, "sid", jstr(t, "sid"))))
			return -1;
		n++;
	}
	*n_started += json_is_true(json_object_get(c, "started")) ? (unsigned)n : 0;
	return n;
}

static int do_export(const char *out, const char *admin, bool state)
{
	struct adm m;
	struct ly_ctx *ctx = yang_ctx();
	struct lyd_node *top = NULL;
	json_t *conf = NULL, *sr = NULL;
	char *text = NULL;
	int rc = 1;

	if (!ctx)
		return 1;
	if (cli_admin_open(&m.a, admin, m.err, sizeof(m.err)) < 0) {
		fprintf(stderr, "twinhop config export: %s\n", m.err);
		ly_ctx_destroy(ctx);
		return 1;
	}
	conf = call_cmd(&m, "config-get");
	sr = conf ? call_cmd(&m, "show-sessions") : NULL;
	cli_admin_close(&m.a);
	if (!sr || lyd_new_path(NULL, ctx, TOP, NULL, 0, &top))
		goto out;

	/* Server: what twinhopd runs with (all of it, so the export stands
	 * alone). */
	char a[INET6_ADDRSTRLEN + 2], modes[256] = "";
	unsigned port = 0;
	json_t *lst = json_array_get(json_object_get(conf, "listen"), 0);
	if (!lst || !split_addrport(json_string_value(lst), a, sizeof(a), &port) ||
	    !putu(ctx, top, "server/server-tcp-port", port))
		goto out;
	uint64_t sw = ju64(conf, "servwait");
	if (sw && !putu(ctx, top, "server/servwait", sw))
		goto out;
	if (!sw)
		note("servwait 0 (never) has no ietf-twamp form; left out");
	unsigned e = 0;
	while (e < 31 && (1ull << e) < ju64(conf, "pbkdf2_count"))
		e++;
	if (!putu(ctx, top, "server/count", e))
		goto out;
	for (size_t i = 0; i < sizeof(mode_map) / sizeof(mode_map[0]); i++) {
		size_t j;
		json_t *v;
		bool on = false;
		json_array_foreach(
		    json_object_get(conf, mode_map[i].feature ? "features" : "modes"), j, v) on |=
		    json_string_value(v) && !strcmp(json_string_value(v), mode_map[i].name);
		if (on && *mode_map[i].name) {
			size_t l = strlen(modes);
			snprintf(modes + l, sizeof(modes) - l, "%s%s", l ? " " : "",
			         mode_map[i].bit);
		}
	}
	if (!put(ctx, top, "server/modes", modes))
		goto out;
	size_t i;
	json_t *v;
	struct lyd_node *srv = child(top, "server");
	json_array_foreach(json_object_get(conf, "key_ids"), i, v)
	{
		const char *kid = json_string_value(v);
		if (!kid || !*kid || strlen(kid) > 80 || !entry(ctx, srv, "key-chain", kid))
			goto out;
	}
	if (!putu(ctx, top, "session-reflector/refwait", ju64(conf, "refwait")))
		goto out;

	unsigned n_snd = 0, n_started = 0, n_light = 0, n_other = 0;
	json_array_foreach(json_object_get(sr, "sessions"), i, v)
	{
		if (!strcmp(jstr(v, "kind"), "light"))
			n_light++;
		/* a control-client's senders are its test sessions, below */
		else if (!strcmp(jstr(v, "kind"), "sender") && !ju64(v, "client"))
			n_other++;
	}
	/* One mode-preference-chain for the whole client (RFC 8913 has one):
	 * the first control-client's; another with a different one is noted. */
	const json_t *chain = NULL;
	json_array_foreach(json_object_get(sr, "clients"), i, v)
	{
		const json_t *ch = NULL;
		int r = export_client(ctx, top, v, &n_started, &ch, state);
		if (r < 0)
			goto out;
		n_snd += (unsigned)r;
		if (!chain)
			chain = ch;
		else if (!json_equal((json_t *)chain, (json_t *)ch))
			note("control-client '%s' allows other modes than the first one; RFC 8913 "
			     "has one mode-preference-chain: the first one's is written",
			     jstr(v, "name"));
	}
	bool only_open = json_array_size(chain) == 1 &&
	                 !strcmp(json_string_value(json_array_get(chain, 0)), "open");
	json_array_foreach(chain, i, v)
	{
		char path[96];
		const char *ym = yang_mode(json_string_value(v) ? json_string_value(v) : "");
		if (!ym || only_open)
			continue;
		snprintf(path, sizeof(path), "client/mode-preference-chain[priority='%zu']/mode",
		         i);
		if (!put(ctx, top, path, ym))
			goto out;
	}
	if (n_other)
		note("%u sender%s left out: a sender without TWAMP-Control (TWAMP Light, "
		     "STAMP) has no RFC 8913 form, whose control-client runs TWAMP-Control "
		     "(twinhop sessions lists them)",
		     n_other, n_other == 1 ? "" : "s");
	if (n_snd && !put(ctx, top, "session-sender/admin-state", n_started ? "true" : "false"))
		goto out;
	if (n_started && n_started < n_snd)
		note("%u of %u test sessions were never started; admin-state says true",
		     n_snd - n_started, n_snd);
	if (n_light)
		note("%u TWAMP Light/STAMP listener%s left out: RFC 8913 configures no reflector "
		     "sessions (twinhop sessions lists them)",
		     n_light, n_light == 1 ? "" : "s");
	/* What we print is what libyang accepts. */
	if (lyd_validate_all(&top, ctx, state ? 0 : LYD_VALIDATE_NO_STATE, NULL)) {
		fprintf(stderr, "twinhop config export: invalid result: %s: %s\n",
		        ly_errpath(ctx) ? ly_errpath(ctx) : "", ly_errmsg(ctx));
		goto out;
	}
	if (lyd_print_mem(&text, top, LYD_JSON, LYD_PRINT_WITHSIBLINGS))
		goto out;
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "twinhop config export: %s: %s\n", out, strerror(errno));
		goto out;
	}
	fputs(text, f);
	rc = (f == stdout ? fflush(f) : fclose(f)) ? 1 : 0;
	if (rc)
		fprintf(stderr, "twinhop config export: write error\n");
out:
	free(text);
	json_decref(conf);
	json_decref(sr);
	lyd_free_all(top);
	ly_ctx_destroy(ctx);
	return rc;
}

/* ---- command ---------------------------------------------------------------------- */

int cli_config(int argc, char **argv, const char *admin_path)
{
	bool replace = false, dry = false, state = false;
	const char *out = NULL, *file = NULL;
	if (argc < 2 || (strcmp(argv[1], "import") && strcmp(argv[1], "export"))) {
		fprintf(stderr, "twinhop config: expected import FILE or export\n"
		                "Try 'twinhop config --help'.\n");
		return 2;
	}
	bool imp = !strcmp(argv[1], "import");
	for (int i = 2; i < argc; i++) {
		if (imp && !strcmp(argv[i], "--replace"))
			replace = true;
		else if (imp && !strcmp(argv[i], "--dry-run"))
			dry = true;
		else if (!imp && !strcmp(argv[i], "--state"))
			state = true;
		else if (!imp && (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) &&
		         i + 1 < argc)
			out = argv[++i];
		else if (imp && !file && (strncmp(argv[i], "--", 2) || !strcmp(argv[i], "-")))
			file = argv[i];
		else {
			fprintf(stderr,
			        "twinhop config %s: unexpected argument '%s'\n"
			        "Try 'twinhop config --help'.\n",
			        argv[1], argv[i]);
			return 2;
		}
	}
	if (imp && !file) {
		fprintf(stderr, "twinhop config import: missing FILE (RFC 7951 JSON, '-' = stdin)\n"
		                "Try 'twinhop config --help'.\n");
		return 2;
	}
	return imp ? do_import(file, admin_path, replace, dry) : do_export(out, admin_path, state);
}
