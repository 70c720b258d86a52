/* Internal subscription service: providers, subscriptions and message
 * queues in lp_malloc memory; see lp_qsvc.h for the contract and the
 * ownership rules. The service lock guards the provider list, the
 * subscription list, every subscription's reference count and state; each
 * queue has its own lock for its messages and reference count. */
#include <string.h>

#include "lp_mem.h"
#include "lp_qsvc.h"

struct lp_qqueue {
	void *lock;
	lp_qmsg_t *head, *tail;
	int count;
	int max;
	int refs;
	unsigned int dropped;
};

typedef struct lp_qprov {
	struct lp_qprov *next;
	lp_str_t package; /* points inside this block */
	const lp_qprovider_ops_t *ops;
	void *pdata;
} lp_qprov_t;

struct lp_qsub {
	struct lp_qsub *prev, *next; /* in svc->subs while linked */
	lp_qsvc_t *svc;
	unsigned int id;
	int refs;
	int active;
	int linked;
	unsigned int seq;
	void *cookie;
	lp_qqueue_t *queue;
	const lp_qprov_t *prov;
	lp_str_t record, package, subscriber; /* inside this block */
};

struct lp_qsvc {
	void *lock;
	lp_qprov_t *provs;
	lp_qsub_t *subs;
	int nsubs;
	unsigned int last_id;
};

/* ---------------------------------------------------------------- queues */

lp_qqueue_t *lp_qqueue_new(int max)
{
	lp_qqueue_t *q = lp_zalloc(sizeof(*q));

	if(!q)
		return NULL;
	q->lock = lp_lock_new();
	if(!q->lock) {
		lp_free(q);
		return NULL;
	}
	q->max = max > 0 ? max : 0;
	q->refs = 1;
	return q;
}

void lp_qqueue_ref(lp_qqueue_t *q)
{
	lp_lock_get(q->lock);
	q->refs++;
	lp_lock_release(q->lock);
}

void lp_qqueue_release(lp_qqueue_t *q)
{
	lp_qmsg_t *m, *next;
	int last;

	if(!q)
		return;
	lp_lock_get(q->lock);
	last = --q->refs == 0;
	lp_lock_release(q->lock);
	if(!last)
		return;
	for(m = q->head; m; m = next) {
		next = m->next;
		lp_free(m);
	}
	lp_lock_free(q->lock);
	lp_free(q);
}

lp_qmsg_t *lp_qqueue_take(lp_qqueue_t *q)
{
	lp_qmsg_t *m;

	lp_lock_get(q->lock);
	m = q->head;
	if(m) {
		q->head = m->next;
		if(!q->head)
			q->tail = NULL;
		q->count--;
		m->next = NULL;
	}
	lp_lock_release(q->lock);
	return m;
}

int lp_qqueue_count(lp_qqueue_t *q)
{
	int n;

	lp_lock_get(q->lock);
	n = q->count;
	lp_lock_release(q->lock);
	return n;
}

unsigned int lp_qqueue_dropped(lp_qqueue_t *q)
{
	unsigned int n;

	lp_lock_get(q->lock);
	n = q->dropped;
	lp_lock_release(q->lock);
	return n;
}

/* Append m; when the queue is full the oldest message is returned for the
 * caller to free outside the lock. */
static lp_qmsg_t *queue_push(lp_qqueue_t *q, lp_qmsg_t *m)
{
	lp_qmsg_t *old = NULL;

	lp_lock_get(q->lock);
	if(q->max && q->count >= q->max) {
		old = q->head;
		q->head = old->next;
		if(!q->head)
			q->tail = NULL;
		q->count--;
		q->dropped++;
	}
	if(q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->count++;
	lp_lock_release(q->lock);
	return old;
}

/* -------------------------------------------------------------- messages */

void lp_qmsg_free(lp_qmsg_t *m)
{
	lp_free(m);
}

const char *lp_qstate_name(lp_qstate_t s)
{
	switch(s) {
		case LP_QSTATE_PENDING:
			return "pending";
		case LP_QSTATE_ACTIVE:
			return "active";
		case LP_QSTATE_TERMINATED:
			return "terminated";
	}
	return "unknown";
}

/* Copy src after *w into dst, NUL-terminated, advancing *w. */
static void put_str(char **w, lp_str_t *dst, const lp_str_t *src)
{
	dst->s = *w;
	dst->len = src->s ? src->len : 0;
	if(dst->len)
		memcpy(*w, src->s, dst->len);
	(*w)[dst->len] = '\0';
	*w += dst->len + 1;
}

static lp_qmsg_t *msg_build(const lp_qmsg_t *hdr, const lp_str_t *record,
		const lp_str_t *package, const lp_qstatus_t *st)
{
	size_t size = sizeof(lp_qmsg_t) + record->len + package->len
				  + st->content_type.len + st->document.len + st->reason.len
				  + 5;
	lp_qmsg_t *m = lp_malloc(size);
	char *w;

	if(!m)
		return NULL;
	*m = *hdr;
	m->next = NULL;
	m->state = st->state;
	m->expires = st->expires;
	w = (char *)(m + 1);
	put_str(&w, &m->record, record);
	put_str(&w, &m->package, package);
	put_str(&w, &m->content_type, &st->content_type);
	put_str(&w, &m->document, &st->document);
	put_str(&w, &m->reason, &st->reason);
	return m;
}

lp_qmsg_t *lp_qmsg_dup(const lp_qmsg_t *m)
{
	lp_qstatus_t st;

	st.content_type = m->content_type;
	st.document = m->document;
	st.state = m->state;
	st.reason = m->reason;
	st.expires = m->expires;
	return msg_build(m, &m->record, &m->package, &st);
}

/* --------------------------------------------------------------- service */

lp_qsvc_t *lp_qsvc_new(void)
{
	lp_qsvc_t *svc = lp_zalloc(sizeof(*svc));

	if(!svc)
		return NULL;
	svc->lock = lp_lock_new();
	if(!svc->lock) {
		lp_free(svc);
		return NULL;
	}
	return svc;
}

static void sub_free(lp_qsub_t *sub)
{
	lp_qqueue_release(sub->queue);
	lp_free(sub);
}

void lp_qsvc_destroy(lp_qsvc_t *svc)
{
	lp_qprov_t *p, *pn;
	lp_qsub_t *s, *sn;

	if(!svc)
		return;
	for(s = svc->subs; s; s = sn) {
		sn = s->next;
		s->active = 0;
		s->linked = 0;
		s->prev = s->next = NULL;
		lp_qsub_release(s);
	}
	for(p = svc->provs; p; p = pn) {
		pn = p->next;
		lp_free(p);
	}
	lp_lock_free(svc->lock);
	lp_free(svc);
}

/* Provider of package; the service lock must be held. */
static const lp_qprov_t *find_prov(lp_qsvc_t *svc, const lp_str_t *package)
{
	const lp_qprov_t *p;

	for(p = svc->provs; p; p = p->next)
		if(lp_str_caseeq(&p->package, package))
			return p;
	return NULL;
}

int lp_qsvc_register(lp_qsvc_t *svc, const lp_str_t *package,
		const lp_qprovider_ops_t *ops, void *pdata)
{
	lp_qprov_t *p;
	char *w;
	int rc = 0;

	if(!package || package->len <= 0 || !ops || !ops->subscribe)
		return LP_QSVC_EINVAL;
	p = lp_malloc(sizeof(*p) + package->len + 1);
	if(!p)
		return LP_QSVC_ENOMEM;
	w = (char *)(p + 1);
	put_str(&w, &p->package, package);
	p->ops = ops;
	p->pdata = pdata;
	lp_lock_get(svc->lock);
	if(find_prov(svc, package)) {
		rc = LP_QSVC_EEXIST;
	} else {
		p->next = svc->provs;
		svc->provs = p;
	}
	lp_lock_release(svc->lock);
	if(rc < 0)
		lp_free(p);
	return rc;
}

int lp_qsvc_has_provider(lp_qsvc_t *svc, const lp_str_t *package)
{
	int found;

	lp_lock_get(svc->lock);
	found = find_prov(svc, package) != NULL;
	lp_lock_release(svc->lock);
	return found;
}

static lp_qsub_t *sub_new(lp_qsvc_t *svc, const lp_str_t *record,
		const lp_str_t *package, const lp_str_t *subscriber)
{
	lp_qsub_t *sub = lp_zalloc(sizeof(*sub) + record->len + package->len
							   + subscriber->len + 3);
	char *w;

	if(!sub)
		return NULL;
	w = (char *)(sub + 1);
	put_str(&w, &sub->record, record);
	put_str(&w, &sub->package, package);
	put_str(&w, &sub->subscriber, subscriber);
	sub->svc = svc;
	return sub;
}

/* Link sub at the head of the list; the service lock must be held. */
static void sub_link(lp_qsvc_t *svc, lp_qsub_t *sub)
{
	sub->prev = NULL;
	sub->next = svc->subs;
	if(svc->subs)
		svc->subs->prev = sub;
	svc->subs = sub;
	sub->linked = 1;
	svc->nsubs++;
}

static void sub_unlink(lp_qsvc_t *svc, lp_qsub_t *sub)
{
	if(sub->prev)
		sub->prev->next = sub->next;
	else
		svc->subs = sub->next;
	if(sub->next)
		sub->next->prev = sub->prev;
	sub->prev = sub->next = NULL;
	sub->linked = 0;
	svc->nsubs--;
}

/* Reserve an id and find the provider, under the service lock. */
static int sub_prepare(lp_qsvc_t *svc, lp_qsub_t *sub)
{
	lp_lock_get(svc->lock);
	sub->prov = find_prov(svc, &sub->package);
	if(sub->prov) {
		if(++svc->last_id == 0)
			svc->last_id = 1;
		sub->id = svc->last_id;
		/* one reference for the service, one for the call in progress */
		sub->refs = 2;
		sub->active = 1;
	}
	lp_lock_release(svc->lock);
	return sub->prov ? 0 : LP_QSVC_ENOPROV;
}

int lp_qsvc_subscribe(lp_qsvc_t *svc, const lp_str_t *record,
		const lp_str_t *package, const lp_str_t *subscriber,
		lp_qqueue_t *queue, void *cookie, unsigned int *id)
{
	static const lp_str_t empty = {"", 0};
	lp_qsub_t *sub;
	int rc;

	if(!record || record->len <= 0 || !package || package->len <= 0 || !queue)
		return LP_QSVC_EINVAL;
	sub = sub_new(svc, record, package, subscriber ? subscriber : &empty);
	if(!sub)
		return LP_QSVC_ENOMEM;
	sub->cookie = cookie;
	rc = sub_prepare(svc, sub);
	if(rc < 0) {
		lp_free(sub);
		return rc;
	}
	lp_qqueue_ref(queue);
	sub->queue = queue;
	/* not linked yet: nobody can unsubscribe it while the provider looks */
	if(sub->prov->ops->subscribe(sub, sub->prov->pdata) < 0) {
		sub_free(sub);
		return LP_QSVC_EPROVIDER;
	}
	lp_lock_get(svc->lock);
	sub_link(svc, sub);
	lp_lock_release(svc->lock);
	*id = sub->id;
	lp_qsub_release(sub);
	return 0;
}

int lp_qsvc_unsubscribe(lp_qsvc_t *svc, unsigned int id)
{
	lp_qsub_t *sub;

	lp_lock_get(svc->lock);
	for(sub = svc->subs; sub && sub->id != id; sub = sub->next)
		;
	if(sub) {
		sub_unlink(svc, sub);
		sub->active = 0;
	}
	lp_lock_release(svc->lock);
	if(!sub)
		return LP_QSVC_ENOENT;
	if(sub->prov->ops->unsubscribe)
		sub->prov->ops->unsubscribe(sub, sub->prov->pdata);
	lp_qsub_release(sub); /* the service's reference */
	return 0;
}

int lp_qsvc_count(lp_qsvc_t *svc)
{
	int n;

	lp_lock_get(svc->lock);
	n = svc->nsubs;
	lp_lock_release(svc->lock);
	return n;
}

int lp_qsvc_put(lp_qsub_t *sub, const lp_qstatus_t *st)
{
	lp_qsvc_t *svc = sub->svc;
	lp_qmsg_t hdr, *m, *old = NULL;
	int rc = 0;

	memset(&hdr, 0, sizeof(hdr));
	hdr.sub_id = sub->id;
	hdr.cookie = sub->cookie;
	/* record and package never change: build the copy before locking */
	m = msg_build(&hdr, &sub->record, &sub->package, st);
	if(!m)
		return LP_QSVC_ENOMEM;
	lp_lock_get(svc->lock);
	if(sub->active) {
		m->seq = ++sub->seq;
		old = queue_push(sub->queue, m);
		m = NULL;
	} else {
		rc = LP_QSVC_EGONE;
	}
	lp_lock_release(svc->lock);
	lp_free(m);
	lp_free(old);
	return rc;
}

void lp_qsub_ref(lp_qsub_t *sub)
{
	lp_lock_get(sub->svc->lock);
	sub->refs++;
	lp_lock_release(sub->svc->lock);
}

void lp_qsub_release(lp_qsub_t *sub)
{
	int last;

	if(!sub)
		return;
	lp_lock_get(sub->svc->lock);
	last = --sub->refs == 0;
	lp_lock_release(sub->svc->lock);
	if(last)
		sub_free(sub);
}

int lp_qsub_active(lp_qsub_t *sub)
{
	int a;

	lp_lock_get(sub->svc->lock);
	a = sub->active;
	lp_lock_release(sub->svc->lock);
	return a;
}

unsigned int lp_qsub_id(const lp_qsub_t *sub)
{
	return sub->id;
}

const lp_str_t *lp_qsub_record(const lp_qsub_t *sub)
{
	return &sub->record;
}

const lp_str_t *lp_qsub_package(const lp_qsub_t *sub)
{
	return &sub->package;
}

const lp_str_t *lp_qsub_subscriber(const lp_qsub_t *sub)
{
	return &sub->subscriber;
}
