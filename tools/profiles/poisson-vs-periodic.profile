# The same rate twice: periodic, then Poisson (RFC 2330 §11.1.1 sampling).
# Compare delay and loss between the two steps; a fixed seed keeps the
# Poisson gaps reproducible.
name poisson-vs-periodic
description "Periodic then Poisson sending at 1 kpps, 128-octet frames"
ip 4
mode open
size 128
rate 1kpps
steps schedule periodic poisson
duration-per-step 30s
warmup 1s
seed 1
