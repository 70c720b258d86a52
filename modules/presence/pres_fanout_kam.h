/* The NOTIFY sender processes of the presence module (fanout_processes,
 * pres_fanq.h): set-up in mod_init, fork in child_init, the account of
 * what was left at shutdown. */
#ifndef PRES_FANOUT_KAM_H
#define PRES_FANOUT_KAM_H

/* mod_init (after the DB set-up): the queues and wake-ups in shared
 * memory, the processes reserved. Nothing with fanout_processes 0 or in
 * DB-only mode (subs_db_mode 3: the NOTIFYs are sent by the worker). 0 or
 * -1. */
int pres_fanout_init(void);

/* child_init: in PROC_MAIN fork the senders. 0 or -1; the children never
 * return. */
int pres_fanout_fork(int rank);

/* mod_destroy, in the main process after every child has exited: log the
 * NOTIFYs still queued (not sent: tm no longer runs), then free. */
void pres_fanout_destroy(void);

#endif
