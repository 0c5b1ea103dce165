#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The lcore loop takes no page fault (docs/fastpath.md "No system call, no
# page fault"): a Session-Sender (with --sched-stats, whose arrays it writes
# per packet) and a reflector, each twinhop-fp on one lcore, over memif,
# without hugepages.  Each process's lcore is its main thread, so its
# minor-fault count (/proc/PID/stat field 10) over one second of steady
# traffic is the loop's.  Before app/fp_mem.h the expiry scan read fresh
# pages of the session table and the sender wrote fresh pages of its
# --sched-stats arrays and window: hundreds of faults a second at this
# rate, each a trip into the kernel inside the timed loop.  Counts, not
# times.
NAME=fp-pagefaults
. "$(dirname "$0")/lib.sh"
setup_common
mkns NSP p
EAL="--no-huge -m 256 --no-pci --log-level=notice"
REF_MAC=02:00:00:00:00:01
SND_MAC=02:00:00:00:00:02
CPU_R=0
CPU_S=0
[ "$(nproc)" -gt 1 ] && CPU_R=1
sock=$TMP/pf.sock
for role in server client; do
	mac=$REF_MAC
	[ $role = client ] && mac=$SND_MAC
	sed -e "s#^vdev=.*#vdev=net_memif0,role=$role,id=0,socket=$sock,socket-abstract=no,rsize=11,mac=$mac#" \
		"$PROFILES/net_memif.conf" >"$TMP/$role.conf" || { nok "writing the $role profile"; finish; }
done
ip netns exec "$NSP" "$FP" -l $CPU_R $EAL --file-prefix twh-pfr$$ -- --profile "$TMP/server.conf" \
	--addr 198.18.0.2/24 --tap twh-pf0 --reflector local=198.18.0.2:5000,peer=198.18.0.1:6000,pad=27 \
	--idle-backoff off --counters >"$TMP/ref.log" 2>&1 &
rp=$!
PIDS=("$rp")
for _ in $(seq 100); do grep -qs READY "$TMP/ref.log" && break; sleep 0.1; done
grep -qs READY "$TMP/ref.log" || { nok "reflector did not start"; cat "$TMP/ref.log"; finish; }
# 100,000 packets at 20 us: 2 s of traffic
ip netns exec "$NSP" "$FP" -l $CPU_S $EAL --file-prefix twh-pfs$$ -- --profile "$TMP/client.conf" \
	--addr 198.18.0.1/24 --tap twh-pf1 \
	--sender "local=198.18.0.1:6000,peer=198.18.0.2:5000,mac=$REF_MAC,pad=27,count=100000,interval=20us,loss=100ms" \
	--idle-backoff off --sched-stats 100000 --exit-when-done --counters >"$TMP/snd.log" 2>&1 &
sp=$!
PIDS+=("$sp")
for _ in $(seq 100); do grep -qs READY "$TMP/snd.log" && break; sleep 0.1; done
grep -qs READY "$TMP/snd.log" || { nok "sender did not start"; cat "$TMP/snd.log"; finish; }
minflt() { awk '{print $10}' "/proc/$1/stat" 2>/dev/null; }
sleep 0.5
r0=$(minflt $rp) s0=$(minflt $sp)
sleep 1
r1=$(minflt $rp) s1=$(minflt $sp)
expect "the sender was still sending when sampled" kill -0 "$sp"
wait "$sp"
rc=$?
expect "the sender exited 0 (got $rc)" [ "$rc" = 0 ]
kill -INT "$rp" 2>/dev/null
wait "$rp"
PIDS=()
# a few are allowed for a stack that grows once; a fault per page of an
# array is hundreds
expect "reflector lcore: $((r1 - r0)) page faults in 1 s of traffic (at most 10)" [ $((r1 - r0)) -le 10 ]
expect "sender lcore: $((s1 - s0)) page faults in 1 s of traffic (at most 10)" [ $((s1 - s0)) -le 10 ]
replies=$(awk '$1 == "counter" && $2 == "REPLIES" {print $3}' "$TMP/snd.log")
expect "the reflector answered (replies=${replies:-none} of 100000)" [ "${replies:-0}" -ge 90000 ]
[ "$FAIL" = 0 ] || tail -n 20 "$TMP/ref.log" "$TMP/snd.log"
finish
