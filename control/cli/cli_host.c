/* SPDX-License-Identifier: BSD-3-Clause */
#include "cli_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The "Udp:" header line names the columns, the next "Udp:" line holds the
 * values (proc(5)). */
static bool snmp_udp(const char *t, struct cli_host_udp *out)
{
	const char *h = strstr(t, "\nUdp: ");
	if (!h && !strncmp(t, "Udp: ", 5))
		h = t - 1;
	if (!h)
		return false;
	h++;
	const char *v = strstr(h + 1, "\nUdp: ");
	if (!v)
		return false;
	v++;
	const char *he = strchr(h, '\n');
	char names[1024], vals[1024];
	size_t hl = (size_t)(he - h), vl = strcspn(v, "\n");
	if (hl >= sizeof(names) || vl >= sizeof(vals))
		return false;
	memcpy(names, h, hl);
	names[hl] = '\0';
	memcpy(vals, v, vl);
	vals[vl] = '\0';
	char *sn = NULL, *sv = NULL;
	char *n = strtok_r(names, " ", &sn), *x = strtok_r(vals, " ", &sv);
	bool got = false;
	for (; n && x; n = strtok_r(NULL, " ", &sn), x = strtok_r(NULL, " ", &sv)) {
		if (!strcmp(n, "RcvbufErrors")) {
			out->rcvbuf_errors += strtoull(x, NULL, 10);
			got = true;
		} else if (!strcmp(n, "SndbufErrors")) {
			out->sndbuf_errors += strtoull(x, NULL, 10);
		}
	}
	return got;
}

/* snmp6: one "Name value" per line. */
static void snmp6_udp(const char *t, struct cli_host_udp *out)
{
	static const char *const keys[2] = {"Udp6RcvbufErrors", "Udp6SndbufErrors"};
	for (int k = 0; k < 2; k++) {
		const char *p = t;
		size_t kl = strlen(keys[k]);
		while ((p = strstr(p, keys[k])) != NULL) {
			if ((p == t || p[-1] == '\n') && (p[kl] == ' ' || p[kl] == '\t')) {
				uint64_t v = strtoull(p + kl, NULL, 10);
				if (k == 0)
					out->rcvbuf_errors += v;
				else
					out->sndbuf_errors += v;
				break;
			}
			p += kl;
		}
	}
}

bool cli_host_udp_parse(const char *snmp, const char *snmp6, struct cli_host_udp *out)
{
	memset(out, 0, sizeof(*out));
	if (!snmp || !snmp_udp(snmp, out))
		return false;
	if (snmp6)
		snmp6_udp(snmp6, out);
	return true;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 16384, len = 0;
	char *b = malloc(cap);
	while (b) {
		size_t n = fread(b + len, 1, cap - 1 - len, f);
		len += n;
		if (n == 0 || len + 1 >= cap) {
			if (len + 1 < cap || cap >= (1u << 20))
				break;
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (b)
		b[len] = '\0';
	return b;
}

bool cli_host_udp_read(struct cli_host_udp *out)
{
	char *a = slurp("/proc/net/snmp"), *b = slurp("/proc/net/snmp6");
	bool ok = cli_host_udp_parse(a, b, out);
	free(a);
	free(b);
	return ok;
}

bool cli_host_in_build_tree(void)
{
#ifdef TW_BUILD_ROOT
	char exe[4096], root[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || !realpath(TW_BUILD_ROOT, root))
		return false;
	exe[n] = '\0';
	size_t rl = strlen(root);
	return !strncmp(exe, root, rl) && exe[rl] == '/';
#else
	return false;
#endif
}
