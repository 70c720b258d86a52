/* The DB writer process (pres_writer_kam.c). */
#ifndef PRES_WRITER_KAM_H
#define PRES_WRITER_KAM_H

/* mod_init, after pres_dbq_init: reserve the process (nothing without a
 * queue). 0 or -1. */
int pres_writer_register(void);

/* child_init: in PROC_MAIN fork the writer (nothing without a queue). 0 or
 * -1; the child never returns. */
int pres_writer_fork(int rank);

/* mod_destroy, in the main process after every child has exited: write
 * what is still queued (logged). */
void pres_writer_drain(void);

#endif
