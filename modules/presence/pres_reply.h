/* Helpers to fill a pres_reply_t. */
#ifndef PRES_REPLY_H
#define PRES_REPLY_H

#include "pres_logic.h"

/* Sets code and reason; returns 0 for a 2xx, -1 otherwise (so a handler can
 * `return pres_reply_set(...)`). */
int pres_reply_set(pres_reply_t *rep, int code, const char *reason);
/* Append one formatted header line (the format ends in \r\n). */
void pres_reply_hdr(pres_reply_t *rep, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
/* 489 Bad Event with Allow-Events. */
int pres_reply_bad_event(pres_reply_t *rep);
/* 500 */
int pres_reply_error(pres_reply_t *rep);
/* 503 Service Unavailable with Retry-After: retry_after (RFC 3261
 * s21.5.4: come back later); -1. */
int pres_reply_unavailable(pres_reply_t *rep, int retry_after);

#endif
