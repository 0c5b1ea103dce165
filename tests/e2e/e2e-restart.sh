#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 8 §6b: either process restarts (kill -9), the other carries on.
# Topology of e2e-modes (twinhop-fp on af_packet in R, the client in C), set
# up as the shipped units do: twinhop-fp creates its region with group
# nogroup and mode 0660 (tools/systemd/twinhop-fp@.service), twinhopd drops
# to user nobody (group nogroup, its default), fp-grace 2 s.
#   1. kill -9 twinhop-fp during a TWAMP session, start it again with the
#      same --shm: twinhopd logs why each attach failed, attaches again as
#      nobody, programs the admin socket's Light listener and sender and the
#      TWAMP-Control session again (the client gets replies again), serves
#      new sessions;
#   1b. across that restart no reflector Sequence Number comes twice: the
#      new fast path numbers from the Sender Sequence Number (SEQ_RESYNC),
#      for the TWAMP session and for a stateful Light listener's peer;
#   2. kill -9 twinhopd during a TWAMP session: after fp-grace the fast path
#      removes every session the dead daemon programmed (counted), keeps its
#      command-line listener (--light-port) working, and a new twinhopd
#      takes the region over and serves new sessions;
#   2b. SIGSTOP the new twinhopd past fp-grace: its sessions go, and once
#      resumed it finds its claim released and attaches again, programming
#      its admin listener again;
#   3. nothing leaked: fast-path sessions in use (SESS_ADDED - SESS_DELETED)
#      back to the command line's one, no flow, test port, deferred delete,
#      pending request or unread ring octet left.
# Every wait is bounded and ends in a check of state, never of elapsed time.
NAME=e2e-restart
. "$(dirname "$0")/lib.sh"
setup_common
need awk id
IPC=${IPC:-$TW_BUILD/tools/twinhop-ipc}
[ -x "$IPC" ] || { nok "not built: $IPC"; finish; }
N=96
A=10.$N.0.1
afpacket_net $N
PREFIXES+=("twh-e$N-$$")
ADM=(--admin "$TMP/thd.sock")
NOBODY=$(id -u nobody) || { nok "no user nobody"; finish; }

# jtest JSON PYEXPR: PYEXPR over d = the parsed JSON is true
jtest() {
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}
# poll TRIES PYEXPR CMD...: until CMD's JSON output satisfies PYEXPR (0.2 s
# apart); the last output goes to $TMP/poll.out as evidence
poll() {
	local tries=$1 expr=$2 out= i
	shift 2
	for i in $(seq "$tries"); do
		out=$("$@" 2>&1)
		jtest "$out" "$expr" && return 0
		sleep 0.2
	done
	printf '%s\n' "$out" | head -c 800 >"$TMP/poll.out"
	return 1
}
status() { "$TWINHOP" status --json "${ADM[@]}"; }
fpcnt() { "$TWINHOP" admin '{"cmd":"show-fp-counters"}' "${ADM[@]}"; }
sessions() { "$TWINHOP" admin '{"cmd":"show-sessions"}' "${ADM[@]}"; }
# ipcnt NAME: a fast-path counter (total) read from the region without
# twinhopd (read-only attach)
ipcnt() { "$IPC" --shm "$SHM" counters | awk -v n="$1" '$1 == "total" && $2 == n { v = $3 } END { print v + 0 }'; }
INUSE='d["total"]["SESS_ADDED"] - d["total"]["SESS_DELETED"]'

start_fp() { # tag
	ip netns exec "$NSR" "$FP" -l 0 --no-huge -m 256 --no-pci --file-prefix twh-e$N-$$ \
		--log-level=user1,notice -- \
		--profile "$PROFILES/net_af_packet.conf" --pvar iface="$VR" --shm "$SHM" \
		--shm-group nogroup --shm-mode 0660 --addr $A/24 --tap twh-t0 \
		--light-port 8620 >"$TMP/fp-$1.log" 2>&1 &
	FPPID=$!
	PIDS+=($FPPID)
	wait_for "$TMP/fp-$1.log" READY
	expect "fast path $1 started (pid $FPPID)" grep -q READY "$TMP/fp-$1.log"
	expect "fast path $1: TAP carries $A" wait_addr "$NSR" $A/24
}

start_thd() { # tag
	ip netns exec "$NSR" "$THD" -f "$TMP/thd.conf" >"$TMP/thd-$1.log" 2>&1 &
	THDPID=$!
	PIDS+=($THDPID)
	expect "twinhopd $1 listening on $A:862" wait_listen "$NSR" 862
	if poll 40 'd["fp"]["attached"]' status; then ok "twinhopd $1 attached"; else
		nokf "twinhopd $1 attached" "$TMP/thd-$1.log"; fi
	local uid
	uid=$(awk '/^Uid:/ { print $2 }' /proc/$THDPID/status)
	expect "twinhopd $1 dropped to nobody (uid $uid)" [ "$uid" = "$NOBODY" ]
}

measure() { # tag
	ip netns exec "$NSC" "$TWINHOP" measure $A --mode open --count 10 --interval 0.02 \
		--loss-timeout 1 --json >"$TMP/$1.json" 2>"$TMP/$1.err"
	local rc=$?
	[ $rc = 0 ] && ok "$1: twinhop measure exit 0" || nokf "$1: twinhop measure exit 0 (got $rc)" "$TMP/$1.err"
	check "$1: 10 sent, 10 received" "s['sent'] == 10 and s['received'] == 10" "$TMP/$1.json"
}

lsend() { # tag port
	ip netns exec "$NSC" "$TWINHOP" light-send $A:$2 --count 10 --rate 100 --loss-timeout 0.5 \
		--json >"$TMP/$1.json" 2>"$TMP/$1.err"
	local rc=$?
	[ $rc = 0 ] && ok "$1: light-send to port $2 exit 0" || {
		nokf "$1: light-send to port $2 exit 0 (got $rc)" "$TMP/$1.err"
		# what the fast path saw, and what twinhopd thinks it programmed
		fpcnt | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: v for k, v in d["total"].items() if v})' 2>&1 | fold -w 150 | sed 's/^/       /'
		sessions 2>&1 | head -c 1500 | sed 's/^/       /'
		echo
	}
	check "$1: port $2 reflected 10 of 10" "s['sent'] == 10 and s['received'] == 10" "$TMP/$1.json"
}

thd_conf "$TMP/thd.conf" "$SHM" "$TMP/thd.sock" $A
printf 'user nobody\nfp-grace 2\n' >>"$TMP/thd.conf"

# ---- as the units start them ----------------------------------------------------------
start_fp 1
expect "region is root's, group nogroup, mode 0660" python3 -c '
import grp, os, stat, sys
st = os.stat("/dev/shm" + sys.argv[1])
sys.exit(0 if (st.st_uid, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)) == (0, "nogroup", 0o660) else 1)' "$SHM"
start_thd 1
"$TWINHOP" light add --proto light --port 7000 --json "${ADM[@]}" >"$TMP/ladd.json" 2>&1
expect "admin Light listener on port 7000 added" jtest "$(cat "$TMP/ladd.json")" 'd["ok"]'
"$TWINHOP" sender add --proto light --local $A --local-port 7002 --peer 10.$N.0.2 \
	--peer-port 7001 --interval-us 20000 --start --json "${ADM[@]}" >"$TMP/sadd.json" 2>&1
expect "admin sender added and started" jtest "$(cat "$TMP/sadd.json")" 'd["ok"]'
measure measure-1
lsend light-1 7000

# ---- 1. the fast path restarts ---------------------------------------------------------
# A TWAMP-Control test runs across the restart: twinhopd programs its
# started session into the new fast path, and the client gets replies again.
ip netns exec "$NSC" "$TWINHOP" measure $A --mode open --count 100000 --interval 0.01 \
	--loss-timeout 1 --csv "$TMP/across.csv" --json >"$TMP/across.json" 2>"$TMP/across.err" &
ACROSS=$!
PIDS+=($ACROSS)
# ... and a TWAMP Light test to the admin listener (stateful) beside it
ip netns exec "$NSC" "$TWINHOP" light-send $A:7000 --count 100000 --interval 0.01 \
	--loss-timeout 1 --csv "$TMP/across-light.csv" --json >"$TMP/across-light.json" \
	2>"$TMP/across-light.err" &
ACROSSL=$!
PIDS+=($ACROSSL)
if poll 60 "$INUSE == 4 and d['total']['REFLECTED'] >= 70" fpcnt; then
	ok "a TWAMP session runs in the old fast path"
else
	nokf "a TWAMP session runs in the old fast path" "$TMP/poll.out"
fi
OLDFP=$FPPID
REFL_OLD=$(ipcnt REFLECTED)
kill -9 $OLDFP
wait $OLDFP 2>/dev/null
# While it is down, each reason twinhopd cannot attach is logged: first the
# dead fast path's region, then (removed, as a clean stop would) none.
expect "failed attach logged: the region of a dead fast path" \
	wait_for "$TMP/thd-1.log" "not attached: .*fast path pid $OLDFP, which is gone"
must rm -f "/dev/shm/${SHM#/}"
expect "failed attach logged: no region" wait_for "$TMP/thd-1.log" "not attached: no fast path region"
# ... and show-status says the last reason beside "not attached"
if poll 20 "not d['fp']['attached'] and 'no fast path region $SHM' in d['fp'].get('attach_error', '')" status; then
	ok "show-status: attach_error gives the reason"
else
	nokf "show-status: attach_error gives the reason" "$TMP/poll.out"
fi
"$TWINHOP" status "${ADM[@]}" >"$TMP/st-down" 2>&1
expect "twinhop status: NOT attached, and the last attach's reason" \
	grep -Eq '^  last attach: +no fast path region .*\(retrying every 100 ms\)$' "$TMP/st-down"
start_fp 2
if poll 40 "d['fp']['attached'] and d['fp']['pid'] == $FPPID and d['fp']['attaches'] == 2" status; then
	ok "twinhopd (nobody) attached to the new fast path (pid $FPPID)"
else
	nokf "twinhopd (nobody) attached to the new fast path (pid $FPPID)" "$TMP/poll.out"
fi
grep "not attached" "$TMP/thd-1.log" | head -3 | sed 's/^/       /'
expect "no attach refused for permissions, none warned of" \
	bash -c "! grep -qi 'permission denied\|refusing it\|cannot attach to it again' '$TMP/thd-1.log'"
if poll 40 'len([x for x in d["sessions"] if x["kind"] in ("light", "sender")]) == 2 and all(x["state"] != "adding" for x in d["sessions"])' sessions; then
	ok "admin listener and sender programmed again"
else
	nokf "admin listener and sender programmed again" "$TMP/poll.out"
fi
if poll 60 "$INUSE == 4 and d['total']['REFLECTED'] >= 50" fpcnt; then
	ok "the TWAMP session was programmed again and reflects in the new fast path"
else
	nokf "the TWAMP session was programmed again and reflects in the new fast path" "$TMP/poll.out"
fi
expect "the re-programming is logged" grep -q "1 TWAMP-Control session(s) programmed again" \
	"$TMP/thd-1.log"
kill -INT $ACROSS $ACROSSL
wait $ACROSS
rc=$?
[ $rc = 0 ] && ok "the measure across the restart ended cleanly" ||
	nokf "the measure across the restart ended cleanly (exit $rc)" "$TMP/across.err"
wait $ACROSSL
rc=$?
[ $rc = 0 ] && ok "the light-send across the restart ended cleanly" ||
	nokf "the light-send across the restart ended cleanly (exit $rc)" "$TMP/across-light.err"
# Replies from the old fast path: about REFL_OLD - 20 (the 20 of measure-1
# and light-1), give or take the few it reflected between the reading and
# the kill, or lost with it.  The new one reflected >= 50 before the
# interrupt, and the client collects the replies in flight after it
# (twinhop(1) SIGNALS), so >= 25 more can only have come from the new one.
check "the client received replies from the new fast path too" \
	"s['received'] >= $REFL_OLD - 20 + 25" "$TMP/across.json"
# The new fast path numbers its first reply from the Sender Sequence
# Number (TW_IPC_SF_SEQ_RESYNC): no reflector Sequence Number comes twice
# (twping drops the whole session's results on one), and the numbering
# jumps ahead to a packet's sender seq (a reply lost on the way could add
# a gap of its own, never a step back).
# A stateful Light/STAMP listener does the same for a peer new to it that
# is 16 or more packets into its session: the new fast path learns the peer
# from its next packet and numbers that reply from its Sender Sequence
# Number.
seq_once() { # CSV
	python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["lost"] == "0"]
rows.sort(key=lambda r: int(r["sender_seq"]))
rs = [int(r["reflector_seq"]) for r in rows]
jumps = [(int(b["sender_seq"]), int(b["reflector_seq"])) for a, b in zip(rows, rows[1:])
         if int(b["reflector_seq"]) != int(a["reflector_seq"]) + 1]
print("       %d replies, reflector seq %d..%d, jumps %s" % (len(rs), rs[0], rs[-1], jumps[:4]))
sys.exit(0 if len(set(rs)) == len(rs) and rs == sorted(rs) and
         any(s == r for s, r in jumps) else 1)' "$1"
}
expect "across the restart: no reflector Sequence Number twice, a jump to the sender's" \
	seq_once "$TMP/across.csv"
expect "Light, stateful, across the restart: no reflector Sequence Number twice, a jump to the sender's" \
	seq_once "$TMP/across-light.csv"
if poll 60 "$INUSE == 3" fpcnt; then ok "its session deleted after Stop-Sessions"; else
	nokf "its session deleted after Stop-Sessions" "$TMP/poll.out"; fi
lsend light-2 7000
if poll 40 'd["total"]["SENT"] > 0' fpcnt; then ok "admin sender sends from the new fast path"; else
	nokf "admin sender sends from the new fast path" "$TMP/poll.out"; fi
measure measure-2
if poll 60 "$INUSE == 3" fpcnt; then ok "new fast path: 3 sessions in use (--light-port, admin listener, sender)"; else
	nokf "new fast path: 3 sessions in use" "$TMP/poll.out"; fi

# ---- 2. the daemon restarts, with a TWAMP session in flight --------------------------
ip netns exec "$NSC" "$TWINHOP" measure $A --mode open --count 100000 --interval 0.01 \
	--loss-timeout 1 >"$TMP/long.out" 2>&1 &
LONG=$!
PIDS+=($LONG)
if poll 60 "$INUSE == 4" fpcnt; then ok "a TWAMP session runs in the fast path"; else
	nokf "a TWAMP session runs in the fast path" "$TMP/poll.out"; fi
kill -9 $THDPID
wait $THDPID 2>/dev/null
lost=0
for _ in $(seq 100); do
	lost=$(ipcnt CTL_LOST)
	[ "$lost" = 1 ] && break
	sleep 0.2
done
expect "fast path deemed the silent twinhopd dead (CTL_LOST $lost)" [ "$lost" = 1 ]
v=$(ipcnt SESS_CTL_LOST)
expect "its 3 sessions removed: listener, sender, TWAMP reflector (SESS_CTL_LOST $v)" [ "$v" = 3 ]
v=$(($(ipcnt SESS_ADDED) - $(ipcnt SESS_DELETED)))
expect "only the command line's session left in use ($v)" [ "$v" = 1 ]
kill $LONG 2>/dev/null
wait $LONG 2>/dev/null
lsend light-3 8620
start_thd 2
measure measure-3
lsend light-4 8620

# ---- 2b. the daemon hangs past fp-grace, then resumes --------------------------------
"$TWINHOP" light add --proto light --port 7100 --json "${ADM[@]}" >"$TMP/ladd2.json" 2>&1
expect "admin Light listener on port 7100 added" jtest "$(cat "$TMP/ladd2.json")" 'd["ok"]'
LID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["session"])' "$TMP/ladd2.json")
kill -STOP $THDPID
lost=0
for _ in $(seq 60); do
	lost=$(ipcnt CTL_LOST)
	[ "$lost" = 2 ] && break
	sleep 0.2
done
expect "fast path deemed the stopped twinhopd dead (CTL_LOST $lost)" [ "$lost" = 2 ]
kill -CONT $THDPID
if poll 40 'd["fp"]["attached"] and d["fp"]["claim_lost"] == 1 and d["fp"]["attaches"] == 2' status; then
	ok "resumed twinhopd found its claim released and attached again"
else
	nokf "resumed twinhopd found its claim released and attached again" "$TMP/poll.out"
fi
expect "the lost claim is logged" grep -q "released our claim" "$TMP/thd-2.log"
if poll 40 "any(x['session'] == $LID and x['state'] != 'adding' for x in d['sessions'])" sessions; then
	ok "its admin listener programmed again"
else
	nokf "its admin listener programmed again" "$TMP/poll.out"
fi
lsend light-5 7100
"$TWINHOP" light del "$LID" --json "${ADM[@]}" >"$TMP/ldel.json" 2>&1
expect "admin listener $LID deleted" jtest "$(cat "$TMP/ldel.json")" 'd["ok"]'

# ---- 3. nothing leaked -------------------------------------------------------------------
if poll 60 'd["flows"] == 0 and d["test_ports_used"] == 0 and d["deletes_pending"] == 0 and d["fp"]["pending"] == 0 and d["fp"]["cmd_ring_used"] == 0 and d["fp"]["evt_ring_used"] == 0' status; then
	ok "no flow, test port, delete, request or ring octet left over"
else
	nokf "no flow, test port, delete, request or ring octet left over" "$TMP/poll.out"
fi
if poll 40 "$INUSE == 1 and d['total']['CTL_LOST'] == 2" fpcnt; then
	ok "fast-path sessions in use back to 1 (SESS_ADDED - SESS_DELETED)"
else
	nokf "fast-path sessions in use back to 1" "$TMP/poll.out"
fi
finish
