/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_daemon.h"

uint16_t ctl_daemon_port_alloc(struct ctl_daemon *d, uint16_t wanted)
{
	uint16_t lo = d->conf.test_port_min, hi = d->conf.test_port_max;

	/* Honour the requested Receiver Port when it is free and in range
	 * (twampd's _OWPEndpointInit, §2.7), else the first free one. */
	if (wanted >= lo && wanted <= hi && !d->port_used[wanted]) {
		d->port_used[wanted] = 1;
		return wanted;
	}
	for (uint32_t p = lo; p <= hi; p++)
		if (!d->port_used[p]) {
			d->port_used[p] = 1;
			return (uint16_t)p;
		}
	return 0;
}

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
