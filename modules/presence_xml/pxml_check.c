/* pres_check_basic / pres_check_activities on a PIDF body, through the
 * hardened parse of pxml_xml.c. Both walk the element tree directly rather
 * than through XPath so no namespace-prefix registration is involved and a
 * body cannot make the evaluation cost more than one pass. */
#include <string.h>

#include <libxml/tree.h>

#include "pxml_check.h"
#include "lp_xml.h"

/* The PIDF root of body, or NULL (and *doc NULL) when unusable. */
static xmlNodePtr pidf_root(const lp_str_t *body, xmlDocPtr *doc)
{
	xmlNodePtr root;

	*doc = body ? lp_xml_parse(body->s, body->len, NULL) : NULL;
	if(!*doc)
		return NULL;
	root = xmlDocGetRootElement(*doc);
	if(!lp_xml_is(root, "presence", PXML_NS_PIDF)) {
		xmlFreeDoc(*doc);
		*doc = NULL;
		return NULL;
	}
	return root;
}

static int tuple_has_basic(xmlNodePtr t, const lp_str_t *status)
{
	xmlNodePtr st, b;

	for(st = lp_xml_child(t, "status", PXML_NS_PIDF); st;
			st = lp_xml_next(st, "status", PXML_NS_PIDF)) {
		for(b = lp_xml_child(st, "basic", PXML_NS_PIDF); b;
				b = lp_xml_next(b, "basic", PXML_NS_PIDF)) {
			if(lp_xml_text_eq(b, status, 1))
				return 1;
		}
	}
	return 0;
}

int pxml_check_basic(const lp_str_t *body, const lp_str_t *status)
{
	xmlDocPtr doc;
	xmlNodePtr root, t;
	int rc = -1;

	if(!status || !status->s || status->len <= 0)
		return -1;
	root = pidf_root(body, &doc);
	if(!root)
		return -1;
	for(t = lp_xml_child(root, "tuple", PXML_NS_PIDF); t && rc < 0;
			t = lp_xml_next(t, "tuple", PXML_NS_PIDF)) {
		if(tuple_has_basic(t, status))
			rc = 1;
	}
	xmlFreeDoc(doc);
	return rc;
}

static int is_person(xmlNodePtr n)
{
	return lp_xml_is(n, "person", PXML_NS_DM)
		   || lp_xml_is(n, "person", PXML_NS_RPID);
}

/* -2: person has no activities; -1: activities without the activity; 1. */
static int person_activity(xmlNodePtr p, const xmlChar *act)
{
	xmlNodePtr a;
	int rc = -2;

	for(a = lp_xml_child(p, "activities", PXML_NS_RPID); a;
			a = lp_xml_next(a, "activities", PXML_NS_RPID)) {
		rc = -1;
		if(act && lp_xml_child(a, (const char *)act, PXML_NS_RPID))
			return 1;
	}
	return rc;
}

int pxml_check_activities(const lp_str_t *body, const lp_str_t *activity)
{
	xmlDocPtr doc;
	xmlNodePtr root, p;
	xmlChar *act = NULL;
	int rc = -2, r;

	root = pidf_root(body, &doc);
	if(!root)
		return -2;
	if(activity && activity->s && activity->len > 0
			&& !memchr(activity->s, '\0', activity->len))
		act = lp_xml_strdup(activity);
	for(p = root->children; p && rc != 1; p = p->next) {
		if(!is_person(p))
			continue;
		r = person_activity(p, act);
		if(r > rc)
			rc = r;
	}
	xmlFree(act);
	xmlFreeDoc(doc);
	return rc;
}
