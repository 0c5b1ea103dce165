/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twh-bench-tscfloor: the platform's own floor under the Session-Sender's
 * schedule error, the baseline of tools/bench-sched.sh (issue 9 §4).
 *
 *   twh-bench-tscfloor CPU SECONDS INTERVAL_NS periodic|poisson
 *
 * Pins itself to CPU and spins on the TSC for SECONDS, recording every
 * gap between two consecutive reads longer than GAP_NS: the time the CPU
 * was not running this loop (hypervisor preemption, interrupts, other
 * tasks).  Then it replays a zero-cost sender with the given schedule over
 * that record: a packet due inside a gap goes out when the gap ends, any
 * other one exactly on time.  No real sender on that CPU can do better,
 * so its schedule error (p50/p99/p999/max) is the floor the measured
 * sender is compared with, taken in the same invocation, run by run.
 *
 * Prints one line per figure, in the format of twinhop-fp --sched-stats:
 *   floor: schedule=... interval_ns=... n=...
 *   floor: error_ns p50=... p99=... p999=... max=...
 *   floor: stalled_ms=... of seconds=... gaps_over_1us=... gaps_over_10us=...
 *          gaps_over_100us=... max_gap_us=...
 * The TSC rate is measured against CLOCK_MONOTONIC over the run.  The
 * arrays are mapped populated at start, so the loop itself takes no page
 * fault.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <x86intrin.h>

#define GAP_NS 100.0
#define MAX_GAPS (1u << 22)

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *populated(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* xorshift64*: the Poisson draws need no cryptographic quality */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double unit(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	uint64_t r = rng * 2685821657736338717ull;
	return ((double)(r >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[4], "periodic") && strcmp(argv[4], "poisson"))) {
		fprintf(stderr, "usage: %s CPU SECONDS INTERVAL_NS periodic|poisson\n", argv[0]);
		return 2;
	}
	int cpu = atoi(argv[1]);
	double secs = atof(argv[2]), iv_ns = atof(argv[3]);
	bool poisson = !strcmp(argv[4], "poisson");
	if (secs <= 0 || secs > 600 || iv_ns < 1) {
		fprintf(stderr, "SECONDS must be in (0, 600], INTERVAL_NS >= 1\n");
		return 2;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		perror("sched_setaffinity");
		return 2;
	}
	uint64_t *ga = populated(MAX_GAPS * sizeof(uint64_t));
	uint64_t *gb = populated(MAX_GAPS * sizeof(uint64_t));

	/* a first estimate of the rate, for the gap threshold and the end */
	uint64_t n0 = mono_ns(), c0 = __rdtsc();
	while (mono_ns() - n0 < 20000000ull)
		;
	double hz = (double)(__rdtsc() - c0) * 1e9 / (double)(mono_ns() - n0);
	uint64_t thr = (uint64_t)(GAP_NS * hz / 1e9);

	uint64_t ng = 0, lost = 0;
	uint64_t m0 = mono_ns(), t0 = __rdtsc(), last = t0, end = t0 + (uint64_t)(secs * hz);
	for (;;) {
		uint64_t t = __rdtsc();
		if (t - last > thr) {
			if (ng < MAX_GAPS) {
				ga[ng] = last;
				gb[ng] = t;
				ng++;
			} else {
				lost++;
			}
		}
		last = t;
		if (t >= end)
			break;
	}
	uint64_t m1 = mono_ns();
	hz = (double)(last - t0) * 1e9 / (double)(m1 - m0);
	if (lost) {
		fprintf(stderr, "more than %u gaps: record incomplete\n", MAX_GAPS);
		return 1;
	}

	/* the zero-cost sender over the record */
	double iv = iv_ns * hz / 1e9;
	uint64_t cap = (uint64_t)((double)(end - t0) / iv * (poisson ? 1.2 : 1.0)) + 16;
	uint32_t *err = populated(cap * sizeof(uint32_t));
	uint64_t n = 0, g = 0;
	double due = (double)t0;
	while (n < cap) {
		due += poisson ? -log(unit()) * iv : iv;
		if (due >= (double)end)
			break;
		uint64_t d = (uint64_t)due;
		while (g < ng && gb[g] <= d)
			g++;
		double e = g < ng && ga[g] < d ? (double)(gb[g] - d) * 1e9 / hz : 0.0;
		err[n++] = e > 4e9 ? UINT32_MAX : (uint32_t)e;
	}
	if (!n) {
		fprintf(stderr, "no packet due within %.3f s at %.1f ns\n", secs, iv_ns);
		return 2;
	}
	qsort(err, n, sizeof(uint32_t), cmp_u32);

	double stalled = 0, max_gap = 0;
	uint64_t over1 = 0, over10 = 0, over100 = 0;
	for (uint64_t i = 0; i < ng; i++) {
		double us = (double)(gb[i] - ga[i]) * 1e6 / hz;
		stalled += us;
		over1 += us > 1;
		over10 += us > 10;
		over100 += us > 100;
		if (us > max_gap)
			max_gap = us;
	}
#define PCT(q) ((double)err[(uint64_t)((double)(n - 1) * (q))])
	printf("floor: schedule=%s interval_ns=%.1f n=%" PRIu64 " tsc_hz=%.0f\n",
	       poisson ? "poisson" : "periodic", iv_ns, n, hz);
	printf("floor: error_ns p50=%.1f p99=%.1f p999=%.1f max=%.1f\n", PCT(.5), PCT(.99),
	       PCT(.999), (double)err[n - 1]);
	printf("floor: stalled_ms=%.2f of seconds=%.2f gaps_over_1us=%" PRIu64
	       " gaps_over_10us=%" PRIu64 " gaps_over_100us=%" PRIu64 " max_gap_us=%.1f\n",
	       stalled / 1000, (double)(m1 - m0) / 1e9, over1, over10, over100, max_gap);
	return 0;
}
