# A DSCP mix as seen on a converged edge link: voice, video, best effort.
# Packets take their DSCP from a deterministic weighted round-robin
# (EF 10 %, AF41 30 %, BE 60 %), so runs are reproducible.
name dscp-mix
description "EF 10%, AF41 30%, BE 60% on IMIX frames"
ip 4
mode open
dscp-mix EF:10 AF41:30 BE:60
imix 64:7 594:4 1518:1
rate 10kpps
duration-per-step 30s
warmup 2s
