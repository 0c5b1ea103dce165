#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# RFC 8913 control-client sessions driven by twinhopd itself (issue 12 §3):
#
#   namespace A (twh-a-PID)                      namespace B (twh-b-PID)
#   twinhop config import (YANG)                 twinhopd B :862, the Server
#     | admin socket                               | --shm
#   twinhopd A: Control-Client ---TCP 862------> twinhop-fp B (reflector)
#     | --shm        (via both exception paths)  TAP twh-b0 10.93.0.1
#   twinhop-fp A (sender) TAP twh-a0 10.93.0.2     |
#     memif client ================ memif ======== memif server
#
# A imports ietf-twamp documents whose ctrl-connections point at B: A's
# twinhopd connects, negotiates (open, then authenticated), requests and
# starts the sessions and sends the test packets from its fast path.  The
# test checks B's counters (the sessions came over TWAMP-Control), A's
# results (twinhop sessions / the sender statistics), the end of a counted
# session (Stop-Sessions, state ended), a KeyID B does not know (retrying,
# CC_REFUSED), and that deleting the configuration stops the sessions on B.
NAME=e2e-control-client
. "$(dirname "$0")/lib.sh"
setup_common
mkns NSB b
mkns NSA a
SHMB=/twh-ccb-$$
SHMA=/twh-cca-$$
SHMS+=("$SHMB" "$SHMA")
PREFIXES+=("twh-ccb$$" "twh-cca$$")
SOCK=$TMP/memif.sock
write_pfs "$TMP/pfs"
# A knows a second KeyID that B does not: B must refuse it.
{ cat "$TMP/pfs"; printf 'carol\t%s\n' "$(printf othersecret | od -An -tx1 | tr -d ' \n')"; } >"$TMP/pfs-a"
EAL="--no-huge -m 256 --no-pci --log-level=user1,notice"

ip netns exec "$NSB" "$FP" -l 0 $EAL --file-prefix twh-ccb$$ -- \
	--profile "$PROFILES/net_memif.conf" --pvar role=server --pvar id=0 --pvar socket="$SOCK" \
	--shm "$SHMB" --addr 10.93.0.1/24 --tap twh-b0 --counters >"$TMP/fp-b.log" 2>&1 &
PIDS+=($!)
wait_for "$TMP/fp-b.log" READY
ip netns exec "$NSA" "$FP" -l 1 $EAL --file-prefix twh-cca$$ -- \
	--profile "$PROFILES/net_memif.conf" --pvar role=client --pvar id=0 --pvar socket="$SOCK" \
	--shm "$SHMA" --addr 10.93.0.2/24 --tap twh-a0 --counters >"$TMP/fp-a.log" 2>&1 &
PIDS+=($!)
wait_for "$TMP/fp-a.log" READY
expect "fast path B (reflector, memif server) started" grep -q READY "$TMP/fp-b.log"
expect "fast path A (sender, memif client) started" grep -q READY "$TMP/fp-a.log"
wait_addr "$NSB" 10.93.0.1/24
wait_addr "$NSA" 10.93.0.2/24

thd_conf "$TMP/thd-b.conf" "$SHMB" "$TMP/thd-b.sock" 10.93.0.1
ip netns exec "$NSB" "$THD" -f "$TMP/thd-b.conf" >"$TMP/thd-b.log" 2>&1 &
PIDS+=($!)
# A's daemon: its own Server on loopback, out of the way; the A keyfile.
thd_conf "$TMP/thd-a.conf" "$SHMA" "$TMP/thd-a.sock" 127.0.0.1
sed -i "s|^keyfile .*|keyfile $TMP/pfs-a|" "$TMP/thd-a.conf"
ip netns exec "$NSA" "$THD" -f "$TMP/thd-a.conf" >"$TMP/thd-a.log" 2>&1 &
PIDS+=($!)
expect "twinhopd B listening on 10.93.0.1:862" wait_listen "$NSB" 862
for s in a b; do
	expect "twinhopd $s attached to its fast path" attached "$TMP/thd-$s.sock"
done
expect "ping 10.93.0.1 from A (both exception paths, ARP over memif)" \
	sh -c "ip netns exec $NSA ping -c 2 -i 0.2 -W 2 -q 10.93.0.1 >/dev/null"

A() { TWINHOP_ADMIN=$TMP/thd-a.sock "$TWINHOP" "$@"; }
B() { TWINHOP_ADMIN=$TMP/thd-b.sock "$TWINHOP" "$@"; }
# wait_json WHO FILE PYEXPR: poll show-sessions/counters (WHO: "A sessions",
# "B counters", ...) into FILE until PYEXPR over d holds (bounded, 15 s)
wait_json() {
	local who=$1 what=$2 f=$3 expr=$4
	for _ in $(seq 150); do
		$who "$what" --json >"$f" 2>&1
		python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($expr) else 1)" "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# ydoc FILE CHAIN KEYID COUNT CONN...: an ietf-twamp document, each CONN
# "name:keyid" one ctrl-connection to B with one test session "name-t"
ydoc() {
	python3 - "$@" <<'PY'
import json, sys
f, chain, count, conns = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
client = {"ctrl-connection": []}
if chain:
    client["mode-preference-chain"] = [{"priority": i, "mode": m} for i, m in enumerate(chain.split(","))]
ts = []
for c in conns:
    name, kid = c.split(":")
    cc = {"name": name, "server-ip": "10.93.0.1",
          "test-session-request": [{"name": name + "-t", "reflector-ip": "10.93.0.1",
                                    "timeout": "1", "padding-length": 64}]}
    if kid:
        cc["key-id"] = kid
    client["ctrl-connection"].append(cc)
    ts.append({"name": name + "-t", "number-of-packets": count, "periodic-interval": "0.01"})
json.dump({"ietf-twamp:twamp": {"client": client,
           "session-sender": {"admin-state": True, "test-session": ts}}}, open(f, "w"))
PY
}

# ---- open mode: 200 packets, the session ends, Stop-Sessions -------------
ydoc "$TMP/open.json" "" 200 "c-open:"
A config import "$TMP/open.json" >"$TMP/imp-open" 2>&1 && ok "import: one open ctrl-connection to B" ||
	nokf "import open" "$TMP/imp-open"
wait_json A sessions "$TMP/open.s" \
	'[c for c in d["clients"] if c["name"] == "c-open" and c["state"] == "ended"]' ||
	nokf "c-open did not end (state below)" "$TMP/open.s" 40
check "A: c-open negotiated open, ran, ended (every sender ended, Stop-Sessions sent)" \
	"[(c['state'], c['mode'], c['attempts'], c['sessions'][0]['local_port'] >= 49152) for c in d['clients'] if c['name'] == 'c-open'] == [('ended', 'open', 1, True)]" \
	"$TMP/open.s"
check "A: its TWAMP sender (group c-open) sent 200, 200 replies, loss 0, an RTT" \
	"[(x['proto'], x['mode'], x['stats']['sent'], x['stats']['received'], x['stats']['lost'], x['stats']['rtt_p50_ns'] > 0) for x in d['sessions'] if x.get('group') == 'c-open'] == [('twamp', 'open', 200, 200, 0, True)]" \
	"$TMP/open.s"
wait_json B counters "$TMP/open.b" 'd["counters"]["SESSIONS_STOPPED"] >= 1' ||
	nokf "B saw no Stop-Sessions" "$TMP/open.b" 3
check "B: the session came over TWAMP-Control (SETUP_OK 1, ACCEPTED 1, STARTED 1, STOPPED 1)" \
	"[d['counters'][k] for k in ('SETUP_OK', 'SESSIONS_ACCEPTED', 'SESSIONS_STARTED', 'SESSIONS_STOPPED')] == [1, 1, 1, 1]" \
	"$TMP/open.b"
A counters --json >"$TMP/open.a" 2>&1
check "A: CC_STARTED 1, CC_STOPPED 1, no failure counted" \
	"(d['counters']['CC_STARTED'], d['counters']['CC_STOPPED'], sum(v for k, v in d['counters'].items() if k.startswith('CC_') and k not in ('CC_STARTED', 'CC_STOPPED'))) == (1, 1, 0)" \
	"$TMP/open.a"

# ---- authenticated: a running session, and a KeyID B does not know -------
ydoc "$TMP/auth.json" authenticated 100000 "c-auth:alice" "c-bad:carol"
A config import --replace "$TMP/auth.json" >"$TMP/imp-auth" 2>&1 &&
	grep -q "Control-client 'c-open' deleted (--replace)" "$TMP/imp-auth" &&
	ok "import --replace: two authenticated ctrl-connections (c-open deleted)" || nokf "import auth" "$TMP/imp-auth"
wait_json A sessions "$TMP/auth.s" \
	'[x for x in d["sessions"] if x.get("group") == "c-auth" and x.get("stats", {}).get("received", 0) >= 50] and [c for c in d["clients"] if c["name"] == "c-bad" and c["state"] == "retrying"]' ||
	nokf "c-auth results / c-bad retrying (state below)" "$TMP/auth.s" 40
check "A: c-auth running in authenticated mode, SID and B's port from Accept-Session" \
	"[(c['state'], c['mode'], len(c['sessions'][0]['sid']), 20000 <= c['sessions'][0]['accepted_port'] <= 20031) for c in d['clients'] if c['name'] == 'c-auth'] == [('running', 'authenticated', 32, True)]" \
	"$TMP/auth.s"
check "A: results arrive for c-auth's sender (authenticated test packets, replies, no loss yet)" \
	"[(x['mode'], x['stats']['received'] >= 50, x['stats']['lost']) for x in d['sessions'] if x.get('group') == 'c-auth'] == [('authenticated', True, 0)]" \
	"$TMP/auth.s"
check "A: c-bad retries, naming B's refusal of its KeyID" \
	"[(c['state'], 'rejected KeyID' in c['error'] and 'carol' in c['error']) for c in d['clients'] if c['name'] == 'c-bad'] == [('retrying', True)]" \
	"$TMP/auth.s"
A counters --json >"$TMP/auth.a" 2>&1
check "A: CC_REFUSED counted for c-bad" "d['counters']['CC_REFUSED'] >= 1" "$TMP/auth.a"
B counters --json >"$TMP/auth.b" 2>&1
check "B: c-auth accepted and started (ACCEPTED 2, STARTED 2), carol refused (SETUP_KEYID)" \
	"(d['counters']['SESSIONS_ACCEPTED'], d['counters']['SESSIONS_STARTED'], d['counters']['SETUP_KEYID'] >= 1) == (2, 2, True)" \
	"$TMP/auth.b"
B sessions --json >"$TMP/auth.bs" 2>&1
check "B: one authenticated reflector session, reflecting" \
	"[(x['mode'], x['rx_pkts'] > 0 or x.get('live', {}).get('rx_pkts', 0) > 0) for x in d['sessions'] if x['kind'] == 'reflector' and x['state'] == 'started'] == [('authenticated', True)]" \
	"$TMP/auth.bs"
grep -q "control-client 'c-bad' to 10.93.0.1:862: .*(CC_REFUSED); connecting again in" "$TMP/thd-a.log" &&
	ok "A's log: one clear line for the refusal" || nokf "A's log line" "$TMP/thd-a.log"

# ---- deleting the configuration stops the sessions on B --------------------
printf '{"ietf-twamp:twamp":{}}' >"$TMP/empty.json"
A config import --replace "$TMP/empty.json" >"$TMP/imp-empty" 2>&1 &&
	grep -q "Control-client 'c-auth' deleted" "$TMP/imp-empty" && ok "import --replace of an empty document" ||
	nokf "import empty" "$TMP/imp-empty"
wait_json B counters "$TMP/del.b" 'd["counters"]["SESSIONS_STOPPED"] >= 2' ||
	nokf "B saw no second Stop-Sessions" "$TMP/del.b" 3
check "B: Stop-Sessions for c-auth (SESSIONS_STOPPED 2)" "d['counters']['SESSIONS_STOPPED'] == 2" "$TMP/del.b"
wait_json B sessions "$TMP/del.bs" 'not [x for x in d["sessions"] if x["kind"] == "reflector"]' ||
	nokf "B still has reflector sessions" "$TMP/del.bs" 5
check "B: no reflector session left" "not [x for x in d['sessions'] if x['kind'] == 'reflector']" "$TMP/del.bs"
A sessions --json >"$TMP/del.as" 2>&1
check "A: no control-client and no sender of one left" \
	"d['clients'] == [] and not [x for x in d['sessions'] if x.get('group')]" "$TMP/del.as"
A counters --json >"$TMP/del.a" 2>&1
check "A: CC_STOPPED 2 (the ended session and the deleted one)" "d['counters']['CC_STOPPED'] == 2" "$TMP/del.a"
finish
