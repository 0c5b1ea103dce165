/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_daemon.h"

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
