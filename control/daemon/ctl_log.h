/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_log: logging for twinhopd (style anchor 11).
 *
 * Severity macros with printf checking; LOG_DEBUG lines cost a level test
 * only.  Output goes to stderr (foreground, tests) or syslog (daemon).
 * log_warn() appends strerror(errno), log_warnx() does not (OpenBGPD pair).
 */
#ifndef CTL_LOG_H
#define CTL_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Set the threshold (a syslog priority) and the sink. */
void ctl_log_init(const char *tag, int level, bool use_syslog);
void ctl_log_set_level(int level);
/* stderr is a log file (-l): prefix every line with the local time. */
void ctl_log_set_file(bool on);
bool ctl_log_to_file(void);
int ctl_log_level(void);

void ctl_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As ctl_log(LOG_WARNING), followed by ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_warnx(...) ctl_log(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  ctl_log(LOG_INFO, __VA_ARGS__)
#define log_err(...)   ctl_log(LOG_ERR, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (ctl_log_level() >= LOG_DEBUG)                                                  \
			ctl_log(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)

#endif
