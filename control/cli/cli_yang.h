/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_yang: `twinhop config import FILE` and `twinhop config export`: the
 * TWAMP configuration of the ietf-twamp YANG module (RFC 8913) in RFC 7951
 * JSON.  libyang (Debian libyang2) parses and validates the document; this
 * module only maps the validated tree onto twinhopd's admin commands
 * (config-set, sender-add, show-sessions, config-get) and back.  The
 * mapping, and what is refused, is docs/yang.md.
 */
#ifndef CLI_YANG_H
#define CLI_YANG_H

/* argv[0] is "config"; returns the exit status (0, 1 failure, 2 usage). */
int cli_config(int argc, char **argv, const char *admin_path);

#endif
