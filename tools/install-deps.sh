#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what building and testing twinhop needs on Debian 12, and reserve
# hugepages for the DPDK fast path.  Idempotent; cheap when all is present.
set -eu
pkgs=(build-essential meson ninja-build pkg-config libssl-dev libcunit1-dev
      dpdk dpdk-dev libdpdk-dev iproute2 tshark python3 iputils-ping
      libclang-rt-14-dev clang procps kmod libseccomp-dev iptables python3-jsonschema python3-prometheus-client valgrind groff-base man-db systemd
      prometheus)
missing=()
for p in "${pkgs[@]}"; do
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
if [ -w /proc/sys/vm/nr_hugepages ]; then
	have=$(cat /proc/sys/vm/nr_hugepages)
	[ "$have" -ge 1024 ] || echo 1024 > /proc/sys/vm/nr_hugepages || true
	mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages || true; }
fi
