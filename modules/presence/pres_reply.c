/* Filling pres_reply_t: code, reason and the extra header lines. */
#include <stdarg.h>
#include <stdio.h>

#include "pres_logic.h"
#include "pres_reply.h"

int pres_reply_set(pres_reply_t *rep, int code, const char *reason)
{
	rep->code = code;
	rep->reason = reason;
	return code >= 200 && code < 300 ? 0 : -1;
}

void pres_reply_hdr(pres_reply_t *rep, const char *fmt, ...)
{
	va_list ap;
	int room = PRES_HDRS_MAX - rep->hdrs_len, n;

	va_start(ap, fmt);
	n = vsnprintf(rep->hdrs + rep->hdrs_len, room, fmt, ap);
	va_end(ap);
	if(n > 0 && n < room)
		rep->hdrs_len += n;
	else
		rep->hdrs[rep->hdrs_len] = '\0'; /* drop a header that does not fit */
}

int pres_reply_bad_event(pres_reply_t *rep)
{
	char allow[PRES_HDRS_MAX / 2];

	if(pres_allow_events(allow, sizeof(allow)) > 0)
		pres_reply_hdr(rep, "Allow-Events: %s\r\n", allow);
	return pres_reply_set(rep, 489, "Bad Event");
}

int pres_reply_error(pres_reply_t *rep)
{
	return pres_reply_set(rep, 500, "Server Internal Error");
}

int pres_reply_unavailable(pres_reply_t *rep, int retry_after)
{
	pres_reply_hdr(rep, "Retry-After: %d\r\n", retry_after);
	return pres_reply_set(rep, 503, "Service Unavailable");
}
