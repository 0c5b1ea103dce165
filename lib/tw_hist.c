/* SPDX-License-Identifier: BSD-3-Clause */
/* placeholder until the module lands */
