/* The NOTIFY sender processes (fanout_processes > 0, pres_fanq.h): forked
 * by the main process like the DB writer, each waits on its semaphore in
 * shared memory, sends the NOTIFYs of its queue through tm
 * (pres_kam_send_notify, as a worker would) in order, and checks the
 * configuration between batches. Workers queue under the presentity's
 * fan-out lock and post the semaphore; no lock is held while tm sends. */
#include <errno.h>
#include <semaphore.h>
#include <time.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/mem/shm_mem.h"
#include "core/pt.h"
#include "core/sr_module.h"

#include "pres_fanout_kam.h"
#include "pres_fanq.h"
#include "pres_kam.h"
#include "pres_logic.h"

#define PRES_FANOUT_BATCH 64
#define PRES_FANOUT_IDLE_MS 200 /* a wait's bound: the config is checked */

static sem_t *sems; /* shm: one per sender */

static void wake(int i)
{
	sem_post(&sems[i]);
}

int pres_fanout_init(void)
{
	int n = pres.cfg.fanout_processes, i;
	unsigned int cap;

	if(n <= 0)
		return 0;
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY) {
		LM_INFO("subs_db_mode 3: fanout_processes ignored, the workers"
				" send the NOTIFYs\n");
		return 0;
	}
	cap = (unsigned int)(pres.cfg.fanout_queue_size + n - 1) / n;
	sems = shm_malloc(n * sizeof(*sems));
	pres.fanq = sems ? pres_fanq_new(n, cap) : NULL;
	if(!pres.fanq) {
		LM_ERR("out of shared memory for the NOTIFY sender queues\n");
		return -1;
	}
	for(i = 0; i < n; i++)
		if(sem_init(&sems[i], 1, 0) < 0) {
			LM_ERR("cannot create a semaphore: %s\n", strerror(errno));
			return -1;
		}
	pres.fanq->wake = wake;
	register_procs(n);
	cfg_register_child(n);
	return 0;
}

static int send_kam(const pres_notify_t *n)
{
	return pres_kam_send_notify(n);
}

/* Never returns. */
static void sender_loop(int i)
{
	struct timespec ts;

	for(;;) {
		cfg_update();
		if(pres_fanq_serve(pres.fanq, i, send_kam, PRES_FANOUT_BATCH) > 0)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PRES_FANOUT_IDLE_MS * 1000000L;
		if(ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		/* every push posts once: the leftover posts of a batch just
		 * make empty rounds */
		sem_timedwait(&sems[i], &ts);
	}
}

int pres_fanout_fork(int rank)
{
	int i, pid;

	if(!pres.fanq || rank != PROC_MAIN)
		return 0;
	for(i = 0; i < pres.fanq->n; i++) {
		pid = fork_process(PROC_NOCHLDINIT, "presence notify sender", 1);
		if(pid < 0) {
			LM_ERR("cannot fork NOTIFY sender %d\n", i);
			return -1;
		}
		if(pid > 0)
			continue;
		if(cfg_child_init())
			return -1;
		pres_kam_prefault(process_no);
		sender_loop(i);
	}
	return 0;
}

void pres_fanout_destroy(void)
{
	unsigned int left;

	if(!pres.fanq)
		return;
	pres_fanq_orphan(pres.fanq); /* every child has exited */
	left = pres_fanq_len(pres.fanq);
	if(left > 0)
		LM_ERR("%u queued NOTIFYs were not sent at shutdown (the"
			   " watchers get the state with their next NOTIFY or"
			   " SUBSCRIBE)\n",
				left);
	if(*pres.fanq->dropped > 0)
		LM_INFO("%lu NOTIFYs were dropped while the sender queues were"
				" full\n",
				*pres.fanq->dropped);
	pres_fanq_free(pres.fanq);
	pres.fanq = NULL;
}
