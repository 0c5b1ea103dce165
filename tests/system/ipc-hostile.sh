#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Hostile control plane (issue 8 §5, §6): crafted ring commands with field
# values outside their documented ranges are NACKed and the fast path (root)
# survives them; 1,000 Light listener add/delete cycles reuse the slots; a
# HELLO with RESET deletes only what control programmed, never the fast
# path's command-line sessions, and control cannot SESSION_DEL those.
# The driver is tests/system/ipc_hostile.c (twh-ipc-hostile).
NAME=ipc-hostile
. "$(dirname "$0")/lib.sh"
setup_common
HOSTILE=${HOSTILE:-$TW_BUILD/tests/system/twh-ipc-hostile}
[ -x "$HOSTILE" ] || { nok "no $HOSTILE"; finish; }
mkns NS ihost
SHM=/twh-ihost-$$
ip netns exec "$NS" "$FP" -l 0 --no-huge -m 256 --no-pci --file-prefix twh-ih$$ \
	--log-level=user1,notice -- --profile "$PROFILES/net_null.conf" \
	--addr 10.66.0.1/24 --shm $SHM --tap twh-h0 --duration 120 \
	--light-port 8640 --reflector local=10.66.0.1:5000,peer=10.66.0.2:6000 \
	>"$TMP/fp.log" 2>&1 &
FPPID=$!
PIDS+=($FPPID)
for _ in $(seq 100); do grep -q READY "$TMP/fp.log" && break; sleep 0.1; done
expect "fast path started" grep -q READY "$TMP/fp.log"
"$HOSTILE" --shm $SHM crafted
expect "every crafted command NACKed, fast path alive" [ $? = 0 ]
"$HOSTILE" --shm $SHM cycles 1000
expect "1000 Light listener add/del cycles" [ $? = 0 ]
# --light-port 8640 is listener 0x4c000001, --reflector session 0x52000001.
"$HOSTILE" --shm $SHM reset 8640 0x4c000001 0x52000001
expect "RESET keeps the command line's sessions" [ $? = 0 ]
expect "fast path process still running" kill -0 $FPPID
finish
