/* presence_xml's event callbacks; see pxml_auth.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "lp_mem.h"
#include "pxml_agg.h"
#include "pxml_auth.h"
#include "pxml_authmemo.h"
#include "pxml_dialog.h"
#include "pxml_reqdocs.h"
#include "pxml_rules.h"
#include "pxml_single.h"
#include "pxml_stats.h"
#include "pxml_xcap.h"

pxml_state_t pxml = {
		.xcap_table = "xcap",
		.disable_bla = 1,
		.xcapauth_userdel_reason = "probation",
		.xcap_cache_ttl = 60,
		.default_expires = 3600,
		.single_body_priorities = "Available|Ringing|On the Phone",
		.single_body_lookup_element = "note",
		.xcap_cache_size = 1024,
		.xcap_cache_bytes = PXML_XCAP_MAX_BYTES,
		.xcap_connect_ms = 2000,
		.xcap_timeout_ms = 4000,
		.xcap_backoff_failures = 3,
		.xcap_backoff_time = 30,
};

int pxml_sql_init(void)
{
	pxml.sql_rules = lp_db_sql_for_table("SELECT doc FROM %s WHERE username=?"
										 " AND domain=? AND doc_type=?",
			pxml.xcap_table);
	pxml.sql_pidf_doc = lp_db_sql_for_table("SELECT doc FROM %s WHERE"
											" username=? AND domain=?"
											" AND doc_type=? AND doc_uri=?",
			pxml.xcap_table);
	return pxml.sql_rules && pxml.sql_pidf_doc ? 0 : -1;
}

lp_db_t *pxml_db(void)
{
	return pxml_stats_db(lp_db_for_process(&pxml.db, &pxml.pid, pxml.db_url));
}

void pxml_free_body(char *p)
{
	free(p);
}

/* A malloc'd lp_str_t holding *s (taken over); NULL (s freed) on failure. */
static lp_str_t *boxed(lp_str_t *s)
{
	lp_str_t *b = malloc(sizeof(*b));

	if(!b) {
		free(s->s);
		return NULL;
	}
	*b = *s;
	return b;
}

static int first_doc(void *ctx, const lp_db_val_t *c, int n)
{
	lp_str_t *out = ctx;

	if(n < 1 || c[0].type == LP_DB_NULL)
		return 0;
	lp_str_mdup(out, &c[0].v.s);
	return 1;
}

/* The xcap table's copy (integrated_xcap_server 1), read once per SIP
 * request (pxml_reqdocs.h): *doc is the request's copy (*kept 1: not the
 * caller's, valid while it does not read the table again) or was read now
 * (*kept 0: the caller frees it). */
static int table_rules_doc(
		lp_str_t *user, lp_str_t *domain, lp_str_t **doc, int *kept)
{
	lp_db_t *db;
	lp_db_val_t v[3] = {LP_DB_VSTR(*user), LP_DB_VSTR(*domain),
			LP_DB_VINT(PXML_DOC_PRES_RULES)};
	lp_str_t d = LP_STR_NULL;
	const lp_str_t *k;

	if(pxml_reqdocs_get(user, domain, pxml.now(), &k)) {
		*doc = (lp_str_t *)k;
		*kept = k != NULL;
		return 0;
	}
	db = pxml_db();
	if(!db || lp_db_exec(db, pxml.sql_rules, v, 3, first_doc, &d) < 0) {
		LP_ERR("presence_xml: cannot read the pres-rules of %.*s@%.*s",
				LP_STR_FMT(*user), LP_STR_FMT(*domain));
		return -1;
	}
	pxml_reqdocs_put(user, domain, d.s ? &d : NULL);
	if(d.s)
		*doc = boxed(&d);
	return 0;
}

int pxml_get_pidf_doc(lp_str_t *user, lp_str_t *domain, lp_str_t *file_uri,
		lp_str_t **doc)
{
	lp_db_t *db = pxml_db();
	lp_str_t d = LP_STR_NULL, none = LP_STR_NULL;
	lp_db_val_t v[4] = {LP_DB_VSTR(*user), LP_DB_VSTR(*domain),
			LP_DB_VINT(PXML_DOC_PIDF_MANIPULATION),
			LP_DB_VSTR(file_uri ? *file_uri : none)};

	*doc = NULL;
	if(!db || lp_db_exec(db, pxml.sql_pidf_doc, v, 4, first_doc, &d) < 0) {
		LP_ERR("presence_xml: cannot read the pidf-manipulation document"
			   " %.*s of %.*s@%.*s",
				LP_STR_FMT(file_uri ? *file_uri : none), LP_STR_FMT(*user),
				LP_STR_FMT(*domain));
		return -1;
	}
	if(d.s && !(*doc = boxed(&d)))
		return -1;
	return 0;
}

/* The document from its source; fresh: an authorization decision (over
 * HTTP: the cached copy, revalidated in the background, pxml_xcap.h). */
static int rules_doc(lp_str_t *user, lp_str_t *domain, int fresh,
		lp_str_t **doc, int *kept)
{
	*doc = NULL;
	*kept = 0;
	if(pxml.force_active)
		return 0;
	if(pxml.integrated_xcap_server)
		return table_rules_doc(user, domain, doc, kept);
	return pxml_xcap_rules_doc(user, domain, fresh, doc);
}

int pxml_get_rules_doc(lp_str_t *user, lp_str_t *domain, lp_str_t **doc)
{
	lp_str_t d, *k;
	int kept;

	if(rules_doc(user, domain, 1, doc, &kept) < 0)
		return -1;
	if(!kept || !*doc)
		return 0;
	k = *doc; /* the request's: the caller gets its own copy */
	*doc = NULL;
	if(lp_str_mdup(&d, k) < 0)
		return -1;
	return (*doc = boxed(&d)) ? 0 : -1;
}

static int split(const lp_str_t *uri, lp_str_t *user, lp_str_t *domain)
{
	const char *p = uri->s, *end = uri->s + uri->len, *at;

	if(uri->len > 4 && strncasecmp(p, "sip:", 4) == 0)
		p += 4;
	at = memchr(p, '@', end - p);
	if(!at)
		return -1;
	user->s = (char *)p;
	user->len = (int)(at - p);
	domain->s = (char *)at + 1;
	domain->len = (int)(end - at - 1);
	return 0;
}

/* Evaluate the presentity's rules for watcher s (fresh: see rules_doc).
 * 1 evaluated (*r filled), 0 no rules document, -1 error. */
static int evaluate(const subs_t *s, int fresh, pxml_rules_result_t *r)
{
	lp_str_t user, domain, *doc = NULL, watcher;
	char wbuf[512], *sphere;
	int rc, kept;

	memset(r, 0, sizeof(*r));
	if(split(&s->pres_uri, &user, &domain) < 0
			|| rules_doc(&user, &domain, fresh, &doc, &kept) < 0)
		return -1;
	if(!doc)
		return 0;
	/* the watcher: handle_subscribe(watcher_uri) may name another
	 * identity than From (P-Asserted-Identity) */
	watcher.s = wbuf;
	if(s->watcher_user.len > 0 && s->watcher_domain.len > 0)
		watcher.len = snprintf(wbuf, sizeof(wbuf), "sip:%.*s@%.*s",
				LP_STR_FMT(s->watcher_user), LP_STR_FMT(s->watcher_domain));
	else
		watcher.len = snprintf(wbuf, sizeof(wbuf), "sip:%.*s@%.*s",
				LP_STR_FMT(s->from_user), LP_STR_FMT(s->from_domain));
	sphere = pxml.get_sphere ? pxml.get_sphere((lp_str_t *)&s->pres_uri) : NULL;
	rc = pxml_authmemo_evaluate(doc, &watcher, sphere, pxml.now(), r);
	if(sphere && pxml.free_sphere)
		pxml.free_sphere(sphere);
	if(rc < 0)
		LP_ERR("presence_xml: pres-rules of %.*s unusable: %s",
				LP_STR_FMT(s->pres_uri), pxml_rules_strerror(r->error));
	if(!kept) {
		pxml_free_body(doc->s);
		pxml_free_body((char *)doc);
	}
	return rc < 0 ? -1 : 1;
}

/* Decisions ask for a fresh document: read from the xcap table, or, from
 * XCAP servers, the cached copy marked for revalidation (fetched at once in
 * the RPC process, so refreshWatchers sees a change at once). Nothing
 * known yet: a new watcher is pending (no rules), a known one keeps its
 * state; the XCAP process re-evaluates the watchers once the document
 * arrives. */
int pxml_get_auth_status(subs_t *s)
{
	pxml_rules_result_t r;
	int rc = evaluate(s, 1, &r), was_allowed = s->status == ACTIVE_STATUS;

	if(rc < 0) {
		pxml_rules_result_free(&r);
		if(s->status != PENDING_STATUS)
			return -1; /* a known watcher keeps its state (refresh) */
		return 0; /* new: unusable rules reveal nothing, decide later */
	}
	s->reason = LP_STR_NULL;
	if(rc == 0 || !r.matched) {
		s->status = was_allowed ? TERMINATED_STATUS : PENDING_STATUS;
		if(was_allowed)
			s->reason = lp_str_c(pxml.xcapauth_userdel_reason);
	} else if(r.sub_handling == PXML_SUB_BLOCK) {
		s->status = TERMINATED_STATUS;
		s->reason = lp_str_c("rejected");
	} else if(r.sub_handling == PXML_SUB_CONFIRM) {
		s->status = PENDING_STATUS;
	} else {
		s->status = ACTIVE_STATUS;
	}
	pxml_rules_result_free(&r);
	return 0;
}

int pxml_apply_auth(lp_str_t *body, subs_t *s, lp_str_t **final)
{
	pxml_rules_result_t r;
	lp_str_t out = LP_STR_NULL;
	int rc = evaluate(s, 0, &r);

	*final = NULL;
	if(rc < 0) { /* no usable rules: reveal nothing rather than all */
		pxml_rules_result_free(&r);
		memset(&r, 0, sizeof(r));
		rc = 0;
	}
	if(rc == 1 && r.matched && r.sub_handling == PXML_SUB_POLITE_BLOCK)
		rc = pxml_rules_polite_doc(&s->pres_uri, &out);
	else if(rc == 1)
		rc = pxml_authmemo_filter(body, &r, &out);
	else if(rc == 0) /* no rules: an active watcher sees nothing */
		rc = pxml_authmemo_filter(body, &r, &out);
	pxml_rules_result_free(&r);
	if(rc < 0)
		return -1;
	*final = boxed(&out);
	return *final ? 0 : -1;
}

static lp_str_t *aggregate(int (*agg)(lp_str_t **, int, const char *, lp_str_t *),
		lp_str_t *user, lp_str_t *domain, lp_str_t **bodies, int n, int dummy)
{
	char entity[512];
	lp_str_t out = LP_STR_NULL;
	int rc;

	if(snprintf(entity, sizeof(entity), "sip:%.*s@%.*s", LP_STR_FMT(*user),
			   LP_STR_FMT(*domain)) >= (int)sizeof(entity))
		return NULL;
	rc = n > 0 ? agg(bodies, n, entity, &out) : 1;
	if(rc == 1 && dummy)
		rc = pxml_pidf_dummy(entity, &out);
	if(rc != 0)
		return NULL;
	return boxed(&out);
}

/* The PIDF of the bodies left (all but off_index), or only the one
 * force_presence_single_body picks. */
static lp_str_t *agg_pidf(lp_str_t *user, lp_str_t *domain, lp_str_t **bodies,
		int n, int dummy)
{
	int i;

	if(pxml.force_presence_single_body && n > 1) {
		i = pxml_single_pick(bodies, n, pxml.single_body_priorities,
				pxml.single_body_lookup_element);
		if(i >= 0)
			return aggregate(pxml_pidf_aggregate, user, domain, bodies + i, 1,
					dummy);
	}
	return aggregate(pxml_pidf_aggregate, user, domain, bodies, n, dummy);
}

/* bodies without bodies[off], after `first` (may be NULL) in a malloc'd
 * array (caller frees; NULL when out of memory); *k its length. */
static lp_str_t **without(lp_str_t **bodies, int n, int off, lp_str_t *first,
		int *k)
{
	lp_str_t **kept = malloc((n + 1) * sizeof(*kept));
	int i;

	*k = 0;
	if(!kept)
		return NULL;
	if(first)
		kept[(*k)++] = first;
	for(i = 0; i < n; i++)
		if(i != off)
			kept[(*k)++] = bodies[i];
	return kept;
}

/* After an un-PUBLISH (off_index >= 0) the removed publication's tuples
 * are sent closed (pxml_pidf_closed), as Kamailio's presence_xml does:
 * alone when nothing else is published (rather than a NOTIFY without a
 * body), else after the tuples of the publications left (aggregated as the
 * oldest body, so a tuple id still published wins). With
 * force_presence_single_body the one body picked among those left. */
lp_str_t *pxml_agg_presence(lp_str_t *user, lp_str_t *domain,
		lp_str_t **bodies, int n, int off_index)
{
	lp_str_t **kept, *r = NULL, closed = LP_STR_NULL;
	char entity[512];
	int k;

	if(off_index < 0 || off_index >= n || !bodies)
		return agg_pidf(user, domain, bodies, n, pxml.force_dummy_presence);
	if(snprintf(entity, sizeof(entity), "sip:%.*s@%.*s", LP_STR_FMT(*user),
			   LP_STR_FMT(*domain)) >= (int)sizeof(entity)
			|| pxml_pidf_closed(bodies[off_index], entity, &closed) < 0)
		return NULL;
	kept = without(bodies, n, off_index,
			pxml.force_presence_single_body ? NULL : &closed, &k);
	if(kept && pxml.force_presence_single_body)
		r = agg_pidf(user, domain, kept, k, 0);
	else if(kept)
		r = aggregate(pxml_pidf_aggregate, user, domain, kept, k, 0);
	free(kept);
	if(r || !kept) {
		free(closed.s);
		return r;
	}
	return boxed(&closed);
}

/* dialog;sla: the removed line appearance (off_index) is left out. */
lp_str_t *pxml_agg_dialog(lp_str_t *user, lp_str_t *domain,
		lp_str_t **bodies, int n, int off_index)
{
	lp_str_t **kept, *r;
	int k;

	if(off_index < 0 || off_index >= n || !bodies)
		return aggregate(pxml_dialog_aggregate, user, domain, bodies, n, 0);
	kept = without(bodies, n, off_index, NULL, &k);
	if(!kept)
		return NULL;
	r = aggregate(pxml_dialog_aggregate, user, domain, kept, k, 0);
	free(kept);
	return r;
}

lp_str_t *pxml_aux_dialog(subs_t *s, lp_str_t *body)
{
	lp_str_t out = LP_STR_NULL;

	if(pxml_dialog_set_version(body, (unsigned int)s->version, &out) < 0)
		return NULL;
	return boxed(&out);
}
