/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_mem: memory the lcore loop uses, populated before the loop runs.
 *
 * The loop never enters the kernel (docs/fastpath.md, "No system call, no
 * page fault"), and a page fault is an entry like a system call.
 * rte_zmalloc() does not write memory it knows to be clean, and without
 * hugepages (--no-huge: benchmarks, tests, small machines) EAL memory is
 * anonymous memory the kernel maps on first touch, so each 4 KiB page of a
 * session table or sender window trapped into the kernel the first time a
 * packet touched it.  At 1 Mpps that was ~3,800 faults a second, and it
 * made the Session-Sender's schedule error p99 0.33 ms where a bare TSC
 * loop on the same CPU saw 15 us (docs/performance.md).  With hugepages
 * EAL faults its pages in at allocation, and the extra write costs only
 * the time of a memset at start.
 */
#ifndef FP_MEM_H
#define FP_MEM_H

#include <stddef.h>
#include <string.h>

#include <rte_malloc.h>

/* rte_zmalloc_socket(), with every octet written once. */
static inline void *fp_zalloc(const char *name, size_t size, unsigned align, int socket)
{
	void *p = rte_zmalloc_socket(name, size, align, socket);
	if (p)
		memset(p, 0, size);
	return p;
}

#endif
