/* Limits on unauthenticated state; see pres_limits.h. Each refusal is
 * logged through a rate-limited site, since anyone can trigger it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_limits.h"
#include "pres_pub.h"
#include "pres_reply.h"
#include "pres_sql.h"

typedef struct field_limit
{
	const char *name; /* header or field, for the log and the reason */
	const lp_str_t *v;
	int max;
} field_limit_t;

/* The first field over its maximum, or NULL. */
static const field_limit_t *first_over(const field_limit_t *f, int n)
{
	int i;

	for(i = 0; i < n; i++)
		if(f[i].v->len > f[i].max)
			return &f[i];
	return NULL;
}

static int configured(int value, int column)
{
	return value > 0 && value < column ? value : column;
}

static int too_long(
		const char *method, const field_limit_t *f, pres_reply_t *rep)
{
	LP_LOG_LIMITED(LP_L_INFO,
			"%s refused: %s of %d bytes, over its limit of"
			" %d (400)",
			method, f->name, f->v->len, f->max);
	pres_reply_hdr(rep, "Warning: 399 presence \"%s longer than %d bytes\"\r\n",
			f->name, f->max);
	return pres_reply_set(rep, 400, "Header Too Long");
}

int pres_limits_subscribe(const pres_subscribe_req_t *req, pres_reply_t *rep)
{
	/* presentity_uri is "sip:user@domain": 5 bytes of its own */
	lp_str_t puri = {NULL, req->ruri_user.len + req->ruri_domain.len + 5};
	const field_limit_t f[] = {
			{"Request-URI", &puri, PRES_COL_URI},
			{"To user", &req->to_user, PRES_COL_NAME},
			{"To host", &req->to_domain, PRES_COL_NAME},
			{"From user", &req->from_user, PRES_COL_NAME},
			{"From host", &req->from_domain, PRES_COL_NAME},
			{"watcher user", &req->watcher_user, PRES_COL_NAME},
			{"watcher domain", &req->watcher_domain, PRES_COL_NAME},
			{"From tag", &req->from_tag, PRES_COL_TAG},
			{"To tag", &req->to_tag, PRES_COL_TAG},
			{"Call-ID", &req->callid, PRES_COL_URI},
			{"Contact", &req->contact,
					configured(pres.cfg.max_contact_len, PRES_COL_URI)},
			{"Record-Route", &req->record_route,
					configured(pres.cfg.max_record_route_len, PRES_COL_TEXT)},
			{"User-Agent", &req->user_agent,
					configured(pres.cfg.max_user_agent_len, PRES_COL_URI)},
	};
	const field_limit_t *over = first_over(f, sizeof(f) / sizeof(f[0]));

	return over ? too_long("SUBSCRIBE", over, rep) : 0;
}

int pres_limits_publish(const pres_publish_req_t *req, pres_reply_t *rep)
{
	const field_limit_t f[] = {
			{"Request-URI user", &req->user, PRES_COL_NAME},
			{"Request-URI host", &req->domain, PRES_COL_NAME},
			{"sender", &req->sender, PRES_COL_URI},
	};
	const field_limit_t *over = first_over(f, sizeof(f) / sizeof(f[0]));

	return over ? too_long("PUBLISH", over, rep) : 0;
}

int pres_limits_memory(pres_reply_t *rep)
{
	int free_pct;

	if(pres.cfg.shm_min_free_percent <= 0)
		return 0;
	free_pct = lp_mem_free_percent();
	if(free_pct < 0 || free_pct >= pres.cfg.shm_min_free_percent)
		return 0;
	LP_LOG_LIMITED(LP_L_WARN,
			"shared memory low (%d%% free, below"
			" shm_min_free_percent %d): new presence state refused (503)",
			free_pct, pres.cfg.shm_min_free_percent);
	return pres_reply_unavailable(rep, pres.cfg.shm_retry_after);
}

/* How much a second weighs in a run of lossy ones: 2 when the socket
 * lost PRES_RXQ_HEAVY percent or more of what reached it, 1 for
 * PRES_RXQ_LOSS percent or more, else 0; d dropped against m messages
 * this process took in while readers processes read it (each about as
 * many). Without a message count, any drop weighs 1. */
static unsigned int loss_weight(unsigned int d, unsigned int m, int readers)
{
	uint64_t in = (uint64_t)m * (uint64_t)(readers > 0 ? readers : 1);
	uint64_t lost = d;

	if(!d)
		return 0;
	if(!m)
		return 1;
	if(lost * (100 - PRES_RXQ_HEAVY) >= in * PRES_RXQ_HEAVY)
		return 2;
	return lost * (100 - PRES_RXQ_LOSS) >= in * PRES_RXQ_LOSS;
}

/* The first look in a new second closes this process's measuring interval
 * and opens the next. An interval from the second before adds its weight
 * to the run of lossy intervals, or ends the run. A longer one (this
 * process made no new state for a while) counts for nothing: its drops
 * may be from any of its seconds, such as the tail of an overload that
 * has ended, and say nothing of the last one. */
static void measure(const pres_rxq_t *q, unsigned int now)
{
	unsigned int w = 0;

	if(now == pres.rxq_sec)
		return;
	if(pres.rxq_sec && now - pres.rxq_sec == 1)
		w = loss_weight(q->drops - pres.rxq_drops, q->msgs - pres.rxq_msgs,
				q->readers);
	if(w) {
		if(pres.rxq_drop_at && pres.rxq_drop_at + 1 == pres.rxq_sec)
			pres.rxq_drop_run += w;
		else
			pres.rxq_drop_run = w;
		pres.rxq_drop_at = now - 1;
	}
	pres.rxq_sec = now;
	pres.rxq_drops = q->drops;
	pres.rxq_msgs = q->msgs;
}

/* Has the socket lost datagrams long enough, as this process measured it
 * (pres_limits.h)? */
static int overflowing(const pres_rxq_t *q, unsigned int now)
{
	measure(q, now);
	if(!pres.rxq_drop_at || now - pres.rxq_drop_at >= PRES_RXQ_DROP_WINDOW)
		return 0;
	return pres.rxq_drop_run >= PRES_RXQ_DROP_RUN
		   || (pres.rxq_over_at
				   && (pres.rxq_drop_at < pres.rxq_over_at
						   || pres.rxq_drop_at - pres.rxq_over_at
									  <= PRES_RXQ_REARM));
}

int pres_limits_load(const pres_rxq_t *q, pres_reply_t *rep)
{
	unsigned int now;
	int behind;

	if(pres.cfg.overload_queue_percent <= 0 || !q->known)
		return 0;
	now = pres.now();
	behind = overflowing(q, now) || q->bytes >= PRES_RXQ_BACKLOG;
	if(q->pct < pres.cfg.overload_queue_percent || !behind)
		return 0;
	pres.rxq_over_at = now;
	LP_LOG_LIMITED(LP_L_WARN,
			"receive queue %d%% full (overload_queue_percent %d) after %s:"
			" new presence state refused (503)",
			q->pct, pres.cfg.overload_queue_percent,
			q->bytes >= PRES_RXQ_BACKLOG
					? "a backlog of 1 MB or more"
					: "a loss of datagrams in consecutive seconds");
	return pres_reply_unavailable(rep, pres.cfg.overload_retry_after);
}

int pres_limits_creates_state(const pres_early_req_t *r)
{
	if(r->in_dialog)
		return 0;
	if(r->method == PRES_EARLY_PUBLISH)
		return 1;
	return r->method == PRES_EARLY_SUBSCRIBE && r->expires != 0;
}

/* r's slot in the memory of refusals, and its fingerprint there (not 0). */
static uint64_t *refused_slot(const pres_early_req_t *r, uint32_t *tag)
{
	unsigned int h = lp_hash_str2(&r->callid, &r->cseq);

	h = lp_hash_bytes(r->branch.s, r->branch.len, h);
	*tag = lp_hash_bytes(r->callid.s, r->callid.len, h ^ 0x9e3779b9u) | 1u;
	return &pres.refused[h & (PRES_REFUSED_SLOTS - 1)];
}

/* the word after the slots: the second of the latest refusal */
static uint64_t *latest_refusal(void)
{
	return &pres.refused[PRES_REFUSED_SLOTS];
}

static int remembered(const pres_early_req_t *r, unsigned int now)
{
	uint32_t tag;
	uint64_t v;

	if(!pres.refused)
		return 0;
	v = __atomic_load_n(latest_refusal(), __ATOMIC_RELAXED);
	if(!v || now - (uint32_t)v >= PRES_REFUSED_SECS)
		return 0;
	v = __atomic_load_n(refused_slot(r, &tag), __ATOMIC_RELAXED);
	return (uint32_t)(v >> 32) == tag && now - (uint32_t)v < PRES_REFUSED_SECS;
}

void pres_limits_early_refused(const pres_early_req_t *r)
{
	uint32_t tag;
	uint64_t *slot;

	if(!pres.refused)
		return;
	slot = refused_slot(r, &tag);
	__atomic_store_n(slot, ((uint64_t)tag << 32) | pres.now(), __ATOMIC_RELAXED);
	__atomic_store_n(latest_refusal(), pres.now(), __ATOMIC_RELAXED);
}

int pres_limits_early(const pres_early_req_t *r, pres_reply_t *rep)
{
	if(!pres_limits_creates_state(r))
		return 0;
	if(remembered(r, pres.now()))
		return pres_reply_unavailable(rep, pres.cfg.overload_retry_after);
	return pres_limits_load(&r->rxq, rep);
}

static int count_pub(const pres_pub_t *p, void *ctx)
{
	const pres_ev_t *ev = ((void **)ctx)[0];
	int *n = ((void **)ctx)[1];

	if(lp_str_eq(&p->event, &ev->name))
		(*n)++;
	return 0;
}

static int count_row(void *ctx, const lp_db_val_t *c, int n)
{
	(*(int *)ctx)++;
	return 0;
}

/* Live publications of (user, domain, ev): the cache, or the DB. */
static int publications(
		const lp_str_t *user, const lp_str_t *domain, const pres_ev_t *ev)
{
	lp_db_val_t v[4] = {LP_DB_VSTR(*user), LP_DB_VSTR(*domain),
			LP_DB_VSTR(ev->name), LP_DB_VINT(pres.now())};
	lp_db_t *db;
	int n = 0;
	void *ctx[2] = {(void *)ev, &n};

	if(pres.cfg.publ_cache) {
		pres_pub_foreach(user, domain, count_pub, ctx);
		return n;
	}
	db = pres_db();
	if(!db || lp_db_exec(db, pres_sql.pub_of_uri, v, 4, count_row, &n) < 0)
		return -1;
	return n;
}

int pres_limits_publications(const lp_str_t *user, const lp_str_t *domain,
		const pres_ev_t *ev, pres_reply_t *rep)
{
	int max = pres.cfg.max_publications_per_presentity, n;

	if(max <= 0)
		return 0;
	n = publications(user, domain, ev);
	if(n < 0)
		return pres_reply_error(rep);
	if(n < max)
		return 0;
	LP_LOG_LIMITED(LP_L_INFO,
			"PUBLISH for %.*s@%.*s refused: %d %.*s"
			" publications, max_publications_per_presentity is %d (403)",
			LP_STR_FMT(*user), LP_STR_FMT(*domain), n, LP_STR_FMT(ev->name),
			max);
	return pres_reply_set(rep, 403, "Too Many Publications");
}

/* ---- subscriptions per watcher ---- */

typedef struct wcount
{
	lp_hentry_t h;
	int n;
	lp_str_t user, domain; /* strings follow in the block */
} wcount_t;

typedef struct wkey
{
	const lp_str_t *user, *domain;
} wkey_t;

static int match_w(const lp_hentry_t *e, const void *key)
{
	const wcount_t *w = (const wcount_t *)e;
	const wkey_t *k = key;

	return lp_str_eq(&w->user, k->user) && lp_str_caseeq(&w->domain, k->domain);
}

static unsigned int whash(const lp_str_t *user, const lp_str_t *domain)
{
	char low[PRES_COL_NAME];
	lp_str_t d = {
			low, domain->len < PRES_COL_NAME ? domain->len : PRES_COL_NAME};
	int i;

	for(i = 0; i < d.len; i++) /* domains compare case-insensitively */
		low[i] = (char)(domain->s[i] >= 'A' && domain->s[i] <= 'Z'
								? domain->s[i] + 32
								: domain->s[i]);
	return lp_hash_str2(user, &d);
}

static wcount_t *wcount_new(
		const lp_str_t *user, const lp_str_t *domain, unsigned int hash)
{
	wcount_t *w = lp_zalloc(sizeof(*w) + user->len + domain->len + 2);
	char *p;

	if(!w)
		return NULL;
	p = (char *)(w + 1);
	w->user.s = p;
	w->user.len = user->len;
	if(user->len)
		memcpy(p, user->s, user->len);
	p += user->len + 1;
	w->domain.s = p;
	w->domain.len = domain->len;
	if(domain->len)
		memcpy(p, domain->s, domain->len);
	w->h.hash = hash;
	return w;
}

void pres_limits_watcher_add(
		const lp_str_t *user, const lp_str_t *domain, int delta)
{
	unsigned int hash, slot;
	wkey_t k = {user, domain};
	wcount_t *w, *gone = NULL;

	if(!pres.wcount)
		return;
	hash = whash(user, domain);
	slot = lp_htable_slot(pres.wcount, hash);
	lp_htable_lock(pres.wcount, slot);
	w = (wcount_t *)lp_htable_find(pres.wcount, hash, match_w, &k);
	if(!w && delta > 0) {
		w = wcount_new(user, domain, hash);
		if(w)
			lp_htable_link(pres.wcount, &w->h);
		else
			LP_LOG_LIMITED(LP_L_ERR,
					"out of shared memory: a subscription"
					" of %.*s@%.*s is not counted",
					LP_STR_FMT(*user), LP_STR_FMT(*domain));
	}
	if(w) {
		w->n += delta;
		if(w->n <= 0) {
			lp_htable_unlink(pres.wcount, &w->h);
			gone = w;
		}
	}
	lp_htable_unlock(pres.wcount, slot);
	lp_free(gone);
}

int pres_limits_watcher_count(const lp_str_t *user, const lp_str_t *domain)
{
	unsigned int hash, slot;
	wkey_t k = {user, domain};
	wcount_t *w;
	int n = 0;

	if(!pres.wcount)
		return 0;
	hash = whash(user, domain);
	slot = lp_htable_slot(pres.wcount, hash);
	lp_htable_lock(pres.wcount, slot);
	w = (wcount_t *)lp_htable_find(pres.wcount, hash, match_w, &k);
	if(w)
		n = w->n;
	lp_htable_unlock(pres.wcount, slot);
	return n;
}

int pres_limits_watcher(
		const lp_str_t *user, const lp_str_t *domain, pres_reply_t *rep)
{
	int max = pres.cfg.max_subscriptions_per_watcher, n;

	if(max <= 0 || pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return 0;
	n = pres_limits_watcher_count(user, domain);
	if(n < max)
		return 0;
	LP_LOG_LIMITED(LP_L_INFO,
			"SUBSCRIBE of %.*s@%.*s refused: %d"
			" subscriptions, max_subscriptions_per_watcher is %d (403)",
			LP_STR_FMT(*user), LP_STR_FMT(*domain), n, max);
	return pres_reply_set(rep, 403, "Too Many Subscriptions");
}

void pres_limits_free_entry(lp_hentry_t *e)
{
	lp_free(e);
}
