/* Pres-rules documents from XCAP servers over HTTP, with this process's
 * cache; the policy is described in pxml_xcap.h. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lp_log.h"
#include "lp_mem.h"
#include "lp_xml.h"
#include "pxml_http.h"
#include "pxml_state.h"
#include "pxml_stats.h"
#include "pxml_xcap.h"

#define CACHE_BUCKETS 64
#define KEY_MAX 512
#define URI_MAX 2048

typedef struct xentry {
	struct xentry *next;
	char *key; /* user@domain, in the entry's block */
	char *doc; /* malloc'd; NULL: the servers have no document */
	int doc_len;
	char etag[PXML_HTTP_ETAG_MAX];
	time_t checked;	  /* last fetched or confirmed (304) */
	unsigned int gen; /* the shared generation it was confirmed under */
} xentry_t;

struct pxml_xcap_cache {
	int pid; /* a copy inherited through fork is dropped, not used */
	int n;
	xentry_t *b[CACHE_BUCKETS];
	pxml_xcap_stats_t stats;
};
typedef struct pxml_xcap_cache cache_t;

/* The result of asking the servers. */
typedef struct fetched {
	int status; /* 200, 304 or 404 */
	pxml_http_res_t res;
} fetched_t;

int pxml_xcap_add_server(const char *value)
{
	char *root, **nr;
	size_t len;

	if(!value || !*value) {
		LP_ERR("presence_xml: empty xcap_server");
		return -1;
	}
	if(strncasecmp(value, "https://", 8) == 0) {
		LP_ERR("presence_xml: xcap_server %s: https is not supported (no TLS"
			   " here), use http://",
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
	if(!pxml.xcap_gen)
		pxml.xcap_gen = lp_zalloc(sizeof(*pxml.xcap_gen));
	return pxml.xcap_gen ? 0 : -1;
}

static void entry_free(xentry_t *e)
{
	free(e->doc);
	free(e);
}

static void cache_free(cache_t *c)
{
	xentry_t *e, *next;
	int i;

	if(!c)
		return;
	for(i = 0; i < CACHE_BUCKETS; i++)
		for(e = c->b[i]; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	free(c);
}

void pxml_xcap_cache_clear(void)
{
	cache_free(pxml.xcap_cache);
	pxml.xcap_cache = NULL;
}

void pxml_xcap_destroy(void)
{
	int i;

	pxml_xcap_cache_clear();
	for(i = 0; i < pxml.xcap_nroots; i++)
		free(pxml.xcap_roots[i]);
	free(pxml.xcap_roots);
	pxml.xcap_roots = NULL;
	pxml.xcap_nroots = 0;
	if(pxml.xcap_gen)
		lp_free(pxml.xcap_gen);
	pxml.xcap_gen = NULL;
}

void pxml_xcap_stats(pxml_xcap_stats_t *out)
{
	cache_t *c = pxml.xcap_cache;

	if(c && c->pid == (int)getpid())
		*out = c->stats;
	else
		memset(out, 0, sizeof(*out));
}

static unsigned int gen_load(void)
{
	return pxml.xcap_gen ? __atomic_load_n(pxml.xcap_gen, __ATOMIC_ACQUIRE) : 0;
}

/* Announce a changed document to every process; the generation this
 * process's fresh entry may carry (see the caller). */
static unsigned int gen_bump(unsigned int seen)
{
	unsigned int g;

	if(!pxml.xcap_gen)
		return seen;
	g = __atomic_add_fetch(pxml.xcap_gen, 1, __ATOMIC_ACQ_REL);
	/* someone else bumped too: their change may be newer than our copy */
	return g == seen + 1 ? g : seen;
}

static cache_t *cache_get(void)
{
	cache_t *c = pxml.xcap_cache;

	if(c && c->pid != (int)getpid()) {
		cache_free(c); /* our private copy of the parent's cache */
		c = pxml.xcap_cache = NULL;
	}
	if(!c && (c = calloc(1, sizeof(*c))) != NULL) {
		c->pid = (int)getpid();
		pxml.xcap_cache = c;
	}
	return c;
}

static unsigned int key_hash(const char *k)
{
	unsigned int h = 5381;

	while(*k)
		h = h * 33 + (unsigned char)*k++;
	return h % CACHE_BUCKETS;
}

static xentry_t *cache_find(cache_t *c, const char *key)
{
	xentry_t *e;

	for(e = c->b[key_hash(key)]; e; e = e->next)
		if(strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Unlink and free the entry checked longest ago (the cache is full). */
static void cache_evict_oldest(cache_t *c)
{
	xentry_t **p, **oldest = NULL;
	xentry_t *e;
	int i;

	for(i = 0; i < CACHE_BUCKETS; i++)
		for(p = &c->b[i]; *p; p = &(*p)->next)
			if(!oldest || (*p)->checked < (*oldest)->checked)
				oldest = p;
	if(!oldest)
		return;
	e = *oldest;
	*oldest = e->next;
	entry_free(e);
	c->n--;
}

static xentry_t *cache_add(cache_t *c, const char *key)
{
	size_t kl = strlen(key) + 1;
	xentry_t *e;
	unsigned int h = key_hash(key);

	if(c->n >= PXML_XCAP_CACHE_MAX)
		cache_evict_oldest(c);
	e = calloc(1, sizeof(*e) + kl);
	if(!e)
		return NULL;
	e->key = (char *)(e + 1);
	memcpy(e->key, key, kl);
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

/* Ask the servers in order; the first that answers 200, 404 (or 304 to
 * our If-None-Match) decides. 0 with *f filled, or -1 when none did. */
static int fetch(cache_t *c, const lp_str_t *user, const lp_str_t *domain,
		const char *inm, fetched_t *f)
{
	pxml_http_limits_t lim = {
			pxml.xcap_connect_ms, pxml.xcap_read_ms, LP_XML_MAX_BODY};
	char uri[URI_MAX];
	int i, rc;

	for(i = 0; i < pxml.xcap_nroots; i++) {
		if(pxml_xcap_uri(pxml.xcap_roots[i], user, domain, uri, sizeof(uri))
				< 0) {
			LP_ERR("presence_xml: xcap: URI too long for %.*s@%.*s",
					LP_STR_FMT(*user), LP_STR_FMT(*domain));
			return -1;
		}
		c->stats.requests++;
		pxml_stat_inc(PXML_STAT_XCAP_FETCHES);
		rc = pxml_http_get(uri, inm, &lim, &f->res);
		if(rc < 0)
			continue; /* logged by the client; try the next server */
		f->status = f->res.status;
		if(f->status == 200 || f->status == 404 || (inm && f->status == 304))
			return 0;
		LP_WARN("presence_xml: xcap: GET %s: status %d, trying the next"
				" server",
				uri, f->status);
		pxml_http_res_free(&f->res);
	}
	pxml_stat_inc(PXML_STAT_XCAP_FAILURES);
	LP_ERR("presence_xml: xcap: no server answered for the pres-rules of"
		   " %.*s@%.*s",
			LP_STR_FMT(*user), LP_STR_FMT(*domain));
	return -1;
}

/* A malloc'd copy of the entry's document into *doc (NULL if none). */
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

/* Store a 200 / 404 into e (taking the body); 1 when the content differs
 * from what e held (or e is new), else 0. */
static int store(xentry_t *e, int is_new, fetched_t *f)
{
	char *doc = f->status == 200 ? f->res.body : NULL;
	int len = doc ? f->res.body_len : 0, changed;

	if(f->status == 200 && !doc) { /* an empty 200 is an (empty) document */
		doc = calloc(1, 1);
		if(!doc) {
			pxml_http_res_free(&f->res);
			return -1;
		}
	}
	changed = is_new || !e->doc != !doc || e->doc_len != len
			  || (doc && memcmp(e->doc, doc, len) != 0);
	free(e->doc);
	e->doc = doc;
	e->doc_len = len;
	if(f->status == 200)
		f->res.body = NULL; /* taken */
	memcpy(e->etag, doc ? f->res.etag : "", doc ? sizeof(e->etag) : 1);
	pxml_http_res_free(&f->res);
	return changed;
}

int pxml_xcap_rules_doc(
		const lp_str_t *user, const lp_str_t *domain, int fresh, lp_str_t **doc)
{
	cache_t *c = cache_get();
	char key[KEY_MAX];
	xentry_t *e;
	fetched_t f;
	time_t now = pxml.now();
	unsigned int gen = gen_load();
	int is_new = 0, changed;

	*doc = NULL;
	if(!c
			|| snprintf(key, sizeof(key), "%.*s@%.*s", LP_STR_FMT(*user),
					   LP_STR_FMT(*domain))
					   >= (int)sizeof(key))
		return -1;
	e = cache_find(c, key);
	if(e && !fresh && pxml.xcap_cache_ttl > 0 && e->gen == gen
			&& now >= e->checked && now - e->checked < pxml.xcap_cache_ttl) {
		c->stats.hits++;
		pxml_stat_inc(PXML_STAT_XCAP_CACHE_HITS);
		return copy_out(e, doc);
	}
	memset(&f, 0, sizeof(f));
	if(fetch(c, user, domain, e && e->doc && e->etag[0] ? e->etag : NULL, &f)
			< 0)
		return -1;
	if(f.status == 304) {
		c->stats.not_modified++;
		pxml_stat_inc(PXML_STAT_XCAP_NOT_MODIFIED);
	} else {
		if(!e) {
			is_new = 1;
			e = cache_add(c, key);
		}
		if(!e) {
			pxml_http_res_free(&f.res);
			return -1;
		}
		if((changed = store(e, is_new, &f)) < 0)
			return -1;
		if(changed)
			gen = gen_bump(gen);
	}
	e->checked = now;
	e->gen = gen;
	return copy_out(e, doc);
}
