/* The log callback of libpresence, its stderr default, and rate-limited
 * log sites. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "lp_log.h"

static void lp_log_stderr(int level, const char *msg)
{
	if(level <= LP_L_WARN)
		fprintf(stderr, "libpresence: %s\n", msg);
}

static lp_log_fn lp_log_cb = lp_log_stderr;

void lp_log_set(lp_log_fn fn)
{
	lp_log_cb = fn ? fn : lp_log_stderr;
}

void lp_log(int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lp_log_cb(level, buf);
}

long lp_log_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec + 1; /* never 0, which means "never logged" */
}

int lp_log_rl_at(lp_log_rl_t *rl, long now, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if(rl->last != 0 && now - rl->last < LP_LOG_RL_PERIOD) {
		rl->missed++;
		return 0;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if(rl->missed)
		lp_log(level, "%s (%u similar messages suppressed in the last %lds)",
				buf, rl->missed, now - rl->last);
	else
		lp_log_cb(level, buf);
	rl->last = now;
	rl->missed = 0;
	return 1;
}
