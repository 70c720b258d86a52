/* Watcher information (RFC 3857 / 3858) served by the core for every event
 * registered with WINFO_TYPE: the full document of a winfo subscription's
 * NOTIFY (every watcher of the presentity for the watched event), and the
 * partial NOTIFYs its subscribers get when one watcher arrives, changes
 * state or leaves. Documents are built by lp_winfo (libxml2, escaped). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "lp_winfo.h"
#include "pres_sql.h"
#include "pres_subs.h"

static int first_int(void *ctx, const lp_db_val_t *c, int n)
{
	if(n >= 1 && c[0].type == LP_DB_INT)
		*(long long *)ctx = c[0].v.i;
	return 1;
}

/* Seconds since `since` (an inserted_time): 0 when that is unknown
 * (negative) or in the future. */
static unsigned int seconds_since(long long since)
{
	unsigned int now = pres.now();

	if(since < 0 || (unsigned long long)since > now)
		return 0;
	return now - (unsigned int)since;
}

/* Seconds watcher s has been subscribed to the presentity's event (RFC
 * 3858 duration-subscribed): since its row of the watchers table was
 * stored at its first subscription; 0 when that is unknown (no DB). */
static unsigned int subscribed_for(const subs_t *s)
{
	lp_db_t *db = pres.cfg.db_url && pres_sql.watcher_since ? pres_db() : NULL;
	lp_db_val_t v[4] = {LP_DB_VSTR(s->pres_uri), LP_DB_VSTR(s->watcher_user),
			LP_DB_VSTR(s->watcher_domain), LP_DB_VSTR(s->event->name)};
	long long since = -1;

	if(!db
			|| lp_db_exec(db, pres_sql.watcher_since, v, 4, first_int, &since)
					   < 0)
		return 0;
	return seconds_since(since);
}

/* The watchers table's rows of one presentity's event, read with one
 * SELECT for a document of several watchers (it ran one per watcher) and
 * sorted by watcher for a binary search. Each row's strings are one malloc
 * (process-private) at user.s, freed by since_free. */
typedef struct since_row
{
	lp_str_t user, domain;
	long long t;
} since_row_t;

typedef struct since_tab
{
	since_row_t *v;
	int n, size, err;
} since_tab_t;

static int since_add(void *ctx, const lp_db_val_t *c, int n)
{
	since_tab_t *t = ctx;
	since_row_t *r;
	char *p;

	if(n < 3 || c[0].type != LP_DB_STR || c[1].type != LP_DB_STR
			|| c[2].type != LP_DB_INT)
		return 0; /* no usable time: that watcher's duration stays 0 */
	if(t->n == t->size) {
		r = realloc(t->v, (t->size ? 2 * t->size : 16) * sizeof(*r));
		if(!r)
			return ++t->err;
		t->v = r;
		t->size = t->size ? 2 * t->size : 16;
	}
	p = malloc(c[0].v.s.len + c[1].v.s.len + 1);
	if(!p)
		return ++t->err;
	memcpy(p, c[0].v.s.s, c[0].v.s.len);
	memcpy(p + c[0].v.s.len, c[1].v.s.s, c[1].v.s.len);
	r = &t->v[t->n++];
	r->user = (lp_str_t){p, c[0].v.s.len};
	r->domain = (lp_str_t){p + c[0].v.s.len, c[1].v.s.len};
	r->t = c[2].v.i;
	return 0;
}

static int str_cmp(const lp_str_t *a, const lp_str_t *b)
{
	int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int since_cmp(const void *a, const void *b)
{
	const since_row_t *x = a, *y = b;
	int c = str_cmp(&x->user, &y->user);

	return c ? c : str_cmp(&x->domain, &y->domain);
}

/* inserted_time of s's row in t, -1 when it has none. */
static long long since_find(const since_tab_t *t, const subs_t *s)
{
	since_row_t key = {s->watcher_user, s->watcher_domain, 0};
	const since_row_t *r =
			t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), since_cmp) : NULL;

	return r ? r->t : -1;
}

/* Fill the duration-subscribed of the n entries w of ws, watchers of
 * winfo's presentity: one SELECT for the whole document. */
static void durations(
		const subs_t *winfo, const subs_t *const *ws, int n, lp_watcher_t *w)
{
	lp_db_t *db = pres.cfg.db_url && pres_sql.watchers_since ? pres_db() : NULL;
	lp_db_val_t v[2] = {LP_DB_VSTR(winfo->pres_uri),
			LP_DB_VSTR(winfo->event->wipeer->name)};
	since_tab_t t = {NULL, 0, 0, 0};
	int i;

	if(n == 1) { /* a partial NOTIFY: that watcher's row only */
		w[0].duration = subscribed_for(ws[0]);
		return;
	}
	if(!db || n == 0
			|| lp_db_exec(db, pres_sql.watchers_since, v, 2, since_add, &t) < 0
			|| t.err)
		goto done; /* every duration stays 0, as with no DB */
	if(t.n > 1)
		qsort(t.v, t.n, sizeof(*t.v), since_cmp);
	for(i = 0; i < n; i++)
		w[i].duration = seconds_since(since_find(&t, ws[i]));
done:
	for(i = 0; i < t.n; i++)
		free(t.v[i].user.s);
	free(t.v);
}

/* One watcher entry; uri_buf holds the watcher URI. */
static void to_watcher(const subs_t *s, lp_watcher_t *w, char *uri_buf, int size)
{
	static const char *status[] = {"terminated", "active", "pending", "terminated",
			"waiting"};
	int st = (s->status <= WAITING_STATUS) ? s->status : 0;
	const char *ev;

	memset(w, 0, sizeof(*w));
	w->uri.s = uri_buf;
	w->uri.len = pres_make_uri(uri_buf, size, &s->from_user, &s->from_domain);
	if(w->uri.len < 0)
		w->uri.len = 0;
	w->id = s->to_tag;
	w->status = lp_str_c(status[st]);
	if(s->status == TERMINATED_STATUS) {
		ev = s->reason.len ? NULL : "timeout";
		w->event = ev ? lp_str_c(ev) : s->reason;
	} else {
		w->event = lp_str_c(s->status == ACTIVE_STATUS ? "approved" : "subscribe");
	}
}

/* RFC 3858 allows only these values in the event attribute; a reason with
 * parameters ("probation;retry-after=30") is cut at ';'. */
static void clean_event(lp_str_t *e)
{
	char *semi = e->len ? memchr(e->s, ';', e->len) : NULL;

	if(semi)
		e->len = (int)(semi - e->s);
}

static int build(const subs_t *winfo, const subs_t *const *ws, int n, int full,
		lp_str_t *out)
{
	char res[512], pkg[128], (*uris)[256] = NULL;
	lp_watcher_t *w = NULL;
	int i, rc = -1;

	if(snprintf(res, sizeof(res), "%.*s", LP_STR_FMT(winfo->pres_uri)) >= (int)sizeof(res)
			|| !winfo->event->wipeer
			|| snprintf(pkg, sizeof(pkg), "%.*s", LP_STR_FMT(winfo->event->wipeer->name))
					   >= (int)sizeof(pkg))
		return -1;
	if(n > 0) {
		w = calloc(n, sizeof(*w));
		uris = calloc(n, sizeof(*uris));
		if(!w || !uris)
			goto done;
	}
	for(i = 0; i < n; i++) {
		to_watcher(ws[i], &w[i], uris[i], sizeof(uris[i]));
		clean_event(&w[i].event);
	}
	durations(winfo, ws, n, w);
	rc = lp_winfo_build(res, pkg, (unsigned int)winfo->version, full, w, n, out);
done:
	free(w);
	free(uris);
	return rc;
}

int pres_winfo_body(const subs_t *winfo, lp_str_t *out)
{
	subs_t **ws = NULL;
	int n, i, rc;

	*out = LP_STR_NULL;
	if(!winfo->event->wipeer)
		return -1;
	n = pres_subs_watchers(&winfo->pres_uri, winfo->event->wipeer, &ws);
	if(n < 0)
		return -1;
	rc = build(winfo, (const subs_t *const *)ws, n, 1, out);
	for(i = 0; i < n; i++)
		free(ws[i]);
	free(ws);
	return rc;
}

void pres_winfo_notify_change(const subs_t *w)
{
	pres_ev_t *winfo_ev = w->event->wipeer;
	subs_t **subs = NULL;
	pres_notify_t *nt;
	lp_str_t body;
	int n, i;

	if(!winfo_ev || (w->event->type & WINFO_TYPE))
		return;
	/* nobody ever subscribed to watcher info here: no bucket walk (with
	 * thousands of watchers of one presentity, each change walked them
	 * all). DB-only mode: another instance may hold winfo subscriptions. */
	if(pres.cfg.subs_db_mode != PRES_SUBS_DB_ONLY && pres.winfo_seen
			&& !*pres.winfo_seen)
		return;
	n = pres_subs_collect(&w->pres_uri, winfo_ev, NULL, &subs);
	for(i = 0; i < n; i++) {
		body = LP_STR_NULL;
		if(subs[i]->status == ACTIVE_STATUS
				&& build(subs[i], (const subs_t *const *)&w, 1, 0, &body) < 0)
			LP_ERR("cannot build the watcherinfo of %.*s", LP_STR_FMT(w->pres_uri));
		nt = pres_notify_make(subs[i], &body);
		pres_notify_send(nt);
		pres_notify_free(nt);
	}
	free(subs);
}
