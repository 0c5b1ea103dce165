#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 10 §2 "the fast-path sender can add any of these TLVs": STAMP with
# every RFC 8972 / RFC 9503 TLV at once, with a fast path at both ends,
# joined by memif:
#
#   namespace S (twh-s-PID)                      namespace R (twh-r-PID)
#   twinhop light-send --stamp                   twinhopd (STAMP listeners
#     --engine fastpath --tlv ...                  5862 open, 5863 auth)
#     | admin socket                               | --shm
#   twinhopd (sender side)                       twinhop-fp reflector
#     | --shm                                      TAP 10.93.0.1 fd00:93::1
#   twinhop-fp sender, TAP 10.93.0.2 fd00:93::2    |
#     memif client ================ memif ======== memif server
#
# The CLI lays the TLVs out (lib/tw_stlv, as the socket engine), twinhopd
# hands them to S's fast path in SENDER_ADD (IPC version 9), S's fast path
# sends them and reads the replies' TLVs; R's fast path answers them.  Open
# and authenticated, IPv4 and IPv6; every check reads a value that came
# back, from the JSON report (end.stamp_tlvs), the OpenMetrics file, the
# text report or S's fast-path counters.
NAME=e2e-fastpath-stamp
. "$(dirname "$0")/lib.sh"
setup_common
need python3
# checkall FILE: one python for many checks (lines "NAME<TAB>PYEXPR" on
# stdin, as check() takes them), each still counted and named on its own.
checkall() {
	local st line
	while IFS= read -r line; do
		st=${line%% *}
		case $st in
		ok) ok "${line#ok }" ;;
		*) nok "${line#FAIL }" ;;
		esac
	done < <(python3 -c "$PYVIEW"'
try:
    d = json.load(open(sys.argv[1]))
    s, meta = view(d)
except Exception as e:
    d = s = meta = None
    err = "unparsable JSON: %s" % e
for line in sys.stdin.read().splitlines():
    if not line.strip():
        continue
    name, expr = line.split("\t", 1)
    if d is None:
        print("FAIL %s (%s)" % (name, err)); continue
    try:
        r = eval(expr)
    except Exception as e:
        r = "error: %r" % e
    print("ok %s" % name if r is True else "FAIL %s (%s -> %s)" % (name, expr, r))' "$1")
}
memif_pair 93 t

thd_conf "$TMP/thd-r.conf" "$SHMR" "$TMP/thd-r.sock" 10.93.0.1
ip netns exec "$NSR" "$THD" -f "$TMP/thd-r.conf" >"$TMP/thd-r.log" 2>&1 &
PIDS+=($!)
thd_conf "$TMP/thd-s.conf" "$SHMS_" "$TMP/thd-s.sock" 127.0.0.1
ip netns exec "$NSS" "$THD" -f "$TMP/thd-s.conf" >"$TMP/thd-s.log" 2>&1 &
PIDS+=($!)
for s in r s; do
	expect "twinhopd $s attached to its fast path" attached "$TMP/thd-$s.sock"
done
# ARP / ND over memif through both exception paths, so the fast-path
# sender finds its next hop (sender-add without next_hop_mac resolves it).
expect "ping 10.93.0.1 from S (ARP over memif)" \
	sh -c "ip netns exec $NSS ping -c 2 -i 0.2 -W 2 -q 10.93.0.1 >/dev/null"
expect "ping fd00:93::1 from S (ND over memif)" \
	sh -c "ip netns exec $NSS ping -6 -c 2 -i 0.2 -W 2 -q fd00:93::1 >/dev/null"

STAMPKEY=00112233445566778899aabbccddeeff
expect "light add: STAMP reflector on R port 5862 (open)" \
	"$TWINHOP" light add --proto stamp --port 5862 --admin "$TMP/thd-r.sock"
expect "light add: STAMP reflector on R port 5863 (authenticated)" \
	"$TWINHOP" light add --proto stamp --port 5863 --sec auth --key "$STAMPKEY" --admin "$TMP/thd-r.sock"

"$TWINHOP" counters --fp --admin "$TMP/thd-s.sock" --json >"$TMP/fpc-s0.json" 2>&1
COUNT=20
NRUN=0
for spec in 10.93.0.1:5862: '[fd00:93::1]:5862': 10.93.0.1:5863:auth '[fd00:93::1]:5863:auth'; do
	sec=${spec##*:}
	tgt=${spec%:*}
	case $tgt in \[*) fam=6; refl=fd00:93::1; me=fd00:93::2 ;; *) fam=4; refl=10.93.0.1; me=10.93.0.2 ;; esac
	key=
	hmac=
	if [ "$sec" = auth ]; then key="--stamp-key $STAMPKEY"; hmac="--tlv hmac"; fi
	t="v$fam${sec:+-$sec}"
	NRUN=$((NRUN + 1))
	# Every kind, HMAC first on the command line (it must go last on the
	# wire), --padding as an Extra Padding TLV of 24 octets.
	ip netns exec "$NSS" "$TWINHOP" light-send "$tgt" --stamp $key $hmac --engine fastpath \
		--local $me --admin "$TMP/thd-s.sock" \
		--tlv location --tlv tsinfo --tlv cos=46,ecn=2 --tlv dm --tlv access=1,1 \
		--tlv followup --tlv dna=$refl --tlv return-path=1 --tlv pad=16 --tlv type=200,len=4 \
		--padding 24 --dscp 10 --count $COUNT --rate 100 --loss-timeout 2 \
		--json --openmetrics "$TMP/$t.om" >"$TMP/$t.json" 2>"$TMP/$t.err"
	RC=$?
	[ $RC = 0 ] && ok "$t: fast-path STAMP sender with every TLV, exit 0" ||
		nokf "$t: fast-path STAMP sender with every TLV, exit 0 (got $RC)" "$TMP/$t.err"
	T="d['end']['stamp_tlvs']"
	want_sent="['location','tsinfo','cos','dm','access','followup','dna','return-path','pad','type','pad'${hmac:+,'hmac'}]"
	port=${tgt##*:}
	mine=$me
	[ $fam = 6 ] && mine="[$me]"
	# RFC 8972 §4.7 in one reflector burst: open mode names the reply
	# before in the same burst (matched); authenticated mode names the
	# burst's predecessor again (repeated, docs/fastpath.md), and how many
	# replies share a burst is the scheduler's doing on a loaded machine.
	FU_NAMED="x['matched']"
	[ "$sec" = auth ] && FU_NAMED="x['matched'] + x['repeated']"
	if [ "$sec" = auth ]; then
		HMAC_CHECK="$t: the reply's HMAC TLV verifies with the session key in every reply	($T['hmac']['verified'], $T['hmac']['failed']) == ($COUNT, 0)"
	else
		HMAC_CHECK="$t: no HMAC TLV sent in open mode	$T['hmac'] is None"
	fi
	# What came back, in the JSON report:
	# - RFC 8972 §4.4: sent DSCP 10 / ECN 2 (ECT(0)), asked DSCP 46 back;
	#   the fast-path reflector remarks the reply, the fast-path sender
	#   reads the reply's own DSCP from its IP header;
	# - §4.5: S_TxC written per packet by the fast-path sender;
	# - §4.3: a software fast path timestamps with the TSC;
	# - the unknown type 200 is the only TLV the reflector leaves U;
	# - §4.2: the reflector saw the fast-path sender's own address and the
	#   port the CLI picked for it, nothing translated;
	# - §4.7: the reflector's real T3 of an earlier reply; every reply but
	#   the first names one we got (none unknown), within 1 ms of its
	#   in-packet T3, the two RTTs differing by the mean correction;
	# - §4.6, RFC 9503 §3, §4: echoed / accepted in every reply;
	# - §4.8: the fast-path sender wrote the HMAC TLV (else the reflector
	#   would flag I on every TLV) and verified the reflector's.
	checkall "$TMP/$t.json" <<EOF
$t: engine fastpath, $COUNT sent, $COUNT received	meta['engine'] in ('fastpath', None) and (s['sent'], s['received']) == ($COUNT, $COUNT)
$t: the TLVs sent, in order, the HMAC last	$T['sent'] == $want_sent
$t: every reply's TLVs read by the fast path, none cut short	$T['replies'] == $COUNT and $T['replies_short'] == 0
$t: nothing flagged Malformed or Integrity-failed	$T['flagged']['m'] == 0 and $T['flagged']['i'] == 0
$t: CoS: reflector received DSCP 10 ECN 2, none remarked, reply DSCP 46 as asked	(lambda c: (c['replies'], c['dscp_requested'], c['dscp_received'], c['ecn_received'], c['forward_remarked'], c['forward_ecn_changed'], c['reply_dscp'], c['reverse_remarked'], c['rp']) == ($COUNT, 46, 10, 2, 0, 0, 46, 0, 0))($T['cos'])
$t: Direct Measurement: S_TxC $COUNT, R_RxC and R_TxC counted, no loss either way	(lambda x: x['replies'] == $COUNT and x['s_txc'] == $COUNT and x['r_rxc'] >= $COUNT and x['r_txc'] >= $COUNT and (x['forward_lost'], x['backward_lost']) == (0, 0))($T['direct_measurement'])
$t: Timestamp Information filled in every reply (sync source and method non-zero)	(lambda x: x['replies'] == $COUNT and x['sync_in'] > 0 and x['method_in'] > 0 and x['sync_out'] > 0 and x['method_out'] > 0)($T['timestamp_info'])
$t: exactly the raw type 200 TLV comes back flagged U, once per reply	$T['flagged']['u'] == $COUNT
$t: Location: the reflector saw $me -> $refl port $port from our port, no NAT	(lambda x: (x['replies'], x['src'], x['dst'], x['dst_port'], x['nat'], x['nat_replies']) == ($COUNT, '$me', '$refl', $port, False, 0) and x['local'] == '$mine:%d' % x['src_port'])($T['location'])
$t: Follow-Up: the first empty, the others name a reply we got, real T3 within 0.1 s of the in-packet T3 (a preempted lcore sits between them), the RTTs consistent	(lambda x, ti: x['empty'] >= 1 and x['unmatched'] == 0 and $FU_NAMED >= $((COUNT / 2)) and x['matched'] + x['repeated'] + x['empty'] == $COUNT and -10**6 < x['t3_correction_min_ns'] <= x['t3_correction_max_ns'] < 10**8 and abs(x['rtt_in_packet_t3_mean_ns'] - x['t3_correction_mean_ns'] - x['rtt_real_t3_mean_ns']) <= 2 and x['timestamp_mode'] == ti['method_out'])($T['followup'], $T['timestamp_info'])
$t: Access Report echoed unchanged in every reply	($T['access_report']['echoed'], $T['access_report']['changed']) == ($COUNT, 0)
$t: Destination Node Address $refl accepted (U clear) in every reply	($T['dna']['accepted'], $T['dna']['flagged']) == ($COUNT, 0)
$t: Return Path (reply on the same link) accepted in every reply	($T['return_path']['accepted'], $T['return_path']['flagged']) == ($COUNT, 0)
$HMAC_CHECK
EOF
	expect "$t: OpenMetrics: CoS DSCP received 10 and reply 46" \
		sh -c "grep -q '^twinhop_stamp_cos_dscp{.*which=\"received\"} 10$' '$TMP/$t.om' && grep -q '^twinhop_stamp_cos_dscp{.*which=\"reply\"} 46$' '$TMP/$t.om'"
	expect "$t: OpenMetrics: no DM loss either way" \
		sh -c "grep -q '^twinhop_stamp_dm_lost_packets{.*direction=\"forward\"} 0$' '$TMP/$t.om' && grep -q '^twinhop_stamp_dm_lost_packets{.*direction=\"backward\"} 0$' '$TMP/$t.om'"
	expect "$t: the JSON validates against docs/schema/report.schema.json" \
		python3 "$TW_SRC/tests/client/check_cli.py" schema "$TW_SRC/docs/schema/report.schema.json" "$TMP/$t.json"
	expect "$t: the OpenMetrics file parses strictly" \
		python3 "$TW_SRC/tests/client/check_cli.py" openmetrics "$TMP/$t.om"
done

# The text report from the fast-path engine says the same (IPv4, open).
ip netns exec "$NSS" "$TWINHOP" light-send 10.93.0.1:5862 --stamp --engine fastpath --local 10.93.0.2 \
	--admin "$TMP/thd-s.sock" --tlv cos=46 --tlv dm --tlv tsinfo --tlv followup \
	--dscp 10 --count 10 --rate 100 --loss-timeout 2 >"$TMP/text.out" 2>"$TMP/text.err"
expect "text: the cos line (DSCP 10 received, asked 46, reply 46)" \
	grep -q "^cos.*reflector received DSCP 10 ECN 0 (0 remarked.*asked DSCP 46, reply DSCP 46" "$TMP/text.out"
expect "text: the dm line (no loss)" grep -q "^dm .*forward loss 0, backward loss 0" "$TMP/text.out"

# The fast path S counted what it read: the type 200 TLV flagged U in every
# reply of the four runs, no short TLV area, no failed HMAC TLV.
"$TWINHOP" counters --fp --admin "$TMP/thd-s.sock" --json >"$TMP/fpc-s1.json" 2>&1
check "fast path S: STAMP_REPLY_TLV_FLAGGED grew by $((NRUN * COUNT)), no SHORT, no HMAC_FAIL" \
	"(lambda a, b: (b.get('STAMP_REPLY_TLV_FLAGGED', 0) - a.get('STAMP_REPLY_TLV_FLAGGED', 0), b.get('STAMP_REPLY_TLV_SHORT', 0), b.get('STAMP_REPLY_TLV_HMAC_FAIL', 0)) == ($((NRUN * COUNT)), 0, 0))(json.load(open('$TMP/fpc-s0.json'))['total'], d['total'])" \
	"$TMP/fpc-s1.json"

# Refusals that reach the fast path's validation (tw_ipc_validate): a
# template the sender cannot carry.  More than 512 octets of TLVs.
ip netns exec "$NSS" "$TWINHOP" light-send 10.93.0.1:5862 --stamp --engine fastpath --local 10.93.0.2 \
	--admin "$TMP/thd-s.sock" --tlv pad=600 --count 1 >/dev/null 2>"$TMP/r1.err"
RC=$?
expect "--tlv pad=600 on the fast path refused (exit 1, names the 512-octet bound)" \
	sh -c "[ $RC = 1 ] && grep -q 'at most 512' '$TMP/r1.err'"
# A hand-made SENDER_ADD template that is not well formed: NACKed by the
# fast path, named by its field (admin error fp-nack).
ip netns exec "$NSS" python3 - "$TMP/thd-s.sock" >"$TMP/r2.out" 2>&1 <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rw')
# a Direct Measurement TLV of 8 octets (RFC 8972 §4.5 says 12)
req = {"id": 1, "cmd": "sender-add", "proto": "stamp", "local": "10.93.0.2", "local_port": 40001,
       "peer": "10.93.0.1", "peer_port": 5862, "count": 1, "tlv": "80050008" + "00" * 8}
f.write(json.dumps(req) + "\n")
f.flush()
while True:
    r = json.loads(f.readline())
    if r.get("id") == 1:
        print(json.dumps(r))
        break
EOF
check "a malformed template (DM TLV of 8 octets) is NACKed by the fast path" \
	"d['ok'] is False and d['error'] == 'fp-nack'" "$TMP/r2.out"
"$TWINHOP" counters --fp --admin "$TMP/thd-s.sock" --json >"$TMP/fpc-s2.json" 2>&1
check "fast path S counted the refused command in DROP_IPC_BAD" \
	"d['total'].get('DROP_IPC_BAD', 0) >= 1" "$TMP/fpc-s2.json"
finish
