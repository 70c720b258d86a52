/* The DB writer process of the presence module (db_write_interval > 0,
 * pres_dbq.h): forked by the main process, it writes the queued
 * changes (and with subs_db_mode 1 the changed subscriptions) every
 * db_write_interval ms (at once again while full
 * batches wait), backs off up to PRES_WRITER_MAX_PAUSE ms while the
 * database fails and keeps everything queued meanwhile. At shutdown the
 * main process, once every child has exited, writes what is still queued
 * (pres_writer_drain), so a clean stop loses nothing acknowledged. */
#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/pt.h"
#include "core/sr_module.h"
#include "core/ut.h"

#include "lp_log.h"
#include "pres_logic.h"
#include "pres_dbq.h"
#include "pres_kam.h"
#include "pres_subs.h"
#include "pres_writer_kam.h"

#define PRES_WRITER_MAX_PAUSE 2000 /* ms */

int pres_writer_register(void)
{
	if(!pres.dbq)
		return 0;
	register_procs(1);
	cfg_register_child(1);
	return 0;
}

/* Never returns. */
static void writer_loop(void)
{
	unsigned int pause = (unsigned int)pres.cfg.db_write_interval;
	int rc;

	for(;;) {
		cfg_update();
		rc = pres_dbq_write(pres_db());
		if(rc >= 0 && pres.cfg.subs_db_mode == PRES_SUBS_DB_THROUGH)
			pres_subs_flush(); /* write-through, off the workers */
		if(rc == PRES_DBQ_BATCH)
			continue; /* more are waiting */
		if(rc < 0) {
			LP_LOG_LIMITED(LP_L_ERR,
					"cannot write queued DB changes (error %d): %u"
					" changes kept, retrying",
					rc, pres_dbq_len());
			pause = pause * 2 > PRES_WRITER_MAX_PAUSE ? PRES_WRITER_MAX_PAUSE
													  : pause * 2;
		} else {
			pause = (unsigned int)pres.cfg.db_write_interval;
		}
		sleep_us(pause * 1000);
	}
}

int pres_writer_fork(int rank)
{
	int pid;

	if(!pres.dbq || rank != PROC_MAIN)
		return 0;
	pid = fork_process(PROC_NOCHLDINIT, "presence db writer", 1);
	if(pid < 0) {
		LM_ERR("cannot fork the presence db writer\n");
		return -1;
	}
	if(pid > 0)
		return 0;
	if(cfg_child_init())
		return -1;
	pres_kam_prefault(process_no);
	if(!pres_db())
		LM_ERR("db writer: cannot open db_url yet; retrying\n");
	writer_loop();
	return 0;
}

void pres_writer_drain(void)
{
	unsigned int n;
	int rc;

	if(!pres.dbq)
		return;
	lp_wq_orphan(pres.dbq); /* every child has exited */
	n = pres_dbq_len();
	if(n == 0)
		return;
	rc = pres_dbq_drain(pres_db());
	if(rc < 0)
		LM_ERR("cannot write %u queued DB changes at shutdown"
			   " (error %d): they are lost\n", pres_dbq_len(), rc);
	else
		LM_INFO("wrote %d queued DB changes at shutdown\n", rc);
}
