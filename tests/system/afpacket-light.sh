#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# (b) net_af_packet across a veth pair between two namespaces: a
# kernel-socket client in one sends TWAMP Light / STAMP to the fast path in
# the other and checks the replies; ARP (ip neigh), ping and a TCP
# connection to the fast path's address work through the exception path
# (the kernel owns the address on the TAP).
NAME=afpacket-light
. "$(dirname "$0")/lib.sh"
setup_common
need ethtool sysctl ping awk ss python3
mkns NSA fa
mkns NSB fb
VA=twh-va$$; VB=twh-vb$$
must ip link add "$VA" type veth peer name "$VB"
must ip link set "$VA" netns "$NSA"
must ip link set "$VB" netns "$NSB"
# The af_packet interface belongs to the fast path: keep the namespace's
# own stack off it (no IPv6, no addresses), or the kernel would answer
# packets for the TAP's address a second time.
must ip netns exec "$NSA" sysctl -qw net.ipv6.conf."$VA".disable_ipv6=1
must ip netns exec "$NSA" sysctl -qw net.ipv4.conf.all.rp_filter=1
must ip netns exec "$NSA" sysctl -qw net.ipv4.conf."$VA".rp_filter=1
# rp_filter is not enough for connected UDP sockets: IPv4 early demux
# delivers the kernel's own copy from $VA without the route lookup
# (interop bug 2).  EARLY_DEMUX=1 reproduces the bug.
must ip netns exec "$NSA" sysctl -qw net.ipv4.ip_early_demux="${EARLY_DEMUX:-0}"
must ip -n "$NSA" link set "$VA" up
must ip -n "$NSB" addr add 10.88.0.2/24 dev "$VB"
must ip -n "$NSB" addr add fd00:88::2/64 dev "$VB" nodad
must ip -n "$NSB" link set "$VB" up
# Offloads off: af_packet must see complete checksums and no GSO frames
# (docs/fastpath.md, "Checksum offload on veth").
must ip netns exec "$NSA" ethtool -K "$VA" tx off rx off gro off
must ip netns exec "$NSB" ethtool -K "$VB" tx off rx off gro off
MAC=$(ip -n "$NSA" -br link show "$VA" | awk '{print $3}')

ip netns exec "$NSA" "$FP" -l 0 --no-huge -m 256 --no-pci --file-prefix twh-ap$$ \
	--log-level=user1,notice -- \
	--profile "$PROFILES/net_af_packet.conf" --pvar iface="$VA" \
	--addr 10.88.0.1/24 --addr fd00:88::1/64 --tap twh-x0 --shm /twh-ap$$ \
	--light-port 862 --light-port 863:stateless --light-port 864:stamp --duration 600 --counters >"$TMP/fp.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q READY "$TMP/fp.log" && break; sleep 0.1; done
expect "fast path started" grep -q READY "$TMP/fp.log"
expect "no start-up warning about the port interface (address, IPv6, early demux)" \
	bash -c "! grep -q '$VA (net_af_packet)' '$TMP/fp.log'"

# The fast path's clock against the kernel's, in its first seconds: the
# backward one-way delay (T4 by the kernel's CLOCK_REALTIME in $NSB minus the
# fast path's T3, same host) cannot be negative beyond the clocks' error.
# Anchored with DPDK's nominal TSC rate the fast path ran ~4 ms ahead until
# its resync slewed the offset away (docs/fastpath.md, timestamps); measured
# over 100 ms at start it is within tens of microseconds.
ip netns exec "$NSB" "$TW_BUILD/control/cli/twinhop" light-send 10.88.0.1:862 --count 100 \
	--interval 0.01 --json >"$TMP/owd.json" 2>"$TMP/owd.err"
bmin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["summary"]["backward_owd"]["min_ns"])' \
	"$TMP/owd.json" 2>>"$TMP/owd.err")
echo "# backward one-way delay min right after start: ${bmin:-?} ns"
expect "fast-path clock within 0.5 ms of CLOCK_REALTIME after start (backward OWD min ${bmin:-?} ns >= -500000)" \
	test -n "$bmin" -a "${bmin:--9999999}" -ge -500000
[ -n "$bmin" ] || sed 's/^/       /' "$TMP/owd.err" | head -5
sleep 0.5

ip netns exec "$NSB" ping -c 3 -i 0.2 -W 2 10.88.0.1 >"$TMP/ping4" 2>&1
expect "ping 10.88.0.1 through the exception path" grep -q " 0% packet loss" "$TMP/ping4"
expect "ping 10.88.0.1: no duplicate replies" bash -c "! grep -q DUP '$TMP/ping4'"
expect "ARP: kernel neighbour 10.88.0.1 is the port MAC $MAC" \
	sh -c "ip -n $NSB neigh show 10.88.0.1 | grep -qi 'lladdr $MAC'"
ip netns exec "$NSB" ping -6 -c 3 -i 0.2 -W 2 fd00:88::1 >"$TMP/ping6" 2>&1
expect "ping fd00:88::1 (ND through the exception path)" grep -q " 0% packet loss" "$TMP/ping6"
expect "ping fd00:88::1: no duplicate replies" bash -c "! grep -q DUP '$TMP/ping6'"
expect "ND: kernel neighbour fd00:88::1 is the port MAC" \
	sh -c "ip -n $NSB -6 neigh show fd00:88::1 | grep -qi 'lladdr $MAC'"

# TCP (the TWAMP-Control path) to a listener on the same address.
ip netns exec "$NSA" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.88.0.1", 862)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.sendall(c.recv(100)[::-1]); c.close()' &
LP=$!
PIDS+=($LP)
# Wait for the listener (a fixed sleep lost the race on a loaded machine).
for _ in $(seq 100); do
	ip netns exec "$NSA" ss -Htln "sport = :862" | grep -q . && break
	sleep 0.1
done
expect "TCP to 10.88.0.1:862 (control port) through the exception path" \
	ip netns exec "$NSB" python3 -c '
import socket, sys
c = socket.create_connection(("10.88.0.1", 862), timeout=5); c.sendall(b"twamp")
sys.exit(0 if c.recv(100) == b"pmawt" else 1)'

# A connected UDP socket in the fast path's namespace (a TWAMP client with
# the socket engine, NTP, DNS) must get exactly one copy of each reply.
ip netns exec "$NSB" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.88.0.2", 7777)); s.settimeout(15)
try:
    while True:
        d, a = s.recvfrom(2048); s.sendto(d, a)
except socket.timeout:
    pass' &
PIDS+=($!)
# bounded wait until the echo socket is bound (a slow start would answer
# the first packets with ICMP port unreachable)
for _ in $(seq 100); do
	ip netns exec "$NSB" ss -Hlun 'sport = :7777' | grep -q . && break
	sleep 0.05
done
expect "UDP echo bound in the fast-path namespace" \
	bash -c "ip netns exec '$NSB' ss -Hlun 'sport = :7777' | grep -q ."
expect "connected UDP socket in the fast-path namespace: one copy of each reply" \
	ip netns exec "$NSA" python3 -c '
import socket, sys, time
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect(("10.88.0.2", 7777))
c.settimeout(0.5)
got = {}
for i in range(20):
    c.send(b"seq%03d" % i)
    end = time.time() + 0.1
    while time.time() < end:   # collect whatever arrives, duplicates included
        try:
            d = c.recv(2048); got[d] = got.get(d, 0) + 1
        except socket.timeout:
            break
c.settimeout(2)  # late replies of a loaded machine, and any duplicate
end = time.time() + 3
while time.time() < end:
    try:
        d = c.recv(2048); got[d] = got.get(d, 0) + 1
    except socket.timeout:
        break
bad = {k: v for k, v in got.items() if v != 1}
print("udp echo: %d distinct replies, copies != 1: %s" % (len(got), bad))
sys.exit(0 if len(got) == 20 and not bad else 1)'

for m in "862 light" "863 light-stateless"; do
	set -- $m
	expect "TWAMP Light $2 (IPv4) replies" ip netns exec "$NSB" python3 \
		"$(dirname "$0")/light_client.py" 10.88.0.1 "$1" "$2" 20
done
expect "TWAMP Light stateless (IPv6) replies" ip netns exec "$NSB" python3 \
	"$(dirname "$0")/light_client.py" fd00:88::1 863 light-stateless 20
# STAMP (RFC 8972) TLVs: values filled by the reflector; the kernel
# verifies every reply's UDP checksum (incremental or full).
expect "STAMP Direct Measurement / Timestamp Information TLVs (IPv4)" ip netns exec "$NSB" \
	python3 "$(dirname "$0")/light_client.py" 10.88.0.1 864 stamp-tlv 20
expect "STAMP Extra Padding TLV (IPv6)" ip netns exec "$NSB" python3 \
	"$(dirname "$0")/light_client.py" fd00:88::1 864 stamp-pad 20
# Spoofed sources (docs/fastpath.md, "Sources that are never answered"):
# hand-built frames from a raw socket; the fast path's own address, its
# directed broadcast, martians and group MACs get no reply and are counted,
# a frame to the broadcast MAC is answered from the port's MAC.
VBMAC=$(ip -n "$NSB" -br link show "$VB" | awk '{print $3}')
ip netns exec "$NSB" python3 "$(dirname "$0")/spoof_client.py" "$VB" "$VBMAC" "$MAC" \
	10.88.0.1 fd00:88::1 862 >"$TMP/spoof.out" 2>&1
sp_rc=$?
cat "$TMP/spoof.out"
expect "spoofed sources and damaged headers: proper ones answered from the port MAC, bad ones never (spoof_client.py)" \
	test "$sp_rc" = 0
sleep 0.3 # counters are published every 100 ms
sp_want=$(awk '/^bad-sources/ {print $2}' "$TMP/spoof.out")
sp_got=$("$TW_BUILD/tools/twinhop-ipc" --shm /twh-ap$$ counters | awk '$1 == "total" && $2 == "DROP_BAD_SOURCE" {print $3}')
expect "DROP_BAD_SOURCE counts every spoofed-source packet (${sp_got:-0} of ${sp_want:-?})" \
	test -n "$sp_want" -a "${sp_got:-0}" = "$sp_want"
hd_want=$(awk '/^bad-headers/ {print $2}' "$TMP/spoof.out")
hd_got=$("$TW_BUILD/tools/twinhop-ipc" --shm /twh-ap$$ counters |
	awk '$1 == "total" && ($2 == "DROP_L3_HDR" || $2 == "DROP_UDP_HDR") {n += $3} END {print n + 0}')
expect "DROP_L3_HDR + DROP_UDP_HDR count the damaged headers ($hd_got of ${hd_want:-?})" \
	test -n "$hd_want" -a "$hd_got" = "$hd_want"

# Checksum offload warning: a second fast path on a veth whose peer it can
# see (same namespace) and whose offloads are left at the veth default (tx
# checksum on) must say so at start-up, naming both ends.
mkns NSW fw
VW=twh-vw$$; VX=twh-vx$$
must ip -n "$NSW" link add "$VW" type veth peer name "$VX"
must ip netns exec "$NSW" sysctl -qw net.ipv6.conf."$VW".disable_ipv6=1
must ip -n "$NSW" link set "$VW" up
must ip -n "$NSW" link set "$VX" up
must ip netns exec "$NSW" ethtool -K "$VW" tx on
must ip netns exec "$NSW" ethtool -K "$VX" tx on
ip netns exec "$NSW" "$FP" -l 0 --no-huge -m 256 --no-pci --file-prefix twh-aw$$ \
	--log-level=user1,notice -- \
	--profile "$PROFILES/net_af_packet.conf" --pvar iface="$VW" \
	--addr 10.89.0.1/24 --tap twh-w0 --light-port 862 --duration 1 >"$TMP/fpw.log" 2>&1
expect "tx checksum offload on the port interface: start-up warning" \
	grep -q "$VW (net_af_packet): tx checksum offload is on" "$TMP/fpw.log"
expect "tx checksum offload on the visible veth peer: start-up warning" \
	grep -q "$VW (net_af_packet): its veth peer $VX has tx checksum offload on" "$TMP/fpw.log"
finish
