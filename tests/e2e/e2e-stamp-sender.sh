#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 10 §2 acceptance: a STAMP session with every TLV a sender can send
# (RFC 8972 §4.1-4.8, RFC 9503 §3-4) at once, against our reflector (the
# real twinhop-fp on the af_packet end of a veth, STAMP listeners added
# through twinhopd), open and authenticated, IPv4 and IPv6.  The sender is
# `twinhop light-send --stamp --tlv ...` (socket engine) in the peer
# namespace; every check reads the value that came back from the JSON
# report (end.stamp_tlvs), the OpenMetrics file or the text report.
NAME=e2e-stamp-sender
. "$(dirname "$0")/lib.sh"
setup_common
need python3
topo_afpacket 98

STAMPKEY=00112233445566778899aabbccddeeff
expect "light add: STAMP reflector on port 5862 (open)" \
	"$TWINHOP" light add --proto stamp --port 5862 --admin "$TMP/thd.sock"
expect "light add: STAMP reflector on port 5863 (authenticated)" \
	"$TWINHOP" light add --proto stamp --port 5863 --sec auth --key "$STAMPKEY" --admin "$TMP/thd.sock"

COUNT=20
for spec in 10.98.0.1:5862: '[fd00:98::1]:5862': 10.98.0.1:5863:auth '[fd00:98::1]:5863:auth'; do
	sec=${spec##*:}
	tgt=${spec%:*}
	case $tgt in \[*) fam=6; refl=fd00:98::1; me=fd00:98::2 ;; *) fam=4; refl=10.98.0.1; me=10.98.0.2 ;; esac
	key=
	hmac=
	if [ "$sec" = auth ]; then key="--stamp-key $STAMPKEY"; hmac="--tlv hmac"; fi
	t="v$fam${sec:+-$sec}"
	# Every kind, HMAC first on the command line (it must go last on the
	# wire), --padding as an Extra Padding TLV of 24 octets.
	ip netns exec "$NSC" "$TWINHOP" light-send "$tgt" --stamp $key $hmac \
		--tlv location --tlv tsinfo --tlv cos=46,ecn=2 --tlv dm --tlv access=1,1 \
		--tlv followup --tlv dna=$refl --tlv return-path=1 --tlv pad=16 --tlv type=200,len=4 \
		--padding 24 --dscp 10 --count $COUNT --rate 100 --loss-timeout 5 \
		--json --openmetrics "$TMP/$t.om" >"$TMP/$t.json" 2>"$TMP/$t.err"
	RC=$?
	[ $RC = 0 ] && ok "$t: STAMP with every TLV, exit 0" ||
		nokf "$t: STAMP with every TLV, exit 0 (got $RC)" "$TMP/$t.err"
	check "$t: $COUNT sent, $COUNT received" "(s['sent'], s['received']) == ($COUNT, $COUNT)" "$TMP/$t.json"
	T="d['end']['stamp_tlvs']"
	want_sent="['location','tsinfo','cos','dm','access','followup','dna','return-path','pad','type','pad'${hmac:+,'hmac'}]"
	check "$t: the TLVs sent, in order, the HMAC last" "$T['sent'] == $want_sent" "$TMP/$t.json"
	check "$t: every reply's TLVs read, none cut short" \
		"$T['replies'] == $COUNT and $T['replies_short'] == 0" "$TMP/$t.json"
	check "$t: nothing flagged Malformed or Integrity-failed" \
		"$T['flagged']['m'] == 0 and $T['flagged']['i'] == 0" "$TMP/$t.json"
	# RFC 8972 §4.4: sent DSCP 10 / ECN 2 (ECT(0)), asked DSCP 46 back.
	check "$t: CoS: reflector received DSCP 10 ECN 2, none remarked, reply DSCP 46 as asked" \
		"(lambda c: (c['replies'], c['dscp_requested'], c['dscp_received'], c['ecn_received'], c['forward_remarked'], c['forward_ecn_changed'], c['reply_dscp'], c['reverse_remarked'], c['rp']) == ($COUNT, 46, 10, 2, 0, 0, 46, 0, 0))($T['cos'])" \
		"$TMP/$t.json"
	# RFC 8972 §4.5: one test packet in, one reply out, nothing lost.
	check "$t: Direct Measurement: S_TxC $COUNT, R_RxC = R_TxC counted, no loss either way" \
		"(lambda x: x['replies'] == $COUNT and x['s_txc'] == $COUNT and x['r_rxc'] >= $COUNT and x['r_txc'] >= $COUNT and (x['forward_lost'], x['backward_lost']) == (0, 0))($T['direct_measurement'])" \
		"$TMP/$t.json"
	# RFC 8972 §4.3: a software fast path timestamps with the TSC/NIC.
	check "$t: Timestamp Information filled in every reply (sync source and method non-zero)" \
		"(lambda x: x['replies'] == $COUNT and x['sync_in'] > 0 and x['method_in'] > 0 and x['sync_out'] > 0 and x['method_out'] > 0)($T['timestamp_info'])" \
		"$TMP/$t.json"
	# The unknown type 200 is the only TLV the reflector leaves U.
	check "$t: exactly the raw type 200 TLV comes back flagged U, once per reply" \
		"$T['flagged']['u'] == $COUNT" "$TMP/$t.json"
	port=${tgt##*:}
	# RFC 8972 §4.2: the addresses and ports the reflector saw are ours.
	check "$t: Location: the reflector saw $me -> $refl port $port, our source port, no NAT" \
		"(lambda x: (x['replies'], x['src'], x['dst'], x['dst_port'], x['nat'], x['nat_replies']) == ($COUNT, '$me', '$refl', $port, False, 0) and x['local'].endswith(':%d' % x['src_port']))($T['location'])" \
		"$TMP/$t.json"
	# RFC 8972 §4.7: every reply but the first names an earlier one with
	# its real T3, never earlier than the in-packet one, in the mode
	# Timestamp Information gives for T3.  Two requests that reach the
	# reflector in one burst make the second name the older reply again
	# (repeated): the sender may bunch packets when it falls behind.
	check "$t: Follow-Up: the first empty, every other names a reply we got (matched or repeated, none unknown), real T3 >= in-packet T3, RTT with it <= with the in-packet T3" \
		"(lambda x, ti: x['empty'] == 1 and x['unmatched'] == 0 and x['matched'] >= 1 and x['matched'] + x['repeated'] == $((COUNT - 1)) and 0 <= x['t3_correction_min_ns'] <= x['t3_correction_max_ns'] < 10**9 and x['rtt_real_t3_mean_ns'] <= x['rtt_in_packet_t3_mean_ns'] and x['timestamp_mode'] == ti['method_out'])($T['followup'], $T['timestamp_info'])" \
		"$TMP/$t.json"
	# RFC 8972 §4.6, RFC 9503 §3, §4.
	check "$t: Access Report echoed unchanged in every reply" \
		"($T['access_report']['echoed'], $T['access_report']['changed']) == ($COUNT, 0)" "$TMP/$t.json"
	check "$t: Destination Node Address $refl accepted (U clear) in every reply" \
		"($T['dna']['accepted'], $T['dna']['flagged']) == ($COUNT, 0)" "$TMP/$t.json"
	check "$t: Return Path (reply on the same link) accepted in every reply" \
		"($T['return_path']['accepted'], $T['return_path']['flagged']) == ($COUNT, 0)" "$TMP/$t.json"
	if [ "$sec" = auth ]; then
		# RFC 8972 §4.8: the reflector's HMAC TLV over its reply.
		check "$t: the reply's HMAC TLV verifies with the session key in every reply" \
			"($T['hmac']['verified'], $T['hmac']['failed']) == ($COUNT, 0)" "$TMP/$t.json"
	else
		check "$t: no HMAC TLV sent in open mode" "$T['hmac'] is None" "$TMP/$t.json"
	fi
	# A Destination Node Address that is not the reflector's: U, still a reply.
	ip netns exec "$NSC" "$TWINHOP" light-send "$tgt" --stamp $key \
		--tlv dna=$([ $fam = 6 ] && echo fd00:98::77 || echo 10.98.0.77) --tlv return-path=0x1 \
		--count 5 --rate 100 --loss-timeout 5 --json >"$TMP/$t-dna.json" 2>"$TMP/$t-dna.err"
	check "$t: a foreign Destination Node Address comes back flagged U (5 of 5)" \
		"($T['dna']['accepted'], $T['dna']['flagged'], $T['flagged']['u']) == (0, 5, 5)" "$TMP/$t-dna.json"
	# RFC 9503 §4: Control Code 0, no reply requested: the reflector stays silent.
	ip netns exec "$NSC" "$TWINHOP" light-send "$tgt" --stamp $key --tlv return-path=0 \
		--count 5 --rate 100 --loss-timeout 1 --json >"$TMP/$t-norp.json" 2>"$TMP/$t-norp.err"
	check "$t: Return Path Control Code 0 (no reply requested): 5 sent, none answered" \
		"(s['sent'], s['received'], $T['replies']) == (5, 0, 0)" "$TMP/$t-norp.json"
	# The same values in OpenMetrics.
	expect "$t: OpenMetrics: CoS DSCP received 10 and reply 46" \
		sh -c "grep -q '^twinhop_stamp_cos_dscp{.*which=\"received\"} 10$' '$TMP/$t.om' && grep -q '^twinhop_stamp_cos_dscp{.*which=\"reply\"} 46$' '$TMP/$t.om'"
	expect "$t: OpenMetrics: no DM loss either way" \
		sh -c "grep -q '^twinhop_stamp_dm_lost_packets{.*direction=\"forward\"} 0$' '$TMP/$t.om' && grep -q '^twinhop_stamp_dm_lost_packets{.*direction=\"backward\"} 0$' '$TMP/$t.om'"
	expect "$t: the JSON validates against docs/schema/report.schema.json" \
		python3 "$TW_SRC/tests/client/check_cli.py" schema "$TW_SRC/docs/schema/report.schema.json" "$TMP/$t.json"
	expect "$t: the OpenMetrics file parses strictly" \
		python3 "$TW_SRC/tests/client/check_cli.py" openmetrics "$TMP/$t.om"
done

# The text report says the same for one session (IPv4, open).
ip netns exec "$NSC" "$TWINHOP" light-send 10.98.0.1:5862 --stamp --tlv cos=46 --tlv dm --tlv tsinfo \
	--dscp 10 --count 10 --rate 100 --loss-timeout 1 >"$TMP/text.out" 2>"$TMP/text.err"
expect "text: the cos line (DSCP 10 received, asked 46, reply 46)" \
	grep -q "^cos.*reflector received DSCP 10 ECN 0 (0 remarked.*asked DSCP 46, reply DSCP 46" "$TMP/text.out"
expect "text: the dm line (no loss)" grep -q "^dm .*forward loss 0, backward loss 0" "$TMP/text.out"

# Refusals: hmac without the authenticated mode, a bad word, --padding < 4.
ip netns exec "$NSC" "$TWINHOP" light-send 10.98.0.1:5862 --stamp --tlv hmac --count 1 >/dev/null 2>"$TMP/r1.err"
RC=$?
expect "--tlv hmac without --stamp-key refused (exit 1, names --stamp-key)" \
	sh -c "[ $RC != 0 ] && grep -q 'stamp-key' '$TMP/r1.err'"
"$TWINHOP" light-send 10.98.0.1:5862 --stamp --tlv bogus --count 1 >/dev/null 2>"$TMP/r2.err"
RC=$?
expect "--tlv bogus refused with usage exit 2" sh -c "[ $RC = 2 ] && grep -q 'unknown' '$TMP/r2.err'"
"$TWINHOP" light-send 10.98.0.1:5862 --stamp --tlv dm --padding 3 --count 1 >/dev/null 2>"$TMP/r3.err"
RC=$?
expect "--padding 3 with --tlv refused (the Extra Padding TLV needs 4)" sh -c "[ $RC = 2 ]"
"$TWINHOP" measure 10.98.0.1 --tlv dm --count 1 >/dev/null 2>"$TMP/r4.err"
RC=$?
expect "measure --tlv refused (STAMP only), usage exit 2" sh -c "[ $RC = 2 ] && grep -q 'light-send --stamp' '$TMP/r4.err'"
"$TWINHOP" light-send 10.98.0.1:5862 --tlv dm --count 1 >/dev/null 2>"$TMP/r5.err"
RC=$?
expect "light-send --tlv without --stamp refused, usage exit 2" sh -c "[ $RC = 2 ] && grep -q 'needs --stamp' '$TMP/r5.err'"
finish
