/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twh-bench-control: load and measure TWAMP-Control set-ups for
 * tools/bench-control.sh (docs/control.md "Connection limits").
 *
 *   twh-bench-control hold SRC DST PORT N idle|slow
 *       open N connections from SRC and keep them: idle (read the greeting,
 *       send nothing) or slow (one octet a second on each).  Prints
 *       "HELD n real m" once all are open (m got a greeting with Modes != 0),
 *       then runs until killed.
 *   twh-bench-control setups NET DST PORT RATE SECONDS
 *       open-mode set-ups (greeting, Set-Up-Response, Request-TW-Session,
 *       Accept-Session) started at RATE per second for SECONDS, up to 48
 *       in flight, from the source addresses NET.1 .. NET.250 in turn (the
 *       legitimate clients: each stays under max-connections-per-address
 *       and max-sessions-per-client); prints the achieved rate and the latency (connect to
 *       Accept-Session) percentiles as one line "SETUPS ...".
 * One epoll loop each; the load generator is measured too (its own CPU
 * time is printed), so a saturated generator shows.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tw_ctl.h"

#define MAX_FLIGHT 48 /* under max-connections 64: the table is not what is measured */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int dial(const char *src, const char *dst, int port)
{
	struct sockaddr_in s = {.sin_family = AF_INET}, d = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &s.sin_addr);
	inet_pton(AF_INET, dst, &d.sin_addr);
	d.sin_port = htons((uint16_t)port);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0 ||
	    (connect(fd, (struct sockaddr *)&d, sizeof(d)) < 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- hold ------------------------------------------------------------------------- */

static int hold(const char *src, const char *dst, int port, int n, int slow)
{
	int *fd = calloc((size_t)n, sizeof(int));
	uint8_t *seen = calloc((size_t)n, 1);
	int ep = epoll_create1(EPOLL_CLOEXEC), open_n = 0, greeted = 0, real = 0;
	if (!fd || !seen || ep < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		fd[i] = dial(src, dst, port);
		if (fd[i] < 0) {
			perror("connect");
			continue;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev);
		open_n++;
	}
	/* Read each greeting (or EOF) once, then keep the connections. */
	uint64_t until = now_ns() + 20000000000ull;
	while (greeted < open_n && now_ns() < until) {
		struct epoll_event ev[256];
		int k = epoll_wait(ep, ev, 256, 200);
		for (int j = 0; j < k; j++) {
			int i = (int)ev[j].data.u32;
			uint8_t g[TW_CTL_GREETING_LEN];
			ssize_t r = recv(fd[i], g, sizeof(g), 0);
			if (r == TW_CTL_GREETING_LEN && !seen[i]) {
				seen[i] = 1;
				greeted++;
				if (g[12] | g[13] | g[14] | g[15])
					real++;
			} else if (r <= 0 && !seen[i]) {
				seen[i] = 1;
				greeted++;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, fd[i], NULL);
		}
	}
	printf("HELD %d real %d\n", open_n, real);
	fflush(stdout);
	for (;;) {
		sleep(1);
		if (slow)
			for (int i = 0; i < n; i++)
				if (fd[i] >= 0 && send(fd[i], "", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
				    errno != EAGAIN) {
					close(fd[i]);
					fd[i] = -1;
				}
	}
}

/* ---- setups ----------------------------------------------------------------------- */

struct flight {
	int fd;
	int step; /* 0 greeting, 1 server-start, 2 accept-session */
	size_t got;
	uint8_t buf[64];
	uint64_t t0;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int setups(const char *src, const char *dst, int port, double rate, double secs)
{
	struct flight f[MAX_FLIGHT];
	size_t cap = (size_t)(rate * secs) + 16, n_lat = 0;
	uint64_t *lat = malloc(cap * sizeof(*lat));
	int ep = epoll_create1(EPOLL_CLOEXEC), in_flight = 0;
	unsigned failed = 0, started = 0, skipped = 0;
	uint8_t setup[TW_CTL_SETUP_RESPONSE_LEN] = {0, 0, 0, 1}; /* Mode 1, open */
	struct tw_ctl_request_tw_session rq = {0};
	uint8_t req[TW_CTL_REQUEST_TW_SESSION_LEN];
	struct rusage ru0, ru1;

	if (!lat || ep < 0)
		return 1;
	rq.sender_addr.ipvn = rq.receiver_addr.ipvn = 4;
	rq.sender_port = 9000;
	rq.receiver_port = 0;
	rq.timeout = 2ull << 32;
	if (tw_ctl_request_tw_session_encode(&rq, req, sizeof(req), NULL) != TW_OK)
		return 1;
	for (int i = 0; i < MAX_FLIGHT; i++)
		f[i].fd = -1;
	getrusage(RUSAGE_SELF, &ru0);
	uint64_t t_start = now_ns(), t_end = t_start + (uint64_t)(secs * 1e9);
	uint64_t gap = (uint64_t)(1e9 / rate), next = t_start;
	while (now_ns() < t_end || in_flight) {
		uint64_t t = now_ns();
		while (t < t_end && next <= t) {
			next += gap;
			int slot = -1;
			for (int i = 0; i < MAX_FLIGHT; i++)
				if (f[i].fd < 0) {
					slot = i;
					break;
				}
			if (slot < 0) {
				skipped++; /* generator or server saturated: counted */
				continue;
			}
			char a[INET_ADDRSTRLEN + 8];
			snprintf(a, sizeof(a), "%s.%u", src, 1 + started % 250);
			int fd = dial(a, dst, port);
			if (fd < 0) {
				failed++;
				continue;
			}
			f[slot] = (struct flight){.fd = fd, .t0 = now_ns()};
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)slot};
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			in_flight++;
			started++;
		}
		struct epoll_event ev[64];
		int wait_ms = t < t_end ? (int)((next > t ? next - t : 0) / 1000000u) : 100;
		int k = epoll_wait(ep, ev, 64, wait_ms);
		if (k == 0 && t >= t_end + 5000000000ull)
			break; /* stragglers after 5 s: counted as failed below */
		for (int j = 0; j < k; j++) {
			struct flight *x = &f[ev[j].data.u32];
			size_t want = x->step == 0 ? TW_CTL_GREETING_LEN : TW_CTL_SERVER_START_LEN;
			ssize_t r = recv(x->fd, x->buf + x->got, want - x->got, 0);
			bool bad = r <= 0 && !(r < 0 && errno == EAGAIN);
			if (r > 0)
				x->got += (size_t)r;
			if (!bad && x->got == want) {
				x->got = 0;
				if (x->step == 0) {
					bad = !(x->buf[12] | x->buf[13] | x->buf[14] | x->buf[15]) ||
					      send(x->fd, setup, sizeof(setup), MSG_NOSIGNAL) !=
					          (ssize_t)sizeof(setup);
				} else if (x->step == 1) {
					bad = x->buf[15] != 0 ||
					      send(x->fd, req, sizeof(req), MSG_NOSIGNAL) !=
					          (ssize_t)sizeof(req);
				} else {
					if (x->buf[0] == 0 && n_lat < cap)
						lat[n_lat++] = now_ns() - x->t0;
					else
						failed++;
					close(x->fd);
					x->fd = -1;
					in_flight--;
					continue;
				}
				x->step++;
			}
			if (bad) {
				failed++;
				close(x->fd);
				x->fd = -1;
				in_flight--;
			}
		}
	}
	for (int i = 0; i < MAX_FLIGHT; i++)
		if (f[i].fd >= 0) {
			failed++;
			close(f[i].fd);
		}
	double wall = (double)(now_ns() - t_start) / 1e9;
	getrusage(RUSAGE_SELF, &ru1);
	double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec -
	                      ru0.ru_stime.tv_sec) +
	             (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec -
	                      ru0.ru_stime.tv_usec) /
	                 1e6;
	qsort(lat, n_lat, sizeof(*lat), cmp_u64);
#define PCT(p) (n_lat ? (double)lat[(size_t)((double)(n_lat - 1) * (p))] / 1e6 : 0.0)
	printf("SETUPS ok %zu failed %u skipped %u started %u rate %.0f/s p50 %.2f p90 %.2f "
	       "p99 %.2f max %.2f ms generator-cpu %.0f%%\n",
	       n_lat, failed, skipped, started, (double)n_lat / (secs < wall ? secs : wall),
	       PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0), 100.0 * cpu / wall);
	return failed ? 2 : 0;
}

int main(int argc, char **argv)
{
	raise_nofile();
	if (argc == 7 && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]),
		            !strcmp(argv[6], "slow"));
	if (argc == 7 && !strcmp(argv[1], "setups"))
		return setups(argv[2], argv[3], atoi(argv[4]), atof(argv[5]), atof(argv[6]));
	fprintf(stderr, "usage: twh-bench-control hold SRC DST PORT N idle|slow\n"
	                "       twh-bench-control setups SRC DST PORT RATE SECONDS\n");
	return 1;
}
