#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Stopping a memif pair under load, repeatedly, with no crash.
# The DPDK 22.11 memif PMD handles a peer's disconnect in its interrupt
# thread and unmaps the shared rings there, even while an lcore of the same
# process is inside rx/tx burst on them: when twinhop-benchgen closed its end
# as soon as its window ended, the reflector still polling died of SIGSEGV in
# librte_net_memif (seen at the benchmarks' SIGINT, with perf attached).  Now
# the generator (--linger) stops polling, prints GENDONE and closes only when
# its peer has gone; the reflector gets SIGINT, stops its lcores, then closes.
# The reflector runs pinned to one CPU with its EAL control threads
# (taskset), so the interrupt thread preempts the lcore wherever it is, as
# perf and a shared machine do: so pinned, the old order of the benchmark
# scripts (wait for the generator to exit, then SIGINT the reflector)
# crashed the reflector in 5 of 32 stops here, the order below in none.
# A crash fails the cycle's exit-status check; the test cannot force the
# race, so on the old order it fails only when the race hits.  Each cycle
# checks exit statuses, not times.
NAME=memif-stop
. "$(dirname "$0")/lib.sh"
setup_common
need taskset nproc
GEN=$TW_BUILD/app/twinhop-benchgen
[ -x "$GEN" ] || { nok "no $GEN"; finish; }
mkns NSR r
CYCLES=${CYCLES:-4}
REF_CPU=0
[ "$(nproc)" -gt 1 ] && REF_CPU=1
EAL="--no-huge -m 256 --no-pci --log-level=notice"
REF_MAC=02:00:00:00:00:01
GEN_MAC=02:00:00:00:00:02
for i in $(seq "$CYCLES"); do
	sock=$TMP/m$i.sock
	sed -e "s#^vdev=.*#vdev=net_memif0,role=server,id=0,socket=$sock,socket-abstract=no,rsize=11,mac=$REF_MAC#" \
		"$PROFILES/net_memif.conf" >"$TMP/ref.conf" || { nok "cycle $i: writing the profile"; finish; }
	ip netns exec "$NSR" taskset -c "$REF_CPU" "$FP" -l "$REF_CPU" $EAL --file-prefix twh-msr$$ -- \
		--profile "$TMP/ref.conf" --addr 198.18.0.2/24 --tap twh-ms0 --shm "/twh-ms$$" \
		--reflector local=198.18.0.2:5000,peer=198.18.0.1:6000,pad=27 --idle-backoff off \
		>"$TMP/ref$i.log" 2>&1 &
	rp=$!
	PIDS=("$rp")
	for _ in $(seq 100); do grep -qs READY "$TMP/ref$i.log" && break; sleep 0.1; done
	grep -qs READY "$TMP/ref$i.log" || { nok "cycle $i: reflector did not start"; cat "$TMP/ref$i.log"; finish; }
	"$GEN" -l 0 $EAL --file-prefix twh-msg$$ \
		--vdev "net_memif0,role=client,id=0,socket=$sock,socket-abstract=no,rsize=11,mac=$GEN_MAC" -- \
		--dst-mac $REF_MAC --src-ip 198.18.0.1 --dst-ip 198.18.0.2 --sport 6000 --dport 5000 \
		--seconds 0.5 --pad 27 --linger >"$TMP/gen$i.log" 2>&1 &
	gp=$!
	PIDS+=("$gp")
	for _ in $(seq 300); do
		grep -qs "^GENDONE" "$TMP/gen$i.log" && break
		kill -0 "$gp" 2>/dev/null || break
		sleep 0.1
	done
	rx=$(awk '$1 == "GENDONE" { sub("rx=", "", $3); print $3 }' "$TMP/gen$i.log")
	expect "cycle $i: generator finished its window and got replies (rx=${rx:-none})" \
		[ "${rx:-0}" -gt 0 ]
	expect "cycle $i: reflector alive when the generator stopped" kill -0 "$rp"
	kill -INT "$rp" 2>/dev/null
	wait "$rp"
	rc=$?
	expect "cycle $i: reflector exited 0 on SIGINT (got $rc)" [ "$rc" = 0 ]
	# the generator leaves on its own once the reflector has closed its end
	for _ in $(seq 100); do kill -0 "$gp" 2>/dev/null || break; sleep 0.1; done
	expect "cycle $i: generator closed on its peer's disconnect" bash -c "! kill -0 $gp 2>/dev/null"
	kill -INT "$gp" 2>/dev/null
	wait "$gp"
	rc=$?
	expect "cycle $i: generator exited 0 (got $rc)" [ "$rc" = 0 ]
	[ "$FAIL" = 0 ] || { tail -n 5 "$TMP/ref$i.log" "$TMP/gen$i.log"; break; }
	PIDS=()
	rm -f "$sock"
done
finish
