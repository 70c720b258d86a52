/* The line each NOTIFY sent logs at local_log_level ("NOTIFY <uri> via
 * <contact> on behalf of <presentity> for event <event> : <call-id>"),
 * held back during a fan-out.
 *
 * Written as it is sent, a fan-out's lines cost a formatted write each
 * between two NOTIFYs (a quarter of a 10,000-watcher fan-out's time with 4
 * workers, doc/scaling.md). Between pres_nlog_batch(1) and the matching
 * pres_nlog_batch(0) (pres.notify_batch, around a fan-out) the lines are
 * formatted into a private buffer and logged when the batch closes, after
 * the fan-out's last NOTIFY: the same text, in the same order, under the
 * sending function's name (pres_kam_send_notify), only later. Outside a
 * batch, or when the level is not logged, a line is written (or skipped)
 * at once, as before.
 *
 * Per process; the lines are held in an lp_linebuf of at most
 * PRES_NLOG_MAX bytes (then what is held is logged and it starts again),
 * kept for the next batch up to PRES_NLOG_KEEP bytes (the first block, a
 * few hundred lines), freed when a bigger one has been logged. */
#ifndef PRES_NLOG_KAM_H
#define PRES_NLOG_KAM_H

#include "core/str.h"

#define PRES_NLOG_MAX (4 << 20)
#define PRES_NLOG_KEEP (64 << 10)

/* pres.notify_batch: open (1) or close (0) a batch; nested batches are
 * counted, the outermost close logs the lines. */
void pres_nlog_batch(int open);

/* The line of one NOTIFY: logged now, or held until the batch closes. */
void pres_nlog_notify(const str *uri, const str *contact, const str *pres_uri,
		const str *event, const str *callid);

#endif
