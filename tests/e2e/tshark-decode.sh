#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Wireshark's opinion of our wire format: the e2e-modes topology (twinhopd +
# twinhop-fp reflector in R, twinhop measure in C), one open-mode run
# recorded with tshark on C's veth, then decoded with tshark:
#  * the TCP 862 conversation decodes as TWAMP-Control, every message of the
#    exchange present (Server Greeting, Set-Up-Response, Server-Start,
#    Request-TW-Session, Accept-Session, Start-Sessions, Start-Ack,
#    Stop-Sessions) with the values we sent;
#  * the UDP test packets decode as TWAMP-Test (both directions, sequence
#    numbers as sent);
#  * no "Malformed" and no "Expert Info (Error" anywhere in tshark -V.
NAME=tshark-decode
. "$(dirname "$0")/lib.sh"
setup_common
command -v tshark >/dev/null || { nok "tshark installed"; finish; }
COUNT=20
topo_afpacket 93

# capture N: one measure run recorded into $TMP/run$N.pcapng
capture() {
	PCAP=$TMP/run$1.pcapng
	ip netns exec "$NSC" tshark -i "$VC" -w "$PCAP" -f "tcp port 862 or udp" >"$TMP/tshark.out" 2>"$TMP/tshark$1.err" &
	TS=$!
	PIDS+=($TS)
	expect "tshark capturing on $VC (capture $1)" tshark_ready "$TMP/tshark$1.err" "$PCAP" "$NSC" 10.93.0.255
	ip netns exec "$NSC" "$TWINHOP" measure 10.93.0.1 --mode open --count $COUNT --interval 0.01 \
		--loss-timeout 1 --padding 27 --json >"$TMP/m.json" 2>"$TMP/m.err"
	RC=$?
	[ $RC = 0 ] && ok "measure (open) exit 0" || nokf "measure (open) exit 0 (got $RC)" "$TMP/m.err"
	check "measure: $COUNT sent, $COUNT received" "(s['sent'], s['received']) == ($COUNT, $COUNT)" "$TMP/m.json"
	TPORT=$(jget "$TMP/m.json" "s['reflector_port']")
	SPORT=$(jget "$TMP/m.json" "s['local_port']")
	# Let the last segments (FIN of the control connection) reach the capture.
	sleep 0.5
	kill -INT $TS
	wait $TS 2>/dev/null
	expect "capture file written" test -s "$PCAP"
}
# TCP may carry two of our messages in one segment (a retransmission
# collapses queued segments: tcp_retrans_try_collapse), and Wireshark's
# TWAMP-Control dissector decodes one message per segment: it then calls
# the second one a malformed copy of the first.  That is the kernel's
# segmentation, not our encoding, so such a capture is shown and taken
# again, once; the second capture is judged whatever it holds.
coalesced() { # pcap: server->client segments of 862 with more than one message
	tshark -r "$1" -Y "tcp.srcport == 862 && tcp.len > 0" -T fields -e frame.number -e tcp.len \
		2>/dev/null | awk -F'\t' '$2 != 64 && $2 != 48 && $2 != 32 && $2 != 16' | grep -q .
}
capture 1
if coalesced "$PCAP"; then
	echo "       capture 1: the kernel put several TWAMP-Control messages in one TCP segment:"
	tshark -r "$PCAP" -Y "tcp.port == 862" -T fields -e frame.number -e frame.time_relative -e ip.src \
		-e tcp.seq -e tcp.ack -e tcp.len -e tcp.flags.str -e tcp.analysis.flags 2>/dev/null | sed 's/^/         /'
	echo "       capture 1: packets dropped by the capture: $(grep -o '[0-9]* packets dropped' "$TMP/tshark1.err" || echo none reported)"
	capture 2
fi

# Decode with the test port bound to TWAMP-Test explicitly, control on TCP
# 862 (and further down without: Wireshark learns the test port from
# Accept-Session).
DEC="-d udp.port==$TPORT,twamp.test -d tcp.port==862,twamp.control"
tshark -r "$PCAP" $DEC -V >"$TMP/V.txt" 2>"$TMP/V.err"
tshark -r "$PCAP" $DEC -Y twamp.control -T fields -e frame.number -e ip.src -e _ws.col.Info \
	>"$TMP/ctl.txt" 2>/dev/null
tshark -r "$PCAP" $DEC -Y twamp.test -T fields -e ip.src -e udp.srcport -e udp.dstport \
	-e twamp.test.seq_number -e twamp.test.sender_seq_number -e twamp.test.sender_ttl \
	>"$TMP/test.txt" 2>/dev/null
echo "       TWAMP-Control messages as tshark names them:"
sed 's/^/         /' "$TMP/ctl.txt"

# The control messages, identified by the fields the dissector decoded.
have() { # name display-filter expected-count
	local n
	n=$(tshark -r "$PCAP" $DEC -Y "$2" 2>/dev/null | wc -l)
	[ "$n" = "$3" ] && ok "$1 ($2: $n frame)" || nok "$1 ($2: $n frames, want $3)"
}
have "Server Greeting: Modes 15, Count 1024" \
	"twamp.control.modes == 15 && twamp.control.count == 1024 && ip.src == 10.93.0.1" 1
have "Set-Up-Response: Mode 1 (client to server)" "twamp.control.mode == 1 && ip.src == 10.93.0.2" 1
have "Server-Start: Accept 0 with the server's start time" \
	"twamp.control.server_uptime && twamp.control.accept == 0 && ip.src == 10.93.0.1" 1
have "Request-TW-Session: command 5, IPv4, padding 27" \
	"twamp.control.command == 5 && twamp.control.ipvn == 4 && twamp.control.padding_length == 27" 1
have "Accept-Session: Accept 0, port $TPORT" \
	"twamp.control.receiver_port == $TPORT && twamp.control.accept == 0 && ip.src == 10.93.0.1 && twamp.control.session_id" 1
have "Start-Sessions: command 2" "twamp.control.command == 2 && ip.src == 10.93.0.2" 1
have "Start-Ack: Accept 0" \
	"twamp.control.accept == 0 && ip.src == 10.93.0.1 && !twamp.control.session_id && !twamp.control.server_uptime && !twamp.control.modes" 1
have "Stop-Sessions: command 3, 1 session" "twamp.control.command == 3 && twamp.control.numsessions == 1" 1
expect "TWAMP-Control: tshark names Greeting .. Stop in order" python3 - "$TMP/ctl.txt" <<'PY'
import re, sys
info = [l.rstrip("\n").split("\t")[-1].lower() for l in open(sys.argv[1])]
want = ["greeting", "setup|set-up", "start", "request", "accept", "start", "ack|accept", "stop"]
i = 0
for line in info:
    if i < len(want) and re.search(want[i], line):
        i += 1
sys.exit(0 if i == len(want) else 1)
PY

# Test packets: 20 requests C -> R and 20 replies R -> C, all TWAMP-Test.
NREQ=$(awk -F'\t' -v p=$TPORT '$1 == "10.93.0.2" && $3 == p' "$TMP/test.txt" | wc -l)
NREP=$(awk -F'\t' -v p=$TPORT '$1 == "10.93.0.1" && $2 == p' "$TMP/test.txt" | wc -l)
expect "TWAMP-Test: $COUNT requests C->R decoded (got $NREQ)" [ "$NREQ" = $COUNT ]
expect "TWAMP-Test: $COUNT replies R->C decoded (got $NREP)" [ "$NREP" = $COUNT ]
expect "TWAMP-Test: reply sender sequence numbers 0..$((COUNT - 1)), Sender TTL 255" python3 - "$TMP/test.txt" $TPORT $COUNT <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
rep = [r for r in rows if r[1] == sys.argv[2]]
seqs = sorted(int(r[4]) for r in rep if r[4])
ttl = {r[5] for r in rep}
sys.exit(0 if seqs == list(range(int(sys.argv[3]))) and ttl == {"255"} else 1)
PY
NUDP=$(tshark -r "$PCAP" -Y "udp.port == $TPORT" 2>/dev/null | wc -l)
NTW=$(tshark -r "$PCAP" $DEC -Y "udp.port == $TPORT && twamp.test" 2>/dev/null | wc -l)
expect "every UDP packet of the test port is TWAMP-Test ($NTW of $NUDP, want $((2 * COUNT)))" \
	[ "$NUDP" = $((2 * COUNT)) -a "$NTW" = "$NUDP" ]
NAUTO=$(tshark -r "$PCAP" -Y "udp.port == $TPORT && twamp.test" 2>/dev/null | wc -l)
expect "without -d: Wireshark learns the test port from Accept-Session ($NAUTO TWAMP-Test)" \
	[ "$NAUTO" = $((2 * COUNT)) ]

# Nothing malformed, no expert errors (with and without our decode-as).
expect "tshark -V: no 'Malformed'" bash -c "! grep -q Malformed '$TMP/V.txt'"
expect "tshark -V: no 'Expert Info (Error'" bash -c "! grep -q 'Expert Info (Error' '$TMP/V.txt'"
tshark -r "$PCAP" -V >"$TMP/V0.txt" 2>/dev/null
expect "tshark -V (default dissectors): no 'Malformed' / 'Expert Info (Error'" \
	bash -c "! grep -q 'Malformed\|Expert Info (Error' '$TMP/V0.txt'"
if [ "$FAIL" != 0 ]; then
	grep -n -B3 'Malformed\|Expert Info (Error' "$TMP/V.txt" | head -20
fi
finish
