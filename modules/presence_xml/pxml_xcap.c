/* Pres-rules documents from XCAP servers: the shared cache, its lookups on
 * the SIP path and the XCAP process's refresh rounds, with the servers'
 * back-off; the policy is described in pxml_xcap.h. Locking: one lock
 * (cache->lock) guards every entry, the counters and the back-off state;
 * it is never held across a fetch, a callback or a log call. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lp_log.h"
#include "lp_mem.h"
#include "lp_xml.h"
#include "pxml_http.h"
#include "pxml_state.h"
#include "pxml_stats.h"
#include "pxml_xcap.h"

#define CACHE_BUCKETS 256
#define KEY_MAX 512
#define URI_MAX 4096

enum { X_WANTED = 0, X_KNOWN = 1 };

typedef struct xentry {
	struct xentry *next;
	char *key;	 /* user@domain, in the entry's block */
	int user_len; /* the user part of key */
	char *doc;	 /* lp_malloc'd; NULL: none (or not known yet) */
	int doc_len;
	int state;	 /* X_WANTED until a server answered */
	int refresh; /* revalidate at the next round */
	int busy;	 /* the XCAP process is fetching it */
	char etag[PXML_HTTP_ETAG_MAX];
	time_t checked;	 /* last fetched or confirmed (304) */
	time_t used;	 /* last looked up */
	time_t next_try; /* after a round without an answer */
} xentry_t;

typedef struct xserver {
	int fails;	  /* consecutive failures */
	time_t until; /* not asked before this time */
} xserver_t;

struct pxml_xcap_cache {
	void *lock;
	int n;
	long bytes; /* of the documents held */
	xentry_t *b[CACHE_BUCKETS];
	xserver_t *servers; /* pxml.xcap_nroots of them */
	pxml_xcap_stats_t stats;
};
typedef struct pxml_xcap_cache cache_t;

/* What fetching one document gave. */
typedef struct fetched {
	int status; /* 200, 304 or 404 */
	pxml_http_res_t res;
} fetched_t;

/* A job of a refresh round: copied out of the entry under the lock. */
typedef struct job {
	char key[KEY_MAX];
	int user_len;
	char etag[PXML_HTTP_ETAG_MAX]; /* "" unless a document is known */
} job_t;

int pxml_xcap_add_server(const char *value)
{
	char *root, **nr;
	size_t len;

	if(!value || !*value) {
		LP_ERR("presence_xml: empty xcap_server");
		return -1;
	}
	if(strstr(value, "://") && strncasecmp(value, "http://", 7) != 0
			&& strncasecmp(value, "https://", 8) != 0) {
		LP_ERR("presence_xml: xcap_server %s: only http:// and https://",
				value);
		return -1;
	}
	if(asprintf(&root, "%s%s", strstr(value, "://") ? "" : "http://", value)
			< 0)
		return -1;
	len = strlen(root);
	if(len > 8 && root[len - 1] == '/')
		root[len - 1] = '\0';
	nr = realloc(pxml.xcap_roots, (pxml.xcap_nroots + 1) * sizeof(*nr));
	if(!nr) {
		free(root);
		return -1;
	}
	nr[pxml.xcap_nroots++] = root;
	pxml.xcap_roots = nr;
	return 0;
}

int pxml_xcap_init(void)
{
	cache_t *c;

	if(pxml.xcap)
		return 0;
	c = lp_zalloc(sizeof(*c));
	if(!c)
		return -1;
	c->lock = lp_lock_new();
	c->servers = lp_zalloc(
			(pxml.xcap_nroots > 0 ? pxml.xcap_nroots : 1) * sizeof(xserver_t));
	if(!c->lock || !c->servers) {
		if(c->lock)
			lp_lock_free(c->lock);
		lp_free(c->servers);
		lp_free(c);
		return -1;
	}
	pxml.xcap = c;
	return 0;
}

static void entry_free(xentry_t *e)
{
	if(e->doc)
		lp_free(e->doc);
	lp_free(e);
}

void pxml_xcap_destroy(void)
{
	cache_t *c = pxml.xcap;
	xentry_t *e, *next;
	int i;

	if(c) {
		for(i = 0; i < CACHE_BUCKETS; i++)
			for(e = c->b[i]; e; e = next) {
				next = e->next;
				entry_free(e);
			}
		lp_lock_free(c->lock);
		lp_free(c->servers);
		lp_free(c);
	}
	pxml.xcap = NULL;
	for(i = 0; i < pxml.xcap_nroots; i++)
		free(pxml.xcap_roots[i]);
	free(pxml.xcap_roots);
	pxml.xcap_roots = NULL;
	pxml.xcap_nroots = 0;
	pxml_http_close();
}

void pxml_xcap_stats(pxml_xcap_stats_t *out)
{
	cache_t *c = pxml.xcap;

	memset(out, 0, sizeof(*out));
	if(!c)
		return;
	lp_lock_get(c->lock);
	*out = c->stats;
	out->entries = c->n;
	out->bytes = c->bytes;
	lp_lock_release(c->lock);
}

int pxml_xcap_server_state(int i, int *fails, long *until)
{
	cache_t *c = pxml.xcap;

	if(!c || i < 0 || i >= pxml.xcap_nroots)
		return -1;
	lp_lock_get(c->lock);
	*fails = c->servers[i].fails;
	*until = (long)c->servers[i].until;
	lp_lock_release(c->lock);
	return 0;
}

static unsigned int key_hash(const char *k)
{
	return lp_hash_bytes(k, (int)strlen(k), LP_HASH_SEED) % CACHE_BUCKETS;
}

/* Lock held. */
static xentry_t *cache_find(cache_t *c, const char *key)
{
	xentry_t *e;

	for(e = c->b[key_hash(key)]; e; e = e->next)
		if(strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Unlink and free the entry used longest ago that no round is fetching
 * and that is not keep (the cache is full). 1 done, 0 none. Lock held. */
static int cache_evict_lru(cache_t *c, const xentry_t *keep)
{
	xentry_t **p, **lru = NULL;
	xentry_t *e;
	int i;

	for(i = 0; i < CACHE_BUCKETS; i++)
		for(p = &c->b[i]; *p; p = &(*p)->next)
			if(!(*p)->busy && *p != keep
					&& (!lru || (*p)->used < (*lru)->used))
				lru = p;
	if(!lru)
		return 0;
	e = *lru;
	*lru = e->next;
	c->bytes -= e->doc_len;
	entry_free(e);
	c->n--;
	return 1;
}

/* A new wanted entry for key (user_len: its user part). Lock held. */
static xentry_t *cache_add(cache_t *c, const char *key, int user_len)
{
	size_t kl = strlen(key) + 1;
	unsigned int h = key_hash(key);
	xentry_t *e;

	if(c->n >= (pxml.xcap_cache_size > 0 ? pxml.xcap_cache_size : 1))
		cache_evict_lru(c, NULL);
	e = lp_zalloc(sizeof(*e) + kl);
	if(!e)
		return NULL;
	e->key = (char *)(e + 1);
	memcpy(e->key, key, kl);
	e->user_len = user_len;
	e->next = c->b[h];
	c->b[h] = e;
	c->n++;
	return e;
}

/* Percent-encode s into out as one path segment (RFC 3986 pchar: unreserved
 * / sub-delims / ":" / "@" stay). The bytes written, or -1 if they do not
 * fit. */
static int pct_segment(const char *s, int len, char *out, int size)
{
	static const char keep[] = "-._~!$&'()*+,;=:@";
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch;
	int i, n = 0;

	for(i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
				|| (ch >= '0' && ch <= '9') || (ch && strchr(keep, ch))) {
			if(n + 1 >= size)
				return -1;
			out[n++] = (char)ch;
			continue;
		}
		if(n + 3 >= size)
			return -1;
		out[n++] = '%';
		out[n++] = hex[ch >> 4];
		out[n++] = hex[ch & 15];
	}
	out[n] = '\0';
	return n;
}

int pxml_xcap_uri(const char *xcap_root, const lp_str_t *user,
		const lp_str_t *domain, char *buf, int size)
{
	char xui[KEY_MAX], seg[3 * KEY_MAX];
	int xl, sl, n;

	xl = snprintf(xui, sizeof(xui), "sip:%.*s@%.*s", LP_STR_FMT(*user),
			LP_STR_FMT(*domain));
	if(xl < 0 || xl >= (int)sizeof(xui))
		return -1;
	sl = pct_segment(xui, xl, seg, sizeof(seg));
	if(sl < 0)
		return -1;
	n = snprintf(
			buf, size, "%s/" PXML_XCAP_AUID "/users/%s/index", xcap_root, seg);
	return (n < 0 || n >= size) ? -1 : n;
}

/* "user@domain" into key; the length of user, or -1 if it does not fit. */
static int make_key(const lp_str_t *user, const lp_str_t *domain, char *key)
{
	int n = snprintf(key, KEY_MAX, "%.*s@%.*s", LP_STR_FMT(*user),
			LP_STR_FMT(*domain));

	return (n < 0 || n >= KEY_MAX) ? -1 : user->len;
}

/* Server i may be asked now (not backed off); counts a skip. */
static int server_usable(cache_t *c, int i, time_t now)
{
	int ok;

	lp_lock_get(c->lock);
	ok = c->servers[i].until <= now;
	if(ok)
		c->stats.requests++;
	else
		c->stats.skipped++;
	lp_lock_release(c->lock);
	return ok;
}

/* Record the outcome of asking server i; 1 when it was just backed off. */
static int server_outcome(cache_t *c, int i, int ok, time_t now)
{
	xserver_t *s = &c->servers[i];
	int off = 0;

	lp_lock_get(c->lock);
	if(ok) {
		s->fails = 0;
	} else if(++s->fails >= pxml.xcap_backoff_failures) {
		s->until = now + pxml.xcap_backoff_time;
		s->fails = 0;
		off = pxml.xcap_backoff_time > 0; /* 0: never backed off */
	}
	lp_lock_release(c->lock);
	return off;
}

/* Ask server i; 1 answered (*f filled), 0 failed. */
static int ask(cache_t *c, int i, const char *uri, const char *inm,
		fetched_t *f, time_t now)
{
	pxml_http_limits_t lim = {
			pxml.xcap_connect_ms, pxml.xcap_timeout_ms, LP_XML_MAX_BODY};
	int rc, ok;

	pxml_stat_inc(PXML_STAT_XCAP_FETCHES);
	rc = pxml_http_get(uri, inm, &lim, &f->res);
	f->status = rc == 0 ? f->res.status : 0;
	ok = f->status == 200 || f->status == 404 || (inm && f->status == 304);
	if(rc == 0 && !ok) {
		LP_WARN("presence_xml: xcap: GET %s: status %d", uri, f->status);
		pxml_http_res_free(&f->res);
	}
	if(server_outcome(c, i, ok, now))
		LP_WARN("presence_xml: xcap_server %s failed %d times in a row: not"
				" asked for %d s",
				pxml.xcap_roots[i], pxml.xcap_backoff_failures,
				pxml.xcap_backoff_time);
	return ok;
}

/* "No server answered" at most once a second per process (lp_log_rl),
 * with the number of such lines left out since. */
static void no_answer(const char *key, time_t now)
{
	static lp_log_rl_t rl;

	lp_log_rl_rate(&rl, (long)now + 1, 1, 1, LP_L_ERR,
			"presence_xml: xcap: no server answered for the pres-rules of %s",
			key);
}

/* Ask the servers in order (those backed off are skipped); the first that
 * answers 200, 404 (or 304 to our If-None-Match) decides. 0 with *f
 * filled, or -1 when none did. */
static int fetch(cache_t *c, const job_t *j, fetched_t *f)
{
	lp_str_t user = {(char *)j->key, j->user_len};
	lp_str_t domain = lp_str_c(j->key + j->user_len + 1);
	const char *inm = j->etag[0] ? j->etag : NULL;
	char uri[URI_MAX];
	time_t now = pxml.now();
	int i, tried = 0;

	for(i = 0; i < pxml.xcap_nroots; i++) {
		if(pxml_xcap_uri(pxml.xcap_roots[i], &user, &domain, uri, sizeof(uri))
				< 0) {
			LP_ERR("presence_xml: xcap: URI too long for %s", j->key);
			return -1;
		}
		if(!server_usable(c, i, now))
			continue;
		tried++;
		memset(f, 0, sizeof(*f));
		if(ask(c, i, uri, inm, f, now))
			return 0;
	}
	if(tried) { /* all backed off: said once, when they were */
		pxml_stat_inc(PXML_STAT_XCAP_FAILURES);
		no_answer(j->key, now);
	}
	return -1;
}

/* A malloc'd copy of the entry's document into *doc (NULL if none). Lock
 * held. */
static int copy_out(const xentry_t *e, lp_str_t **doc)
{
	lp_str_t *d;

	*doc = NULL;
	if(!e->doc)
		return 0;
	d = malloc(sizeof(*d));
	if(!d || !(d->s = malloc(e->doc_len + 1))) {
		free(d);
		return -1;
	}
	memcpy(d->s, e->doc, e->doc_len + 1);
	d->len = e->doc_len;
	*doc = d;
	return 0;
}

/* Store a fetched answer into e; 1 when what e holds changed (or e was
 * not known), 0 when not, -1 out of memory (e unchanged). Lock held. */
static int store(cache_t *c, xentry_t *e, const fetched_t *f, time_t now)
{
	const char *body = f->res.body ? f->res.body : "";
	int len = f->status == 200 && f->res.body ? f->res.body_len : 0, changed;
	char *doc = NULL;

	if(f->status == 304) {
		c->stats.not_modified++;
		pxml_stat_inc(PXML_STAT_XCAP_NOT_MODIFIED);
		e->checked = now;
		return 0;
	}
	/* the documents together stay under xcap_cache_bytes */
	while(c->bytes - e->doc_len + len > pxml.xcap_cache_bytes
			&& cache_evict_lru(c, e))
		;
	if(f->status == 200 && c->bytes - e->doc_len + len > pxml.xcap_cache_bytes)
		return -1;
	if(f->status == 200) {
		doc = lp_malloc(len + 1);
		if(!doc)
			return -1;
		memcpy(doc, body, len);
		doc[len] = '\0';
	}
	changed = e->state != X_KNOWN || !e->doc != !doc || e->doc_len != len
			  || (doc && memcmp(e->doc, doc, len) != 0);
	if(e->doc)
		lp_free(e->doc);
	c->bytes += (doc ? len : 0) - e->doc_len;
	e->doc = doc;
	e->doc_len = doc ? len : 0;
	snprintf(e->etag, sizeof(e->etag), "%s", doc ? f->res.etag : "");
	e->state = X_KNOWN;
	e->checked = now;
	c->stats.changed += changed;
	return changed;
}

/* Fetch j now and store the answer in its entry (created if it went
 * away); 1 changed, 0 unchanged, -1 no answer. doc: a copy of the result
 * (may be NULL). */
static int fetch_and_store(cache_t *c, const job_t *j, lp_str_t **doc)
{
	fetched_t f;
	xentry_t *e;
	int rc;

	if(fetch(c, j, &f) < 0)
		return -1;
	lp_lock_get(c->lock);
	e = cache_find(c, j->key);
	if(!e)
		e = cache_add(c, j->key, j->user_len);
	rc = e ? store(c, e, &f, pxml.now()) : -1;
	if(e) {
		e->busy = 0;
		e->refresh = 0;
		if(doc && rc >= 0 && copy_out(e, doc) < 0)
			rc = -1;
	}
	lp_lock_release(c->lock);
	pxml_http_res_free(&f.res);
	return rc;
}

/* Look key up in the cache (creating a wanted entry), mark it for
 * revalidation when it is old or fresh is asked; see pxml_xcap_rules_doc. */
static int lookup(cache_t *c, const char *key, int user_len, int fresh,
		lp_str_t **doc)
{
	time_t now = pxml.now();
	xentry_t *e;
	int rc = -1;

	lp_lock_get(c->lock);
	e = cache_find(c, key);
	if(!e && (e = cache_add(c, key, user_len)) == NULL)
		goto done;
	e->used = now;
	if(e->state != X_KNOWN) {
		c->stats.misses++;
		goto done; /* the XCAP process fetches it */
	}
	c->stats.hits++;
	pxml_stat_inc(PXML_STAT_XCAP_CACHE_HITS);
	if((fresh && e->checked != now) || pxml.xcap_cache_ttl <= 0
			|| now < e->checked || now - e->checked >= pxml.xcap_cache_ttl)
		e->refresh = 1;
	rc = copy_out(e, doc);
done:
	lp_lock_release(c->lock);
	return rc;
}

/* The RPC path (xcap_fetch_here): fetch at once, the entry's ETag sent;
 * without an answer, what the cache holds. */
static int fetch_now(cache_t *c, const char *key, int user_len, lp_str_t **doc)
{
	job_t j;
	xentry_t *e;

	memset(&j, 0, sizeof(j));
	snprintf(j.key, sizeof(j.key), "%s", key);
	j.user_len = user_len;
	lp_lock_get(c->lock);
	e = cache_find(c, key);
	if(e && e->state == X_KNOWN && e->doc)
		snprintf(j.etag, sizeof(j.etag), "%s", e->etag);
	lp_lock_release(c->lock);
	if(fetch_and_store(c, &j, doc) >= 0)
		return 0;
	return lookup(c, key, user_len, 0, doc);
}

int pxml_xcap_rules_doc(
		const lp_str_t *user, const lp_str_t *domain, int fresh, lp_str_t **doc)
{
	cache_t *c = pxml.xcap;
	char key[KEY_MAX];
	int ul;

	*doc = NULL;
	if(!c || (ul = make_key(user, domain, key)) < 0)
		return -1;
	if(fresh && pxml.xcap_fetch_here)
		return fetch_now(c, key, ul, doc);
	return lookup(c, key, ul, fresh, doc);
}

/* Copy up to max entries that want fetching into jobs, marking them busy.
 * Lock held. The number copied. */
static int collect(cache_t *c, job_t *jobs, int max, time_t now)
{
	xentry_t *e;
	int i, n = 0;

	for(i = 0; i < CACHE_BUCKETS && n < max; i++)
		for(e = c->b[i]; e && n < max; e = e->next) {
			if(e->busy || (e->state == X_KNOWN && !e->refresh)
					|| e->next_try > now)
				continue;
			e->busy = 1;
			snprintf(jobs[n].key, sizeof(jobs[n].key), "%s", e->key);
			jobs[n].user_len = e->user_len;
			snprintf(jobs[n].etag, sizeof(jobs[n].etag), "%s",
					e->state == X_KNOWN && e->doc ? e->etag : "");
			n++;
		}
	return n;
}

/* A round found no answer for job j: the entry is no longer busy and not
 * tried again for PXML_XCAP_RETRY seconds; a known one waits for its next
 * use to be marked again. */
static void job_failed(cache_t *c, const job_t *j)
{
	xentry_t *e;

	lp_lock_get(c->lock);
	e = cache_find(c, j->key);
	if(e) {
		e->busy = 0;
		e->refresh = 0;
		e->next_try = pxml.now() + PXML_XCAP_RETRY;
	}
	lp_lock_release(c->lock);
}

int pxml_xcap_refresh(void)
{
	cache_t *c = pxml.xcap;
	job_t jobs[PXML_XCAP_BATCH];
	lp_str_t user, domain;
	int i, n, rc;

	if(!c)
		return 0;
	lp_lock_get(c->lock);
	n = collect(c, jobs, PXML_XCAP_BATCH, pxml.now());
	lp_lock_release(c->lock);
	for(i = 0; i < n; i++) {
		rc = fetch_and_store(c, &jobs[i], NULL);
		if(rc < 0) {
			job_failed(c, &jobs[i]);
			continue;
		}
		if(rc == 0 || !pxml.xcap_changed)
			continue;
		user = (lp_str_t){jobs[i].key, jobs[i].user_len};
		domain = lp_str_c(jobs[i].key + jobs[i].user_len + 1);
		pxml.xcap_changed(&user, &domain);
	}
	return n;
}
