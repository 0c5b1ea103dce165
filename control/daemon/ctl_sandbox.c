/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#ifdef HAVE_SECCOMP
bool ctl_sandbox_available(void)
{
	return true;
}

/* One rule: allow syscall `name` when the comparisons hold (none: always). */
static int allow(scmp_filter_ctx ctx, const char *name, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a call of this architecture */
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
}

int ctl_sandbox_load(void)
{
	static const char *const plain[] = {
	    "read",
	    "write",
	    "readv",
	    "writev",
	    "recvfrom",
	    "sendto",
	    "recvmsg",
	    "sendmsg",
	    "accept",
	    "accept4",
	    "close",
	    "shutdown",
	    "epoll_wait",
	    "epoll_pwait",
	    "epoll_pwait2",
	    "epoll_ctl",
	    "clock_gettime",
	    "clock_nanosleep",
	    "nanosleep",
	    "gettimeofday",
	    "getpid",
	    "gettid",
	    "getuid",
	    "geteuid",
	    "getgid",
	    "getegid",
	    "munmap",
	    "mremap",
	    "brk",
	    "madvise",
	    "openat",
	    "open",
	    "fstat",
	    "newfstatat",
	    "statx",
	    "lseek",
	    "getsockopt",
	    "setsockopt",
	    "getsockname",
	    "getpeername",
	    "connect",
	    "exit",
	    "exit_group",
	    "rt_sigreturn",
	    "rt_sigaction",
	    "rt_sigprocmask",
	    "sigaltstack",
	    "getrandom",
	    "futex",
	    "sched_yield",
	    "restart_syscall",
	    "uname",
	    "ioctl",
	    "sysinfo",
	    "getrlimit",
	    "pipe2",
	    "dup",
	    "unlink",
	    "umask",
	    "fchmod",
	    "chmod",
	    "access",
	    "faccessat",
	    "faccessat2",
	    "readlink",
	};
	const scmp_datum_t self = (scmp_datum_t)getpid();
	/* Rules with argument checks (several rules for one call are ORed). */
	const struct {
		const char *name;
		struct scmp_arg_cmp cmp;
	} narrow[] = {
	    /* The admin and metrics listeners and the control sockets exist
	     * before the drop; what is created later is syslog's AF_UNIX
	     * socket, and nothing needs raw, packet or netlink sockets. */
	    {"socket", SCMP_A0(SCMP_CMP_EQ, AF_UNIX)},
	    {"socket", SCMP_A0(SCMP_CMP_EQ, AF_INET)},
	    {"socket", SCMP_A0(SCMP_CMP_EQ, AF_INET6)},
	    /* raise()/abort() signal this process only; signal 0 (delivers
	     * nothing) probes whether a pid lives: the ring re-attach asks it
	     * of a region's fast path, the pid file of a running daemon. */
	    {"kill", SCMP_A0(SCMP_CMP_EQ, self)},
	    {"kill", SCMP_A1(SCMP_CMP_EQ, 0)},
	    {"tgkill", SCMP_A0(SCMP_CMP_EQ, self)},
	    /* No executable memory: nothing here loads code after start-up. */
	    {"mmap", SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)},
	    {"mprotect", SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)},
	    /* Descriptor and status flags only (O_NONBLOCK, FD_CLOEXEC). */
	    {"fcntl", SCMP_A1(SCMP_CMP_EQ, F_GETFL)},
	    {"fcntl", SCMP_A1(SCMP_CMP_EQ, F_SETFL)},
	    {"fcntl", SCMP_A1(SCMP_CMP_EQ, F_GETFD)},
	    {"fcntl", SCMP_A1(SCMP_CMP_EQ, F_SETFD)},
	    {"fcntl", SCMP_A1(SCMP_CMP_EQ, F_DUPFD_CLOEXEC)},
	    /* RLIMIT_NOFILE is raised before the drop: read-only after it. */
	    {"prlimit64", SCMP_A2(SCMP_CMP_EQ, 0)},
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int rc = 0;

	if (!ctx)
		return -1;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]) && rc == 0; i++)
		rc = allow(ctx, plain[i], 0, NULL);
	for (size_t i = 0; i < sizeof(narrow) / sizeof(narrow[0]) && rc == 0; i++)
		rc = allow(ctx, narrow[i].name, 1, &narrow[i].cmp);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}
#else
bool ctl_sandbox_available(void)
{
	return false;
}

int ctl_sandbox_load(void)
{
	errno = ENOSYS;
	return -1;
}
#endif
