#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# RFC 9533 LAG micro-sessions end to end, both ends ours, on the e2e-modes
# topology: twinhopd + twinhop-fp (--member-link-id 7) reflecting in R,
# `twinhop measure --micro-sessions` (socket engine) in C.
#
#  * open, authenticated and encrypted (and open over IPv6): micro-sessions
#    1:7 and 2:0 (the
#    reflector's ID known / not known) and 3:8 (another member link) in ONE
#    Request-TW-Micro-Sessions (command 11), one SID, one UDP 5-tuple:
#    1:7 and 2:0 get every reply, each reported as its own session (named
#    SID/S:R) with the reflector's ID 7 learnt; 3:8 gets none, and the fast
#    path counts every one of its packets in DROP_MICRO_LINK;
#  * twinhopd counts the requests (REQ_MICRO) and show-status shows the
#    member link; text and OpenMetrics carry one section / series per
#    micro-session;
#  * tshark on C's veth: Wireshark 4.0 decodes the control exchange; it
#    shows command 11 as "Unknown (11)" (no RFC 9533 name) but decodes its
#    body with the Request-TW-Session layout (Info "Request Session",
#    Padding Length 30), then the Accept-Session and the test packets, with
#    no Malformed; the IDs are
#    read from the raw UDP payload at RFC 9533's offsets (Figures 2 and 4):
#    Sender/Reflector ID at 16/18 in the request, 38/42 in the reply (Sender
#    TTL at 40, MBZ at 41), open mode.
#  * the fastpath engine refuses a micro-session whose Sender ID is not its
#    fast path's member link (7 here), before any packet (both ends on the
#    fast path: e2e-fastpath-micro);
#  * a twinhop-fp without --member-link-id: Accept=3, the client says so.
NAME=e2e-micro-sessions
. "$(dirname "$0")/lib.sh"
setup_common
need tshark
COUNT=${COUNT:-20}
# --member-link-id is 1..65535 (0 is the "not known" ID): refused at start
for bad in 0 65536 7x; do
	"$FP" -- --member-link-id $bad >/dev/null 2>"$TMP/badlink.err"
	RC=$?
	expect "twinhop-fp --member-link-id $bad: exit 2, named" \
		sh -c "[ $RC = 2 ] && grep -q -- '--member-link-id $bad: a number 1..65535' '$TMP/badlink.err'"
done
FP_EXTRA="--member-link-id 7"
topo_afpacket 96
ADM=(--admin "$TMP/thd.sock")

# "attached" can be seen before twinhopd has read the HELLO_REPLY that
# names the member links: ask until it has (at most 10 s).
link7() {
	local i
	for i in $(seq 50); do
		"$TWINHOP" admin "${ADM[@]}" '{"cmd":"show-status"}' >"$TMP/st.json" 2>&1
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d.get("result", d); sys.exit(0 if r["fp"]["member_link"] == 7 else 1)' "$TMP/st.json" 2>/dev/null && return 0
		sleep 0.2
	done
	cat "$TMP/st.json" | head -c 600
	return 1
}
expect "show-status: the fast path's member link 7 (HELLO_REPLY)" link7

fpc() { # counter: the fast path's total
	"$TWINHOP" counters --fp --json "${ADM[@]}" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"].get(sys.argv[1], 0))' "$1"
}

measure() { # TAG MODE [extra args]: JSON Lines to $TMP/TAG.json
	local tag=$1 mode=$2
	shift 2
	ip netns exec "$NSC" "$TWINHOP" measure 10.96.0.1 --mode "$mode" --keyid alice \
		--keyfile "$TMP/pfs" --count "$COUNT" --interval 0.005 --loss-timeout 1 \
		--micro-sessions 1:7,2:0,3:8 --json "$@" >"$TMP/$tag.json" 2>"$TMP/$tag.err"
	RC=$?
}

# The three documents (JSON Lines, session order): per micro-session name,
# sent and received.
MICRO_PY='
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = [(d["start"]["session"]["name"], d["end"]["summary"]["sent"], d["end"]["summary"]["received"]) for d in docs]
n = int(sys.argv[2])
sids = {g[0].split("/")[0] for g in got}
names = [g[0].split("/")[1] for g in got]
ok = (len(got) == 3 and len(sids) == 1 and len(next(iter(sids))) == 32
      and names == ["1:7", "2:0", "3:8"]
      and [(g[1], g[2]) for g in got] == [(n, n), (n, n), (n, 0)])
if not ok:
    print(got)
sys.exit(0 if ok else 1)
'
for m in open auth enc; do
	before=$(fpc DROP_MICRO_LINK)
	measure "$m" "$m"
	# exit 0: replies came back (3:8's loss is the measurement)
	[ $RC = 0 ] && ok "$m: exit 0" || nokf "$m: exit 0 (got $RC)" "$TMP/$m.err"
	expect "$m: one SID, micro-sessions 1:7 and 2:0 every reply, 3:8 none ($COUNT sent each)" \
		python3 -c "$MICRO_PY" "$TMP/$m.json" "$COUNT"
	after=$(fpc DROP_MICRO_LINK)
	expect "$m: the fast path dropped 3:8's $COUNT packets (DROP_MICRO_LINK +$COUNT, got $before -> $after)" \
		[ $((after - before)) = "$COUNT" ]
	expect "$m: started as one session (one control session for the LAG)" \
		grep -q "3 micro-sessions of one session started (RFC 9533" "$TMP/$m.err"
done

# IPv6, open: the same three micro-sessions over fd00:96::1
before=$(fpc DROP_MICRO_LINK)
ip netns exec "$NSC" "$TWINHOP" measure fd00:96::1 --mode open --count "$COUNT" --interval 0.005 \
	--loss-timeout 1 --micro-sessions 1:7,2:0,3:8 --json >"$TMP/v6.json" 2>"$TMP/v6.err"
expect "IPv6: one SID, 1:7 and 2:0 every reply, 3:8 none" python3 -c "$MICRO_PY" "$TMP/v6.json" "$COUNT"
after=$(fpc DROP_MICRO_LINK)
expect "IPv6: DROP_MICRO_LINK +$COUNT ($before -> $after)" [ $((after - before)) = "$COUNT" ]

"$TWINHOP" counters "${ADM[@]}" --json >"$TMP/cnt.json" 2>&1
expect "twinhopd: REQ_MICRO 4, none refused" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); c = d.get("counters") or d.get("result", {}).get("counters") or d
sys.exit(0 if c["REQ_MICRO"] == 4 and c["REQ_MICRO_UNSUPPORTED"] == 0 and c["REQ_MICRO_PADDING"] == 0 else 1)' "$TMP/cnt.json"

# Text and OpenMetrics: one section / one series per micro-session.
ip netns exec "$NSC" "$TWINHOP" measure 10.96.0.1 --mode open --count 10 --interval 0.005 \
	--loss-timeout 1 --micro-sessions 1:7,2:0 --openmetrics "$TMP/om.txt" >"$TMP/text.out" \
	2>"$TMP/text.err"
expect "text: a report for s1 and one for s2, each naming its micro-session" \
	sh -c "grep -q '^s1: .*/1:7' '$TMP/text.out' && grep -q '^s2: .*/2:0' '$TMP/text.out'"
expect "OpenMetrics: sent 10 for session .../1:7 and .../2:0" python3 - "$TMP/om.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
v = {m.group(1): int(m.group(2)) for m in re.finditer(r'^twinhop_packets_sent_total\{[^}]*session="[0-9a-f]{32}/(\d+:\d+)"[^}]*\} (\d+)$', t, re.M)}
ok = v == {"1:7": 10, "2:0": 10} and t.rstrip().endswith("# EOF")
if not ok:
    print(v)
sys.exit(0 if ok else 1)
PY

# The fast-path sender's Sender ID is its port's member link (7 here):
# 1:7 is refused before any packet, naming it.
ip netns exec "$NSC" "$TWINHOP" measure 10.96.0.1 --mode open --count 5 --engine fastpath \
	--admin "$TMP/thd.sock" --micro-sessions 1:7 >/dev/null 2>"$TMP/fpe.err"
RC=$?
expect "fastpath engine: Sender ID 1 refused (exit $RC), naming the member link 7" \
	sh -c "[ $RC != 0 ] && grep -q \"one of the local fast path's 7 (RFC 9533\" '$TMP/fpe.err'"

# --- tshark: the control exchange and the IDs on the wire -------------------
PCAP=$TMP/micro.pcapng
ip netns exec "$NSC" tshark -i "$VC" -w "$PCAP" -f "tcp port 862 or udp" >/dev/null 2>"$TMP/ts.err" &
TS=$!
PIDS+=($TS)
wait_for "$TMP/ts.err" "Capturing on" 200
expect "tshark capturing" grep -q "Capturing on" "$TMP/ts.err"
# "Capturing on" comes before the capture filter is live: on a busy
# machine the first frames (the whole control exchange) went missing
sleep 1
ip netns exec "$NSC" "$TWINHOP" measure 10.96.0.1 --mode open --count 5 --interval 0.01 \
	--loss-timeout 1 --micro-sessions 1:7,2:0,3:8 --json >"$TMP/cap.json" 2>"$TMP/cap.err"
sleep 0.5
kill -INT $TS
wait $TS 2>/dev/null
TPORT=$(head -1 "$TMP/cap.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["start"]["session"]["peer"].rsplit(":",1)[1])')
DEC="-d udp.port==$TPORT,twamp.test -d tcp.port==862,twamp.control"
tshark -r "$PCAP" $DEC -Y twamp.control.command -T fields -e twamp.control.command \
	>"$TMP/cmds.txt" 2>/dev/null
expect "tshark: client commands 11 (Request-TW-Micro-Sessions, shown as its number), 2, 3" \
	[ "$(tr '\n' ' ' <"$TMP/cmds.txt")" = "11 2 3 " ]
tshark -r "$PCAP" $DEC -Y 'twamp.control.accept' -T fields -e twamp.control.accept \
	>"$TMP/acc.txt" 2>/dev/null
if [ "$(tr '\n' ' ' <"$TMP/acc.txt")" = "0 0 0 0 " ]; then
	ok "tshark: Server-Start, Accept-Session, Start-Ack and Stop-Sessions all Accept 0"
else
	nokf "tshark: Server-Start, Accept-Session, Start-Ack and Stop-Sessions all Accept 0" \
		"$TMP/acc.txt"
fi
# Wireshark 4.0 has no name for command 11 but decodes the message with the
# Request-TW-Session layout it shares (RFC 9533 §4.1): say exactly that.
tshark -r "$PCAP" $DEC -Y 'twamp.control.command == 11' -O twamp.control -V \
	>"$TMP/cmd11.txt" 2>/dev/null
tshark -r "$PCAP" $DEC -Y 'twamp.control.command == 11' >"$TMP/cmd11.sum" 2>/dev/null
expect "tshark: command 11 shown as 'Unknown (11)', Info 'Request Session', Padding Length 30 decoded" \
	sh -c "grep -q 'Control Command: Unknown (11)' '$TMP/cmd11.txt' &&
	       grep -q 'Padding Length: 30' '$TMP/cmd11.txt' && grep -q 'Request Session' '$TMP/cmd11.sum'"
tshark -r "$PCAP" $DEC -Y "twamp.test" -T fields -e udp.srcport -e udp.payload \
	>"$TMP/test.txt" 2>/dev/null
expect "wire: 15 requests with IDs at 16/18 (1/7, 2/0, 3/8), 10 replies with IDs at 38/42 around TTL 255 and MBZ (1/7, 2/7)" \
	python3 - "$TMP/test.txt" "$TPORT" <<'PY'
import sys
from collections import Counter
req, rep = Counter(), Counter()
for l in open(sys.argv[1]):
    if not l.strip():
        continue
    sport, p = l.split("\t")
    b = bytes.fromhex(p.strip().replace(":", ""))
    if sport == sys.argv[2]:
        rep[(len(b), int.from_bytes(b[38:40], "big"), b[40] > 0 and b[41] == 0, int.from_bytes(b[42:44], "big"))] += 1
    else:
        req[(len(b), b[14:16] == b"\0\0", int.from_bytes(b[16:18], "big"), int.from_bytes(b[18:20], "big"))] += 1
ok = (req == Counter({(44, True, 1, 7): 5, (44, True, 2, 0): 5, (44, True, 3, 8): 5})
      and rep == Counter({(44, 1, True, 7): 5, (44, 2, True, 7): 5}))
if not ok:
    print(req, rep)
sys.exit(0 if ok else 1)
PY
expect "tshark: no Malformed, no Expert error" \
	sh -c "! tshark -r '$PCAP' $DEC -V 2>/dev/null | grep -q -e Malformed -e 'Expert Info (Error'"

# --- a fast path without a member link: Accept=3, said plainly ---------------
kill "${PIDS[@]}" 2>/dev/null
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
for n in "${NETNS[@]}"; do ip netns del "$n"; done
NETNS=()
FP_EXTRA=
topo_afpacket 97
ip netns exec "$NSC" "$TWINHOP" measure 10.97.0.1 --mode open --count 5 --interval 0.01 \
	--loss-timeout 1 --micro-sessions 1:0 >"$TMP/nolink.out" 2>"$TMP/nolink.err"
RC=$?
expect "no member link: exit 1, Accept=3 explained" \
	sh -c "[ $RC = 1 ] && grep -q 'refused Request-TW-Micro-Sessions (Accept=3)' '$TMP/nolink.err'"
"$TWINHOP" counters --admin "$TMP/thd.sock" --json >"$TMP/cnt2.json" 2>&1
expect "twinhopd: REQ_MICRO_UNSUPPORTED 1" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); c = d.get("counters") or d.get("result", {}).get("counters") or d
sys.exit(0 if c["REQ_MICRO_UNSUPPORTED"] == 1 else 1)' "$TMP/cnt2.json"
finish
