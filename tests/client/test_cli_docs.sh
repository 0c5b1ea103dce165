#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Documentation of the twinhop CLI: docs/man/twinhop.1 formats without a
# warning (groff -man -ww -z), and every subcommand and long option that
# `twinhop --help` lists appears in the man page and in docs/client.md.
set -u
. "$(dirname "$0")/lib.sh"
MAN=$TW_SRC/docs/man/twinhop.1
DOC=$TW_SRC/docs/client.md
if command -v groff >/dev/null; then
	groff -man -ww -z "$MAN" >"$TMP/g" 2>&1 && [ ! -s "$TMP/g" ] && ok "groff -man -ww -z: no warning" ||
		ko "groff warnings" "$TMP/g"
else
	echo "groff not installed: man page formatting not checked"
fi
"$TWINHOP" --help >"$TMP/help"
# The man page escapes '-' as '\-'.
sed 's/\\-/-/g; s/\\(dq/"/g' "$MAN" >"$TMP/man.txt"
missing=""
for o in $(grep -oE -- '--[a-z][a-z0-9-]+' "$TMP/help" | sort -u); do
	grep -q -- "$o" "$TMP/man.txt" || missing="$missing man:$o"
	grep -q -- "$o" "$DOC" || missing="$missing doc:$o"
done
for c in measure light-send bench status sessions counters "light add" "light del" "sender add" \
	"sender start" watch admin; do
	grep -q -- "$c" "$TMP/man.txt" || missing="$missing man:$c"
	grep -q -- "$c" "$DOC" || missing="$missing doc:$c"
done
[ -z "$missing" ] && ok "every subcommand and option documented" || { echo "$missing" >"$TMP/miss"; ko "undocumented" "$TMP/miss"; }
finish client_cli_docs
