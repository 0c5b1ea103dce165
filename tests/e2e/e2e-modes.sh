#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, our client against our server with the fast path reflecting:
#
#   namespace R (twh-r-PID)                        namespace C (twh-c-PID)
#   twinhopd :862 --shm--> twinhop-fp (reflector)
#   TAP twh-t0 10.91.0.1/24 fd00:91::1/64
#        |  exception path                          twinhop measure
#   twh-vr-PID (af_packet, no address) <== veth ==> twh-vc-PID 10.91.0.2 fd00:91::2
#
# TWAMP-Control (TCP 862) goes through the fast path's exception path to
# the TAP where twinhopd listens; twinhopd programs each accepted session
# into the fast path, which reflects the TWAMP-Test packets itself.
# Checks: every mode (open, authenticated, encrypted, mixed) over IPv4 and
# IPv6 on a clean link (exit 0, loss 0, RTT sane, JSON fields); then exact
# forward and backward loss from iptables "nth" drops in C, and random netem
# loss cross-checked against the CLI's own numbers and the qdisc counters.
NAME=e2e-modes
. "$(dirname "$0")/lib.sh"
setup_common
COUNT=${COUNT:-100}
topo_afpacket 91

# measure TAG ADDR MODE [extra args]: run the CLI in C, JSON to $TMP/TAG.json
measure() {
	local tag=$1 addr=$2 mode=$3
	shift 3
	ip netns exec "$NSC" "$TWINHOP" measure "$addr" --mode "$mode" --keyid alice \
		--keyfile "$TMP/pfs" --count "$COUNT" --interval 0.005 --loss-timeout 1 \
		--json "$@" >"$TMP/$tag.json" 2>"$TMP/$tag.err"
	RC=$?
}

declare -A WANTMODE=([open]=open [auth]=authenticated [enc]=encrypted [mixed]=mixed)
for fam in 4 6; do
	if [ $fam = 4 ]; then A=10.91.0.1; else A=fd00:91::1; fi
	for m in open auth enc mixed; do
		t="$m-v$fam"
		measure "$t" "$A" "$m"
		if [ $RC = 0 ]; then ok "$t: exit 0"; else nokf "$t: exit 0 (got $RC)" "$TMP/$t.err"; fi
		check "$t: sent $COUNT" "s['sent'] == $COUNT" "$TMP/$t.json"
		check "$t: received $COUNT" "s['received'] == $COUNT" "$TMP/$t.json"
		check "$t: loss 0 (round trip, forward, backward)" \
			"(s['lost'], s['lost_forward'], s['lost_backward'], s['loss_ppm']) == (0, 0, 0, 0)" "$TMP/$t.json"
		check "$t: no duplicates, no reordering, nothing late" \
			"(s['dup_forward'], s['dup_backward'], s['reordered_forward'], s['reordered_backward'], s['late']) == (0,0,0,0,0)" "$TMP/$t.json"
		check "$t: RTT sane (0 < min <= p50 <= max < 1 s, n = $COUNT)" \
			"s['rtt']['n'] == $COUNT and 0 < s['rtt']['min_ns'] <= s['rtt']['p50_ns'] <= s['rtt']['max_ns'] < 10**9" "$TMP/$t.json"
		check "$t: dwell (T3-T2) measured for every reply and below the RTT" \
			"s['dwell_ns']['n'] == $COUNT and 0 <= s['dwell_ns']['min'] and s['dwell_ns']['max'] < s['rtt']['max_ns']" "$TMP/$t.json"
		check "$t: hops 0 both ways (TTL 255 on one link)" \
			"(s['hops_forward']['n'], s['hops_forward']['max'], s['hops_backward']['n'], s['hops_backward']['max']) == ($COUNT, 0, $COUNT, 0)" "$TMP/$t.json"
		check "$t: JSON mode '${WANTMODE[$m]}', engine socket (when stated), peer $A" \
			"meta['mode'] == '${WANTMODE[$m]}' and meta['engine'] in ('socket', None) and '$A' in meta['target']" "$TMP/$t.json"
		check "$t: reflector port in test-ports, SID 32 hex digits" \
			"20000 <= s['reflector_port'] <= 20031 and len(s['sid']) == 32 and int(s['sid'], 16) > 0" "$TMP/$t.json"
		check "$t: engine counters, when present (tx $COUNT, rx $COUNT, no bad HMAC/short)" \
			"'engine' not in s or (s['engine']['tx'], s['engine']['rx'], s['engine']['rx_bad_hmac'], s['engine']['rx_short'], s['engine']['tx_errors']) == ($COUNT, $COUNT, 0, 0, 0)" "$TMP/$t.json"
		check "$t: error bounds sane when reported (0 <= min <= mean <= max, no overflow)" \
			"'summary' not in s or all(e['n'] == 0 or 0 <= e['min_ns'] <= e['mean_ns'] <= e['max_ns'] < 2**62 for e in s['summary']['error_bound'].values())" "$TMP/$t.json"
	done
done

# --- exact loss: iptables nth drops in C (every 10th test packet) -------------
ipt() { ip netns exec "$NSC" iptables "$@"; }
TP=20000:20031
if ! ipt -L >/dev/null 2>&1; then
	nok "iptables usable in C"
else

	ipt -A OUTPUT -p udp --dport $TP -m statistic --mode nth --every 10 --packet 5 -j DROP
	measure fwdloss 10.91.0.1 open
	ipt -F OUTPUT
	D=$((COUNT / 10))
	[ $RC = 0 ] && ok "forward-nth: exit 0" || nokf "forward-nth: exit 0 (got $RC)" "$TMP/fwdloss.err"
	check "forward-nth: sent $COUNT, received $((COUNT - D))" \
		"(s['sent'], s['received']) == ($COUNT, $((COUNT - D)))" "$TMP/fwdloss.json"
	check "forward-nth: round-trip loss == $D (sent/10)" "s['lost'] == $D" "$TMP/fwdloss.json"
	check "forward-nth: forward loss == $D, backward loss == 0" \
		"(s['lost_forward'], s['lost_backward']) == ($D, 0)" "$TMP/fwdloss.json"
	check "forward-nth: loss_ppm == 100000" "s['loss_ppm'] == 100000" "$TMP/fwdloss.json"

	ipt -A INPUT -p udp --sport $TP -m statistic --mode nth --every 10 --packet 5 -j DROP
	measure bwdloss 10.91.0.1 open
	ipt -F INPUT
	[ $RC = 0 ] && ok "backward-nth: exit 0" || nokf "backward-nth: exit 0 (got $RC)" "$TMP/bwdloss.err"
	check "backward-nth: sent $COUNT, received $((COUNT - D))" \
		"(s['sent'], s['received']) == ($COUNT, $((COUNT - D)))" "$TMP/bwdloss.json"
	check "backward-nth: round-trip loss == $D" "s['lost'] == $D" "$TMP/bwdloss.json"
	check "backward-nth: backward loss == $D, forward loss == 0" \
		"(s['lost_forward'], s['lost_backward']) == (0, $D)" "$TMP/bwdloss.json"

	# Both at once, authenticated mode, IPv6 (ip6tables).
	ip netns exec "$NSC" ip6tables -A OUTPUT -p udp --dport $TP -m statistic --mode nth --every 10 --packet 3 -j DROP
	ip netns exec "$NSC" ip6tables -A INPUT -p udp --sport $TP -m statistic --mode nth --every 10 --packet 7 -j DROP
	measure bothloss fd00:91::1 auth
	ip netns exec "$NSC" ip6tables -F OUTPUT
	ip netns exec "$NSC" ip6tables -F INPUT
	# Forward drops every 10th sent packet; backward drops every 10th of
	# the 90 replies that come back: 9.
	B=$(( (COUNT - D) / 10 ))
	[ $RC = 0 ] && ok "both-nth-v6-auth: exit 0" || nokf "both-nth-v6-auth: exit 0 (got $RC)" "$TMP/bothloss.err"
	check "both-nth-v6-auth: forward loss == $D, backward loss == $B, total $((D + B))" \
		"(s['lost_forward'], s['lost_backward'], s['lost']) == ($D, $B, $((D + B)))" "$TMP/bothloss.json"
fi

# --- random loss, cross-checked with the kernel's own drop counters -------
# (a) netem on the test packets only: htb sends everything to class 1:10
# except UDP to the test ports (20000-20031 = 0x4e20/0xffe0), which a u32
# filter puts in class 1:30 whose leaf is netem -- so the netem "dropped"
# counter counts exactly the test packets it lost.
tcq() { ip netns exec "$NSC" tc "$@"; }
NCOUNT=300
random_loss_checks() { # tag kernel-drops kernel-passed(or empty) what
	local t=$1 kd=$2 kp=$3 what=$4
	echo "       $t: $what dropped ${kd:-?}${kp:+, passed $kp}; CLI (sent, received, lost, fwd, bwd) = $(jget "$TMP/$t.json" '(s["sent"], s["received"], s["lost"], s["lost_forward"], s["lost_backward"])')"
	[ $RC = 0 ] && ok "$t: exit 0" || nokf "$t: exit 0 (got $RC)" "$TMP/$t.err"
	check "$t: some packets lost (10% of $NCOUNT)" "s['sent'] == $NCOUNT and s['lost'] > 0" "$TMP/$t.json"
	check "$t: round-trip loss == sent - received (CLI's own numbers)" \
		"s['lost'] == s['sent'] - s['received']" "$TMP/$t.json"
	check "$t: round-trip loss == $what drop counter (${kd:-?})" "s['lost'] == int('${kd:-x}')" "$TMP/$t.json"
	[ -n "$kp" ] && check "$t: received == packets the $what let through ($kp)" \
		"s['received'] == int('$kp')" "$TMP/$t.json"
	check "$t: all loss is forward (drops on C's egress only)" \
		"(s['lost_forward'], s['lost_backward']) == (s['lost'], 0)" "$TMP/$t.json"
}
if tcq qdisc add dev "$VC" root handle 1: htb default 10 2>"$TMP/netem.tcerr" &&
	tcq class add dev "$VC" parent 1: classid 1:10 htb rate 10gbit 2>>"$TMP/netem.tcerr" &&
	tcq class add dev "$VC" parent 1: classid 1:30 htb rate 10gbit 2>>"$TMP/netem.tcerr" &&
	tcq qdisc add dev "$VC" parent 1:30 handle 30: netem loss 10% 2>>"$TMP/netem.tcerr" &&
	tcq filter add dev "$VC" parent 1: protocol ip prio 1 u32 \
		match ip protocol 17 0xff match ip dport 0x4e20 0xffe0 flowid 1:30; then
	ok "netem qdisc for the test ports installed"
	COUNT=$NCOUNT measure netem 10.91.0.1 open
	tcq -s qdisc show dev "$VC" >"$TMP/qdisc.txt"
	tcq qdisc del dev "$VC" root
	KD=$(awk '/qdisc netem 30:/ {f=1} f && /dropped/ {gsub(",", ""); for (i = 1; i <= NF; i++) if ($i == "dropped") {print $(i+1); exit}}' "$TMP/qdisc.txt")
	KP=$(awk '/qdisc netem 30:/ {f=1} f && /Sent/ {print $4; exit}' "$TMP/qdisc.txt")
	random_loss_checks netem "$KD" "$KP" "netem qdisc"
else
	# Only a kernel without sch_netem may skip this; any other failure of
	# the qdisc set-up fails the test.
	if grep -q "Unknown qdisc \"netem\"\|Specified qdisc kind is unknown" "$TMP/netem.tcerr"; then
		echo "SKIP - netem: this kernel has no sch_netem ($(tail -n 1 "$TMP/netem.tcerr")); random loss checked with iptables only"
	else
		nokf "netem qdisc set-up" "$TMP/netem.tcerr"
	fi
	tcq qdisc del dev "$VC" root 2>/dev/null
fi
# (b) the same with iptables "statistic --mode random" (always available):
# the rule's packet counter is the kernel's drop count.
if ipt -L >/dev/null 2>&1; then
	ipt -Z OUTPUT
	ipt -A OUTPUT -p udp --dport $TP -m statistic --mode random --probability 0.1 -j DROP
	COUNT=$NCOUNT measure randloss 10.91.0.1 open
	KD=$(ipt -L OUTPUT -v -x -n | awk '/statistic/ {print $1; exit}')
	ipt -F OUTPUT
	random_loss_checks randloss "$KD" "" "iptables rule"
fi

# The daemon saw every session and the fast path counted no errors.
NSESS=$(ls "$TMP"/*.json | wc -l)

# Each session leaves its final counts in twinhopd's log once the fast path
# has deleted it (after the Timeout drain): the reflector received what the
# client's side let through, so the forward drops show.
for _ in $(seq 300); do # each waits its Timeout after its Stop-Sessions
	[ "$(grep -c ' deleted: ' "$TMP/thd.log")" -ge "$NSESS" ] && break
	sleep 0.1
done
ndel() { grep -cE ": session [0-9]+ deleted: $1 packet\(s\) received, $1 sent$" "$TMP/thd.log"; }
if [ "$(grep -c ' deleted: ' "$TMP/thd.log")" = "$NSESS" ]; then
	ok "twinhopd log: a 'deleted' line for each of the $NSESS sessions"
else
	nokf "twinhopd log: a 'deleted' line for each of the $NSESS sessions" "$TMP/thd.log" 40
fi
if ipt -L >/dev/null 2>&1; then
	WANT100=9 WANT90=2 # 8 clean sessions + backward-nth; forward-nth, both-nth
else
	WANT100=8 WANT90=0
fi
N100=$(ndel "$COUNT") N90=$(ndel $((COUNT - COUNT / 10)))
if [ "$N100" = "$WANT100" ] && [ "$N90" = "$WANT90" ]; then
	ok "twinhopd log: $WANT100 sessions deleted with $COUNT packets received and sent, $WANT90 with $((COUNT - COUNT / 10))"
else
	nokf "twinhopd log: $WANT100 sessions deleted with $COUNT packets received and sent (got $N100), $WANT90 with $((COUNT - COUNT / 10)) (got $N90)" "$TMP/thd.log" 40
fi
"$TWINHOP" counters --admin "$TMP/thd.sock" --json >"$TMP/ctr.json" 2>&1
check "twinhopd: SESSIONS_ACCEPTED == SESSIONS_STARTED == $NSESS" \
	"d['counters']['SESSIONS_ACCEPTED'] == d['counters']['SESSIONS_STARTED'] == $NSESS" "$TMP/ctr.json"
check "twinhopd: no HMAC / fast-path errors" \
	"all(d['counters'][k] == 0 for k in ('HMAC','FP_UNAVAILABLE','FP_NACK','FP_TIMEOUT'))" "$TMP/ctr.json"
finish
