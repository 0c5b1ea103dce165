#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Hostile control plane (issue 8 §5, §6): crafted ring commands with field
# values outside their documented ranges are NACKed and the fast path (root)
# survives them; 1,000 Light listener add/delete cycles reuse the slots; a
# HELLO with RESET deletes only what control programmed, never the fast
# path's command-line sessions, and control cannot SESSION_DEL those.
# Test keys (§7): a hex key on the command line and a key file others can
# read are refused; keys named in a 0600 --key-file work.
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
# Test keys never on the command line (issue 8 §7): a hex key in a spec is
# refused, a key file that others can read is refused, a 0600 one works.
H=101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
A=000102030405060708090a0b0c0d0e0f
SPEC=local=10.66.0.1:5001,peer=10.66.0.2:6001,sec=auth
fp_once() { # log extra-args...: run briefly, exit status
	local log=$1; shift
	ip netns exec "$NS" timeout 60 "$FP" -l 0 --no-huge -m 256 --no-pci \
		--file-prefix twh-ik$$ --log-level=user1,notice -- \
		--profile "$PROFILES/net_null.conf" --addr 10.66.1.1/24 --duration 1 "$@" >"$log" 2>&1
}
fp_once "$TMP/hex.log" --reflector "$SPEC,aes=$A,hmac=$H"
expect "hex key in a --reflector spec refused" [ $? != 0 ]
expect "... saying keys come from --key-file" grep -q "never the command line" "$TMP/hex.log"
printf 'a1 %s\nh1 %s\n' $A $H >"$TMP/keys"
chmod 0644 "$TMP/keys"
fp_once "$TMP/kf644.log" --key-file "$TMP/keys" --reflector "$SPEC,aes=a1,hmac=h1"
expect "world-readable --key-file refused" [ $? != 0 ]
expect "... naming its mode" grep -q "mode 0644" "$TMP/kf644.log"
chmod 0600 "$TMP/keys"
fp_once "$TMP/kf600.log" --key-file "$TMP/keys" --reflector "$SPEC,aes=a1,hmac=h1" \
	--light-port 8650:stamp --light-sec auth --light-key h1
expect "0600 --key-file: keys by name accepted" [ $? = 0 ]
finish
