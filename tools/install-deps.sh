#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what building and testing twinhop needs on Debian 12, and reserve
# hugepages for the DPDK fast path.  Idempotent; cheap when all is present.
set -eu
# Libraries and build tools (no command of their own that a test runs).
pkgs=(build-essential pkg-config libssl-dev libcunit1-dev dpdk libdpdk-dev libipsec-mb-dev
      libclang-rt-14-dev clang kmod libseccomp-dev python3-jsonschema
      python3-prometheus-client libjansson-dev debhelper fakeroot libyang2-dev
      python3-selenium python3-cryptography)
# "command package" pairs, one a line: every external command that a script
# under tests/ or tools/ runs.  tools/check-deps.py (test "deps") fails when a
# script runs a command missing from this table, or when a command of it is
# not installed.
cmds=(
	apt-get                apt
	awk                    mawk
	bash                   bash
	sh                     dash
	bc                     bc
	debconf-set-selections debconf
	dpkg-query             dpkg
	cat                    coreutils
	chromium               chromium
	chromedriver           chromium-driver
	chmod                  coreutils
	cp                     coreutils
	cut                    coreutils
	date                   coreutils
	dirname                coreutils
	fold                   coreutils
	head                   coreutils
	id                     coreutils
	ls                     coreutils
	mkdir                  coreutils
	mktemp                 coreutils
	nproc                  coreutils
	od                     coreutils
	rm                     coreutils
	seq                    coreutils
	sleep                  coreutils
	sort                   coreutils
	tail                   coreutils
	tee                    coreutils
	timeout                coreutils
	tr                     coreutils
	wc                     coreutils
	basename               coreutils
	mkfifo                 coreutils
	stdbuf                 coreutils
	uname                  coreutils
	git                    git
	tar                    tar
	dpdk-testpmd           dpdk-dev
	ethtool                ethtool
	grep                   grep
	sed                    sed
	groff                  groff-base
	man                    man-db
	ip                     iproute2
	ss                     iproute2
	tc                     iproute2
	iptables               iptables
	ip6tables              iptables
	ldd                    libc-bin
	getent                 libc-bin
	dpkg                   dpkg
	dpkg-deb               dpkg
	dpkg-buildpackage      dpkg-dev
	lintian                lintian
	xargs                  findutils
	stat                   coreutils
	meson                  meson
	ninja                  ninja-build
	mount                  mount
	mountpoint             util-linux
	lscpu                  util-linux
	taskset                util-linux
	perf                   linux-perf
	ping                   iputils-ping
	ps                     procps
	prometheus             prometheus
	promtool               prometheus
	python3                python3
	shfmt                  shfmt
	sysctl                 procps
	systemd-analyze        systemd
	tmux                   tmux
	tshark                 tshark
	valgrind               valgrind
	yanglint               libyang2-tools
)
for ((i = 1; i < ${#cmds[@]}; i += 2)); do pkgs+=("${cmds[i]}"); done
missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; answer no, quietly.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Hugepages: 2 MiB pages for the fast-path processes (each uses up to 256 MiB).
# The tests run with --no-huge, so a machine that refuses gets a warning, not
# a failure; tools/demo.sh checks for itself.
if [ -w /proc/sys/vm/nr_hugepages ]; then
	have=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$have" -lt 1024 ] && ! echo 1024 >/proc/sys/vm/nr_hugepages; then
		echo "install-deps: warning: could not reserve 1024 hugepages (have $have)" >&2
	fi
	if ! mountpoint -q /dev/hugepages; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages ||
			echo "install-deps: warning: could not mount hugetlbfs on /dev/hugepages" >&2
	fi
fi
