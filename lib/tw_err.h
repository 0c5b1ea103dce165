/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_err: the one list of reasons a codec, crypto or IPC call can fail.
 *
 * Every decoder returns one of these so that callers can both print it and
 * count it: the same X-macro yields the enum, the names and the count, so a
 * counter array indexed by enum tw_err never drifts from the names.
 */
#ifndef TW_ERR_H
#define TW_ERR_H

#define TW_ERR_LIST(X)                                                                 \
	X(OK, "ok")                                                                    \
	X(TRUNCATED, "message shorter than its fixed layout")                          \
	X(LENGTH, "length field or datagram size inconsistent")                        \
	X(NOT_BLOCK, "length not a multiple of 16 octets")                             \
	X(FIELD, "field holds a value the protocol forbids")                           \
	X(COMMAND, "unexpected or unknown command number")                             \
	X(MODE, "mode not offered or not exactly one of 1/2/4/8")                      \
	X(IPVN, "IP version not 4 or 6")                                               \
	X(TYPEP, "Type-P descriptor not a plain DSCP")                                 \
	X(ACCEPT, "Accept value outside 0..5")                                         \
	X(ERREST, "error estimate multiplier is zero")                                 \
	X(TLV_LENGTH, "TLV length overruns the packet")                                \
	X(TLV_END, "no more TLVs")                                                     \
	X(HMAC, "HMAC verification failed")                                            \
	X(CHALLENGE, "token does not contain the challenge")                           \
	X(CRYPTO, "cryptographic library error")                                       \
	X(NOSPACE, "output buffer too small")                                          \
	X(ARG, "invalid argument")                                                     \
	X(VERSION, "IPC contract version mismatch")                                    \
	X(FULL, "ring full")                                                           \
	X(EMPTY, "ring empty")                                                         \
	X(SYS, "system call failed (see errno)")

enum tw_err {
#define TW_ERR_ENUM(n, s) TW_E_##n,
	TW_ERR_LIST(TW_ERR_ENUM)
#undef TW_ERR_ENUM
	TW_E__COUNT
};

#define TW_OK TW_E_OK

/* Human-readable description; never NULL. */
const char *tw_strerror(enum tw_err e);
/* Short stable identifier ("TRUNCATED"), for counter and JSON names. */
const char *tw_errname(enum tw_err e);

#endif
