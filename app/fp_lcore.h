/* SPDX-License-Identifier: BSD-3-Clause */
/* fp_lcore: the lcore loop (l2fwd shape), one per forwarding lcore. */
#ifndef FP_LCORE_H
#define FP_LCORE_H

int fp_lcore_loop(void *arg);

#endif
