/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin_args: the admin protocol's argument readers.  Each reads one
 * member of the request object, checks its type and range, and on a wrong
 * value sets g->bad with a one-line message in g->err ("arg KEY: why");
 * after the first error the others return their default.
 */
#ifndef CTL_ADMIN_ARGS_H
#define CTL_ADMIN_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_json.h"
#include "tw_ipc.h"

struct ctl_args {
	const struct ctl_json_obj *o;
	char err[160];
	bool bad;
};

uint64_t ctl_arg_u64(struct ctl_args *g, const char *key, uint64_t def, uint64_t min, uint64_t max,
                     bool required);
bool ctl_arg_bool(struct ctl_args *g, const char *key, bool def);
const char *ctl_arg_str(struct ctl_args *g, const char *key, bool required);
/* A name or label (session name, group, Control-Client name): 1 to cap - 1
 * octets without control characters, copied into out[cap]; out is "" when
 * the member is absent (and not required) or wrong. */
void ctl_arg_label(struct ctl_args *g, const char *key, bool required, char *out, size_t cap);
void ctl_arg_addr(struct ctl_args *g, const char *key, bool required, struct tw_ipc_addr *out);
uint8_t ctl_arg_proto(struct ctl_args *g, bool allow_twamp);
size_t ctl_arg_hex(struct ctl_args *g, const char *key, bool required, uint8_t *out, size_t len,
                   size_t cap);
void ctl_arg_sec_twamp(struct ctl_args *g, uint8_t *sec, struct tw_ipc_keys *keys, uint8_t sid[16]);
void ctl_arg_sec(struct ctl_args *g, uint8_t *sec, struct tw_ipc_keys *keys);

#endif
