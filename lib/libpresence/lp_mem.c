/* The installed allocator and lock ops, the libc/pthread defaults, and the
 * small helpers built on them (string copy). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lp_mem.h"

static int pth_init(void *l)
{
	return pthread_mutex_init((pthread_mutex_t *)l, NULL) == 0 ? 0 : -1;
}
static void pth_get(void *l)
{
	pthread_mutex_lock((pthread_mutex_t *)l);
}
static void pth_release(void *l)
{
	pthread_mutex_unlock((pthread_mutex_t *)l);
}
static void pth_destroy(void *l)
{
	pthread_mutex_destroy((pthread_mutex_t *)l);
}

const lp_alloc_ops_t lp_alloc_libc = {"libc", malloc, realloc, free};
const lp_lock_ops_t lp_lock_pthread = {"pthread", sizeof(pthread_mutex_t),
		pth_init, pth_get, pth_release, pth_destroy};

static const lp_alloc_ops_t *lp_alloc = &lp_alloc_libc;
static const lp_lock_ops_t *lp_lockops = &lp_lock_pthread;

void lp_mem_set_ops(const lp_alloc_ops_t *alloc, const lp_lock_ops_t *lock)
{
	if(alloc)
		lp_alloc = alloc;
	if(lock)
		lp_lockops = lock;
}

static lp_mem_free_percent_f lp_free_pct;

void lp_mem_set_free_percent(lp_mem_free_percent_f fn)
{
	lp_free_pct = fn;
}

int lp_mem_free_percent(void)
{
	int p;

	if(!lp_free_pct)
		return -1;
	p = lp_free_pct();
	return p < 0 ? -1 : (p > 100 ? 100 : p);
}

void *lp_malloc(size_t size)
{
	return lp_alloc->malloc(size ? size : 1);
}

void *lp_zalloc(size_t size)
{
	void *p = lp_malloc(size);
	if(p)
		memset(p, 0, size ? size : 1);
	return p;
}

void *lp_realloc(void *ptr, size_t size)
{
	return lp_alloc->realloc(ptr, size ? size : 1);
}

void lp_free(void *ptr)
{
	if(ptr)
		lp_alloc->free(ptr);
}

void *lp_lock_new(void)
{
	void *l = lp_malloc(lp_lockops->size);
	if(l && lp_lockops->init(l) != 0) {
		lp_free(l);
		l = NULL;
	}
	return l;
}

void lp_lock_free(void *lock)
{
	if(!lock)
		return;
	lp_lockops->destroy(lock);
	lp_free(lock);
}

void lp_lock_get(void *lock)
{
	lp_lockops->get(lock);
}

void lp_lock_release(void *lock)
{
	lp_lockops->release(lock);
}

static int str_copy(lp_str_t *dst, const lp_str_t *src, char *s)
{
	dst->s = s;
	if(!s) {
		dst->len = 0;
		return -1;
	}
	if(src->len)
		memcpy(s, src->s, src->len);
	s[src->len] = '\0';
	dst->len = src->len;
	return 0;
}

int lp_str_dup(lp_str_t *dst, const lp_str_t *src)
{
	return str_copy(dst, src, lp_malloc(src->len + 1));
}

int lp_str_mdup(lp_str_t *dst, const lp_str_t *src)
{
	return str_copy(dst, src, malloc(src->len + 1));
}
