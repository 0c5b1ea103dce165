/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fp_profile_var_add(struct fp_profile_vars *v, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(v->key[0]) ||
	    strlen(eq + 1) >= sizeof(v->val[0]) || v->n >= FP_PROFILE_MAX_VARS)
		return -1;
	memcpy(v->key[v->n], kv, (size_t)(eq - kv));
	v->key[v->n][eq - kv] = '\0';
	snprintf(v->val[v->n], sizeof(v->val[0]), "%s", eq + 1);
	v->n++;
	return 0;
}

/* Expand ${name} from vars; an undefined variable is an error so a profile
 * never silently creates a device with an empty socket path or PCI id. */
static int expand(char *out, size_t cap, const char *in, const struct fp_profile_vars *v,
		  char *err, unsigned errlen)
{
	size_t o = 0;
	while (*in) {
		if (in[0] == '$' && in[1] == '{') {
			const char *end = strchr(in, '}');
			if (!end) {
				snprintf(err, errlen, "unterminated ${ in '%s'", in);
				return -1;
			}
			size_t klen = (size_t)(end - in - 2);
			const char *val = NULL;
			for (unsigned i = 0; v && i < v->n; i++)
				if (strlen(v->key[i]) == klen && !strncmp(v->key[i], in + 2, klen))
					val = v->val[i];
			if (!val) {
				snprintf(err, errlen, "profile variable ${%.*s} not set (use --pvar)",
					 (int)klen, in + 2);
				return -1;
			}
			size_t l = strlen(val);
			if (o + l >= cap)
				goto toolong;
			memcpy(out + o, val, l);
			o += l;
			in = end + 1;
			continue;
		}
		if (o + 1 >= cap)
			goto toolong;
		out[o++] = *in++;
	}
	out[o] = '\0';
	return 0;
toolong:
	snprintf(err, errlen, "expanded value too long");
	return -1;
}

static int parse_u16(const char *s, uint16_t *out)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0' || x > 65535)
		return -1;
	*out = (uint16_t)x;
	return 0;
}

const char *fp_ts_mode_name(enum fp_ts_mode m)
{
	return m == FP_TS_HW_DYNFIELD ? "hw-dynfield" : "tsc";
}

int fp_profile_load(struct fp_profile *p, const char *path, const struct fp_profile_vars *v,
		    char *err, unsigned errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->rx_queues = p->tx_queues = 1;
	p->rx_desc = p->tx_desc = 1024;
	p->mtu = 1500;
	p->ts_mode = FP_TS_TSC;

	char line[1024];
	unsigned lineno = 0;
	int rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		size_t n = strlen(s);
		while (n && isspace((unsigned char)s[n - 1]))
			s[--n] = '\0';
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected key=value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		const char *k = s, *val = eq + 1;
		int bad = 0;
		if (!strcmp(k, "driver"))
			snprintf(p->driver, sizeof(p->driver), "%s", val);
		else if (!strcmp(k, "vdev"))
			bad = expand(p->vdev, sizeof(p->vdev), val, v, err, errlen) ? 2 : 0;
		else if (!strcmp(k, "allow"))
			bad = expand(p->allow, sizeof(p->allow), val, v, err, errlen) ? 2 : 0;
		else if (!strcmp(k, "rx_queues"))
			bad = parse_u16(val, &p->rx_queues) || !p->rx_queues;
		else if (!strcmp(k, "tx_queues"))
			bad = parse_u16(val, &p->tx_queues) || !p->tx_queues;
		else if (!strcmp(k, "rx_desc"))
			bad = parse_u16(val, &p->rx_desc) || !p->rx_desc;
		else if (!strcmp(k, "tx_desc"))
			bad = parse_u16(val, &p->tx_desc) || !p->tx_desc;
		else if (!strcmp(k, "mtu"))
			bad = parse_u16(val, &p->mtu) || p->mtu < 68;
		else if (!strcmp(k, "rx_offloads"))
			snprintf(p->rx_offloads, sizeof(p->rx_offloads), "%s", val);
		else if (!strcmp(k, "tx_offloads"))
			snprintf(p->tx_offloads, sizeof(p->tx_offloads), "%s", val);
		else if (!strcmp(k, "rss"))
			snprintf(p->rss, sizeof(p->rss), "%s", val);
		else if (!strcmp(k, "timestamp")) {
			if (!strcmp(val, "tsc"))
				p->ts_mode = FP_TS_TSC;
			else if (!strcmp(val, "hw-dynfield"))
				p->ts_mode = FP_TS_HW_DYNFIELD;
			else
				bad = 1;
		} else if (!strcmp(k, "promisc")) {
			if (!strcmp(val, "0") || !strcmp(val, "1"))
				p->promisc = val[0] == '1';
			else
				bad = 1;
		} else if (!strcmp(k, "notes"))
			snprintf(p->notes, sizeof(p->notes), "%s", val);
		else {
			snprintf(err, errlen, "%s:%u: unknown key '%s'", path, lineno, k);
			rc = -1;
			break;
		}
		if (bad == 1)
			snprintf(err, errlen, "%s:%u: bad value for %s: '%s'", path, lineno, k, val);
		if (bad) {
			rc = -1;
			break;
		}
	}
	fclose(f);
	if (!rc && !p->vdev[0] && !p->allow[0]) {
		snprintf(err, errlen, "%s: neither vdev= nor allow= given", path);
		rc = -1;
	}
	return rc;
}
