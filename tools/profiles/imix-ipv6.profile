# IMIX over IPv6.  A 64-octet frame cannot carry IPv6 + UDP + a TWAMP sender
# packet (14 Ethernet + 4 FCS + 40 IPv6 + 8 UDP + 14 base = 80), so the small
# frame is 84 octets, the usual IPv6 substitute for 64 (leaves 4 octets of
# padding in open mode, as 64 does over IPv4).
name imix-ipv6
description "Simple IMIX 7:4:1 over IPv6 (84/594/1518), open mode"
ip 6
mode open
imix 84:7 594:4 1518:1
rate 100kpps
duration-per-step 10s
warmup 1s
