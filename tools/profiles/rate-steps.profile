# Rate steps, one decade apart, up to the 1 Mpps a single sender session
# can pace (interval >= 1 us).  Look for the step where loss appears.
name rate-steps
description "64-octet frames at 1k, 10k, 100k and 1M packets per second"
ip 4
mode open
size 64
steps rate 1kpps 10kpps 100kpps 1Mpps
duration-per-step 10s
warmup 1s
