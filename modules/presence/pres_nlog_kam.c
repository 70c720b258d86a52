/* The per-NOTIFY log line, held back during a fan-out: see
 * pres_nlog_kam.h. */
#include "core/dprint.h"

#include "lp_linebuf.h"
#include "pres_kam.h"
#include "pres_nlog_kam.h"
#include "pres_state.h"

#define NLOG_FMT "NOTIFY %.*s via %.*s on behalf of %.*s for event %.*s : %.*s\n"
#define NLOG_ARGS(u, c, p, e, i)                                            \
	(u)->len, (u)->s, (c)->len, (c)->s, (p)->len, (p)->s, (e)->len, (e)->s, \
			(i)->len, (i)->s

/* Named after the function that sends the NOTIFY, as before the lines
 * were held back. */
#define NLOG(fmt, ...) \
	PRES_LOCAL_LOG_AS("pres_kam_send_notify", fmt, __VA_ARGS__)

/* This process's batch: depth of nested opens, the lines held. */
static int depth;
static lp_linebuf_t held = LP_LINEBUF_INIT;

static void write_line(const char *line, size_t len, void *ctx)
{
	NLOG("%.*s", (int)len, line);
}

void pres_nlog_batch(int open)
{
	if(open) {
		depth++;
		return;
	}
	if(depth == 0 || --depth > 0)
		return;
	lp_linebuf_flush(&held, write_line, NULL);
	if(held.cap > PRES_NLOG_KEEP) /* a big fan-out's block goes back */
		lp_linebuf_free(&held);
}

void pres_nlog_notify(const str *uri, const str *contact, const str *pres_uri,
		const str *event, const str *callid)
{
	if(!is_printable(pres.cfg.local_log_level))
		return;
	if(depth > 0
			&& lp_linebuf_printf(&held, PRES_NLOG_MAX, write_line, NULL,
					   NLOG_FMT,
					   NLOG_ARGS(uri, contact, pres_uri, event, callid))
					   == 0)
		return;
	lp_linebuf_flush(&held, write_line, NULL);
	NLOG(NLOG_FMT, NLOG_ARGS(uri, contact, pres_uri, event, callid));
}
