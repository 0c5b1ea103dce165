# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers for the end-to-end tests (sourced).  Every test prints
# "TWRESULT <name> <passed> <failed>" and exits non-zero on failure.  Each
# check has a name; no check depends on how long something took.
TW_BUILD=${TW_BUILD:-/tmp/b-e2e}
TW_SRC=${TW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# ok, nok, expect, need, must, finish
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
FP=${FP:-$TW_BUILD/app/twinhop-fp}
THD=${THD:-$TW_BUILD/control/daemon/twinhopd}
TWINHOP=${TWINHOP:-$TW_BUILD/control/cli/twinhop}
PROFILES=$TW_SRC/drivers-config
PIDS=()
NETNS=()
SHMS=()
PREFIXES=() # DPDK --file-prefix values (runtime dirs to remove)
TMP=

# nokf NAME FILE: a failure with the first lines of FILE as evidence
nokf() { nok "$1"; [ -f "$2" ] && sed 's/^/       /' "$2" | head -${3:-15}; return 0; }
# The CLI's JSON: either the docs/output.md document ({"start","intervals",
# "end"}) or the older {"target","mode","engine","sessions":[...]} layout.
# PYVIEW makes both look alike: s = the first session's numbers under the
# old flat names, meta = {"mode","engine","target"} (engine None when the
# document does not say).
PYVIEW='
import json, sys
def view(d):
    if "end" not in d:
        s = (d.get("sessions") or [{}])[0]
        return s, {"mode": d.get("mode"), "engine": d.get("engine"), "target": d.get("target")}
    S, P = d["end"]["summary"], d["start"]["session"]
    L = S["loss"]
    s = {"sent": S["sent"], "received": S["received"], "lost": L["round_trip"]["count"],
         "lost_forward": L["forward"]["count"], "lost_backward": L["backward"]["count"],
         "loss_ppm": round((L["round_trip"]["ratio"] or 0) * 1e6), "late": L["late"],
         "dup_forward": S["duplicates"]["forward"], "dup_backward": S["duplicates"]["backward"],
         "reordered_forward": S["reordering"]["forward"]["count"],
         "reordered_backward": S["reordering"]["backward"]["count"],
         "rtt": S["rtt"], "hops_forward": S["hops"]["forward"], "hops_backward": S["hops"]["backward"],
         "dwell_ns": {"n": S["dwell"]["n"], "min": S["dwell"]["min_ns"], "max": S["dwell"]["max_ns"]},
         "sid": P.get("name") or "", "reflector_port": int(P["peer"].rsplit(":", 1)[1]),
         "local_port": int(P["local"].rsplit(":", 1)[1]), "summary": S}
    if "engine" in d:
        s["engine"] = d["engine"]
    return s, {"mode": P.get("mode"), "engine": d.get("engine_name"), "target": P.get("peer")}
'
# check NAME PYEXPR JSONFILE: PYEXPR over d (the document), s and meta
# (PYVIEW) must be true.
check() {
	local name=$1 expr=$2 f=$3 r
	r=$(python3 -c "$PYVIEW"'
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("unparsable JSON: %s" % e); sys.exit(0)
try:
    s, meta = view(d)
    print("True" if eval(sys.argv[2]) else "False")
except Exception as e:
    print("error: %r" % e)' "$f" "$expr" 2>&1)
	if [ "$r" = True ]; then ok "$name"; else nok "$name ($expr -> $r)"; fi
}
# jget FILE EXPR: print a python expression over d / s / meta
jget() {
	python3 -c "$PYVIEW"'
d = json.load(open(sys.argv[1])); s, meta = view(d)
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

cleanup() {
	local p n s
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	for s in "${SHMS[@]}"; do rm -f "/dev/shm/${s#/}"; done
	for s in "${PREFIXES[@]}"; do rm -rf "/var/run/dpdk/$s"; done
	[ -n "$TMP" ] && [ -z "${KEEP:-}" ] && rm -rf "$TMP"
}

setup_common() {
	[ "$(id -u)" = 0 ] || { echo "needs root"; echo "TWRESULT $NAME 0 1"; exit 1; }
	local b
	for b in "$FP" "$THD" "$TWINHOP"; do
		[ -x "$b" ] || { echo "not built: $b"; echo "TWRESULT $NAME 0 1"; exit 1; }
	done
	need ip python3
	TMP=$(mktemp -d /tmp/twh-$NAME.XXXXXX)
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# mkns VAR tag: a unique namespace, deleted at exit
mkns() {
	local n="twh-$2-$$"
	must ip netns add "$n"
	NETNS+=("$n")
	must ip -n "$n" link set lo up
	printf -v "$1" '%s' "$n"
}

# wait_for FILE PATTERN [TRIES]: poll a log for a line (bounded, not a check)
wait_for() {
	local i
	for i in $(seq "${3:-150}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# tshark_ready ERRFILE PCAP NS DST: true once the tshark writing PCAP records
# packets.  Its "Capturing on" line is not enough: on a loaded machine the
# first packets after it can be missed (a CI run under load 15 lost a whole
# control exchange and 8 test packets).  So send UDP probes from NS to
# DST port 9 (discard) until the pcap holds one; dumpcap writes each packet
# through, so the file shows it at once.  Give DST as the subnet's
# broadcast address: nobody answers a broadcast (no ICMP error to show up
# in the decode checks).  The probes need a capture filter that takes UDP;
# checks that count test packets select them by port.
tshark_ready() {
	local err=$1 pcap=$2 ns=$3 dst=$4 i
	wait_for "$err" "Capturing on" 200 || return 1
	for i in $(seq 50); do
		ip netns exec "$ns" python3 -c 'import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
if ":" not in a:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.sendto(b"twinhop capture probe", (a, 9))' "$dst" || return 1
		[ -n "$(tshark -r "$pcap" -c 1 2>/dev/null)" ] && return 0
		sleep 0.2
	done
	return 1
}

# wait_addr NS ADDR: until ADDR is configured and usable (IPv6: not tentative)
wait_addr() {
	local i
	for i in $(seq 100); do
		ip -n "$1" addr show 2>/dev/null | grep -w "$2" | grep -qv tentative && return 0
		sleep 0.1
	done
	return 1
}

# wait_listen NS PORT: until a TCP listener on PORT exists in NS
# attached SOCK: twinhopd behind admin socket SOCK reports its fast path
# attached, waiting up to 5 s for it.
attached() {
	local i
	for i in $(seq 50); do
		"$TWINHOP" status --json --admin "$1" 2>/dev/null | grep -q '"attached":true' && return 0
		sleep 0.1
	done
	return 1
}

wait_listen() {
	local i
	for i in $(seq 100); do
		ip netns exec "$1" ss -Htln "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# The key file used by both sides: KeyID alice, secret "testsecret".
write_pfs() { printf 'alice\t%s\n' "$(printf testsecret | od -An -tx1 | tr -d ' \n')" >"$1"; }

# thd_conf FILE SHM ADMIN LISTEN... : a twinhopd configuration
thd_conf() {
	local f=$1 shm=$2 admin=$3 l
	shift 3
	{
		for l in "$@"; do echo "listen $l 862"; done
		echo "modes open authenticated encrypted mixed"
		echo "keyfile $TMP/pfs"
		echo "pbkdf2-count 1024"
		echo "test-ports ${TEST_PORTS:-20000-20031}"
		echo "fp-region $shm"
		echo "fp-timeout 3000"
		echo "servwait 60"
		echo "refwait 60"
		echo "admin-socket $admin"
		echo "log-level info"
		# directives a test adds (one a line)
		if [ -n "${THD_EXTRA:-}" ]; then printf '%s\n' "$THD_EXTRA"; fi
	} >"$f"
}

# memif_pair N TAG: two fast paths joined by memif, each in its own
# namespace: R (NSR, memif server, lcore 0, region SHMR) with 10.N.0.1/24
# and fd00:N::1/64 on TAP twh-r0, and S (NSS, memif client, lcore 1, region
# SHMS_) with .2 on twh-s0; logs $TMP/fp-r.log and fp-s.log.  TAG makes the
# regions and EAL file prefixes of this run unique.  Sets NSR NSS SHMR SHMS_
# SOCK EAL and writes the key file $TMP/pfs.  FP_R_EXTRA / FP_S_EXTRA: more
# twinhop-fp options for R / S (e.g. --member-link-id N), FP_R_EAL /
# FP_S_EAL more EAL options (e.g. a second --vdev), none by default;
# FP_S_LCORES / FP_R_LCORES: S's / R's EAL lcore option instead of "-l 1" /
# "-l 0" (e.g. split mode).
memif_pair() {
	local n=$1 tag=$2
	mkns NSR r
	mkns NSS s
	SHMR=/twh-${tag}r-$$
	SHMS_=/twh-${tag}s-$$
	SHMS+=("$SHMR" "$SHMS_")
	PREFIXES+=("twh-${tag}r$$" "twh-${tag}s$$")
	SOCK=$TMP/memif.sock
	write_pfs "$TMP/pfs"
	EAL="--no-huge -m 256 --no-pci --log-level=user1,notice"
	ip netns exec "$NSR" "$FP" ${FP_R_LCORES:--l 0} $EAL ${FP_R_EAL:-} --file-prefix "twh-${tag}r$$" -- \
		--profile "$PROFILES/net_memif.conf" --pvar role=server --pvar id=0 --pvar socket="$SOCK" \
		--shm "$SHMR" --addr 10.$n.0.1/24 --addr fd00:$n::1/64 --tap twh-r0 --counters \
		${FP_R_EXTRA:-} >"$TMP/fp-r.log" 2>&1 &
	PIDS+=($!)
	wait_for "$TMP/fp-r.log" READY
	ip netns exec "$NSS" "$FP" ${FP_S_LCORES:--l 1} $EAL ${FP_S_EAL:-} --file-prefix "twh-${tag}s$$" -- \
		--profile "$PROFILES/net_memif.conf" --pvar role=client --pvar id=0 --pvar socket="$SOCK" \
		--shm "$SHMS_" --addr 10.$n.0.2/24 --addr fd00:$n::2/64 --tap twh-s0 --counters \
		${FP_S_EXTRA:-} >"$TMP/fp-s.log" 2>&1 &
	PIDS+=($!)
	wait_for "$TMP/fp-s.log" READY
	expect "fast path R (reflector, memif server) started" grep -q READY "$TMP/fp-r.log"
	expect "fast path S (sender, memif client) started" grep -q READY "$TMP/fp-s.log"
	wait_addr "$NSR" fd00:$n::1/64
	wait_addr "$NSS" fd00:$n::2/64
}

# afpacket_net N: the namespaces and veth of topo_afpacket, nothing started.
# Namespace R gets the af_packet end ($VR, no address), namespace C its peer
# ($VC) with 10.N.0.2/24 and fd00:N::2/64.  Sets NSR NSC VR VC SHM.
afpacket_net() {
	local N=$1
	mkns NSR r
	mkns NSC c
	VR=twh-vr$$
	VC=twh-vc$$
	SHM=/twh-e2e$N-$$
	SHMS+=("$SHM")
	write_pfs "$TMP/pfs"

	need ethtool sysctl ss
	must ip link add "$VR" type veth peer name "$VC"
	must ip link set "$VR" netns "$NSR"
	must ip link set "$VC" netns "$NSC"
	# R: the veth belongs to the fast path (no address, no IPv6 on it).
	must ip netns exec "$NSR" sysctl -qw net.ipv6.conf."$VR".disable_ipv6=1
	# The kernel still sees every frame of the veth and, by the weak host
	# model, would take test packets addressed to the TAP's address as its
	# own and answer ICMP port unreachable: the documented appliance set-up
	# (docs/fastpath.md) drops them by reverse path, and turns IPv4 early
	# demux off, which would skip rp_filter for connected sockets.
	must ip netns exec "$NSR" sysctl -qw net.ipv4.conf.all.rp_filter=1
	must ip netns exec "$NSR" sysctl -qw net.ipv4.conf."$VR".rp_filter=1
	must ip netns exec "$NSR" sysctl -qw net.ipv4.ip_early_demux=0
	must ip -n "$NSR" link set "$VR" up
	must ip -n "$NSC" addr add 10.$N.0.2/24 dev "$VC"
	must ip -n "$NSC" addr add fd00:$N::2/64 dev "$VC" nodad
	must ip -n "$NSC" link set "$VC" up
	must ip netns exec "$NSR" ethtool -K "$VR" tx off rx off gro off
	must ip netns exec "$NSC" ethtool -K "$VC" tx off rx off gro off
}

# topo_afpacket N: the reflector topology of e2e-modes / tshark-decode.
# Namespace R: twinhop-fp reflecting on the af_packet end of a veth ($VR),
# its TAP twh-t0 carrying 10.N.0.1/24 and fd00:N::1/64, twinhopd on those
# addresses attached via --shm.  Namespace C: the veth peer ($VC) with
# 10.N.0.2/24 and fd00:N::2/64.  Sets NSR NSC VR VC SHM.  $FP_EXTRA (unquoted)
# adds twinhop-fp options (e2e-micro-sessions: --member-link-id).
topo_afpacket() {
	local N=$1
	afpacket_net "$N"
	PREFIXES+=("twh-e$N-$$")
	ip netns exec "$NSR" "$FP" -l 0 --no-huge -m 256 --no-pci --file-prefix twh-e$N-$$ \
		--log-level=user1,notice -- \
		--profile "$PROFILES/net_af_packet.conf" --pvar iface="$VR" --shm "$SHM" \
		--addr 10.$N.0.1/24 --addr fd00:$N::1/64 --tap twh-t0 --counters $FP_EXTRA \
		>"$TMP/fp.log" 2>&1 &
	PIDS+=($!)
	wait_for "$TMP/fp.log" READY
	expect "fast path (reflector, af_packet) started" grep -q READY "$TMP/fp.log"
	wait_addr "$NSR" 10.$N.0.1/24
	wait_addr "$NSR" fd00:$N::1/64
	expect "TAP carries fd00:$N::1 (DAD done)" wait_addr "$NSR" fd00:$N::1/64

	thd_conf "$TMP/thd.conf" "$SHM" "$TMP/thd.sock" 10.$N.0.1 fd00:$N::1
	ip netns exec "$NSR" "$THD" -f "$TMP/thd.conf" >"$TMP/thd.log" 2>&1 &
	PIDS+=($!)
	expect "twinhopd listening on 10.$N.0.1:862" wait_listen "$NSR" 862
	expect "twinhopd attached to the fast path ($SHM)" attached "$TMP/thd.sock"
}
