/* The subscriber behind the RPC commands: one message queue for every
 * subscription made with presence_b2b.subscribe, drained by the module's
 * timer and by presence_b2b.list, keeping per subscription the last status
 * message and how many arrived. Lives in lp_malloc memory under its own
 * lock (taken after a bucket lock, never before one). */
#include <string.h>

#include "b2b_logic.h"

#define PB2B_VIEW_QUEUE_MAX 4096

typedef struct pb2b_vent {
	struct pb2b_vent *next;
	unsigned int id;
	unsigned int count;
	lp_qmsg_t *last; /* owned by the entry */
} pb2b_vent_t;

struct pb2b_view {
	void *lock;
	lp_qqueue_t *queue; /* the view's own reference */
	pb2b_vent_t *first;
};

pb2b_view_t *pb2b_view_new(void)
{
	pb2b_view_t *v = lp_zalloc(sizeof(*v));

	if(!v)
		return NULL;
	v->lock = lp_lock_new();
	v->queue = lp_qqueue_new(PB2B_VIEW_QUEUE_MAX);
	if(!v->lock || !v->queue) {
		pb2b_view_destroy(v);
		return NULL;
	}
	return v;
}

void pb2b_view_destroy(pb2b_view_t *v)
{
	pb2b_vent_t *e, *next;

	if(!v)
		return;
	for(e = v->first; e; e = next) {
		next = e->next;
		lp_qmsg_free(e->last);
		lp_free(e);
	}
	lp_qqueue_release(v->queue);
	lp_lock_free(v->lock);
	lp_free(v);
}

lp_qqueue_t *pb2b_view_queue(pb2b_view_t *v)
{
	return v->queue;
}

/* Entry of id; the view lock must be held. */
static pb2b_vent_t *find(pb2b_view_t *v, unsigned int id)
{
	pb2b_vent_t *e;

	for(e = v->first; e && e->id != id; e = e->next)
		;
	return e;
}

int pb2b_view_track(pb2b_view_t *v, unsigned int id)
{
	pb2b_vent_t *e = lp_zalloc(sizeof(*e));

	if(!e)
		return -1;
	e->id = id;
	lp_lock_get(v->lock);
	e->next = v->first;
	v->first = e;
	lp_lock_release(v->lock);
	return 0;
}

void pb2b_view_forget(pb2b_view_t *v, unsigned int id)
{
	pb2b_vent_t **pp, *e = NULL;

	lp_lock_get(v->lock);
	for(pp = &v->first; *pp; pp = &(*pp)->next) {
		if((*pp)->id == id) {
			e = *pp;
			*pp = e->next;
			break;
		}
	}
	lp_lock_release(v->lock);
	if(e) {
		lp_qmsg_free(e->last);
		lp_free(e);
	}
}

void pb2b_view_drain(pb2b_view_t *v)
{
	lp_qmsg_t *m, *old;
	pb2b_vent_t *e;

	while((m = lp_qqueue_take(v->queue)) != NULL) {
		lp_lock_get(v->lock);
		e = find(v, m->sub_id);
		old = m;
		if(e) {
			old = e->last;
			e->last = m;
			e->count++;
		}
		lp_lock_release(v->lock);
		lp_qmsg_free(old); /* the replaced one, or an untracked message */
	}
}

lp_qmsg_t *pb2b_view_last(pb2b_view_t *v, unsigned int id, unsigned int *count)
{
	pb2b_vent_t *e;
	lp_qmsg_t *copy = NULL;

	*count = 0;
	lp_lock_get(v->lock);
	e = find(v, id);
	if(e) {
		*count = e->count;
		if(e->last)
			copy = lp_qmsg_dup(e->last);
	}
	lp_lock_release(v->lock);
	return copy;
}

int pb2b_view_ids(pb2b_view_t *v, unsigned int *ids, int max)
{
	pb2b_vent_t *e;
	int n = 0;

	lp_lock_get(v->lock);
	for(e = v->first; e && n < max; e = e->next)
		ids[n++] = e->id;
	lp_lock_release(v->lock);
	return n;
}
