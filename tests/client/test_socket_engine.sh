#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Socket engine against a tiny Python reflector on 127.0.0.1: TWAMP Light and
# STAMP layouts, loss 0 and a sane RTT (no timing pass/fail beyond "< 1 s").
set -u
. "$(dirname "$0")/lib.sh"

for fmt in light stamp; do
	if [ $fmt = stamp ]; then start_fake refl-$fmt reflect --stamp; port=$PORT; extra=--stamp
	else start_fake refl-$fmt reflect; port=$PORT; extra=; fi
	out=$TMP/$fmt.json
	if "$TWINHOP" light-send 127.0.0.1:"$port" $extra --count 200 --rate 2000 --loss-timeout 1 \
		--json --quiet >"$out" 2>"$TMP/$fmt.err"; then ok "$fmt: exit 0"; else ko "$fmt: exit 0" "$TMP/$fmt.err"; fi
	s='d["end"]["summary"]'
	[ "$(jget "$out" "$s['sent']")" = 200 ] && ok "$fmt: 200 sent" || ko "$fmt: 200 sent" "$out"
	[ "$(jget "$out" "$s['received']")" = 200 ] && ok "$fmt: 200 received" || ko "$fmt: 200 received" "$out"
	[ "$(jget "$out" "$s['loss']['round_trip']['count']")" = 0 ] && ok "$fmt: loss 0" || ko "$fmt: loss 0" "$out"
	[ "$(jget "$out" "0 < $s['rtt']['min_ns'] <= $s['rtt']['max_ns'] < 1000000000")" = True ] &&
		ok "$fmt: RTT sane" || ko "$fmt: RTT sane" "$out"
	[ "$(jget "$out" "($s['hops']['forward']['n'], $s['hops']['forward']['max'])")" = "(200, 0)" ] && ok "$fmt: TTL 255 sent (0 hops)" ||
		ko "$fmt: TTL 255 sent (0 hops)" "$out"
done

# Duplicated replies must not count as progress: with 0-9 answered twice
# and 15-19 answered late, the run must still wait for 15-19 (a raw datagram
# count reached "all answered" early and reported them lost).
start_fake refl-dup reflect --dup 0-9 --delay-seqs 15-19 --delay 0.1
out=$TMP/dup.json
"$TWINHOP" light-send 127.0.0.1:"$PORT" --count 20 --rate 2000 --loss-timeout 3 --json --quiet \
	>"$out" 2>"$TMP/dup.err"
s='d["end"]["summary"]'
[ "$(jget "$out" "($s['received'], $s['loss']['round_trip']['count'])")" = "(20, 0)" ] &&
	ok "duplicates: all 20 answered, none lost" || ko "duplicates: all 20 answered, none lost" "$out"
[ "$(jget "$out" "$s['duplicates']['backward']")" = 10 ] && ok "duplicates: 10 backward duplicates" ||
	ko "duplicates: 10 backward duplicates" "$out"

# nokia/twampy's Light responder (wire reference 11b.7): 38-octet replies
# without a Sender TTL are accepted, hops forward unknown, one warning line.
start_fake refl-twampy reflect --twampy
out=$TMP/twampy.json
"$TWINHOP" light-send 127.0.0.1:"$PORT" --count 50 --rate 2000 --loss-timeout 1 --json --quiet \
	>"$out" 2>"$TMP/twampy.err"
[ "$(jget "$out" "($s['received'], $s['loss']['round_trip']['count'])")" = "(50, 0)" ] &&
	ok "twampy 38 octets: all 50 accepted" || ko "twampy 38 octets: all 50 accepted" "$out" "$TMP/twampy.err"
[ "$(jget "$out" "($s['hops']['forward']['n'], $s['hops']['backward']['n'])")" = "(0, 50)" ] &&
	ok "twampy 38 octets: forward hops unknown" || ko "twampy 38 octets: forward hops unknown" "$out"
[ "$(grep -c 'warning' "$TMP/twampy.err")" = 1 ] &&
	grep -q '50 replies without a Sender TTL (shortest 38 octets, 3 short of the 41-octet' "$TMP/twampy.err" &&
	ok "twampy 38 octets: one warning naming the shortfall" ||
	ko "twampy 38 octets: one warning naming the shortfall" "$TMP/twampy.err"
# With padding the reply reaches 41 octets but its Sender TTL octet is 0:
# no warning (the length is legal), hops still unknown.
start_fake refl-twampy8 reflect --twampy --twampy-pad 8
out=$TMP/twampy8.json
"$TWINHOP" light-send 127.0.0.1:"$PORT" --count 20 --rate 2000 --loss-timeout 1 --json --quiet \
	>"$out" 2>"$TMP/twampy8.err"
[ "$(jget "$out" "($s['received'], $s['hops']['forward']['n'])")" = "(20, 0)" ] &&
	! grep -q warning "$TMP/twampy8.err" && ok "twampy padded: accepted, no warning, hops unknown" ||
	ko "twampy padded: accepted, no warning, hops unknown" "$out" "$TMP/twampy8.err"

# RFC8762-CLI's reflector -P (docs/interop.md): Z = 1 timestamps counting
# seconds from 1900.  Read as PTP they are 70 years late and every one-way
# delay absurd; accepted, read as such next to our T1, one warning line.
start_fake refl-ptp1900 reflect --stamp --ptp-1900
out=$TMP/ptp1900.json
"$TWINHOP" light-send 127.0.0.1:"$PORT" --stamp --count 20 --rate 2000 --loss-timeout 1 --json \
	--quiet >"$out" 2>"$TMP/ptp1900.err"
[ "$(jget "$out" "$s['received'] == 20 and 0 <= $s['forward_owd']['min_ns'] <= $s['forward_owd']['max_ns'] < 1000000000 and 0 <= $s['backward_owd']['min_ns'] <= $s['backward_owd']['max_ns'] < 1000000000")" = True ] &&
	ok "Z = 1 from 1900: 20 replies, one-way delays under a second" ||
	ko "Z = 1 from 1900: 20 replies, one-way delays under a second" "$out" "$TMP/ptp1900.err"
[ "$(grep -c 'warning' "$TMP/ptp1900.err")" = 1 ] &&
	grep -q '20 replies with PTP timestamps (Z = 1) counting seconds from 1900' "$TMP/ptp1900.err" &&
	ok "Z = 1 from 1900: one warning line" || ko "Z = 1 from 1900: one warning line" "$TMP/ptp1900.err"

# light-send --stamp --features ptp: our timestamps in the PTP format (Z = 1,
# RFC 8762 §4.2.1); the reflector answers only such packets, and the one-way
# delays come out right only if our T1 is decoded by its Z bit.
start_fake refl-z reflect --stamp --require-z
out=$TMP/z.json
"$TWINHOP" light-send 127.0.0.1:"$PORT" --stamp --features ptp --count 20 --rate 2000 \
	--loss-timeout 1 --json --quiet >"$out" 2>"$TMP/z.err"
[ "$(jget "$out" "$s['received'] == 20 and 0 <= $s['forward_owd']['min_ns'] <= $s['forward_owd']['max_ns'] < 1000000000")" = True ] &&
	ok "--features ptp: 20 packets with Z = 1 answered, one-way delays sane" ||
	ko "--features ptp: 20 packets with Z = 1 answered, one-way delays sane" "$out" "$TMP/z.err"
"$TWINHOP" light-send 127.0.0.1:"$PORT" --stamp --features dscp-ecn --count 1 >/dev/null 2>"$TMP/zf.err"
rc=$?
[ $rc = 2 ] && grep -q "takes only ptp" "$TMP/zf.err" && ok "light-send --features dscp-ecn: usage error" ||
	ko "light-send --features dscp-ecn: usage error (got $rc)" "$TMP/zf.err"

# Ctrl-C (twinhop(1) SIGNALS): the first SIGINT ends sending and still
# collects the replies in flight; a second one stops at once.  The reflector
# answers one packet per 30 ms (each reply waits for the one before), so at
# 100 packets/s about two thirds of what was sent are still on their way
# when the interrupt lands.
intr_run() { # NAME SECOND_SIGINT_AFTER_S (empty: one SIGINT only)
	start_fake refl-$1 reflect --delay-seqs 0-9999 --delay 0.03
	"$TWINHOP" light-send 127.0.0.1:"$PORT" --count 5000 --interval 0.01 --loss-timeout 10 \
		--json --quiet >"$TMP/$1.json" 2>"$TMP/$1.err" &
	local pid=$!
	sleep 1
	kill -INT $pid
	if [ -n "$2" ]; then sleep "$2"; kill -INT $pid; fi
	wait $pid
	echo $? >"$TMP/$1.rc"
}
intr_run intr ""
out=$TMP/intr.json
[ "$(cat "$TMP/intr.rc")" = 0 ] && ok "interrupted once: exit 0" || ko "interrupted once: exit 0" "$TMP/intr.err"
grep -q "interrupted: collecting the replies still in flight" "$TMP/intr.err" &&
	ok "interrupted once: says it collects the replies in flight" ||
	ko "interrupted once: says it collects the replies in flight" "$TMP/intr.err"
[ "$(jget "$out" "10 <= $s['sent'] < 5000 and $s['received'] == $s['sent'] and $s['loss']['round_trip']['count'] == 0")" = True ] &&
	ok "interrupted once: every reply in flight collected, no false loss" ||
	ko "interrupted once: every reply in flight collected, no false loss" "$out"
intr_run intr2 0.3
out=$TMP/intr2.json
[ "$(jget "$out" "$s['received'] < $s['sent'] < 5000")" = True ] &&
	ok "interrupted twice: stopped at once, the replies in flight abandoned" ||
	ko "interrupted twice: stopped at once, the replies in flight abandoned" "$out" "$TMP/intr2.err"

# Nobody listening: exit 3 and a clear message.
"$TWINHOP" light-send 127.0.0.1:9 --count 3 --interval 0.01 --loss-timeout 0.2 --quiet \
	>/dev/null 2>"$TMP/none.err"
rc=$?
[ $rc = 3 ] && grep -q "no reply" "$TMP/none.err" && ok "no reflector: exit 3" ||
	ko "no reflector: exit 3 (got $rc)" "$TMP/none.err"
finish client_socket_engine
