#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# `twinhop top` in a real terminal: tmux runs it against twinhopd with a fake
# fast path (tools/twinhop-ipc create), capture-pane reads the screen, and
# send-keys q must end it.  Skipped (exit 77) when twinhopd or twinhop-ipc
# were not built.
set -u
. "$(dirname "$0")/lib.sh"
TSOCK=$TMP/tmux.sock
IPC_CREATE_EXTRA="--ports 2" start_appliance client_top <<CONF
listen 127.0.0.1 $((19500 + $$ % 400))
modes open
allow 0.0.0.0/0
test-ports 22000-22100
fp-timeout 2000
stats-interval 200
CONF
"$TWINHOP" light add --proto stamp --port 18994 --addr 127.0.0.1 >"$TMP/la" 2>&1 || ko "light add" "$TMP/la"
"$TWINHOP" sender add --proto light --peer 127.0.0.1 --peer-port 18994 --local 127.0.0.1 \
	--local-port 40010 --count 3 >"$TMP/sa" 2>&1 || ko "sender add" "$TMP/sa"
trap 'tmux -S "$TSOCK" kill-server 2>/dev/null; cleanup' EXIT
tmux -S "$TSOCK" new-session -d -s top -x 120 -y 30 \
	"TWINHOP_ADMIN=$TMP/thd.sock '$TWINHOP' top --interval 0.3; echo TOP-EXIT=\$?; sleep 30"
# a few refreshes, so rates have a previous sample
screen_has() { tmux -S "$TSOCK" capture-pane -p -t top >"$TMP/screen" && grep -Eq -- "$1" "$TMP/screen"; }
for _ in $(seq 50); do screen_has 'LCORE' && break; sleep 0.1; done
sleep 1
tmux -S "$TSOCK" capture-pane -p -t top >"$TMP/screen"
grep -q '^twinhop top - .*twinhopd .*fast path attached' "$TMP/screen" && ok "header: daemon and fast path" ||
	ko "header" "$TMP/screen"
grep -Eq 'Sessions: 2 \(0 reflector, 1 light/stamp, 1 sender\)' "$TMP/screen" && ok "session count" ||
	ko "session count" "$TMP/screen"
grep -Eq '^ +ID KIND +PROTO +STATE +PEER +RX/s +TX/s +LOSS +RTT p50 +RTT p99' "$TMP/screen" &&
	ok "session columns" || ko "session columns" "$TMP/screen"
grep -Eq '^ +1 light +stamp +started +\*:0 +0 +0 ' "$TMP/screen" && ok "light listener row with rates" ||
	ko "light listener row" "$TMP/screen"
grep -Eq '^ +2 sender +light +added +127\.0\.0\.1:18994 +0 +0 +0\.00% ' "$TMP/screen" &&
	ok "sender row with loss" || ko "sender row" "$TMP/screen"
grep -Eq '^ +LCORE +BUSY % +CYCLES/PKT +PKTS/BURST +RX/s +TX/s' "$TMP/screen" && ok "lcore columns" ||
	ko "lcore columns" "$TMP/screen"
n=$(grep -cE '^ +[0-9]+ +(-|[0-9.]+) +(-|[0-9]+) +(-|[0-9.]+) +[0-9.kM]+ +[0-9.kM]+$' "$TMP/screen")
[ "$n" -ge 1 ] && ok "one row per lcore ($n)" || ko "lcore rows" "$TMP/screen"
# the fake fast path's two port blocks (twinhop-ipc create --ports 2): no
# member link, link down, nothing counted
grep -Eq '^ +PORT +LINK +STATE +RX/s +TX/s +MISSED/s$' "$TMP/screen" && ok "port columns" ||
	ko "port columns" "$TMP/screen"
n=$(grep -cE '^ +[01] +- +down +0 +0 +0$' "$TMP/screen")
[ "$n" = 2 ] && ok "one row per port (2)" || ko "port rows ($n)" "$TMP/screen"
# the screen follows the appliance: delete the listener, it disappears
"$TWINHOP" light del 1 >/dev/null 2>&1 || ko "light del"
for _ in $(seq 30); do screen_has 'Sessions: 1 ' && break; sleep 0.1; done
screen_has 'Sessions: 1 \(0 reflector, 0 light/stamp, 1 sender\)' && ! grep -Eq '^ +1 light' "$TMP/screen" &&
	ok "refreshes: deleted listener gone" || ko "refresh after delete" "$TMP/screen"
tmux -S "$TSOCK" send-keys -t top q
for _ in $(seq 30); do screen_has 'TOP-EXIT=' && break; sleep 0.1; done
screen_has 'TOP-EXIT=0' && ok "q quits, exit 0" || ko "q quits" "$TMP/screen"
tmux -S "$TSOCK" kill-server
finish client_top
