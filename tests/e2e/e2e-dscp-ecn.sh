#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# RFC 7750 (DSCP and ECN Monitoring, Modes bit 256) and RFC 8186 (PTPv2
# timestamps, Modes bit 512) end to end, both ends ours, on the e2e-modes
# topology: twinhopd + twinhop-fp reflecting in R, `twinhop measure` (socket
# engine) in C.  twinhopd offers `features dscp-ecn ptpv2`.
#
#  * open, authenticated, encrypted and mixed over IPv4 (open and encrypted
#    over IPv6), DSCP 46 and
#    ECN ECT(0) sent: the fast-path reflector reports 46/ECT(0) in every
#    reply (forward), the reply arrives 46/Not-ECT (backward), nothing
#    counted as remarked or marked;
#  * iptables TOS in C rewrites the TOS octet of the test packets on the way out
#    (DSCP 10 + CE) and of the replies on the way in (DSCP 8): the report
#    shows forward remarking and ECT->CE marks for every packet, and backward
#    remarking;
#  * not asked for (no --features): bit 256 is not in the Mode, the forward
#    direction is unknown, and the reply octet 41 is padding;
#  * --features ptp: Mode has 512; tshark on C's veth decodes the replies'
#    Error Estimate with Z = 1 and the requests with Z = 1, the Timestamp as
#    PTP seconds of today, and the RTT stays sane; without it Z = 0.
#  * tshark: Server Greeting Modes 0x30f and Set-Up-Response Mode 0x101 as
#    sent; Wireshark 4.0 has no field for the RFC 7750 octet (docs/interop.md),
#    so the octet is read from the raw UDP payload (udp.payload).
NAME=e2e-dscp-ecn
. "$(dirname "$0")/lib.sh"
setup_common
need tshark iptables
COUNT=${COUNT:-20}
THD_EXTRA="features dscp-ecn ptpv2"
topo_afpacket 94

# The admin protocol names the features as twinhopd.conf does, both ways
# (config-get, and config-set as `twinhop config import` restores them).
"$TWINHOP" admin --admin "$TMP/thd.sock" '{"cmd":"config-get"}' >"$TMP/cg.json" 2>&1
expect "config-get: features dscp-ecn and ptpv2" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); f=d.get("features") or d.get("result",{}).get("features"); sys.exit(0 if {"dscp-ecn","ptpv2"} <= set(f or []) else 1)' "$TMP/cg.json"
"$TWINHOP" admin --admin "$TMP/thd.sock" '{"cmd":"config-set","features":"dscp-ecn ptpv2"}' \
	>"$TMP/cs.json" 2>&1
expect "config-set features \"dscp-ecn ptpv2\" accepted" grep -q '"ok":true' "$TMP/cs.json"

measure() { # TAG ADDR MODE [extra args]: JSON to $TMP/TAG.json
	local tag=$1 addr=$2 mode=$3
	shift 3
	ip netns exec "$NSC" "$TWINHOP" measure "$addr" --mode "$mode" --keyid alice \
		--keyfile "$TMP/pfs" --count "$COUNT" --interval 0.005 --loss-timeout 1 \
		--json "$@" >"$TMP/$tag.json" 2>"$TMP/$tag.err"
	RC=$?
	[ $RC = 0 ] && ok "$tag: exit 0" || nokf "$tag: exit 0 (got $RC)" "$TMP/$tag.err"
}
D="s['summary']['dscp_ecn']"

for fam in 4 6; do
	if [ $fam = 4 ]; then A=10.94.0.1; else A=fd00:94::1; fi
	ms="open auth enc mixed"
	[ $fam = 6 ] && ms="open enc" # the layouts again, over IPv6
	for m in $ms; do
		t="$m-v$fam"
		measure "$t" "$A" "$m" --features dscp-ecn --dscp 46 --ecn ect0
		check "$t: Mode carries dscp-ecn (RFC 7750 negotiated)" "'dscp-ecn' in meta['mode']" "$TMP/$t.json"
		check "$t: $COUNT received" "s['received'] == $COUNT" "$TMP/$t.json"
		check "$t: sent 46/ect0" "$D['sent'] == {'dscp': 46, 'ecn': 'ect0'}" "$TMP/$t.json"
		check "$t: forward: the reflector saw 46/ect0 in all $COUNT" \
			"($D['forward']['replies'], $D['forward']['dscp'], $D['forward']['ecn'], $D['forward']['dscp_remarked'], $D['forward']['ecn_ce'], $D['forward']['ecn_other']) == ($COUNT, 46, 'ect0', 0, 0, 0)" "$TMP/$t.json"
		check "$t: backward: replies arrive 46/not-ect, none remarked" \
			"($D['backward']['replies'], $D['backward']['dscp'], $D['backward']['ecn'], $D['backward']['dscp_remarked'], $D['backward']['ecn_ce']) == ($COUNT, 46, 'not-ect', 0, 0)" "$TMP/$t.json"
	done
done

# Text report line (open, IPv4)
ip netns exec "$NSC" "$TWINHOP" measure 10.94.0.1 --mode open --count 10 --interval 0.005 \
	--loss-timeout 1 --features dscp-ecn --dscp 34 --ecn ect1 >"$TMP/text.out" 2>"$TMP/text.err"
expect "text report: dscp/ecn line with forward 34/ECT(1) for 10 replies" \
	grep -q "^dscp/ecn *sent 34/ECT(1); forward 34/ECT(1) (10 replies: 0 DSCP remarked, 0 ECT->CE, 0 other ECN); backward 34/Not-ECT (10 replies" "$TMP/text.out"

# --- remarking on the path: iptables TOS in C's mangle table ---------------
# POSTROUTING (requests to the test ports): DSCP 10 + CE = 0x2b; PREROUTING
# (replies from the test ports): DSCP 8, Not-ECT = 0x20.  (tc pedit would do
# the same, but this kernel has no tc classifier modules.)
ipt() { ip netns exec "$NSC" iptables -t mangle "$@"; }
must ipt -A POSTROUTING -p udp --dport 20000:20031 -j TOS --set-tos 0x2b
must ipt -A PREROUTING -p udp --sport 20000:20031 -j TOS --set-tos 0x20
measure remark 10.94.0.1 open --features dscp-ecn --dscp 46 --ecn ect0
check "remark: $COUNT received through the rewrites" "s['received'] == $COUNT" "$TMP/remark.json"
check "remark: forward: reflector saw 10/ce, all $COUNT DSCP remarked and ECT->CE" \
	"($D['forward']['replies'], $D['forward']['dscp'], $D['forward']['ecn'], $D['forward']['dscp_remarked'], $D['forward']['ecn_ce'], $D['forward']['ecn_other']) == ($COUNT, 10, 'ce', $COUNT, $COUNT, 0)" "$TMP/remark.json"
check "remark: backward: replies arrive 8/not-ect, all $COUNT remarked" \
	"($D['backward']['replies'], $D['backward']['dscp'], $D['backward']['ecn'], $D['backward']['dscp_remarked'], $D['backward']['ecn_ce']) == ($COUNT, 8, 'not-ect', $COUNT, 0)" "$TMP/remark.json"
# OpenMetrics of the same kind of run
ip netns exec "$NSC" "$TWINHOP" measure 10.94.0.1 --mode open --count 10 --interval 0.005 \
	--loss-timeout 1 --features dscp-ecn --dscp 46 --ecn ect0 --openmetrics "$TMP/om.txt" \
	>/dev/null 2>"$TMP/om.err"
expect "OpenMetrics: forward DSCP 10 and ECN 3 (CE), 10 CE marks, 10 remarked each way" python3 - "$TMP/om.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def v(name, d):
    m = re.search(r'^%s\{[^}]*direction="%s"[^}]*\} (\d+)$' % (name, d), t, re.M)
    return int(m.group(1)) if m else None
ok = (v("twinhop_dscp_received", "forward") == 10 and v("twinhop_ecn_received", "forward") == 3
      and v("twinhop_ecn_ce_marked_total", "forward") == 10
      and v("twinhop_dscp_remarked_total", "forward") == 10
      and v("twinhop_dscp_remarked_total", "backward") == 10
      and v("twinhop_dscp_received", "backward") == 8 and t.rstrip().endswith("# EOF"))
sys.exit(0 if ok else 1)
PY
must ipt -F

# --- not asked for: no bit 256, forward unknown -----------------------------
measure plain 10.94.0.1 open --dscp 46 --ecn ect0
check "plain: Mode without dscp-ecn" "'dscp-ecn' not in meta['mode']" "$TMP/plain.json"
check "plain: forward unknown (0 replies with the report), backward known" \
	"($D['forward']['replies'], $D['backward']['replies']) == (0, $COUNT)" "$TMP/plain.json"

# --- RFC 8186 and the wire, seen by tshark -----------------------------------
capture() { # TAG measure-args...: one run recorded on C's veth
	local tag=$1
	shift
	PCAP=$TMP/$tag.pcapng
	ip netns exec "$NSC" tshark -i "$VC" -w "$PCAP" -f "tcp port 862 or udp" >/dev/null 2>"$TMP/$tag.ts.err" &
	TS=$!
	PIDS+=($TS)
	expect "$tag: tshark capturing" tshark_ready "$TMP/$tag.ts.err" "$PCAP" "$NSC" 10.94.0.255
	measure "$tag" 10.94.0.1 open "$@"
	sleep 0.5
	kill -INT $TS
	wait $TS 2>/dev/null
	TPORT=$(jget "$TMP/$tag.json" "s['reflector_port']")
	DEC="-d udp.port==$TPORT,twamp.test -d tcp.port==862,twamp.control"
}
fields() { # pcap filter fields...: tab-separated
	local p=$1 f=$2
	shift 2
	local a=() x
	for x; do a+=(-e "$x"); done
	tshark -r "$p" $DEC -Y "$f" -T fields "${a[@]}" 2>/dev/null
}

capture ptp --features dscp-ecn,ptp --dscp 46 --ecn ect0
check "ptp: Mode carries ptpv2 and dscp-ecn" "'ptpv2' in meta['mode'] and 'dscp-ecn' in meta['mode']" "$TMP/ptp.json"
check "ptp: $COUNT received, RTT sane (0 < min <= max < 1 s)" \
	"s['received'] == $COUNT and s['rtt']['n'] == $COUNT and 0 < s['rtt']['min_ns'] <= s['rtt']['max_ns'] < 10**9" "$TMP/ptp.json"
check "ptp: dwell (T3-T2) 0 <= dwell < RTT: PTP T2/T3 decoded" \
	"0 <= s['dwell_ns']['min'] and s['dwell_ns']['max'] < s['rtt']['max_ns']" "$TMP/ptp.json"
check "ptp: forward DSCP/ECN still reported" "$D['forward']['replies'] == $COUNT" "$TMP/ptp.json"
expect "tshark: Server Greeting offers Modes 0x30f (dscp-ecn 256 + ptpv2 512 + 15)" \
	[ "$(tshark -r "$PCAP" $DEC -Y 'twamp.control.modes == 0x30f' 2>/dev/null | wc -l)" = 1 ]
expect "tshark: Set-Up-Response Mode 0x301 (open + 256 + 512)" \
	[ "$(tshark -r "$PCAP" $DEC -Y 'twamp.control.mode == 0x301' 2>/dev/null | wc -l)" = 1 ]
# -e of a field that occurs twice (the reflector's and the copied sender's
# Error Estimate) prints "a,b": the first is the packet's own.
fields "$PCAP" "twamp.test && udp.srcport == $TPORT" twamp.test.error_estimate.z \
	twamp.test.timestamp twamp.test.receive_timestamp udp.payload ip.dsfield >"$TMP/ptp.rep"
fields "$PCAP" "twamp.test && udp.dstport == $TPORT" twamp.test.error_estimate.z \
	twamp.test.timestamp ip.dsfield udp.payload >"$TMP/ptp.req"
expect "tshark: $COUNT replies, Error Estimate Z = 1, Timestamp and Receive Timestamp decoded (PTP) as today" \
	python3 - "$TMP/ptp.rep" $COUNT <<'PY'
import sys, time
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
year = time.strftime("%Y", time.gmtime())
ok = len(rows) == int(sys.argv[2]) and all(r[0].split(",")[0] in ("1", "True") and year in r[1] and year in r[2] for r in rows)
if not ok:
    print(rows[:2])
sys.exit(0 if ok else 1)
PY
# Wireshark 4.0 decodes a reflector packet's Sender Timestamp as NTP whatever
# the copied Sender Error Estimate says (docs/interop.md), so T1 is checked
# in the octets: PTP seconds since 1970 (RFC 8186 §2.3) within a day of now.
expect "wire: replies echo T1 as PTP (Sender Error Estimate Z = 1, seconds since 1970 of today)" \
	python3 - "$TMP/ptp.rep" <<'PY'
import sys, time
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def ok(p):
    return (int.from_bytes(p[36:38], "big") & 0x4000) and abs(int.from_bytes(p[28:32], "big") - time.time()) < 86400
sys.exit(0 if rows and all(ok(bytes.fromhex(r[3].replace(":", ""))) for r in rows) else 1)
PY
expect "tshark: $COUNT requests with Z = 1 (our Session-Sender in PTP format), DSCP 46 + ECT(0) = 0xba" \
	python3 - "$TMP/ptp.req" $COUNT <<'PY'
import sys, time
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
year = time.strftime("%Y", time.gmtime())
ok = len(rows) == int(sys.argv[2]) and all(r[0].split(",")[0] in ("1", "True") and year in r[1] and int(r[2], 16) == 0xba for r in rows)
if not ok:
    print(rows[:2])
sys.exit(0 if ok else 1)
PY
expect "wire: reply octet 41 (RFC 7750 Sender DSCP and ECN) = 0xba, replies 44 octets, 46/Not-ECT" \
	python3 - "$TMP/ptp.rep" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
ok = rows and all(len(bytes.fromhex(r[3].replace(":", ""))) == 44 and bytes.fromhex(r[3].replace(":", ""))[41] == 0xba
                  and int(r[4], 16) == 46 << 2 for r in rows)
if not ok:
    print(rows[:2])
sys.exit(0 if ok else 1)
PY
expect "tshark: no Malformed, no Expert error" \
	sh -c "! tshark -r '$PCAP' $DEC -V 2>/dev/null | grep -q -e Malformed -e 'Expert Info (Error'"

capture ntp --dscp 46
fields "$PCAP" "twamp.test && udp.srcport == $TPORT" twamp.test.error_estimate.z udp.payload >"$TMP/ntp.rep"
expect "no features: replies Z = 0 (NTP), 41 octets, no RFC 7750 octet" python3 - "$TMP/ntp.rep" $COUNT <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
ok = len(rows) == int(sys.argv[2]) and all(r[0].split(",")[0] in ("0", "False") and len(bytes.fromhex(r[1].replace(":", ""))) == 41 for r in rows)
if not ok:
    print(rows[:2])
sys.exit(0 if ok else 1)
PY
expect "tshark: Set-Up-Response Mode 1 when nothing is asked for" \
	[ "$(tshark -r "$PCAP" $DEC -Y 'twamp.control.mode == 1' 2>/dev/null | wc -l)" = 1 ]
finish
