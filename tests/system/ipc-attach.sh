#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# (c) IPC attach: tools/twinhop-ipc attaches to a running twinhop-fp's
# region, HELLO is answered, a Light listener is added, counters and stats
# come back, and an attach to a region whose contract version differs is
# refused.  Exact full-ring accounting is covered by tests/unit/test_ring.c
# (tw_ring unit test); the fast path counts refused messages in
# DROP_RING_FULL.
NAME=ipc-attach
. "$(dirname "$0")/lib.sh"
setup_common
IPC=${IPC:-$TW_BUILD/tools/twinhop-ipc}
[ -x "$IPC" ] || { nok "no $IPC"; finish; }
mkns NS ipc
SHM=/twh-ipc-$$
ip netns exec "$NS" "$FP" -l 0 --no-huge -m 256 --no-pci --file-prefix twh-ip$$ \
	--log-level=user1,notice -- --profile "$PROFILES/net_null.conf" \
	--addr 10.66.0.1/24 --shm $SHM --tap twh-i0 --duration 30 >"$TMP/fp.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q READY "$TMP/fp.log" && break; sleep 0.1; done
expect "fast path started with --shm" grep -q READY "$TMP/fp.log"
expect "info (read-only attach)" "$IPC" --shm $SHM info
expect "HELLO answered" "$IPC" --shm $SHM hello
expect "LIGHT_LISTEN acked" "$IPC" --shm $SHM add-light-reflector --port 8620 --session 77
expect "duplicate LIGHT_LISTEN nacked" bash -c "! '$IPC' --shm $SHM add-light-reflector --port 8620 --session 78"
expect "COUNTERS answered" "$IPC" --shm $SHM counters-request
expect "SESSION_DEL of the listener acked" "$IPC" --shm $SHM del --session 77
expect "unknown session nacked" bash -c "! '$IPC' --shm $SHM del --session 4242"
# Contract version mismatch: flip ipc_version in the superblock (offset 8).
python3 - "$SHM" <<'PY'
import sys, mmap, struct, os
fd = os.open("/dev/shm" + sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096)
v = struct.unpack_from("<I", m, 8)[0]
struct.pack_into("<I", m, 8, v + 1)
open("/tmp/twh-ipc-ver", "w").write(str(v))
PY
"$IPC" --shm $SHM hello >"$TMP/ver.out" 2>&1
rc=$?
expect "attach with another contract version refused (exit 2)" [ $rc = 2 ]
grep -i version "$TMP/ver.out" | head -2
finish
