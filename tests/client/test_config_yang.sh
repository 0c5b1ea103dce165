#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# twinhop config import/export (ietf-twamp, RFC 8913, in RFC 7951 JSON)
# against a real twinhopd with a fake fast path (tools/twinhop-ipc create):
# the shipped module passes yanglint; a valid document shows up in
# `twinhop sessions` and in twinhopd's running policy; export gives the same
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
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["ietf-twamp:twamp"]["server"]["server-tcp-port"]=int(sys.argv[2]); json.dump(d, open(sys.argv[3], "w"), indent=2)' \
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
bad "no twinhop equivalent: Control-Client key" "$CC"'"key-id":"alice","test-session-request":[{"name":"t","reflector-ip":"127.0.0.1","reflector-udp-port":862}]}]},'"$TS" 'key-id: .*TWAMP Light'
bad "no twinhop equivalent: repeat" "$CC"'"test-session-request":[{"name":"t","reflector-ip":"127.0.0.1","reflector-udp-port":862,"repeat":3}]}]},'"$TS" 'repeat: .*only 0'
bad "no twinhop equivalent: IKEv2" "$S"'{"modes":"unauthenticated IKEv2Derived"}}}' 'IKEv2Derived'
bad "server-ip is not the reflector" '{"ietf-twamp:twamp":{"client":{"ctrl-connection":[{"name":"c","server-ip":"127.0.0.2","test-session-request":[{"name":"t","sender-ip":"127.0.0.1","reflector-ip":"127.0.0.1","reflector-udp-port":862}]}]},'"$TS" 'server-ip'
bad "session-sender without request" '{"ietf-twamp:twamp":{'"$TS" "test-session\[name='t'\]: no client"
bad "KeyID not in the keyfile" "$S"'{"key-chain":[{"key-id":"bob"}]}}}' "key-id='bob'"
bad "secret in a key chain" "$S"'{"key-chain":[{"key-id":"alice","secret-key":"c2VjcmV0"}]}}}' 'secret-key: '
bad "listen port" "$S"'{"server-tcp-port":7}}}' 'port 7'
bad "servwait beyond twinhopd" "$S"'{"servwait":100000}}}' 'servwait: '

# ---- a valid document ----------------------------------------------------------------
"$TWINHOP" config import --dry-run "$TMP/valid.json" >"$TMP/dry" 2>&1 && state "$TMP/s1" &&
	same_state "$TMP/s0" "$TMP/s1" && grep -q "add 3 senders" "$TMP/dry" &&
	ok "--dry-run checks and applies nothing" || ko "--dry-run" "$TMP/dry"
"$TWINHOP" config import "$TMP/valid.json" >"$TMP/imp" 2>&1 && ok "import a valid document" ||
	ko "import" "$TMP/imp"
"$TWINHOP" sessions --json >"$TMP/ss" 2>&1
python3 - "$TMP/ss" >"$TMP/ss.chk" 2>&1 <<'PY' && ok "twinhop sessions shows the three senders" || ko "sessions" "$TMP/ss.chk"
import json, sys
s = {x.get("name"): x for x in json.load(open(sys.argv[1]))["sessions"]}
a, b, c = s["probe-a"], s["probe-b"], s["probe-c"]
assert (a["kind"], a["proto"], a["group"]) == ("sender", "light", "r1"), a
assert (a["local"], a["peer"]) == ("127.0.0.1:50001", "127.0.0.1:862"), a
k = a["config"]
assert (k["count"], k["interval_us"], k["padding"], k["dscp"], k["loss_timeout_ms"],
        k["poisson"], k["started"]) == (1000, 10000, 128, 46, 3000, False, True), k
assert b["config"]["poisson"] and b["config"]["interval_us"] == 500000, b
assert (c["group"], c["local"], c["peer"]) == ("r2 v6", "[::1]:50003", "[::1]:862"), c
assert c["config"]["interval_us"] == 1250000, c
PY
"$TWINHOP" sessions >"$TMP/sh" 2>&1 && grep -Eq '^ *ID +KIND .* TX +DROPS +NAME$' "$TMP/sh" &&
	grep -Eq '127\.0\.0\.1:50001 +127\.0\.0\.1:862 .* probe-a$' "$TMP/sh" &&
	ok "twinhop sessions: a NAME column" || ko "sessions NAME column" "$TMP/sh"
"$TWINHOP" admin '{"cmd":"config-get"}' >"$TMP/cg" 2>&1
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert (c["servwait"], c["refwait"], c["pbkdf2_count"], c["modes"], c["features"]) == (600, 300, 4096, ["open","authenticated"], ["individual-sessions"]), c' \
	"$TMP/cg" 2>>"$TMP/cg" && ok "server and reflector settings applied" || ko "config-get" "$TMP/cg"

"$TWINHOP" config export >"$TMP/e1.json" 2>"$TMP/e1.err" && same "$TMP/valid.json" "$TMP/e1.json" &&
	ok "export gives the imported document back" || { cat "$TMP/e1.json" >>"$TMP/e1.err"; ko "export" "$TMP/e1.err"; }
ylint "$TMP/e1.json" >"$TMP/yl" 2>&1 && ok "yanglint accepts the export" || ko "yanglint export" "$TMP/yl"
"$TWINHOP" config import "$TMP/e1.json" >"$TMP/again" 2>&1
[ $? = 1 ] && grep -q "already has a session of that name" "$TMP/again" &&
	ok "importing the same names again is refused" || ko "import twice" "$TMP/again"
"$TWINHOP" config import --replace "$TMP/e1.json" >"$TMP/rep" 2>&1 &&
	"$TWINHOP" config export -o "$TMP/e2.json" 2>>"$TMP/rep" && same_state "$TMP/e1.json" "$TMP/e2.json" &&
	[ "$(grep -c '"kind":"sender"' <("$TWINHOP" sessions --json | sed 's/},{/}\n{/g'))" = 3 ] &&
	ok "import --replace of the export: same export, still three senders" || ko "round trip" "$TMP/rep"

# Defaults: autoallocated port, client-ip as sender-ip, admin-state false
# (added, not started); a light listener is noted, not exported.
"$TWINHOP" light add --proto stamp --port 18997 --addr 127.0.0.1 >/dev/null 2>&1
"$TWINHOP" config import "$FIX/twamp-minimal.json" >"$TMP/min" 2>&1 &&
	"$TWINHOP" sessions --json >"$TMP/ss2" && python3 - "$TMP/ss2" >>"$TMP/min" 2>&1 <<'PY' &&
import json, sys
s = {x.get("name"): x for x in json.load(open(sys.argv[1]))["sessions"]}
x = s["auto"]
assert x["local"] == "127.0.0.1:49152" and x["peer"] == "127.0.0.1:862", x
assert x["config"]["started"] is False and x["config"]["loss_timeout_ms"] == 2000, x
PY
	ok "defaults: autoallocate, client-ip, admin-state false, timeout 2 s" || ko "defaults" "$TMP/min"
"$TWINHOP" config export >"$TMP/e3.json" 2>"$TMP/e3.err"
grep -q "1 TWAMP Light/STAMP listener left out" "$TMP/e3.err" && ylint "$TMP/e3.json" >>"$TMP/e3.err" 2>&1 &&
	ok "export notes the STAMP listener it cannot express" || ko "export notes" "$TMP/e3.err"

# ---- a failure half-way is undone ----------------------------------------------------
# Without the fast path, config-set succeeds and the sender-add fails: the
# import must put the running policy back and leave no sender behind.
"$TWINHOP" config import --replace "$TMP/valid.json" >/dev/null 2>&1
names "$TMP/s2"
kill "$IPC_PID"
wait "$IPC_PID" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["ietf-twamp:twamp"]; [r.update(name=r["name"]+"-2", **{"sender-udp-port": r["sender-udp-port"]+100}) for c in t["client"]["ctrl-connection"] for r in c["test-session-request"]]; [s.update(name=s["name"]+"-2") for s in t["session-sender"]["test-session"]]; t["server"]["servwait"]=700; json.dump(d, open(sys.argv[2], "w"))' \
	"$TMP/valid.json" "$TMP/half.json"
"$TWINHOP" config import "$TMP/half.json" >"$TMP/half" 2>&1
rc=$?
names "$TMP/s3"
[ $rc = 1 ] && grep -q "undone" "$TMP/half" && same_state "$TMP/s2" "$TMP/s3" &&
	ok "a sender the fast path cannot take: import undone" || ko "undo (rc $rc)" "$TMP/half"

"$IPC" --shm "$SHM" unlink >/dev/null 2>&1
finish client_config_yang
