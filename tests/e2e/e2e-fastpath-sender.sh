#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end with a fast path at both ends, joined by memif:
#
#   namespace S (twh-s-PID)                      namespace R (twh-r-PID)
#   twinhop measure --engine fastpath            twinhopd :862 (TWAMP-Control)
#     | admin socket          | TWAMP-Control      | --shm
#   twinhopd (sender side)    | (TCP via TAP)    twinhop-fp reflector
#     | --shm                 |                  TAP twh-r0 10.92.0.1 fd00:92::1
#   twinhop-fp sender, TAP twh-s0 10.92.0.2      |
#     memif client ================ memif ======== memif server
#
# The CLI speaks TWAMP-Control to R's twinhopd through both exception paths
# and asks S's twinhopd (sender-add) to send the test packets from S's fast
# path; R's fast path reflects them.  Modes the fast-path engine cannot
# carry yet are reported as SKIP lines (not failures) when the CLI refuses
# them with its documented message; any other failure is a failure.
NAME=e2e-fastpath-sender
. "$(dirname "$0")/lib.sh"
setup_common
COUNT=${COUNT:-1000}
memif_pair 92 f

# R offers RFC 7750 and RFC 8186 (used only by the dscp-ecn runs below,
# which ask for them; the other runs ask for no feature bit).
THD_EXTRA="features dscp-ecn ptpv2" thd_conf "$TMP/thd-r.conf" "$SHMR" "$TMP/thd-r.sock" \
	10.92.0.1 fd00:92::1
ip netns exec "$NSR" "$THD" -f "$TMP/thd-r.conf" >"$TMP/thd-r.log" 2>&1 &
PIDS+=($!)
# S's daemon only serves the admin socket for the fast-path engine; its
# TWAMP-Control listener is on loopback, out of the way.
thd_conf "$TMP/thd-s.conf" "$SHMS_" "$TMP/thd-s.sock" 127.0.0.1
ip netns exec "$NSS" "$THD" -f "$TMP/thd-s.conf" >"$TMP/thd-s.log" 2>&1 &
PIDS+=($!)
expect "twinhopd R listening on 10.92.0.1:862" wait_listen "$NSR" 862
for s in r s; do
	expect "twinhopd $s attached to its fast path" attached "$TMP/thd-$s.sock"
done
expect "ping 10.92.0.1 from S (both exception paths, ARP over memif)" \
	sh -c "ip netns exec $NSS ping -c 2 -i 0.2 -W 2 -q 10.92.0.1 >/dev/null"

NSESS=0
for spec in open:10.92.0.1 mixed:10.92.0.1 open:fd00:92::1 auth:10.92.0.1 enc:10.92.0.1 auth:fd00:92::1; do
	m=${spec%%:*}
	A=${spec#*:}
	case $A in *:*) t=$m-v6 ;; *) t=$m-v4 ;; esac
	ip netns exec "$NSS" "$TWINHOP" measure "$A" --engine fastpath --admin "$TMP/thd-s.sock" \
		--mode "$m" --keyid alice --keyfile "$TMP/pfs" --count "$COUNT" --rate 1000 \
		--loss-timeout 1 --json >"$TMP/$t.json" 2>"$TMP/$t.err"
	rc=$?
	if [ $rc = 1 ] && [ "$m" != open ] && [ "$m" != mixed ] &&
		grep -qi "admin protocol\|not supported\|cannot carry\|predates\|cannot send mode" "$TMP/$t.err"; then
		echo "SKIP - $t: the fast-path engine refuses this mode: $(tail -1 "$TMP/$t.err")"
		continue
	fi
	NSESS=$((NSESS + 1))
	[ $rc = 0 ] && ok "$t: exit 0" || nokf "$t: exit 0 (got $rc)" "$TMP/$t.err"
	check "$t: JSON mode $m, engine fastpath (when stated)" \
		"meta['engine'] in ('fastpath', None) and meta['mode'][:3] == '$m'[:3]" "$TMP/$t.json"
	check "$t: sent $COUNT, received $COUNT" "(s['sent'], s['received']) == ($COUNT, $COUNT)" "$TMP/$t.json"
	check "$t: loss 0 (round trip, forward, backward), nothing late" \
		"(s['lost'], s['lost_forward'], s['lost_backward'], s['late']) == (0, 0, 0, 0)" "$TMP/$t.json"
	check "$t: no duplicates, no reordering" \
		"(s['dup_forward'], s['dup_backward'], s['reordered_forward'], s['reordered_backward']) == (0, 0, 0, 0)" "$TMP/$t.json"
	check "$t: RTT sane (0 < min <= p50 <= max < 1 s, n = $COUNT)" \
		"s['rtt']['n'] == $COUNT and 0 < s['rtt']['min_ns'] <= s['rtt']['p50_ns'] <= s['rtt']['max_ns'] < 10**9" "$TMP/$t.json"
	check "$t: hops 0 both ways (fast paths send TTL 255)" \
		"(s['hops_forward']['max'], s['hops_backward']['max']) == (0, 0)" "$TMP/$t.json"
	check "$t: reflector port in test-ports, SID set" \
		"20000 <= s['reflector_port'] <= 20031 and len(s['sid']) == 32" "$TMP/$t.json"
done

# RFC 7750 + RFC 8186 with the fast path at both ends: the fast-path sender
# sends DSCP 46 + ECT(0) and PTP timestamps; R's fast-path reflector
# reports 46/ECT(0) in every reply and timestamps in PTP; the result
# stream carries the reflector's octet (tos_fwd) and the reply's (tos_rx).
for spec in open:10.92.0.1 enc:10.92.0.1 mixed:fd00:92::1; do
	m=${spec%%:*}
	A=${spec#*:}
	t=dscp-$m
	ip netns exec "$NSS" "$TWINHOP" measure "$A" --engine fastpath --admin "$TMP/thd-s.sock" \
		--mode "$m" --keyid alice --keyfile "$TMP/pfs" --count 200 --rate 1000 \
		--loss-timeout 1 --features dscp-ecn,ptp --dscp 46 --ecn ect0 --json \
		>"$TMP/$t.json" 2>"$TMP/$t.err"
	rc=$?
	[ $rc = 0 ] && ok "$t: exit 0" || nokf "$t: exit 0 (got $rc)" "$TMP/$t.err"
	check "$t: mode has dscp-ecn and ptpv2, 200 received, RTT sane" \
		"'dscp-ecn' in meta['mode'] and 'ptpv2' in meta['mode'] and s['received'] == 200 and 0 < s['rtt']['min_ns'] <= s['rtt']['max_ns'] < 10**9" "$TMP/$t.json"
	check "$t: forward 46/ect0 reported by the reflector in all 200, backward 46/not-ect" \
		"(lambda D: (D['sent'], D['forward']['replies'], D['forward']['dscp'], D['forward']['ecn'], D['forward']['dscp_remarked'], D['forward']['ecn_ce'], D['backward']['replies'], D['backward']['dscp'], D['backward']['ecn']) == ({'dscp': 46, 'ecn': 'ect0'}, 200, 46, 'ect0', 0, 0, 200, 46, 'not-ect'))(s['summary']['dscp_ecn'])" "$TMP/$t.json"
done

# Wire reference 11b.7 on the fast path: the fast-path sender (light-send
# --engine fastpath from S) against a kernel socket in R (reached through
# R's exception path) that answers like nokia/twampy, 38 octets without
# Sender TTL.  Every reply is accepted,
# forward hops are unknown, the CLI warns once and the fast path counts
# REPLY_NO_TTL.
ip netns exec "$NSR" python3 "$(dirname "$0")/../client/fake_twamp.py" reflect --twampy \
	--bind 10.92.0.1 "$TMP/twampy.port" >"$TMP/twampy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/twampy.port" ] && break; sleep 0.05; done
expect "twampy-layout reflector listening in R" test -s "$TMP/twampy.port"
ip netns exec "$NSS" "$TWINHOP" light-send 10.92.0.1:"$(cat "$TMP/twampy.port")" --engine fastpath --local 10.92.0.2 \
	--admin "$TMP/thd-s.sock" --count 50 --rate 1000 --loss-timeout 1 --json \
	>"$TMP/twampy-fp.res" 2>"$TMP/twampy-fp.err"
RC=$?
[ $RC = 0 ] && ok "fastpath sender vs twampy layout: exit 0" ||
	nokf "fastpath sender vs twampy layout: exit 0 (got $RC)" "$TMP/twampy-fp.err"
check "fastpath sender vs twampy layout: 50 of 50 accepted, forward hops unknown" \
	"(s['sent'], s['received'], s['hops_forward']['n'], s['hops_backward']['n']) == (50, 50, 0, 50)" \
	"$TMP/twampy-fp.res"
expect "fastpath sender vs twampy layout: one warning naming the 3-octet shortfall" \
	sh -c "[ \$(grep -c warning '$TMP/twampy-fp.err') = 1 ] && grep -q 'shortest 38 octets, 3 short of the 41-octet' '$TMP/twampy-fp.err'"
"$TWINHOP" counters --fp --admin "$TMP/thd-s.sock" --json >"$TMP/fpc-twampy.res" 2>&1
check "fast path: REPLY_NO_TTL >= 50, no DROP_REPLY_SHORT" \
	"d['total'].get('REPLY_NO_TTL', 0) >= 50 and d['total'].get('DROP_REPLY_SHORT', 0) == 0" \
	"$TMP/fpc-twampy.res"

# RFC 8972 §4.4 Class of Service: a STAMP sender (socket engine in S)
# against R's fast-path STAMP reflector, open and authenticated, IPv4 and
# IPv6.  Sent with DSCP 10 and asking for DSCP 46 back: the reflector must
# report DSCP2 10 / ECN 0 and send the reply with DSCP 46.
STAMPKEY=00112233445566778899aabbccddeeff
expect "light add: STAMP reflector on R port 5862 (open)" \
	"$TWINHOP" light add --proto stamp --port 5862 --admin "$TMP/thd-r.sock"
expect "light add: STAMP reflector on R port 5863 (authenticated)" \
	"$TWINHOP" light add --proto stamp --port 5863 --sec auth --key "$STAMPKEY" --admin "$TMP/thd-r.sock"
for spec in 10.92.0.1:5862: '[fd00:92::1]:5862': 10.92.0.1:5863:auth '[fd00:92::1]:5863:auth'; do
	sec=${spec##*:}
	tgt=${spec%:*}
	key=; [ "$sec" = auth ] && key="--stamp-key $STAMPKEY"
	t="cos-${tgt//[^0-9a-f]/}${sec:+-$sec}"
	ip netns exec "$NSS" "$TWINHOP" light-send "$tgt" --stamp $key --tlv cos=46 --dscp 10 \
		--count 20 --rate 200 --loss-timeout 1 --json >"$TMP/$t.res" 2>"$TMP/$t.err"
	RC=$?
	[ $RC = 0 ] && ok "$t: STAMP with Class of Service, exit 0" ||
		nokf "$t: STAMP with Class of Service, exit 0 (got $RC)" "$TMP/$t.err"
	check "$t: 20 CoS replies, forward DSCP 10 seen unremarked, reply DSCP 46 as asked, no U/M" \
		"(lambda c, f: (c['replies'], c['dscp_received'], c['ecn_received'], c['forward_remarked'], c['forward_ce'], c['reply_dscp'], c['reverse_remarked'], c['rp'], f['u'], f['m']) == (20, 10, 0, 0, 0, 46, 0, 0, 0, 0))(d['end']['stamp_tlvs']['cos'], d['end']['stamp_tlvs']['flagged'])" \
		"$TMP/$t.res"
done

# A sender whose packets exceed the fast path's IP MTU (1500: IPv4, 20 + 8 +
# 14 + 1459 = 1501 octets) is NACKed (TW_E_LENGTH), and the error names the MTU.
ip netns exec "$NSS" "$TWINHOP" light-send 10.92.0.1:862 --local 10.92.0.2 --engine fastpath \
	--admin "$TMP/thd-s.sock" --padding 1459 --count 3 --interval 0.01 --loss-timeout 1 \
	>"$TMP/mtu.out" 2>"$TMP/mtu.err"
rc=$?
expect "sender over the IP MTU: refused (exit $rc)" [ "$rc" != 0 ]
expect "sender over the IP MTU: the error names the MTU" \
	grep -q "longer than the fast path's IP MTU (1500 octets)" "$TMP/mtu.err"

"$TWINHOP" counters --admin "$TMP/thd-r.sock" --json >"$TMP/ctr-r.json" 2>&1
check "twinhopd R: SESSIONS_STARTED >= $NSESS, no HMAC/fast-path errors" \
	"d['counters']['SESSIONS_STARTED'] >= $NSESS and all(d['counters'][k] == 0 for k in ('HMAC','FP_NACK','FP_TIMEOUT','FP_UNAVAILABLE'))" "$TMP/ctr-r.json"
"$TWINHOP" counters --fp --admin "$TMP/thd-r.sock" --json >"$TMP/fpc-r.json" 2>&1
"$TWINHOP" counters --fp --admin "$TMP/thd-s.sock" --json >"$TMP/fpc-s.json" 2>&1
check "fast path R reflected at least $((NSESS * COUNT)) packets (TX_PKTS)" \
	"d['total'].get('TX_PKTS', 0) >= $((NSESS * COUNT))" "$TMP/fpc-r.json"
check "fast path S sent at least $((NSESS * COUNT)) packets (TX_PKTS)" \
	"d['total'].get('TX_PKTS', 0) >= $((NSESS * COUNT))" "$TMP/fpc-s.json"
finish
