/* The log callback of libpresence and its stderr default. */
#include <stdarg.h>
#include <stdio.h>

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
