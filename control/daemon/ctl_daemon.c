/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_daemon.h"

#include <syslog.h>

#include "ctl_log.h"

void ctl_daemon_port_free(struct ctl_daemon *d, uint16_t port)
{
	d->port_used[port] = 0;
}

uint32_t ctl_daemon_session_id(struct ctl_daemon *d)
{
	if (++d->next_session == 0)
		d->next_session = 1;
	return d->next_session;
}

void ctl_daemon_apply_env(struct ctl_daemon *d)
{
	d->env.pbkdf2_count = d->conf.pbkdf2_count;
	d->env.max_sessions = d->conf.max_sessions_per_connection;
	d->env.servwait_ms = (uint64_t)d->conf.servwait_s * 1000u;
	d->env.setup_ms = (uint64_t)d->conf.setup_timeout_s * 1000u;
	d->env.ended_ms = (uint64_t)d->conf.ended_timeout_s * 1000u;
	d->env.refwait_ms = (uint64_t)d->conf.refwait_s * 1000u;
	d->env.fp_timeout_ms = d->conf.fp_timeout_ms;
	if (d->fp)
		ctl_fp_set_grace(d->fp, d->conf.fp_grace_s * 1000u); /* sent at the next attach */
	ctl_log_set_level(d->debug ? LOG_DEBUG : d->conf.log_level);
}
