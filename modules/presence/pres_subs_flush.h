/* Write-back of the subscription table (subs_db_mode 1 and 2), in two
 * steps so that a test can run a removal between them, as a SIP worker may:
 * take copies of the marked records (clearing the marks), then write them.
 * pres_subs_flush (pres_subs.h) runs both. */
#ifndef PRES_SUBS_FLUSH_H
#define PRES_SUBS_FLUSH_H

#include "lp_db.h"
#include "pres_logic.h"

typedef struct pres_flush_row
{
	subs_t *s;		   /* malloc'd copy (pres_subs_dup) */
	unsigned int hash; /* of its record: the bucket it lives in */
	int state;		   /* private to pres_subs_flush.c */
} pres_flush_row_t;

typedef struct pres_flush_batch
{
	pres_flush_row_t *rows; /* malloc'd */
	int n, cap;
} pres_flush_batch_t;

/* Copies of every marked record into b (filled from scratch; process
 * memory), their marks cleared, each bucket locked only while it is read.
 * Returns how many; when memory runs out the records not copied keep their
 * marks (logged). Free b with pres_subs_flush_free. */
int pres_subs_flush_take(pres_flush_batch_t *b);

/* Write b's copies to active_watchers through db (no lock held by the
 * caller). Rows the DB refuses are skipped (logged, rate limited) and stay
 * unmarked until their record changes; on any other failure nothing is
 * committed and every record still in the table is marked again. A record
 * removed from the table since pres_subs_flush_take is not written, or its
 * row is deleted again after the commit. Returns the rows written, or -1.
 * b is left for the caller to free. */
int pres_subs_flush_write(lp_db_t *db, pres_flush_batch_t *b);

void pres_subs_flush_free(pres_flush_batch_t *b);

/* Delete the rows of active_watchers expired at now (subs_db_mode 1 and 2;
 * the clean timer): rows whose record is gone from memory (expired while
 * Kamailio was down, or written once and never loaded) are not left for a
 * later start. */
void pres_subs_flush_expired(unsigned int now);

#endif
