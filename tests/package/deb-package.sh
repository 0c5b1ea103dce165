#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The Debian packages (debian/): build them with `dpkg-buildpackage -us -uc`
# from a copy of the source tree, lintian without errors, install them,
# check the system user, the conffile and `twinhopd -n` on it, then remove
# and purge cleanly.  Needs root; refuses to run when a twinhop package is
# already installed (it would replace it).  The build is most of the time
# (about 3 minutes on 2 cores): suite 'package', run once by tools/check.sh.
# Prints TWRESULT deb-package <passed> <failed>.
set -u
NAME=deb-package
SRC=${TW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# ok, nok, expect, need, must, finish
source "$(dirname "$0")/../common.sh"
TMP=$(mktemp -d /tmp/twh-deb.XXXXXX)
installed=()
cleanup() {
	[ ${#installed[@]} -gt 0 ] && dpkg --purge "${installed[@]}" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ "$(id -u)" = 0 ] || { nok "needs root"; finish; }
for p in twinhop twinhop-fp; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
		nok "package $p is already installed: not replacing it"
		finish
	fi
done

if [ -n "${TW_DEB_DIR:-}" ]; then
	# packages built before (by hand, or by an earlier run with KEEP_DEBS)
	cp "$TW_DEB_DIR"/*.deb "$TW_DEB_DIR"/*.buildinfo "$TW_DEB_DIR"/*.changes "$TMP"/ ||
		{ nok "no packages in TW_DEB_DIR=$TW_DEB_DIR"; finish; }
	ok "packages from $TW_DEB_DIR"
else
# A copy of the tracked source (plus debian/): the build writes next to it.
mkdir "$TMP/src"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$TMP/src" 2>/dev/null)
else
	cp -r "$SRC"/. "$TMP/src"
	rm -rf "$TMP/src/build"
fi
expect "source copied with debian/" test -f "$TMP/src/debian/control"

t0=$(date +%s)
if (cd "$TMP/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b >"$TMP/build.log" 2>&1); then
	ok "dpkg-buildpackage -us -uc ($(($(date +%s) - t0)) s)"
else
	nok "dpkg-buildpackage -us -uc"
	tail -n 40 "$TMP/build.log"
	finish
fi
fi
debs=("$TMP"/twinhop_0*.deb "$TMP"/twinhop-fp_0*.deb)
expect "two binary packages" test -f "${debs[0]}" -a -f "${debs[1]}"

# lintian: no errors (warnings are shown, not failed); exit 1 = errors,
# 2 = lintian itself failed
lintian --fail-on error --tag-display-limit 0 "$TMP"/*.changes >"$TMP/lintian.log" 2>&1
lrc=$?
if [ $lrc = 0 ] && ! grep -q '^E:' "$TMP/lintian.log"; then
	ok "lintian: no errors ($(grep -c '^W:' "$TMP/lintian.log") warnings)"
else
	nok "lintian: exit $lrc"
	cat "$TMP/lintian.log"
fi
grep '^W:' "$TMP/lintian.log" | head -20

# the contents
c=$(dpkg-deb -c "${debs[0]}")
for f in ./usr/sbin/twinhopd ./usr/bin/twinhop ./usr/share/man/man8/twinhopd.8.gz \
	./usr/share/man/man5/twinhopd.conf.5.gz ./lib/systemd/system/twinhopd.service \
	./etc/twinhop/twinhopd.conf ./usr/share/twinhop/prometheus/twinhop.rules.yml \
	./usr/share/twinhop/grafana/twinhop-dashboard.json \
	./usr/share/twinhop/yang/ietf-twamp@2021-11-17.yang; do
	expect "twinhop contains $f" grep -q " $f\$" <<<"$c"
done
c=$(dpkg-deb -c "${debs[1]}")
for f in ./usr/bin/twinhop-fp ./usr/share/man/man8/twinhop-fp.8.gz \
	./lib/systemd/system/twinhop-fp@.service ./usr/share/twinhop/drivers-config/net_memif.conf; do
	expect "twinhop-fp contains $f" grep -q " $f\$" <<<"$c"
done
expect "the configuration is a conffile" \
	sh -c "dpkg-deb -e '${debs[0]}' '$TMP/ctl' && grep -qx /etc/twinhop/twinhopd.conf '$TMP/ctl/conffiles'"

# install (apt resolves the run-time dependencies from the archive)
installed=(twinhop twinhop-fp)
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"${debs[@]}" >"$TMP/install.log" 2>&1; then
	ok "apt-get install of both packages"
else
	nok "apt-get install"
	tail -n 20 "$TMP/install.log"
fi
expect "system user twinhop created" sh -c 'getent passwd twinhop | grep -q ":/nonexistent:/usr/sbin/nologin$"'
expect "conffile root:twinhop 0640" \
	sh -c '[ "$(stat -c %U:%G:%a /etc/twinhop/twinhopd.conf)" = root:twinhop:640 ]'
expect "the conffile runs as user twinhop" grep -qx 'user twinhop' /etc/twinhop/twinhopd.conf
if /usr/sbin/twinhopd -n -f /etc/twinhop/twinhopd.conf >"$TMP/n.log" 2>&1; then
	ok "twinhopd -n on the installed conffile"
else
	nok "twinhopd -n on the installed conffile"
	cat "$TMP/n.log"
fi
expect "twinhop --help runs" sh -c '/usr/bin/twinhop --help >/dev/null 2>&1'
# The installed CLI finds the installed YANG module (it then fails only for
# want of a twinhopd to talk to).
expect "twinhop config finds the installed ietf-twamp module" sh -c \
	'unset TWINHOP_YANG_DIR; /usr/bin/twinhop config export --admin /nonexistent 2>&1 | grep -q "cannot connect"'
expect "twinhop-fp links its DPDK libraries" sh -c '! ldd /usr/bin/twinhop-fp | grep -q "not found"'
expect "man twinhopd.conf" sh -c 'man -w twinhopd.conf >/dev/null'

# remove: the conffile stays; purge: nothing of ours stays
dpkg --remove twinhop twinhop-fp >"$TMP/remove.log" 2>&1
expect "dpkg --remove" test $? = 0
expect "binaries gone after remove" test ! -e /usr/sbin/twinhopd -a ! -e /usr/bin/twinhop-fp
expect "conffile kept after remove" test -f /etc/twinhop/twinhopd.conf
dpkg --purge twinhop twinhop-fp >"$TMP/purge.log" 2>&1
expect "dpkg --purge" test $? = 0
installed=()
expect "/etc/twinhop gone after purge" test ! -e /etc/twinhop
expect "/usr/share/twinhop gone after purge" test ! -e /usr/share/twinhop
expect "no package state left" sh -c '! dpkg-query -W twinhop twinhop-fp >/dev/null 2>&1'
finish
