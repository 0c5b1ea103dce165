# Frame-size sweep: 64, 128, ... 1472 and 1518 (the end is always included),
# one step per size at a constant packet rate.
name size-sweep
description "Frame sizes 64..1518 in steps of 64 at 50 kpps"
ip 4
mode open
sweep size 64..1518 step 64
rate 50kpps
duration-per-step 5s
warmup 1s
