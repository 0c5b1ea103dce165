/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_sandbox: twinhopd's seccomp allow-list, loaded after privileges are
 * dropped (OpenSSH's sandbox-seccomp-filter is the model).  Every system
 * call the event loop, OpenSSL, syslog and the ring re-attach need, and
 * where libseccomp can compare arguments, only the arguments they use:
 * sockets of the three families we speak, signals to ourselves (and
 * signal 0, the liveness probe, to anyone), no
 * executable mappings, read-only resource limits, the fcntl commands of
 * non-blocking I/O.  Anything else fails with EPERM instead of killing the
 * daemon, so a forgotten call shows up as a logged error (switch `seccomp
 * no` to debug, docs/control.md).  Imports nothing of the daemon.
 */
#ifndef CTL_SANDBOX_H
#define CTL_SANDBOX_H

#include <stdbool.h>

/* Whether this build has libseccomp (otherwise ctl_sandbox_load fails). */
bool ctl_sandbox_available(void);
/* Load the filter into this process (after PR_SET_NO_NEW_PRIVS); 0 or -1. */
int ctl_sandbox_load(void);

#endif
