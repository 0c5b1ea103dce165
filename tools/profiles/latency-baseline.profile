# Low-rate, long run for a clean round-trip-time distribution (percentiles,
# jitter) with negligible load on the path.  Expedited Forwarding marking,
# twping-sized packets (41-octet payload both ways in open mode: frame 87).
name latency-baseline
description "RTT baseline: 10 pps for 5 minutes, EF, periodic"
ip 4
mode open
dscp EF
size 87
rate 10pps
duration-per-step 300s
warmup 0s
