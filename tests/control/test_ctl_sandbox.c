/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhopd's seccomp allow-list (control/daemon/ctl_sandbox.c), loaded in a
 * forked child so the test program itself stays unfiltered: the calls the
 * daemon makes still work, the argument rules refuse the rest with EPERM
 * (issue 8 §7, "narrowed to the arguments actually used").  The child
 * reports one bit per probe through its exit status.
 */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_sandbox.h"
#include "tw_unit.h"

enum {
	P_LOAD = 1 << 0,      /* the filter loaded */
	P_INET = 1 << 1,      /* socket(AF_INET6) works */
	P_UNIX = 1 << 2,      /* socket(AF_UNIX) works (syslog) */
	P_PACKET = 1 << 3,    /* socket(AF_PACKET) refused with EPERM */
	P_NETLINK = 1 << 4,   /* socket(AF_NETLINK) refused with EPERM */
	P_EXEC = 1 << 5,      /* mmap(PROT_EXEC) refused with EPERM */
	P_MPROT = 1 << 6,     /* mprotect(PROT_EXEC) refused, PROT_READ works */
	P_NONBLOCK = 1 << 7,  /* fcntl F_GETFL/F_SETFL work */
	P_SETOWN = 1 << 8,    /* fcntl F_SETOWN refused */
	P_KILLOTHER = 1 << 9, /* kill(parent, SIGCONT) refused, kill(parent, 0) works */
	P_SETRLIM = 1 << 10,  /* setrlimit refused, getrlimit works */
	P_EXECVE = 1 << 11,   /* execve refused with EPERM */
	P_CONNECT = 1 << 12,  /* non-blocking TCP connect + SO_ERROR + getsockname (ctl_cc) */
};

static int eperm(int rc)
{
	return rc < 0 && errno == EPERM;
}

static int probe(void)
{
	int r = 0, fd;

	/* A loopback listener made before the filter, as a TWAMP-Control
	 * server twinhopd's Control-Client (ctl_cc) connects to after it. */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) < 0)
		return 0;
	int ep = epoll_create1(EPOLL_CLOEXEC); /* the daemon's loop exists before too */
	if (ep < 0)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ctl_sandbox_load() < 0)
		return 0;
	r |= P_LOAD;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) >= 0) {
		int c = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		struct epoll_event ev = {.events = EPOLLOUT}, got;
		int e = -1;
		socklen_t el = sizeof(e);
		struct sockaddr_in me;
		socklen_t ml = sizeof(me);
		if ((c == 0 || errno == EINPROGRESS) &&
		    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0 &&
		    epoll_wait(ep, &got, 1, 2000) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0 &&
		    getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
			r |= P_CONNECT;
		close(fd);
	}
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) >= 0) {
		r |= P_INET;
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
			r |= P_NONBLOCK;
		if (eperm(fcntl(fd, F_SETOWN, getpid())))
			r |= P_SETOWN;
		close(fd);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0) {
		r |= P_UNIX;
		close(fd);
	}
	if (eperm(socket(AF_PACKET, SOCK_RAW, 0)))
		r |= P_PACKET;
	if (eperm(socket(AF_NETLINK, SOCK_RAW, 0)))
		r |= P_NETLINK;
	void *x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x == MAP_FAILED && errno == EPERM)
		r |= P_EXEC;
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED && eperm(mprotect(m, 4096, PROT_READ | PROT_EXEC)) &&
	    mprotect(m, 4096, PROT_READ) == 0)
		r |= P_MPROT;
	/* a real signal to another process is refused; signal 0, the liveness
	 * probe of tw_ring_attach, is not (it once was: a dead fast path then
	 * looked alive forever) */
	if (eperm(kill(getppid(), SIGCONT)) && kill(getppid(), 0) == 0)
		r |= P_KILLOTHER;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && eperm(setrlimit(RLIMIT_NOFILE, &rl)))
		r |= P_SETRLIM;
	char *argv[] = {"/bin/true", NULL};
	if (eperm(execve("/bin/true", argv, NULL)))
		r |= P_EXECVE;
	return r;
}

static void test_filter(void)
{
	if (!ctl_sandbox_available()) {
		/* Built without libseccomp: loading must fail, never pretend. */
		CU_ASSERT_EQUAL(ctl_sandbox_load(), -1);
		return;
	}
	int fds[2];
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int r = probe();
		/* write() is on the list; the exit status is too small for 12 bits */
		(void)!write(fds[1], &r, sizeof(r));
		_exit(0);
	}
	close(fds[1]);
	int r = 0;
	CU_ASSERT_EQUAL(read(fds[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(fds[0]);
	int st;
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT(r & P_LOAD);
	CU_ASSERT(r & P_INET);
	CU_ASSERT(r & P_UNIX);
	CU_ASSERT(r & P_PACKET);
	CU_ASSERT(r & P_NETLINK);
	CU_ASSERT(r & P_EXEC);
	CU_ASSERT(r & P_MPROT);
	CU_ASSERT(r & P_NONBLOCK);
	CU_ASSERT(r & P_SETOWN);
	CU_ASSERT(r & P_KILLOTHER);
	CU_ASSERT(r & P_SETRLIM);
	CU_ASSERT(r & P_EXECVE);
	CU_ASSERT(r & P_CONNECT);
}

int main(void)
{
	static const struct tw_unit_case c[] = {
	    {"filter", test_filter},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	tw_unit_suite("sandbox", c);
	return tw_unit_run("ctl_sandbox");
}
