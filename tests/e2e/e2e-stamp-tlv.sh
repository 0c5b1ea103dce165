#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The real twinhop-fp reflecting STAMP with every RFC 8972 / RFC 9503 TLV
# (issue 10 §2, the reflector's side): a kernel-socket Session-Sender
# (stamp_tlv_client.py, which builds the packets and checks the replies
# against the RFC layouts itself) over a veth to the fast path's af_packet
# port, open and authenticated, IPv4 and IPv6; then the fast path's named
# counters for each refusal (lib/tw_ipc.h, docs/fastpath.md).  The fast path
# runs on member link 7 of a LAG (--member-link-id 7), so the client checks
# the RFC 9534 Micro-session ID TLV too (MICRO_LINK=7).
NAME=e2e-stamp-tlv
. "$(dirname "$0")/lib.sh"
setup_common
need awk od
N=97
afpacket_net $N
MAC=$(ip -n "$NSC" -br link show "$VC" | awk '{print $3}')
KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf 'stampkey %s\n' "$KEY" >"$TMP/keys"
chmod 0600 "$TMP/keys"
CLIENT=$(dirname "$0")/stamp_tlv_client.py

# run_fp SEC [TAG [OPTION...]]: a fast path with one stateful STAMP listener
# on port 864; TAG names its log (default SEC), the options are added
run_fp() {
	local sec=$1 tag=${2:-$1} pfx=twh-st${2:-$1}$$
	shift $(($# < 2 ? $# : 2))
	PREFIXES+=("$pfx")
	ip netns exec "$NSR" "$FP" -l 0 --no-huge -m 256 --no-pci --file-prefix "$pfx" \
		--log-level=user1,notice -- \
		--profile "$PROFILES/net_af_packet.conf" --pvar iface="$VR" \
		--addr 10.$N.0.1/24 --addr fd00:$N::1/64 --tap twh-s0 \
		--key-file "$TMP/keys" --light-proto stamp --light-sec "$sec" \
		$([ "$sec" = auth ] && echo --light-key stampkey) \
		--light-port 864:stamp --light-port 866:stamp:ptp --member-link-id 7 \
		--duration 300 --counters "$@" \
		>"$TMP/fp-$tag.log" 2>&1 &
	FPPID=$!
	PIDS+=($FPPID)
	wait_for "$TMP/fp-$tag.log" READY
	expect "fast path ($tag STAMP listener) started" grep -q READY "$TMP/fp-$tag.log"
	expect "TAP carries fd00:$N::1 (DAD done)" wait_addr "$NSR" fd00:$N::1/64
}

# stop_fp SEC: SIGTERM, then the counters it prints at exit
stop_fp() {
	kill -TERM "$FPPID"
	wait "$FPPID"
	expect "fast path ($1) printed its counters" grep -q '^counter ' "$TMP/fp-$1.log"
}

# cnt SEC NAME: the counter's value at exit (0 when not printed)
cnt() {
	awk -v n="$2" '$1 == "counter" && $2 == n {print $3; f=1} END {if (!f) print 0}' \
		"$TMP/fp-$1.log"
}

# ptp_probe ADDR: one STAMP packet (NTP T1) to the :ptp listener; its reply
# must carry Z = 1 (RFC 8762 §4.2.1) and a Receive Timestamp in the PTP
# epoch (seconds since 1970, within a minute of ours: RFC 8186 §2.3).
ptp_probe() {
	ip netns exec "$NSC" python3 -c '
import socket, struct, sys, time
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
now = time.time()
t1 = (int(now) + 2208988800) << 32
s.sendto(struct.pack("!IQHH", 7, t1, 0x0001, 0) + bytes(28), (a, 866))
r = s.recv(2048)
err, t2s, sseq = struct.unpack("!H", r[12:14])[0], struct.unpack("!I", r[16:20])[0], struct.unpack("!I", r[24:28])[0]
ok = len(r) == 44 and err & 0x4000 and abs(t2s - now) < 60 and sseq == 7
print("errest %04x T2 seconds %d (now %d)" % (err, t2s, int(now)))
sys.exit(0 if ok else 1)' "$1"
}

for sec in open auth; do
	run_fp $sec
	if [ $sec = open ]; then
		for a in 10.$N.0.1 fd00:$N::1; do
			if ptp_probe "$a" >"$TMP/ptp-$a.log" 2>&1; then
				ok "STAMP :ptp listener at $a: Z = 1, PTP epoch ($(cat "$TMP/ptp-$a.log"))"
			else
				nokf "STAMP :ptp listener at $a: Z = 1, PTP epoch" "$TMP/ptp-$a.log"
			fi
		done
	fi
	for a in 10.$N.0.1 fd00:$N::1; do
		args=("$a" 864 "$sec" "$MAC")
		[ "$sec" = auth ] && args+=("$KEY")
		if MICRO_LINK=7 ip netns exec "$NSC" python3 "$CLIENT" "${args[@]}" >"$TMP/c-$sec-$a.log" 2>&1; then
			ok "STAMP $sec to $a: every TLV answered as RFC 8972/9503/9534 say ($(tail -1 "$TMP/c-$sec-$a.log"))"
		else
			nokf "STAMP $sec to $a: every TLV answered as RFC 8972/9503/9534 say" "$TMP/c-$sec-$a.log" 30
		fi
	done
	stop_fp $sec
	# each client sends one of each refusal, IPv4 and IPv6
	for c in STAMP_DNA_MISMATCH STAMP_TLV_ACCESS_ID STAMP_RP_UNSUPPORTED STAMP_NO_REPLY \
		DROP_MICRO_LINK; do
		v=$(cnt $sec $c)
		expect "$sec: counter $c = $v (2: one per address family)" [ "$v" = 2 ]
	done
	v=$(cnt $sec STAMP_TLV_UNKNOWN)
	expect "$sec: counter STAMP_TLV_UNKNOWN = $v (every all-TLV packet has an unknown type)" \
		[ "$v" -ge 24 ]
	v=$(cnt $sec STAMP_TLV_MALFORMED)
	expect "$sec: counter STAMP_TLV_MALFORMED = $v (2)" [ "$v" = 2 ]
	if [ $sec = auth ]; then
		v=$(cnt $sec STAMP_TLV_HMAC_FAIL)
		expect "auth: counter STAMP_TLV_HMAC_FAIL = $v (4: two per family)" [ "$v" = 4 ]
		v=$(cnt $sec DROP_BAD_HMAC)
		expect "auth: no base-packet HMAC failure ($v)" [ "$v" = 0 ]
	else
		v=$(cnt $sec STAMP_TLV_HMAC_OPEN)
		expect "open: counter STAMP_TLV_HMAC_OPEN = $v (2)" [ "$v" = 2 ]
	fi
done

# Forged packets (wrong HMAC, fresh source ports) against a peer table of
# 4 entries: they are dropped before the table sees them, so the keyed
# sender keeps its entry and its numbering (docs/fastpath.md, stateful
# listeners).  Before, each forged packet took an entry and evicted it.
run_fp auth churn --max-light-peers 4
if ip netns exec "$NSC" python3 "$(dirname "$0")/stamp_churn_client.py" 10.$N.0.1 864 "$KEY" \
	>"$TMP/churn.log" 2>&1; then
	ok "auth, 4 peer entries: 240 forged packets from 240 ports leave the keyed sender numbered 0..29"
else
	nokf "auth, 4 peer entries: 240 forged packets from 240 ports leave the keyed sender numbered 0..29" \
		"$TMP/churn.log" 5
fi
stop_fp churn
v=$(cnt churn DROP_BAD_HMAC)
want=$(awk '/^forged/ {print $2}' "$TMP/churn.log")
expect "churn: every forged packet counted in DROP_BAD_HMAC ($v of ${want:-?})" [ "$v" = "${want:-x}" ]
v=$(cnt churn LIGHT_PEER_EVICTED)
want=$(awk '/^evicting/ {print $2}' "$TMP/churn.log")
expect "churn: keyed senders past the 4 entries counted in LIGHT_PEER_EVICTED ($v of ${want:-?})" \
	[ "$v" = "${want:-x}" ]
finish
