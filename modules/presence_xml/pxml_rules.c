/* Presence authorization rules: evaluation of a pres-rules document (RFC
 * 4745 conditions and combining, RFC 5025 actions and transformations) for
 * one watcher, and the PIDF filter that applies the result (RFC 5025
 * section 3.3). Written from the RFCs; host-neutral, no logging, plain
 * malloc. Every XML parse is lp_xml_parse_code (lp_xml.c): no network,
 * no DTD, no entity expansion, DOCTYPE/ENTITY refused before parsing, the
 * input read as UTF-8, a size limit. See pxml_rules.h for the contracts. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pxml_pidf.h"
#include "pxml_rules.h"

#define NS_PIDF "urn:ietf:params:xml:ns:pidf"
#define NS_DM "urn:ietf:params:xml:ns:pidf:data-model"
#define NS_RPID "urn:ietf:params:xml:ns:pidf:rpid"

/* ------------------------------------------------------------------ */
/* Safe parse: lp_xml_parse_code (lp_xml.c), then the root            */

/* Parse body and check its root is {ns}root. 0 or a PXML_RULES_E* code. */
static int safe_parse(
		const lp_str_t *body, const char *ns, const char *root, xmlDocPtr *out)
{
	xmlDocPtr doc;
	xmlNodePtr r;

	*out = NULL;
	if(!body || !body->s || body->len <= 0)
		return PXML_RULES_EINVAL;
	switch(lp_xml_parse_code(body->s, body->len, &doc, NULL)) {
		case LP_XML_OK:
			break;
		case LP_XML_ETOOBIG:
			return PXML_RULES_ETOOBIG;
		case LP_XML_EDTD:
			return PXML_RULES_EDTD;
		default:
			return PXML_RULES_EXML;
	}
	r = xmlDocGetRootElement(doc);
	if(!r || xmlStrcmp(r->name, BAD_CAST root) != 0 || !r->ns
			|| xmlStrcmp(r->ns->href, BAD_CAST ns) != 0) {
		xmlFreeDoc(doc);
		return PXML_RULES_EROOT;
	}
	*out = doc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static int node_is(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns
		   && xmlStrcmp(n->ns->href, BAD_CAST ns) == 0
		   && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static xmlNodePtr first_child(
		const xmlNode *n, const char *ns, const char *name)
{
	xmlNodePtr c;

	for(c = n->children; c; c = c->next)
		if(node_is(c, ns, name))
			return c;
	return NULL;
}

static lp_str_t trimmed(const char *s)
{
	lp_str_t t = lp_str_c(s);
	lp_str_trim(&t);
	return t;
}

/* Element text, trimmed, malloc'd; NULL when out of memory. */
static char *node_text(const xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	lp_str_t t;
	char *r;

	if(!c)
		return strdup("");
	t = trimmed((const char *)c);
	r = strndup(t.s, t.len);
	xmlFree(c);
	return r;
}

/* Attribute value (no namespace), or NULL; free with xmlFree. */
static char *attr(const xmlNode *n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, BAD_CAST name);
}

/* xs:boolean: "true" or "1" (surrounding blanks allowed). */
static int text_is_true(const xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	lp_str_t t;
	int r;

	if(!c)
		return 0;
	t = trimmed((const char *)c);
	r = (t.len == 4 && strncmp(t.s, "true", 4) == 0)
		|| (t.len == 1 && t.s[0] == '1');
	xmlFree(c);
	return r;
}

/* ------------------------------------------------------------------ */
/* String sets                                                         */

static int strset_has(const pxml_strset_t *s, const char *v)
{
	int i;

	for(i = 0; i < s->n; i++)
		if(strcmp(s->v[i], v) == 0)
			return 1;
	return 0;
}

/* Append a copy of v, duplicates allowed. 0 or -1 (no memory). */
static int strset_push(pxml_strset_t *s, const char *v)
{
	if(s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 4;
		char **nv = realloc(s->v, cap * sizeof(*nv));
		if(!nv)
			return -1;
		s->v = nv;
		s->cap = cap;
	}
	if(!(s->v[s->n] = strdup(v)))
		return -1;
	s->n++;
	return 0;
}

/* Add a copy of v unless present. 0 or -1 (no memory). */
static int strset_add(pxml_strset_t *s, const char *v)
{
	return strset_has(s, v) ? 0 : strset_push(s, v);
}

/* Add the trimmed text of n. */
static int strset_add_text(pxml_strset_t *s, const xmlNode *n)
{
	char *t = node_text(n);
	int rc;

	if(!t)
		return -1;
	rc = t[0] ? strset_add(s, t) : 0;
	free(t);
	return rc;
}

static void strset_free(pxml_strset_t *s)
{
	int i;

	for(i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void sel_free(pxml_component_sel_t *c)
{
	strset_free(&c->occurrence_id);
	strset_free(&c->class_);
	strset_free(&c->device_id);
	strset_free(&c->service_uri);
	strset_free(&c->service_uri_scheme);
	c->all = 0;
}

void pxml_rules_result_free(pxml_rules_result_t *r)
{
	if(!r)
		return;
	sel_free(&r->services);
	sel_free(&r->persons);
	sel_free(&r->devices);
	strset_free(&r->unknown_ns);
	strset_free(&r->unknown_name);
	memset(r, 0, sizeof(*r));
}

/* The key: a growing malloc'd buffer. */
typedef struct keybuf
{
	char *s;
	size_t len, cap;
	int failed;
} keybuf_t;

static void key_put(keybuf_t *k, const char *v, size_t n)
{
	char *ns;

	if(k->failed)
		return;
	if(k->len + n + 1 > k->cap) {
		k->cap = (k->len + n + 1) * 2;
		if(!(ns = realloc(k->s, k->cap))) {
			k->failed = 1;
			return;
		}
		k->s = ns;
	}
	memcpy(k->s + k->len, v, n);
	k->len += n;
	k->s[k->len] = '\0';
}

/* A number in a fixed width: fields cannot run into each other. */
static void key_num(keybuf_t *k, long v)
{
	key_put(k, (const char *)&v, sizeof(v));
}

/* Each string with its length before it: no string can end another. */
static void key_set(keybuf_t *k, const pxml_strset_t *set)
{
	size_t len;
	int i;

	key_num(k, set->n);
	for(i = 0; i < set->n; i++) {
		len = strlen(set->v[i]);
		key_num(k, (long)len);
		key_put(k, set->v[i], len);
	}
}

static void key_sel(keybuf_t *k, const pxml_component_sel_t *c)
{
	key_num(k, c->all);
	key_set(k, &c->occurrence_id);
	key_set(k, &c->class_);
	key_set(k, &c->device_id);
	key_set(k, &c->service_uri);
	key_set(k, &c->service_uri_scheme);
}

int pxml_rules_result_key(const pxml_rules_result_t *r, lp_str_t *out)
{
	keybuf_t k = {malloc(256), 0, 256, 0};

	*out = LP_STR_NULL;
	if(!k.s)
		return -1;
	key_num(&k, r->matched);
	key_num(&k, r->sub_handling);
	key_num(&k, (long)r->provide);
	key_num(&k, r->user_input);
	key_sel(&k, &r->services);
	key_sel(&k, &r->persons);
	key_sel(&k, &r->devices);
	key_set(&k, &r->unknown_ns);
	key_set(&k, &r->unknown_name);
	if(k.failed) {
		free(k.s);
		return -1;
	}
	out->s = k.s;
	out->len = (int)k.len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* URIs: just enough of RFC 3261 section 19.1.4 comparison for identity
 * conditions and service-uri: scheme and host compare case-insensitively,
 * the user part exactly, URI parameters and headers are ignored; tel URIs
 * (RFC 3966) compare their digits without visual separators. */

typedef struct uri {
	lp_str_t scheme;
	lp_str_t user; /* empty when there is no '@' */
	lp_str_t host; /* host[:port]; for tel: the number */
} uri_t;

static int uri_split(const char *s, int len, uri_t *u)
{
	const char *colon, *end = s + len, *at, *p;

	memset(u, 0, sizeof(*u));
	colon = memchr(s, ':', len);
	if(!colon || colon == s)
		return -1;
	u->scheme = (lp_str_t){(char *)s, (int)(colon - s)};
	s = colon + 1;
	/* the host part ends at the first ';' or '?' after it */
	at = memchr(s, '@', end - s);
	p = at ? at + 1 : s;
	while(p < end && *p != ';' && *p != '?' && *p != '>')
		p++;
	if(at && at < p) {
		u->user = (lp_str_t){(char *)s, (int)(at - s)};
		u->host = (lp_str_t){(char *)at + 1, (int)(p - at - 1)};
	} else {
		u->host = (lp_str_t){(char *)s, (int)(p - s)};
	}
	return u->host.len > 0 ? 0 : -1;
}

static int is_visual_sep(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

static int tel_eq(const lp_str_t *a, const lp_str_t *b)
{
	int i = 0, j = 0;

	for(;;) {
		while(i < a->len && is_visual_sep(a->s[i]))
			i++;
		while(j < b->len && is_visual_sep(b->s[j]))
			j++;
		if(i == a->len || j == b->len)
			return i == a->len && j == b->len;
		if(tolower((unsigned char)a->s[i]) != tolower((unsigned char)b->s[j]))
			return 0;
		i++;
		j++;
	}
}

static int uri_eq(const uri_t *a, const uri_t *b)
{
	if(!lp_str_caseeq(&a->scheme, &b->scheme))
		return 0;
	if(a->scheme.len == 3 && strncasecmp(a->scheme.s, "tel", 3) == 0)
		return tel_eq(&a->host, &b->host);
	return lp_str_eq(&a->user, &b->user) && lp_str_caseeq(&a->host, &b->host);
}

static int uri_str_eq(const char *a, const char *b)
{
	uri_t ua, ub;

	if(uri_split(a, strlen(a), &ua) < 0 || uri_split(b, strlen(b), &ub) < 0)
		return strcmp(a, b) == 0;
	return uri_eq(&ua, &ub);
}

/* The watcher's domain (host without port) equals domain. */
static int uri_in_domain(const uri_t *u, const char *domain)
{
	lp_str_t h = u->host, d = trimmed(domain);
	const char *colon;

	if(u->user.len == 0) /* tel:, or no user part: no domain to match */
		return 0;
	colon = memchr(h.s, ':', h.len);
	if(colon)
		h.len = (int)(colon - h.s);
	return d.len > 0 && lp_str_caseeq(&h, &d);
}

/* ------------------------------------------------------------------ */
/* RFC 3339 date-time (RFC 4745 section 7.3) to time_t                 */

static long days_from_civil(long y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for(i = 0; i < n; i++) {
		if(!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int expect(const char **p, const char *set)
{
	if(**p == '\0' || !strchr(set, **p))
		return -1;
	(*p)++;
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)". 0 or -1. */
static int parse_rfc3339(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = trimmed(s).s;

	if(digits(&p, 4, &y) || expect(&p, "-") || digits(&p, 2, &mo)
			|| expect(&p, "-") || digits(&p, 2, &d) || expect(&p, "Tt ")
			|| digits(&p, 2, &h) || expect(&p, ":") || digits(&p, 2, &mi)
			|| expect(&p, ":") || digits(&p, 2, &sec))
		return -1;
	if(*p == '.')
		for(p++; isdigit((unsigned char)*p); p++)
			;
	if(*p == 'Z' || *p == 'z') {
		p++;
	} else if(*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if(digits(&p, 2, &oh) || expect(&p, ":") || digits(&p, 2, &om))
			return -1;
	} else {
		return -1;
	}
	lp_str_t rest = trimmed(p);
	if(rest.len || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
			|| sec > 60 || oh > 23 || om > 59)
		return -1;
	*out = (time_t)(days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L
					+ sec - sign * (oh * 3600L + om * 60L));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Conditions (RFC 4745 section 7)                                     */

typedef struct eval_ctx {
	uri_t watcher;
	int watcher_ok; /* the watcher URI could be split */
	const char *sphere;
	time_t now;
} eval_ctx_t;

/* <one id=>: the watcher is that identity. */
static int match_one(const xmlNode *n, const eval_ctx_t *cx)
{
	char *id = attr(n, "id");
	uri_t u;
	int r = 0;

	if(id && cx->watcher_ok && uri_split(id, strlen(id), &u) == 0)
		r = uri_eq(&u, &cx->watcher);
	xmlFree(id);
	return r;
}

/* <many [domain=]> with <except id=|domain=> children: any watcher (of
 * that domain) not excepted. */
static int match_many(const xmlNode *n, const eval_ctx_t *cx)
{
	char *domain = attr(n, "domain"), *v;
	xmlNodePtr e;
	int r = cx->watcher_ok;

	if(r && domain)
		r = uri_in_domain(&cx->watcher, domain);
	xmlFree(domain);
	for(e = n->children; r && e; e = e->next) {
		if(!node_is(e, PXML_NS_COMMON_POLICY, "except"))
			continue;
		if((v = attr(e, "id")) != NULL) {
			if(match_one(e, cx))
				r = 0;
			xmlFree(v);
		}
		if((v = attr(e, "domain")) != NULL) {
			if(uri_in_domain(&cx->watcher, v))
				r = 0;
			xmlFree(v);
		}
	}
	return r;
}

/* <identity>: true when any <one> or <many> child matches. */
static int cond_identity(const xmlNode *n, const eval_ctx_t *cx)
{
	xmlNodePtr c;

	for(c = n->children; c; c = c->next) {
		if(node_is(c, PXML_NS_COMMON_POLICY, "one") && match_one(c, cx))
			return 1;
		if(node_is(c, PXML_NS_COMMON_POLICY, "many") && match_many(c, cx))
			return 1;
	}
	return 0;
}

/* <sphere value="tok tok">: the presentity's current sphere equals one of
 * the tokens, case-insensitively (RFC 4745 section 7.2). */
static int cond_sphere(const xmlNode *n, const eval_ctx_t *cx)
{
	char *value;
	lp_str_t cur, tok;
	const char *p;
	int r = 0;

	if(!cx->sphere)
		return 0;
	cur = trimmed(cx->sphere);
	if(cur.len == 0 || !(value = attr(n, "value")))
		return 0;
	for(p = value; *p && !r;) {
		while(*p && isspace((unsigned char)*p))
			p++;
		tok.s = (char *)p;
		while(*p && !isspace((unsigned char)*p))
			p++;
		tok.len = (int)(p - tok.s);
		r = tok.len > 0 && lp_str_caseeq(&tok, &cur);
	}
	xmlFree(value);
	return r;
}

/* <validity>: now lies in some [<from>, <until>) pair. */
static int cond_validity(const xmlNode *n, const eval_ctx_t *cx)
{
	xmlNodePtr c, u;
	time_t from, until;
	char *t;
	int ok;

	for(c = n->children; c; c = c->next) {
		if(!node_is(c, PXML_NS_COMMON_POLICY, "from"))
			continue;
		for(u = c->next; u && u->type != XML_ELEMENT_NODE; u = u->next)
			;
		if(!node_is(u, PXML_NS_COMMON_POLICY, "until"))
			continue;
		t = (char *)xmlNodeGetContent(c);
		ok = t && parse_rfc3339(t, &from) == 0;
		xmlFree(t);
		t = (char *)xmlNodeGetContent(u);
		ok = ok && t && parse_rfc3339(t, &until) == 0;
		xmlFree(t);
		if(ok && from <= cx->now && cx->now < until)
			return 1;
	}
	return 0;
}

/* A rule's <conditions>: all children must hold; one this module does not
 * implement fails the rule (privacy-safe). No element: always true. */
static int rule_matches(const xmlNode *rule, const eval_ctx_t *cx)
{
	xmlNodePtr conds = first_child(rule, PXML_NS_COMMON_POLICY, "conditions");
	xmlNodePtr c;

	if(!conds)
		return 1;
	for(c = conds->children; c; c = c->next) {
		if(c->type != XML_ELEMENT_NODE)
			continue;
		if(node_is(c, PXML_NS_COMMON_POLICY, "identity")) {
			if(!cond_identity(c, cx))
				return 0;
		} else if(node_is(c, PXML_NS_COMMON_POLICY, "sphere")) {
			if(!cond_sphere(c, cx))
				return 0;
		} else if(node_is(c, PXML_NS_COMMON_POLICY, "validity")) {
			if(!cond_validity(c, cx))
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Actions and transformations (RFC 5025 sections 3.2, 3.3), merged into
 * the result as RFC 4745 section 10 says: max, OR, union.              */

static const struct {
	const char *name;
	unsigned int bit;
} bool_perms[] = {
		{"provide-activities", PXML_PROVIDE_ACTIVITIES},
		{"provide-class", PXML_PROVIDE_CLASS},
		{"provide-deviceID", PXML_PROVIDE_DEVICEID},
		{"provide-mood", PXML_PROVIDE_MOOD},
		{"provide-place-is", PXML_PROVIDE_PLACE_IS},
		{"provide-place-type", PXML_PROVIDE_PLACE_TYPE},
		{"provide-privacy", PXML_PROVIDE_PRIVACY},
		{"provide-relationship", PXML_PROVIDE_RELATIONSHIP},
		{"provide-status-icon", PXML_PROVIDE_STATUS_ICON},
		{"provide-sphere", PXML_PROVIDE_SPHERE},
		{"provide-time-offset", PXML_PROVIDE_TIME_OFFSET},
		{"provide-note", PXML_PROVIDE_NOTE},
};

static const struct {
	const char *name;
	pxml_sub_handling_t value;
} sub_values[] = {
		{"block", PXML_SUB_BLOCK},
		{"confirm", PXML_SUB_CONFIRM},
		{"polite-block", PXML_SUB_POLITE_BLOCK},
		{"allow", PXML_SUB_ALLOW},
};

/* <sub-handling>: the maximum over the matching rules; a value not in the
 * RFC counts as absent. */
static void merge_actions(const xmlNode *rule, pxml_rules_result_t *out)
{
	xmlNodePtr acts = first_child(rule, PXML_NS_COMMON_POLICY, "actions");
	xmlNodePtr c;
	lp_str_t v, name;
	char *t;
	size_t i;

	for(c = acts ? acts->children : NULL; c; c = c->next) {
		if(!node_is(c, PXML_NS_PRES_RULES, "sub-handling")
				|| !(t = (char *)xmlNodeGetContent(c)))
			continue;
		v = trimmed(t);
		for(i = 0; i < sizeof(sub_values) / sizeof(sub_values[0]); i++) {
			name = lp_str_c(sub_values[i].name);
			if(lp_str_eq(&v, &name) && sub_values[i].value > out->sub_handling)
				out->sub_handling = sub_values[i].value;
		}
		xmlFree(t);
	}
}

/* <provide-services|persons|devices>: `all_name` child or lists. */
static int merge_selection(
		const xmlNode *n, const char *all_name, pxml_component_sel_t *sel)
{
	xmlNodePtr c;
	pxml_strset_t *set;

	for(c = n->children; c; c = c->next) {
		if(c->type != XML_ELEMENT_NODE || !c->ns
				|| xmlStrcmp(c->ns->href, BAD_CAST PXML_NS_PRES_RULES) != 0)
			continue;
		if(xmlStrcmp(c->name, BAD_CAST all_name) == 0) {
			sel->all = 1;
			continue;
		}
		set = NULL;
		if(xmlStrcmp(c->name, BAD_CAST "occurrence-id") == 0)
			set = &sel->occurrence_id;
		else if(xmlStrcmp(c->name, BAD_CAST "class") == 0)
			set = &sel->class_;
		else if(xmlStrcmp(c->name, BAD_CAST "deviceID") == 0
				&& strcmp(all_name, "all-devices") == 0)
			set = &sel->device_id;
		else if(xmlStrcmp(c->name, BAD_CAST "service-uri") == 0
				&& strcmp(all_name, "all-services") == 0)
			set = &sel->service_uri;
		else if(xmlStrcmp(c->name, BAD_CAST "service-uri-scheme") == 0
				&& strcmp(all_name, "all-services") == 0)
			set = &sel->service_uri_scheme;
		if(set && strset_add_text(set, c) < 0)
			return -1;
	}
	return 0;
}

static void merge_user_input(const xmlNode *n, pxml_rules_result_t *out)
{
	static const char *const levels[] = {"false", "bare", "thresholds", "full"};
	char *t = (char *)xmlNodeGetContent(n);
	lp_str_t v;
	int i;

	if(!t)
		return;
	v = trimmed(t);
	for(i = 0; i < 4; i++) {
		lp_str_t l = lp_str_c(levels[i]);
		if(lp_str_eq(&v, &l) && i > (int)out->user_input)
			out->user_input = (pxml_user_input_t)i;
	}
	xmlFree(t);
}

/* <provide-unknown-attribute ns= name=>true</>: add the pair once. The
 * two sets are parallel, so they are appended together, never deduped
 * one by one. */
static int merge_unknown(const xmlNode *n, pxml_rules_result_t *out)
{
	char *ns = attr(n, "ns"), *name = attr(n, "name");
	int i, rc = 0, found = 0;

	if(ns && name && text_is_true(n)) {
		for(i = 0; i < out->unknown_ns.n && !found; i++)
			found = strcmp(out->unknown_ns.v[i], ns) == 0
					&& strcmp(out->unknown_name.v[i], name) == 0;
		if(!found) {
			rc = strset_push(&out->unknown_ns, ns);
			if(rc == 0 && strset_push(&out->unknown_name, name) < 0) {
				free(out->unknown_ns.v[--out->unknown_ns.n]);
				rc = -1;
			}
		}
	}
	xmlFree(ns);
	xmlFree(name);
	return rc;
}

static int merge_transformations(const xmlNode *rule, pxml_rules_result_t *out)
{
	xmlNodePtr tr = first_child(rule, PXML_NS_COMMON_POLICY, "transformations");
	xmlNodePtr c;
	size_t i;
	int rc = 0;

	for(c = tr ? tr->children : NULL; c && rc == 0; c = c->next) {
		if(c->type != XML_ELEMENT_NODE || !c->ns
				|| xmlStrcmp(c->ns->href, BAD_CAST PXML_NS_PRES_RULES) != 0)
			continue;
		if(xmlStrcmp(c->name, BAD_CAST "provide-services") == 0)
			rc = merge_selection(c, "all-services", &out->services);
		else if(xmlStrcmp(c->name, BAD_CAST "provide-persons") == 0)
			rc = merge_selection(c, "all-persons", &out->persons);
		else if(xmlStrcmp(c->name, BAD_CAST "provide-devices") == 0)
			rc = merge_selection(c, "all-devices", &out->devices);
		else if(xmlStrcmp(c->name, BAD_CAST "provide-user-input") == 0)
			merge_user_input(c, out);
		else if(xmlStrcmp(c->name, BAD_CAST "provide-unknown-attribute") == 0)
			rc = merge_unknown(c, out);
		else if(xmlStrcmp(c->name, BAD_CAST "provide-all-attributes") == 0)
			out->provide |= PXML_PROVIDE_ALL_ATTRIBUTES;
		else
			for(i = 0; i < sizeof(bool_perms) / sizeof(bool_perms[0]); i++)
				if(xmlStrcmp(c->name, BAD_CAST bool_perms[i].name) == 0
						&& text_is_true(c))
					out->provide |= bool_perms[i].bit;
	}
	return rc;
}

struct pxml_ruleset
{
	xmlDocPtr doc; /* the <ruleset>, checked by safe_parse */
};

int pxml_rules_parse(const lp_str_t *rules_doc, pxml_ruleset_t **out)
{
	xmlDocPtr doc;
	int rc;

	*out = NULL;
	if((rc = safe_parse(rules_doc, PXML_NS_COMMON_POLICY, "ruleset", &doc)))
		return rc;
	if(!(*out = malloc(sizeof(**out)))) {
		xmlFreeDoc(doc);
		return PXML_RULES_ENOMEM;
	}
	(*out)->doc = doc;
	return 0;
}

void pxml_rules_ruleset_free(pxml_ruleset_t *rs)
{
	if(!rs)
		return;
	xmlFreeDoc(rs->doc);
	free(rs);
}

int pxml_rules_evaluate_parsed(const pxml_ruleset_t *rs,
		const lp_str_t *watcher_uri, const char *sphere, time_t now,
		pxml_rules_result_t *out)
{
	xmlNodePtr rule;
	eval_ctx_t cx;
	lp_str_t w;
	int rc = 0;

	if(pxml_rules_evaluate_start(watcher_uri, out) < 0)
		return -1;
	if(!rs) {
		out->error = PXML_RULES_EINVAL;
		return -1;
	}
	memset(&cx, 0, sizeof(cx));
	w = *watcher_uri;
	lp_str_trim(&w);
	if(w.len > 0 && w.s[0] == '<') {
		w.s++;
		w.len--;
	}
	cx.watcher_ok = w.len > 0 && uri_split(w.s, w.len, &cx.watcher) == 0;
	cx.sphere = sphere;
	cx.now = now;
	for(rule = xmlDocGetRootElement(rs->doc)->children; rule && rc == 0;
			rule = rule->next) {
		if(!node_is(rule, PXML_NS_COMMON_POLICY, "rule")
				|| !rule_matches(rule, &cx))
			continue;
		out->matched = 1;
		merge_actions(rule, out);
		if(merge_transformations(rule, out) < 0)
			rc = PXML_RULES_ENOMEM;
	}
	if(rc) {
		pxml_rules_result_free(out);
		out->error = rc;
		return -1;
	}
	return 0;
}

int pxml_rules_evaluate_start(
		const lp_str_t *watcher_uri, pxml_rules_result_t *out)
{
	if(!out)
		return -1;
	memset(out, 0, sizeof(*out));
	if(!watcher_uri || !watcher_uri->s || watcher_uri->len <= 0) {
		out->error = PXML_RULES_EINVAL;
		return -1;
	}
	return 0;
}

int pxml_rules_evaluate(const lp_str_t *rules_doc, const lp_str_t *watcher_uri,
		const char *sphere, time_t now, pxml_rules_result_t *out)
{
	pxml_ruleset_t *rs;
	int rc;

	if(pxml_rules_evaluate_start(watcher_uri, out) < 0)
		return -1;
	if((rc = pxml_rules_parse(rules_doc, &rs))) {
		out->error = rc;
		return -1;
	}
	rc = pxml_rules_evaluate_parsed(rs, watcher_uri, sphere, now, out);
	pxml_rules_ruleset_free(rs);
	return rc;
}

/* ------------------------------------------------------------------ */
/* PIDF filter (RFC 5025 section 3.3)                                  */

typedef enum {
	K_ROOT, /* children of <presence> that are not components */
	K_TUPLE,
	K_PERSON,
	K_DEVICE,
	K_STATUS /* children of a provided tuple's <status> */
} kind_t;

/* Presence attributes with a boolean permission of their own. */
static const struct {
	const char *ns;
	const char *name;
	unsigned int bit;
} attr_perms[] = {
		{NS_RPID, "activities", PXML_PROVIDE_ACTIVITIES},
		{NS_RPID, "class", PXML_PROVIDE_CLASS},
		{NS_RPID, "mood", PXML_PROVIDE_MOOD},
		{NS_RPID, "place-is", PXML_PROVIDE_PLACE_IS},
		{NS_RPID, "place-type", PXML_PROVIDE_PLACE_TYPE},
		{NS_RPID, "privacy", PXML_PROVIDE_PRIVACY},
		{NS_RPID, "relationship", PXML_PROVIDE_RELATIONSHIP},
		{NS_RPID, "sphere", PXML_PROVIDE_SPHERE},
		{NS_RPID, "status-icon", PXML_PROVIDE_STATUS_ICON},
		{NS_RPID, "time-offset", PXML_PROVIDE_TIME_OFFSET},
		{NS_PIDF, "note", PXML_PROVIDE_NOTE},
		{NS_DM, "note", PXML_PROVIDE_NOTE},
		{NS_DM, "deviceID", PXML_PROVIDE_DEVICEID},
};

/* Remove n, and the blank text before it so the output stays tidy. */
static void drop(xmlNodePtr n)
{
	xmlNodePtr prev = n->prev;

	if(prev && prev->type == XML_TEXT_NODE && xmlIsBlankNode(prev)) {
		xmlUnlinkNode(prev);
		xmlFreeNode(prev);
	}
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Some child {ns}name of comp has a text in set. */
static int child_text_in(const xmlNode *comp, const char *ns, const char *name,
		const pxml_strset_t *set)
{
	xmlNodePtr c;
	char *t;
	int r = 0;

	for(c = comp->children; c && !r; c = c->next) {
		if(!node_is(c, ns, name) || !(t = node_text(c)))
			continue;
		r = strset_has(set, t);
		free(t);
	}
	return r;
}

/* A tuple's <contact> is one of the service-uris or has one of the
 * service-uri-schemes. */
static int contact_matches(const xmlNode *tuple, const pxml_component_sel_t *s)
{
	xmlNodePtr c = first_child(tuple, NS_PIDF, "contact");
	char *t;
	uri_t u;
	int i, r = 0;

	if(!c || !(t = node_text(c)))
		return 0;
	for(i = 0; i < s->service_uri.n && !r; i++)
		r = uri_str_eq(t, s->service_uri.v[i]);
	if(!r && uri_split(t, strlen(t), &u) == 0)
		for(i = 0; i < s->service_uri_scheme.n && !r; i++) {
			lp_str_t sch = lp_str_c(s->service_uri_scheme.v[i]);
			r = lp_str_caseeq(&u.scheme, &sch);
		}
	free(t);
	return r;
}

static int provided(const xmlNode *comp, const pxml_component_sel_t *s)
{
	char *id;
	int r;

	if(s->all)
		return 1;
	id = attr(comp, "id");
	r = id && strset_has(&s->occurrence_id, id);
	xmlFree(id);
	if(!r && s->class_.n)
		r = child_text_in(comp, NS_RPID, "class", &s->class_);
	if(!r && s->device_id.n)
		r = child_text_in(comp, NS_DM, "deviceID", &s->device_id);
	if(!r && (s->service_uri.n || s->service_uri_scheme.n))
		r = contact_matches(comp, s);
	return r;
}

/* What identifies a component is kept whatever the attribute permissions. */
static int always_kept(const xmlNode *c, kind_t k)
{
	switch(k) {
		case K_TUPLE:
			return node_is(c, NS_PIDF, "contact")
				   || node_is(c, NS_PIDF, "timestamp");
		case K_PERSON:
			return node_is(c, NS_DM, "timestamp");
		case K_DEVICE:
			return node_is(c, NS_DM, "deviceID")
				   || node_is(c, NS_DM, "timestamp");
		case K_STATUS:
			return node_is(c, NS_PIDF, "basic");
		default:
			return 0;
	}
}

/* RFC 5025 <provide-user-input>: bare drops both attributes, thresholds
 * keeps idle-threshold only, full keeps the element as it is. */
static int keep_user_input(xmlNodePtr c, pxml_user_input_t level)
{
	if(level == PXML_UI_FALSE)
		return 0;
	if(level < PXML_UI_FULL)
		xmlUnsetProp(c, BAD_CAST "last-input");
	if(level < PXML_UI_THRESHOLDS)
		xmlUnsetProp(c, BAD_CAST "idle-threshold");
	return 1;
}

static int unknown_granted(const xmlNode *c, const pxml_rules_result_t *r)
{
	const char *ns = c->ns ? (const char *)c->ns->href : "";
	int i;

	for(i = 0; i < r->unknown_ns.n; i++)
		if(strcmp(r->unknown_ns.v[i], ns) == 0
				&& xmlStrcmp(c->name, BAD_CAST r->unknown_name.v[i]) == 0)
			return 1;
	return 0;
}

static int keep_child(xmlNodePtr c, kind_t k, const pxml_rules_result_t *r)
{
	size_t i;

	if(always_kept(c, k) || (r->provide & PXML_PROVIDE_ALL_ATTRIBUTES))
		return 1;
	if(node_is(c, NS_RPID, "user-input"))
		return keep_user_input(c, r->user_input);
	for(i = 0; i < sizeof(attr_perms) / sizeof(attr_perms[0]); i++)
		if(node_is(c, attr_perms[i].ns, attr_perms[i].name))
			return (r->provide & attr_perms[i].bit) != 0;
	return unknown_granted(c, r);
}

/* Filter the children of a provided component (or of the root). */
static void filter_children(
		xmlNodePtr parent, kind_t k, const pxml_rules_result_t *r)
{
	xmlNodePtr c, next;

	for(c = parent->children; c; c = next) {
		next = c->next;
		if(c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
			drop(c);
			continue;
		}
		if(c->type != XML_ELEMENT_NODE)
			continue;
		if(k == K_TUPLE && node_is(c, NS_PIDF, "status")) {
			if(!(r->provide & PXML_PROVIDE_ALL_ATTRIBUTES))
				filter_children(c, K_STATUS, r);
			continue;
		}
		if(!keep_child(c, k, r))
			drop(c);
	}
}

/* Keep the provided components, filtered; drop the others. */
static void filter_root(xmlNodePtr root, const pxml_rules_result_t *r)
{
	xmlNodePtr c, next;
	const pxml_component_sel_t *sel;
	kind_t k;

	for(c = root->children; c; c = next) {
		next = c->next;
		if(node_is(c, NS_PIDF, "tuple")) {
			sel = &r->services;
			k = K_TUPLE;
		} else if(node_is(c, NS_DM, "person")) {
			sel = &r->persons;
			k = K_PERSON;
		} else if(node_is(c, NS_DM, "device")) {
			sel = &r->devices;
			k = K_DEVICE;
		} else {
			if(c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE
					|| (c->type == XML_ELEMENT_NODE
							&& !keep_child(c, K_ROOT, r)))
				drop(c);
			continue;
		}
		if(provided(c, sel))
			filter_children(c, k, r);
		else
			drop(c);
	}
}

/* Serialize doc into a malloc'd, NUL-terminated buffer. */
static int serialize(xmlDocPtr doc, lp_str_t *out)
{
	xmlChar *buf = NULL;
	int len = 0;
	char *s;

	xmlDocDumpMemoryEnc(doc, &buf, &len, "UTF-8");
	if(!buf)
		return -1;
	s = malloc(len + 1);
	if(s) {
		memcpy(s, buf, len);
		s[len] = '\0';
		out->s = s;
		out->len = len;
	}
	xmlFree(buf);
	return s ? 0 : -1;
}

/* A stable, meaningless tuple id for the polite document (an XML ID must
 * not start with a digit). */
static void polite_tuple_id(const char *entity, char *buf, size_t size)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for(p = (const unsigned char *)entity; *p; p++)
		h = (h ^ *p) * 16777619u;
	snprintf(buf, size, "t%08x", (unsigned int)h);
}

/* <presence entity=...> with nothing in it, or (polite) one closed tuple. */
static int stub_doc(const char *entity, int polite, lp_str_t *out)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = NULL, tuple, status;
	xmlNsPtr ns = NULL;
	char id[16];
	int rc = -1;

	if(doc && (root = xmlNewNode(NULL, BAD_CAST "presence")) != NULL) {
		xmlDocSetRootElement(doc, root);
		ns = xmlNewNs(root, BAD_CAST NS_PIDF, NULL);
	}
	if(!ns || !xmlNewProp(root, BAD_CAST "entity", BAD_CAST entity))
		goto done;
	xmlSetNs(root, ns);
	if(polite) {
		polite_tuple_id(entity, id, sizeof(id));
		if(!(tuple = xmlNewChild(root, ns, BAD_CAST "tuple", NULL))
				|| !xmlNewProp(tuple, BAD_CAST "id", BAD_CAST id)
				|| !(status = xmlNewChild(tuple, ns, BAD_CAST "status", NULL))
				|| !xmlNewTextChild(
						status, ns, BAD_CAST "basic", BAD_CAST "closed"))
			goto done;
	}
	rc = serialize(doc, out);
done:
	xmlFreeDoc(doc);
	return rc;
}

int pxml_rules_polite_doc(const lp_str_t *entity, lp_str_t *out)
{
	char *e;
	int rc;

	if(!entity || !entity->s || entity->len <= 0 || !out)
		return -1;
	if(!(e = strndup(entity->s, entity->len)))
		return -1;
	rc = stub_doc(e, 1, out);
	free(e);
	return rc;
}

int pxml_rules_filter(
		const lp_str_t *pidf, const pxml_rules_result_t *r, lp_str_t *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char *entity;
	int rc;

	if(!r || !out || safe_parse(pidf, NS_PIDF, "presence", &doc) != 0)
		return -1;
	root = xmlDocGetRootElement(doc);
	if(r->matched && r->sub_handling >= PXML_SUB_ALLOW) {
		filter_root(root, r);
		rc = serialize(doc, out);
	} else {
		/* the watcher learns nothing, not even the tuple ids */
		entity = attr(root, "entity");
		rc = stub_doc(entity ? entity : "",
				r->matched && r->sub_handling >= PXML_SUB_POLITE_BLOCK, out);
		xmlFree(entity);
	}
	xmlFreeDoc(doc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Subscription states                                                 */

const char *pxml_sub_state(pxml_sub_handling_t h)
{
	if(h >= PXML_SUB_POLITE_BLOCK)
		return "active";
	if(h >= PXML_SUB_CONFIRM)
		return "pending";
	return "terminated";
}

const char *pxml_sub_reason(pxml_sub_handling_t h)
{
	return h < PXML_SUB_CONFIRM ? "rejected" : NULL;
}

const char *pxml_sub_handling_name(pxml_sub_handling_t h)
{
	size_t i = sizeof(sub_values) / sizeof(sub_values[0]);

	while(--i > 0 && h < sub_values[i].value)
		;
	return sub_values[i].name;
}

const char *pxml_rules_strerror(int err)
{
	switch(err) {
		case PXML_RULES_OK:
			return "no error";
		case PXML_RULES_EINVAL:
			return "missing or empty argument";
		case PXML_RULES_ETOOBIG:
			return "document too large";
		case PXML_RULES_EDTD:
			return "DOCTYPE or ENTITY declarations are not allowed";
		case PXML_RULES_EXML:
			return "not well-formed XML";
		case PXML_RULES_EROOT:
			return "root element is not the expected one";
		case PXML_RULES_ENOMEM:
			return "out of memory";
		default:
			return "unknown error";
	}
}
