/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_level = LOG_INFO;
static bool log_syslog;
static const char *log_tag = "twinhopd";
static bool log_file;

void ctl_log_set_file(bool on)
{
	log_file = on;
}

bool ctl_log_to_file(void)
{
	return log_file;
}

void ctl_log_init(const char *tag, int level, bool use_syslog)
{
	log_tag = tag;
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(tag, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void ctl_log_set_level(int level)
{
	log_level = level;
}
int ctl_log_level(void)
{
	return log_level;
}

__attribute__((format(printf, 2, 0))) static void vlog(int prio, const char *fmt, va_list ap,
                                                       const char *suffix)
{
	char line[1024];

	if (prio > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_syslog) {
		syslog(prio, "%s%s%s", line, suffix ? ": " : "", suffix ? suffix : "");
		return;
	}
	if (log_file) {
		char ts[40];
		time_t t = time(NULL);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
		fprintf(stderr, "%s %s[%ld]: %s%s%s\n", ts, log_tag, (long)getpid(), line,
		        suffix ? ": " : "", suffix ? suffix : "");
		return;
	}
	fprintf(stderr, "%s: %s%s%s\n", log_tag, line, suffix ? ": " : "", suffix ? suffix : "");
}

void ctl_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, fmt, ap, NULL);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}
