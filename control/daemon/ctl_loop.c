/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BATCH 64

struct ctl_loop {
	int ep;
};

int ctl_send_pending(int fd, const char *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(fd, buf + *off, len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		*off += (size_t)n;
	}
	return 0;
}

uint64_t ctl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct ctl_loop *ctl_loop_new(void)
{
	struct ctl_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void ctl_loop_free(struct ctl_loop *l)
{
	if (!l)
		return;
	close(l->ep);
	free(l);
}

int ctl_loop_add(struct ctl_loop *l, struct ctl_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	io->events = events;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, io->fd, &ev);
}

int ctl_loop_mod(struct ctl_loop *l, struct ctl_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	if (io->events == events)
		return 0;
	io->events = events;
	return epoll_ctl(l->ep, EPOLL_CTL_MOD, io->fd, &ev);
}

void ctl_loop_del(struct ctl_loop *l, struct ctl_io *io)
{
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, io->fd, NULL);
	io->cb = NULL; /* events already fetched in this batch are ignored */
}

int ctl_loop_wait(struct ctl_loop *l, int timeout_ms)
{
	struct epoll_event ev[LOOP_BATCH];
	int n = epoll_wait(l->ep, ev, LOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct ctl_io *io = ev[i].data.ptr;
		if (io->cb)
			io->cb(io, ev[i].events);
	}
	return n;
}
