/* Kamailio side of libpresence's host hooks, shared by every module of the
 * suite (header-only, so each module gets its own static copy): shm_malloc
 * for the allocator, gen_lock_t for locks, LM_* for the log. A module calls
 * lp_kam_install() in mod_init, before anything allocates and before the
 * workers fork. */
#ifndef LP_KAM_H
#define LP_KAM_H

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "lp_log.h"
#include "lp_mem.h"

static void *lp_kam_malloc(size_t size)
{
	return shm_malloc(size);
}
static void *lp_kam_realloc(void *p, size_t size)
{
	return shm_realloc(p, size);
}
static void lp_kam_free(void *p)
{
	shm_free(p);
}
static int lp_kam_lock_init(void *l)
{
	return lock_init((gen_lock_t *)l) ? 0 : -1;
}
static void lp_kam_lock_get(void *l)
{
	lock_get((gen_lock_t *)l);
}
static void lp_kam_lock_release(void *l)
{
	lock_release((gen_lock_t *)l);
}
static void lp_kam_lock_destroy(void *l)
{
	lock_destroy((gen_lock_t *)l);
}

static const lp_alloc_ops_t lp_kam_alloc = {
		"shm", lp_kam_malloc, lp_kam_realloc, lp_kam_free};
static const lp_lock_ops_t lp_kam_lock = {"gen_lock", sizeof(gen_lock_t),
		lp_kam_lock_init, lp_kam_lock_get, lp_kam_lock_release,
		lp_kam_lock_destroy};

static void lp_kam_log(int level, const char *msg)
{
	switch(level) {
		case LP_L_ERR:
			LM_ERR("%s\n", msg);
			break;
		case LP_L_WARN:
			LM_WARN("%s\n", msg);
			break;
		case LP_L_INFO:
			LM_INFO("%s\n", msg);
			break;
		default:
			LM_DBG("%s\n", msg);
	}
}

static inline void lp_kam_install(void)
{
	lp_mem_set_ops(&lp_kam_alloc, &lp_kam_lock);
	lp_log_set(lp_kam_log);
}

#endif
