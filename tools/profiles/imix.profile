# Simple IMIX: 7 x 64, 4 x 594, 1 x 1518 octet frames (mean 361.8 octets),
# the classic 7:4:1 internet mix.  Frame sizes are Ethernet frames incl. FCS.
name imix
description "Simple IMIX 7:4:1 (64/594/1518), IPv4, open mode"
ip 4
mode open
imix 64:7 594:4 1518:1
rate 100kpps
duration-per-step 10s
warmup 1s
