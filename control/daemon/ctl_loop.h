/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_loop: the one epoll event loop of twinhopd (chrony sched.c shape):
 * file handlers only; timers are deadlines the caller folds into the wait
 * timeout (every connection exposes ctl_srv_deadline()).  No threads.
 */
#ifndef CTL_LOOP_H
#define CTL_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct ctl_io;
typedef void (*ctl_io_cb)(struct ctl_io *io, uint32_t events);

/* Embed in the owner; the owner must stay allocated until the loop has
 * returned from the ctl_loop_wait() in which it was deleted. */
struct ctl_io {
	int fd;
	ctl_io_cb cb;
	uint32_t events;
};

struct ctl_loop;

struct ctl_loop *ctl_loop_new(void);
void ctl_loop_free(struct ctl_loop *l);
int ctl_loop_add(struct ctl_loop *l, struct ctl_io *io, uint32_t events);
/* Change the event mask (no syscall if unchanged). */
int ctl_loop_mod(struct ctl_loop *l, struct ctl_io *io, uint32_t events);
void ctl_loop_del(struct ctl_loop *l, struct ctl_io *io);
/* Wait up to timeout_ms (-1 = forever) and dispatch; -1 on error (not EINTR). */
int ctl_loop_wait(struct ctl_loop *l, int timeout_ms);

/* Send buf[*off..len) on a non-blocking stream socket until it is all
 * sent or the socket would block, advancing *off.  -1 when the peer is gone
 * (any error but EAGAIN), else 0.  The one send loop of the admin socket
 * and /metrics. */
int ctl_send_pending(int fd, const char *buf, size_t len, size_t *off);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t ctl_now_ms(void);

#endif
