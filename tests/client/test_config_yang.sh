#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# twinhop config import/export (ietf-twamp, RFC 8913, in RFC 7951 JSON)
# against a real twinhopd with a fake fast path (tools/twinhop-ipc create):
# the shipped module passes yanglint; a valid document shows up in
# `twinhop sessions` and in twinhopd's running policy, its ctrl-connections
# as twinhopd's own Control-Clients (one to this very twinhopd in
# authenticated mode: negotiated, requested, started, senders programmed;
# one to a closed port: retrying with the error); export gives the same
# document back, yanglint accepts it, and import --replace of the export
# exports the same again; invalid documents (schema, types, unknown member,
# malformed JSON, state data, leaves twinhop cannot do) are refused with the
# reason, exit 1, and change nothing; a failure half-way is undone.
# Skipped (exit 77) when twinhopd or twinhop-ipc were not built.
set -u
. "$(dirname "$0")/lib.sh"
THD=$TW_BUILD/control/daemon/twinhopd
IPC=$TW_BUILD/tools/twinhop-ipc
YDIR=$TW_SRC/control/cli/yang
YANG=$YDIR/ietf-twamp@2021-11-17.yang
FIX=$TW_SRC/tests/client/yang
if [ ! -x "$THD" ] || [ ! -x "$IPC" ]; then
	echo "twinhopd or twinhop-ipc not built: skipped"
	echo "TWRESULT client_config_yang 0 0"
	exit 77
fi

# The module: yanglint (libyang's own tool) parses it and names its revision.
yanglint -f info -p "$YDIR" "$YANG" >"$TMP/info" 2>&1 && grep -q "revision 2021-11-17" "$TMP/info" &&
	ok "yanglint: ietf-twamp@2021-11-17 parses" || ko "yanglint on the module" "$TMP/info"
ylint() { yanglint -p "$YDIR" -F 'ietf-twamp:*' -t config "$YANG" "$1"; }

SHM=/twyang-test-$$
CPORT=$((19500 + $$ % 400))
MPORT=$((CPORT + 400))
printf 'alice\t74657374736563726574\n' >"$TMP/pfs"
cat >"$TMP/thd.conf" <<CONF
listen 127.0.0.1 $CPORT
modes open authenticated
keyfile $TMP/pfs
pbkdf2-count 2048
servwait 900
refwait 900
test-ports 21000-21100
fp-region $SHM
fp-timeout 1000
seccomp no
admin-socket $TMP/thd.sock
metrics-listen 127.0.0.1 $MPORT
CONF
"$IPC" --shm "$SHM" create >"$TMP/ipc.log" 2>&1 &
IPC_PID=$!
PIDS="$PIDS $IPC_PID"
for _ in $(seq 100); do [ -e "/dev/shm$SHM" ] && break; sleep 0.05; done
"$THD" -f "$TMP/thd.conf" >"$TMP/thd.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -S "$TMP/thd.sock" ] && break; sleep 0.05; done
export TWINHOP_ADMIN=$TMP/thd.sock
trap 'cleanup; "$IPC" --shm "$SHM" unlink >/dev/null 2>&1' EXIT

# state FILE: twinhopd's running policy and sessions (what an import may
# change; the fake fast path moves no packets, so nothing else changes).
state() { { "$TWINHOP" admin '{"cmd":"config-get"}' && "$TWINHOP" sessions; } >"$1" 2>&1; }
same_state() { [ "$(cat "$1")" = "$(cat "$2")" ]; }
# names FILE: the policy and the sessions' ids and names only (the fast path
# may be going away meanwhile)
names() {
	{ "$TWINHOP" admin '{"cmd":"config-get"}' && "$TWINHOP" sessions --json |
		grep -oE '"session":[0-9]+|"name":"[^"]*"'; } >"$1" 2>&1
}
# same A B: the two JSON documents are equal
same() { python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"; }

# The fixture with this twinhopd's TWAMP-Control port.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["ietf-twamp:twamp"]; t["server"]["server-tcp-port"]=int(sys.argv[2]); t["client"]["ctrl-connection"][0]["server-tcp-port"]=int(sys.argv[2]); json.dump(d, open(sys.argv[3], "w"), indent=2)' \
	"$FIX/twamp-valid.json" "$CPORT" "$TMP/valid.json"

# ---- invalid documents: refused, exit 1, nothing applied ----------------------------
state "$TMP/s0" || ko "state before" "$TMP/s0"
# name | document | what stderr must say
bad() {
	printf '%s' "$2" >"$TMP/bad.json"
	"$TWINHOP" config import "$TMP/bad.json" >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	state "$TMP/s1"
	if [ $rc = 1 ] && grep -q -- "$3" "$TMP/bad.err" && [ "$(wc -l <"$TMP/bad.err")" = 1 ] &&
		same_state "$TMP/s0" "$TMP/s1"; then
		ok "refused, nothing applied: $1"
	else
		echo "rc $rc, wanted '$3'" >>"$TMP/bad.err"
		ko "refused: $1" "$TMP/bad.err"
	fi
}
S='{"ietf-twamp:twamp":{"server":'
CC='{"ietf-twamp:twamp":{"client":{"ctrl-connection":[{"name":"c","server-ip":"127.0.0.1",'
TS='"session-sender":{"test-session":[{"name":"t","number-of-packets":5}]}}}'
bad "schema: range" "$S"'{"servwait":0}}}' "out of the allowed range"
bad "schema: mandatory" "$CC"'"test-session-request":[{"name":"t"}]}]},'"$TS" 'reflector-ip'
bad "type: string for uint32" "$S"'{"servwait":"abc"}}}' "Invalid"
bad "type: bits" "$S"'{"modes":"fast"}}}' "modes"
bad "unknown leaf" "$S"'{"servwat":5}}}' 'servwat'
bad "unknown module" '{"ietf-twamp-x:twamp":{}}' 'ietf-twamp-x'
bad "malformed JSON" "$S"'{"servwait":5}' 'JSON'
bad "state data" '{"ietf-twamp:twamp":{"session-reflector":{"test-session":[]}}}' 'state'
bad "no twinhop equivalent: server DSCP" "$S"'{"control-packet-dscp":10}}}' 'server/control-packet-dscp: '
bad "ctrl-connection KeyID not in the keyfile" "$CC"'"key-id":"bob","test-session-request":[{"name":"t","reflector-ip":"127.0.0.1"}]}]},'"$TS" "has no KeyID 'bob'"
bad "secure mode without a KeyID" '{"ietf-twamp:twamp":{"client":{"mode-preference-chain":[{"priority":0,"mode":"encrypted"}],"ctrl-connection":[{"name":"c","server-ip":"127.0.0.1","test-session-request":[{"name":"t","reflector-ip":"127.0.0.1"}]}]},'"$TS" 'key-id is needed'
bad "a mode chain entry with a feature" '{"ietf-twamp:twamp":{"client":{"mode-preference-chain":[{"priority":0,"mode":"reflect-octets"}],"ctrl-connection":[{"name":"c","server-ip":"127.0.0.1","test-session-request":[{"name":"t","reflector-ip":"127.0.0.1"}]}]},'"$TS" 'one base mode per entry'
bad "max-count-exponent beyond 20" "$CC"'"max-count-exponent":25,"test-session-request":[{"name":"t","reflector-ip":"127.0.0.1"}]}]},'"$TS" 'max-count-exponent: .*2^20'
bad "no twinhop equivalent: control DSCP" "$CC"'"control-packet-dscp":46,"test-session-request":[{"name":"t","reflector-ip":"127.0.0.1"}]}]},'"$TS" 'control-packet-dscp: .*only 0'
bad "no twinhop equivalent: repeat" "$CC"'"test-session-request":[{"name":"t","reflector-ip":"127.0.0.1","reflector-udp-port":862,"repeat":3}]}]},'"$TS" 'repeat: .*only 0'
bad "no twinhop equivalent: IKEv2" "$S"'{"modes":"unauthenticated IKEv2Derived"}}}' 'IKEv2Derived'
bad "reflector of the other IP version" "$CC"'"test-session-request":[{"name":"t","reflector-ip":"::1"}]}]},'"$TS" 'IP version of server-ip'
bad "two sender addresses on one connection" "$CC"'"client-ip":"127.0.0.1","test-session-request":[{"name":"t","sender-ip":"127.0.0.2","reflector-ip":"127.0.0.1"}]}]},'"$TS" 'from one address'
bad "session-sender without request" '{"ietf-twamp:twamp":{'"$TS" "test-session\[name='t'\]: no client"
bad "KeyID not in the keyfile" "$S"'{"key-chain":[{"key-id":"bob"}]}}}' "key-id='bob'"
bad "secret in a key chain" "$S"'{"key-chain":[{"key-id":"alice","secret-key":"c2VjcmV0"}]}}}' 'secret-key: '
bad "listen port" "$S"'{"server-tcp-port":7}}}' 'port 7'
bad "servwait beyond twinhopd" "$S"'{"servwait":100000}}}' 'servwait: '

# ---- a valid document ----------------------------------------------------------------
"$TWINHOP" config import --dry-run "$TMP/valid.json" >"$TMP/dry" 2>&1 && state "$TMP/s1" &&
	same_state "$TMP/s0" "$TMP/s1" && grep -q "add 2 control-clients with 3 test sessions" "$TMP/dry" &&
	ok "--dry-run checks and applies nothing" || ko "--dry-run" "$TMP/dry"
"$TWINHOP" config import "$TMP/valid.json" >"$TMP/imp" 2>&1 && ok "import a valid document" ||
	ko "import" "$TMP/imp"
# r1 is this twinhopd itself (authenticated): wait until both senders run.
for _ in $(seq 100); do
	"$TWINHOP" sessions --json >"$TMP/ss" 2>&1
	grep -q '"state":"running"' "$TMP/ss" && grep -q '"state":"retrying"' "$TMP/ss" && break
	sleep 0.1
done
python3 - "$TMP/ss" >"$TMP/ss.chk" 2>&1 <<'PY' && ok "r1 runs (authenticated, two TWAMP senders), 'r2 v6' retries with its error" || ko "sessions" "$TMP/ss.chk"
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in d["clients"]}
r1, r2 = c["r1"], c["r2 v6"]
assert (r1["state"], r1["mode"], r1["modes"], r1["key_id"], r1["local"]) == \
    ("running", "authenticated", ["auth", "open"], "alice", "127.0.0.1"), r1
a, b = r1["sessions"]
assert (a["name"], a["local_port"], a["peer_port"], a["padding"], a["dscp"], a["count"],
        a["interval_us"], a["loss_timeout_ms"], a["poisson"]) == \
    ("probe-a", 50001, 50862, 128, 46, 1000, 10000, 3000, False), a
assert 21000 <= a["accepted_port"] <= 21100 and len(a["sid"]) == 32, a
assert (b["name"], b["poisson"], b["interval_us"], b["peer_port"]) == ("probe-b", True, 500000, 0), b
assert r2["state"] == "retrying" and r2["error"] and r2["attempts"] >= 1, r2
assert r2["server"] == "[::1]:9" and r2["max_count_exp"] == 15 and "session" not in r2["sessions"][0], r2
s = {x.get("name"): x for x in d["sessions"]}
for n, t in (("probe-a", a), ("probe-b", b)):
    x = s[n]
    assert (x["kind"], x["proto"], x["mode"], x["group"], x["client"], x["session"]) == \
        ("sender", "twamp", "authenticated", "r1", r1["client"], t["session"]), x
    assert x["peer"] == "127.0.0.1:%d" % t["accepted_port"] and x["local"] == "127.0.0.1:%d" % t["local_port"], x
PY
"$TWINHOP" counters --json >"$TMP/ctr" 2>&1
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; assert c["CC_STARTED"] == 1 and c["CC_CONNECT_FAILED"] >= 1 and c["SESSIONS_ACCEPTED"] >= 2 and c["SESSIONS_STARTED"] >= 2 and c["SETUP_OK"] >= 1, c' \
	"$TMP/ctr" 2>>"$TMP/ctr" && ok "counters: the server side accepted and started both, CC_STARTED, CC_CONNECT_FAILED" ||
	ko "counters" "$TMP/ctr"
"$TWINHOP" sessions >"$TMP/sh" 2>&1 && grep -Eq '^ *CLIENT +NAME +SERVER +STATE +MODE +SESSIONS +LAST ERROR$' "$TMP/sh" &&
	grep -Eq ' r1 +127\.0\.0\.1:[0-9]+ +running +authenticated +2 +-$' "$TMP/sh" &&
	grep -Eq ' r2 v6 +\[::1\]:9 +retrying \([0-9]+ s\) +- +1 +connect: ' "$TMP/sh" &&
	grep -Eq ' sender +twamp .* probe-a$' "$TMP/sh" &&
	ok "twinhop sessions: the control-clients with state and last error, their senders" || ko "sessions table" "$TMP/sh"
# /metrics: one gauge per control-client, 1 while it runs; promtool accepts
# the exposition (text format, what `promtool check metrics` reads).
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' \
	"$MPORT" >"$TMP/metrics" 2>&1
grep -qx "twinhop_control_client_running{client=\"r1\",server=\"127.0.0.1:$CPORT\",state=\"running\"} 1" "$TMP/metrics" &&
	grep -qx 'twinhop_control_client_running{client="r2 v6",server="\[::1\]:9",state="retrying"} 0' "$TMP/metrics" &&
	promtool check metrics <"$TMP/metrics" >"$TMP/promtool" 2>&1 &&
	ok "/metrics: twinhop_control_client_running 1 for r1, 0 (retrying) for 'r2 v6'; promtool check metrics clean" ||
	{ cat "$TMP/promtool" >>"$TMP/metrics"; ko "/metrics control-client gauge" "$TMP/metrics"; }
"$TWINHOP" sender del "$(python3 -c 'import json,sys; print([x for x in json.load(open(sys.argv[1]))["sessions"] if x.get("name") == "probe-a"][0]["session"])' "$TMP/ss")" >"$TMP/sdel" 2>&1
[ $? != 0 ] && grep -q "client-del" "$TMP/sdel" && ok "a control-client's sender cannot be deleted alone" || ko "session del of a client sender" "$TMP/sdel"
"$TWINHOP" admin '{"cmd":"config-get"}' >"$TMP/cg" 2>&1
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert (c["servwait"], c["refwait"], c["pbkdf2_count"], c["modes"], c["features"]) == (600, 300, 4096, ["open","authenticated"], ["individual-sessions"]), c' \
	"$TMP/cg" 2>>"$TMP/cg" && ok "server and reflector settings applied" || ko "config-get" "$TMP/cg"

"$TWINHOP" config export >"$TMP/e1.json" 2>"$TMP/e1.err" && same "$TMP/valid.json" "$TMP/e1.json" &&
	ok "export gives the imported document back" || { cat "$TMP/e1.json" >>"$TMP/e1.err"; ko "export" "$TMP/e1.err"; }
ylint "$TMP/e1.json" >"$TMP/yl" 2>&1 && ok "yanglint accepts the export" || ko "yanglint export" "$TMP/yl"
# --state: the operational leaves; yanglint takes them as data (not config),
# import refuses them.
"$TWINHOP" config export --state -o "$TMP/st.json" 2>"$TMP/st.err" &&
	python3 - "$TMP/st.json" >>"$TMP/st.err" 2>&1 <<'PY' &&
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["ietf-twamp:twamp"]["client"]["ctrl-connection"]}
r1, r2 = c["r1"], c["r2 v6"]
assert (r1["state"], r1["selected-mode"]) == ("active", "authenticated"), r1
a = r1["test-session-request"][0]
assert a["state"] == "accepted" and len(a["sid"]) == 32, a
assert r2["state"] == "idle" and "selected-mode" not in r2 and "sid" not in r2["test-session-request"][0], r2
PY
	yanglint -p "$YDIR" -F 'ietf-twamp:*' -t data "$YANG" "$TMP/st.json" >>"$TMP/st.err" 2>&1 &&
	! "$TWINHOP" config import "$TMP/st.json" >>"$TMP/st.err" 2>&1 &&
	ok "export --state: connection state, selected mode, accepted sessions' SIDs; not importable" ||
	ko "export --state" "$TMP/st.err"
"$TWINHOP" config import "$TMP/e1.json" >"$TMP/again" 2>&1
[ $? = 1 ] && grep -q "already has a control-client of that name" "$TMP/again" &&
	ok "importing the same names again is refused" || ko "import twice" "$TMP/again"
"$TWINHOP" config import --replace "$TMP/e1.json" >"$TMP/rep" 2>&1 &&
	"$TWINHOP" config export -o "$TMP/e2.json" 2>>"$TMP/rep" && same_state "$TMP/e1.json" "$TMP/e2.json" &&
	[ "$(grep -o '"client":[0-9]*,"name"' <("$TWINHOP" sessions --json) | wc -l)" = 2 ] &&
	grep -q "Control-client 'r1' deleted (--replace)" "$TMP/rep" &&
	ok "import --replace of the export: same export, still two control-clients" || ko "round trip" "$TMP/rep"

# Defaults: autoallocated port, client-ip as the sender address,
# admin-state false (added, not started); a light listener is noted, not
# exported.
"$TWINHOP" light add --proto stamp --port 18997 --addr 127.0.0.1 >/dev/null 2>&1
"$TWINHOP" config import "$FIX/twamp-minimal.json" >"$TMP/min" 2>&1 &&
	"$TWINHOP" sessions --json >"$TMP/ss2" && python3 - "$TMP/ss2" >>"$TMP/min" 2>&1 <<'PY' &&
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["clients"]}["lab"]
assert (c["state"], c["started"], c["local"], c["server"], c["modes"]) == ("idle", False, "127.0.0.1", "127.0.0.1:862", ["open"]), c
x = c["sessions"][0]
assert (x["name"], x["local_port"], x["loss_timeout_ms"], x["peer_port"]) == ("auto", 49152, 2000, 862), x
PY
	ok "defaults: autoallocate, client-ip, admin-state false, timeout 2 s" || ko "defaults" "$TMP/min"
"$TWINHOP" config export >"$TMP/e3.json" 2>"$TMP/e3.err"
grep -q "1 TWAMP Light/STAMP listener left out" "$TMP/e3.err" && ylint "$TMP/e3.json" >>"$TMP/e3.err" 2>&1 &&
	ok "export notes the STAMP listener it cannot express" || ko "export notes" "$TMP/e3.err"

# Delete: Stop-Sessions reaches the server side (this twinhopd), the senders go.
"$TWINHOP" admin '{"cmd":"client-del","client":"r1"}' >"$TMP/del" 2>&1
for _ in $(seq 50); do
	"$TWINHOP" counters --json >"$TMP/ctr2" 2>&1
	grep -q '"SESSIONS_STOPPED":[1-9]' "$TMP/ctr2" && break
	sleep 0.1
done
"$TWINHOP" sessions --json >"$TMP/ss3" 2>&1
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; d=json.load(open(sys.argv[2])); assert c["CC_STOPPED"] >= 1 and c["SESSIONS_STOPPED"] >= 2, c; assert "r1" not in [x["name"] for x in d["clients"]] and not [x for x in d["sessions"] if x.get("group") == "r1"], d' \
	"$TMP/ctr2" "$TMP/ss3" >>"$TMP/del" 2>&1 && ok "client-del: Stop-Sessions at the server (SESSIONS_STOPPED), senders removed" ||
	ko "client-del" "$TMP/del"

# ---- a failure half-way is undone ----------------------------------------------------
# 16 new ctrl-connections beside the running ones: twinhopd refuses the one
# beyond its 16 control-clients, so the import must put the running policy
# back and leave no control-client of it behind.
names "$TMP/s2"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["ietf-twamp:twamp"]; cc=t["client"]["ctrl-connection"][0]; r=cc["test-session-request"][0]; t["client"]["ctrl-connection"]=[dict(cc, name="x%d" % i, **{"test-session-request": [dict(r, name="xs%d" % i, **{"sender-udp-port": 52000 + i})]}) for i in range(16)]; t["session-sender"]["test-session"]=[{"name": "xs%d" % i, "number-of-packets": 5} for i in range(16)]; t["session-sender"]["admin-state"]=False; t["server"]["servwait"]=700; json.dump(d, open(sys.argv[2], "w"))' \
	"$TMP/valid.json" "$TMP/half.json"
"$TWINHOP" config import "$TMP/half.json" >"$TMP/half" 2>&1
rc=$?
names "$TMP/s3"
[ $rc = 1 ] && grep -q "undone" "$TMP/half" && grep -q "at most 16" "$TMP/half" && same_state "$TMP/s2" "$TMP/s3" &&
	ok "a control-client beyond twinhopd's limit: import undone" || ko "undo (rc $rc)" "$TMP/half"

"$IPC" --shm "$SHM" unlink >/dev/null 2>&1
finish client_config_yang
