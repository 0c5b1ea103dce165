/* SPDX-License-Identifier: BSD-3-Clause */
#include "tw_err.h"

static const char *const descr[] = {
#define TW_ERR_DESCR(n, s) [TW_E_##n] = s,
	TW_ERR_LIST(TW_ERR_DESCR)
#undef TW_ERR_DESCR
};

static const char *const names[] = {
#define TW_ERR_NAME(n, s) [TW_E_##n] = #n,
	TW_ERR_LIST(TW_ERR_NAME)
#undef TW_ERR_NAME
};

const char *tw_strerror(enum tw_err e)
{
	if ((unsigned)e >= TW_E__COUNT)
		return "unknown error";
	return descr[e];
}

const char *tw_errname(enum tw_err e)
{
	if ((unsigned)e >= TW_E__COUNT)
		return "UNKNOWN";
	return names[e];
}
