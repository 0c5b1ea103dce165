/* SPDX-License-Identifier: BSD-3-Clause */
/* placeholder until the module lands */
#include "tw_unit.h"
int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	return tw_unit_run("ring");
}
