/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_flows: the reflector flows twinhopd has programmed into the fast path,
 * and the test ports they use.
 *
 * twampd gives every session a port of its own (one process and socket per
 * session).  Our fast path demultiplexes by the whole flow -- local address
 * and port, sender address and port (app/fp_sess.h) -- so sessions of
 * different senders can share a reflector port.  The Receiver Port a client
 * asks for (RFC 5357 §3.5) is honoured whenever that flow is not already
 * taken; another port of `test-ports` is picked only on a real clash.
 * `test-ports` stays the policy of which ports may be used.
 *
 * A flow is reserved from Request-TW-Session until the fast path has deleted
 * the session (SESSION_DEL answered, or the fast path gone): a port returns
 * to the pool exactly then, never earlier and never later.
 *
 * port_used (owned by the daemon, shared with the admin socket's Light
 * listeners) is kept at 1 for every port that carries a flow; a port set
 * there without any flow belongs to a listener and is not used for flows.
 * The hash is seeded at random, so a client cannot choose colliding flows.
 */
#ifndef CTL_FLOWS_H
#define CTL_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "tw_ipc.h"

struct ctl_flows;

struct ctl_flows *ctl_flows_new(uint8_t port_used[65536]);
void ctl_flows_free(struct ctl_flows *f);

/* Reserve flow (local_port ignored) on a port of [lo, hi]: `wanted` when it
 * is in the range and the flow with it is free, else the next port whose
 * flow is free.  Sets flow->local_port and returns it; 0 when every port of
 * the range already carries this flow (or memory is exhausted). */
uint16_t ctl_flows_reserve(struct ctl_flows *f, struct tw_ipc_flow *flow, uint16_t wanted,
                           uint16_t lo, uint16_t hi);
/* Release a reserved flow (no-op if it is not reserved). */
void ctl_flows_release(struct ctl_flows *f, const struct tw_ipc_flow *flow);

/* Flows reserved, and distinct ports they use. */
size_t ctl_flows_count(const struct ctl_flows *f);
unsigned ctl_flows_ports(const struct ctl_flows *f);

#endif
