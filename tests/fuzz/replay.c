/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Regression driver: feeds every file of the given directories (or the given
 * files) to LLVMFuzzerTestOneInput, each in a forked child so that one crash
 * (abort, ASan/UBSan report) fails only that input and the rest still run.
 * Built with any compiler; this is how the seed corpora and crash-*
 * reproducers run in the normal and sanitizer test suites.
 *
 *   fuzz_replay_<target> NAME PATH...
 * prints "TWRESULT NAME <inputs passed> <inputs failed>" and exits 1 if any
 * input failed (or no input was found: an empty corpus tests nothing).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_common.h"

static unsigned passed, failed;

static int run_child(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return 1;
		size_t n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	fclose(fp);
	/* Exact-size copy, as libFuzzer hands it over: overreads are caught. */
	uint8_t *in = malloc(len ? len : 1);
	if (!in)
		return 1;
	memcpy(in, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(in, len);
	free(in);
	return 0;
}

static void run_one(const char *path)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("replay: fork");
		failed++;
		return;
	}
	if (pid == 0)
		_exit(run_child(path));
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		passed++;
	} else {
		failed++;
		if (WIFSIGNALED(st))
			printf("FAILED %s (signal %d)\n", path, WTERMSIG(st));
		else
			printf("FAILED %s (exit %d)\n", path, WEXITSTATUS(st));
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		printf("FAILED %s (%s)\n", path, strerror(errno));
		failed++;
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		run_one(path);
		return;
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, NULL);
	if (n < 0) {
		printf("FAILED %s (%s)\n", path, strerror(errno));
		failed++;
		return;
	}
	char **files = calloc((size_t)n + 1, sizeof *files);
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && files &&
		    asprintf(&files[k], "%s/%s", path, names[i]->d_name) >= 0)
			k++;
		free(names[i]);
	}
	free(names);
	if (!files)
		return;
	qsort(files, (size_t)k, sizeof *files, cmp);
	for (int i = 0; i < k; i++) {
		if (stat(files[i], &sb) == 0 && S_ISREG(sb.st_mode))
			run_one(files[i]);
		free(files[i]);
	}
	free(files);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s NAME PATH...\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		run_path(argv[i]);
	if (passed + failed == 0) {
		printf("replay: no inputs found\n");
		failed = 1;
	}
	printf("TWRESULT %s %u %u\n", argv[1], passed, failed);
	return failed ? 1 : 0;
}
