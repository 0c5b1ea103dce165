#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# (a) Two twinhop-fp processes joined by memif, each in its own network
# namespace (so each kernel TAP owns its own address): one reflects, one
# sends, for every test mode; the sender records every reply and
# check_records.py verifies every field (layouts §4.3/4.4/6.2, length rule
# §4.5, own sequence §4.7, Sender TTL, DSCP, MBZ, SSID).  The sender
# resolves the reflector's MAC by ARP through the reflector's exception
# path (kernel on the TAP), so ARP is exercised too.
# The *-split modes run both processes with --ctl-lcore: two lcores each,
# mapped onto one CPU (--lcores '0@C,1@C'), the main lcore doing only the
# control work (ARP and the TAP through its rings included).
NAME=memif-modes
. "$(dirname "$0")/lib.sh"
setup_common
mkns NSR r
mkns NSS s
# Test keys live in a key file (never on twinhop-fp's command line, where
# every local user could read them); the specs name them.
KEYS=$TMP/keys
(umask 077 && printf 'aes1 %s\nhmac1 %s\n' 000102030405060708090a0b0c0d0e0f \
	101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f >"$KEYS") ||
	{ nok "writing $KEYS"; finish; }
AES=aes1
HMAC=hmac1
COUNT=${COUNT:-50}
EAL="--no-huge -m 256 --no-pci --log-level=user1,notice"

# Interop bug 3: with an unsynchronised kernel clock (adjtimex STA_UNSYNC,
# as on the test machines) every Error Estimate we send must say "at least
# the kernel's maxerror" (or the 0x3fff maximum), with S = 0.  The fast
# path reads adjtimex after this, and maxerror only grows while unsynced.
read -r UNSYNC MAXERR_NS <<<"$(python3 -c '
import ctypes
buf = ctypes.create_string_buffer(512)          # struct timex, modes = 0: read only
st = ctypes.CDLL(None, use_errno=True).adjtimex(buf)
maxerr_us = int.from_bytes(buf.raw[24:32], "little", signed=True)
status = int.from_bytes(buf.raw[40:44], "little")
print(1 if (st == 5 or status & 0x40) else 0, maxerr_us * 1000)')"
if [ "$UNSYNC" = 1 ]; then
	export ERR_MIN_NS=$MAXERR_NS
	echo "kernel clock unsynchronised (maxerror $MAXERR_NS ns): checking Error Estimates"
else
	echo "kernel clock synchronised: unsynchronised Error Estimate check not applicable"
fi

# name  sender-spec-extra  reflector-mode-options  checker-layout pad dscp stateless ssid
run_mode() {
	local mode=$1 sspec=$2 ropts=$3 layout=$4 pad=$5 dscp=$6 stateless=$7 ssid=${8:-0} fam=${9:-4}
	local sock=$TMP/$mode.sock la lb
	if [ "$fam" = 6 ]; then la="[fd00:77::1]"; lb="[fd00:77::2]"; else la=10.77.0.1; lb=10.77.0.2; fi
	rm -f "$sock"
	local rl="-l 0" sl="-l 1" xo=""
	if [ "${SPLIT:-0}" = 1 ]; then rl="--lcores 0@0,1@0"; sl="--lcores 0@1,1@1"; xo="--ctl-lcore"; fi
	# SPLIT=auto: two lcores without the flag must choose split mode too.
	if [ "${SPLIT:-0}" = auto ]; then rl="--lcores 0@0,1@0"; sl="--lcores 0@1,1@1"; xo=; fi
	ip netns exec "$NSR" "$FP" $rl $EAL --file-prefix twh-mr$$ -- \
		--profile "$PROFILES/net_memif.conf" --pvar role=server --pvar id=0 --pvar socket="$sock" \
		--addr 10.77.0.1/24 --addr fd00:77::1/64 --tap twh-r0 --key-file "$KEYS" $ropts $xo \
		--duration 20 \
		>"$TMP/$mode.r.log" 2>&1 &
	local rp=$!
	PIDS+=("$rp")
	for _ in $(seq 50); do grep -q READY "$TMP/$mode.r.log" && break; sleep 0.1; done
	local t0
	t0=$(date +%s.%N)
	ip netns exec "$NSS" timeout 25 "$FP" $sl $EAL --file-prefix twh-ms$$ -- \
		--profile "$PROFILES/net_memif.conf" --pvar role=client --pvar id=0 --pvar socket="$sock" \
		--addr 10.77.0.2/24 --addr fd00:77::2/64 --tap twh-s0 --key-file "$KEYS" \
		--sender "local=$lb:6000,count=$COUNT,interval=2ms,loss=500ms,dscp=$dscp,pad=$pad,$sspec" \
		--record "$TMP/$mode.rec" --exit-when-done $xo >"$TMP/$mode.s.log" 2>&1
	local rc=$?
	kill "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
	expect "$mode: sender exited cleanly" [ $rc = 0 ]
	if [ "${SPLIT:-0}" != 0 ]; then
		local side
		for side in r s; do
			expect "$mode: $side process in split mode (control lcore + 1 worker)" \
				grep -q "split mode: lcore 0 does the control work only, 1 worker" \
				"$TMP/$mode.$side.log"
		done
	fi
	local out
	# at=+S in the sender spec: a scheduled start (IPC at_ntp path)
	local at
	at=$(echo "$sspec" | sed -n 's/.*at=+\([0-9.]*\).*/\1/p')
	out=$(T1_AFTER=${at:+$(echo "$t0 + $at" | bc)} \
		python3 "$(dirname "$0")/check_records.py" "$TMP/$mode.rec" $layout $COUNT $pad $dscp $stateless $ssid)
	local c=$?
	echo "$out" | grep -v '^CHECK' | head -5
	echo "$mode: $(echo "$out" | grep '^CHECK')"
	expect "$mode: every reply field correct" [ $c = 0 ]
}

R="local=10.77.0.1:5000,peer=10.77.0.2:6000"
R6="local=[fd00:77::1]:5000,peer=[fd00:77::2]:6000"
run_mode open "peer=10.77.0.1:5000" "--reflector $R,pad=27,dscp=10" open 27 10 0
# scheduled start: SENDER_START with at_ntp 1.5 s after set-up
run_mode open-at "peer=10.77.0.1:5000,at=+1.5" "--reflector $R,pad=27" open 27 0 0
run_mode open-pad0 "peer=10.77.0.1:5000" "--reflector $R,pad=0" open 0 0 0
run_mode open-pad100 "peer=10.77.0.1:5000" "--reflector $R,pad=100" open 100 0 0
run_mode mixed "peer=10.77.0.1:5000,sec=mixed" "--reflector $R,pad=27,sec=mixed" open 27 0 0
run_mode auth "peer=10.77.0.1:5000,sec=auth,aes=$AES,hmac=$HMAC" \
	"--reflector $R,pad=64,sec=auth,aes=$AES,hmac=$HMAC,dscp=46" auth 64 46 0
run_mode enc "peer=10.77.0.1:5000,sec=enc,aes=$AES,hmac=$HMAC" \
	"--reflector $R,pad=64,sec=enc,aes=$AES,hmac=$HMAC" auth 64 0 0
run_mode enc-pad0 "peer=10.77.0.1:5000,sec=enc,aes=$AES,hmac=$HMAC" \
	"--reflector $R,pad=0,sec=enc,aes=$AES,hmac=$HMAC" auth 0 0 0
run_mode open-v6 "peer=[fd00:77::1]:5000" "--reflector $R6,pad=27" open 27 0 0 0 6
run_mode auth-v6 "peer=[fd00:77::1]:5000,sec=auth,aes=$AES,hmac=$HMAC" \
	"--reflector $R6,pad=64,sec=auth,aes=$AES,hmac=$HMAC" auth 64 0 0 0 6
run_mode light "proto=light,peer=10.77.0.1:862" "--light-port 862" open 27 0 0
run_mode light-stateless "proto=light,peer=10.77.0.1:862" "--light-port 862:stateless" open 27 0 1
run_mode stamp "proto=stamp,peer=10.77.0.1:862,ssid=4242" "--light-port 862 --light-proto stamp" stamp 0 0 0 4242
# Split mode (--ctl-lcore): the sender resolves the reflector's MAC by ARP,
# so exceptions cross the worker -> control -> TAP rings and back.
SPLIT=1 run_mode open-split "peer=10.77.0.1:5000" "--reflector $R,pad=27,dscp=10" open 27 10 0
SPLIT=1 run_mode auth-split "peer=10.77.0.1:5000,sec=auth,aes=$AES,hmac=$HMAC" \
	"--reflector $R,pad=64,sec=auth,aes=$AES,hmac=$HMAC,dscp=46" auth 64 46 0
SPLIT=auto run_mode open-auto-split "peer=10.77.0.1:5000" "--reflector $R,pad=27" open 27 0 0
SPLIT=1 run_mode open-v6-split "peer=[fd00:77::1]:5000" "--reflector $R6,pad=27" open 27 0 0 0 6
run_mode stamp-auth "proto=stamp,sec=auth,hmac=$HMAC,peer=10.77.0.1:862,ssid=7" \
	"--light-port 862:stateless --light-proto stamp --light-sec auth --light-key $HMAC" stamp-auth 0 0 1 7
finish
