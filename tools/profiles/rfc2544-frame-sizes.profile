# The RFC 2544 §9.1 Ethernet frame sizes, each at 100 Mbit/s of line rate
# (preamble, SFD and inter-frame gap included: 20 octets per frame).
name rfc2544-frame-sizes
description "RFC 2544 frame sizes 64..1518 at 100 Mbps line rate"
ip 4
mode open
steps size 64 128 256 512 1024 1280 1518
rate 100Mbps
duration-per-step 10s
warmup 2s
