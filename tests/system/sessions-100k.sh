#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# (d) 100,000 reflector sessions programmed through the IPC ring by a
# control-plane driver (twh-ipc-load, the contract only), then a sample of
# them answered correctly over memif: sessions at both ends of the port
# ranges are checked field by field by check_records.py.  A duplicate key
# is refused.  Correctness only; tools/bench-sessions.sh measures the
# lookup rate with 1 vs 100k sessions.
NAME=sessions-100k
. "$(dirname "$0")/lib.sh"
setup_common
LOAD=${LOAD:-$TW_BUILD/tests/system/twh-ipc-load}
[ -x "$LOAD" ] || { nok "no $LOAD"; finish; }
mkns NSR kr
mkns NSS ks
N=${N:-100000}
SHM=/twh-k$$
EAL="--no-huge -m 512 --no-pci --log-level=user1,notice"
sock=$TMP/k.sock
ip netns exec "$NSR" "$FP" -l 0 $EAL --file-prefix twh-kr$$ --log-level=user1,info -- \
	--profile "$PROFILES/net_memif.conf" --pvar role=server --pvar id=0 --pvar socket="$sock" \
	--addr 10.79.0.1/24 --tap twh-k0 --shm $SHM --max-sessions 131072 --duration 120 \
	--counters >"$TMP/r.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q READY "$TMP/r.log" && break; sleep 0.1; done
expect "fast path started" grep -q READY "$TMP/r.log"
grep -o "session table:.*" "$TMP/r.log"

"$LOAD" --shm $SHM add-reflectors --n $N --local 10.79.0.1 --peer 10.79.0.2 \
	--lport 5000 --pport 10000 --span 50000 --first-id 1000000 >"$TMP/add.out" 2>&1
rc=$?
cat "$TMP/add.out"
expect "$N REFLECTOR_ADD acknowledged" [ $rc = 0 ]
"$LOAD" --shm $SHM add-reflectors --n 1 --local 10.79.0.1 --peer 10.79.0.2 \
	--lport 5001 --pport 59999 --first-id 7000000 >"$TMP/dup.out" 2>&1
expect "a duplicate 5-tuple is NACKed" grep -q "acked 0 nacked 1" "$TMP/dup.out"
"$LOAD" --shm $SHM add-reflectors --n 1 --local 10.79.0.1 --peer 10.79.0.2 \
	--lport 6000 --pport 10000 --first-id 1000000 >"$TMP/dupid.out" 2>&1
expect "a duplicate session id is NACKed" grep -q "acked 0 nacked 1" "$TMP/dupid.out"

# Sample: the first and last session of each local port.
S=""
for pp in "5000 10000" "5000 59999" "5001 10000" "5001 59999" "5000 33333"; do
	set -- $pp
	S="$S --sender local=10.79.0.2:$2,peer=10.79.0.1:$1,count=20,interval=1ms,loss=500ms,pad=27"
done
ip netns exec "$NSS" timeout 30 "$FP" -l 1 $EAL --file-prefix twh-ks$$ -- \
	--profile "$PROFILES/net_memif.conf" --pvar role=client --pvar id=0 --pvar socket="$sock" \
	--addr 10.79.0.2/24 --tap twh-ks0 $S --record "$TMP/rec" --exit-when-done >"$TMP/s.log" 2>&1
expect "sender exited cleanly" [ $? = 0 ]
awk -v p="$TMP/rec." '/^S /{n++} n {print > (p n)}' "$TMP/rec"
for k in 1 2 3 4 5; do
	out=$(python3 "$(dirname "$0")/check_records.py" "$TMP/rec.$k" open 20 27 0 0 2>&1)
	c=$?
	echo "$out" | grep -v '^CHECK' | head -3
	expect "sample session $k ($(head -1 "$TMP/rec.$k" | awk '{print $2}')): every reply field correct ($(echo "$out" | grep '^CHECK'))" [ $c = 0 ]
done

# HELLO with RESET drops every session: the first key and id are free again.
IPC=${IPC:-$TW_BUILD/tools/twinhop-ipc}
"$IPC" --shm $SHM hello --reset >"$TMP/reset.out" 2>&1
expect "HELLO RESET answered" [ $? = 0 ]
"$LOAD" --shm $SHM add-reflectors --n 1 --local 10.79.0.1 --peer 10.79.0.2 \
	--lport 5000 --pport 10000 --first-id 1000000 >"$TMP/readd.out" 2>&1
expect "after RESET the first session can be added again" grep -q "acked 1 nacked 0" "$TMP/readd.out"
finish
