/* The log callback of libpresence, its stderr default, and the rate
 * limit of log sites (lp_log_rl_*), the one used by every module. */
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

int lp_log_rl_allow(lp_log_rl_t *rl, long now, int burst, int period,
		unsigned int *missed)
{
	if(rl->start == 0 || now - rl->start >= period || now < rl->start) {
		rl->start = now;
		rl->lines = 0;
	}
	if(rl->lines >= burst) {
		rl->missed++;
		return 0;
	}
	rl->lines++;
	if(missed)
		*missed = rl->missed;
	rl->missed = 0;
	return 1;
}

static int rl_vlog(lp_log_rl_t *rl, long now, int burst, int period,
		int level, const char *fmt, va_list ap)
{
	char buf[512];
	unsigned int missed;

	if(!lp_log_rl_allow(rl, now, burst, period, &missed))
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if(missed)
		lp_log(level, "%s (%u similar messages suppressed before)", buf,
				missed);
	else
		lp_log_cb(level, buf);
	return 1;
}

int lp_log_rl_rate(lp_log_rl_t *rl, long now, int burst, int period,
		int level, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rl_vlog(rl, now, burst, period, level, fmt, ap);
	va_end(ap);
	return rc;
}

int lp_log_rl_at(lp_log_rl_t *rl, long now, int level, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rl_vlog(rl, now, 1, LP_LOG_RL_PERIOD, level, fmt, ap);
	va_end(ap);
	return rc;
}
