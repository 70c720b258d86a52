/* The RPID sphere of a presentity (RFC 4480 section 3.2.5), for sphere
 * conditions of authorization rules (enable_sphere_check): the <sphere>
 * element of the person in its newest presence publication. */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "lp_xml.h"
#include "pres_logic.h"
#include "pres_pub.h"

#define RPID_NS "urn:ietf:params:xml:ns:pidf:rpid"

/* First <sphere> anywhere under n (depth-first); NULL if none. */
static xmlNodePtr find_sphere(xmlNodePtr n)
{
	xmlNodePtr c, f;

	for(c = n ? n->children : NULL; c; c = c->next) {
		if(c->type != XML_ELEMENT_NODE)
			continue;
		if(lp_xml_is(c, "sphere", RPID_NS))
			return c;
		if((f = find_sphere(c)) != NULL)
			return f;
	}
	return NULL;
}

/* Text of <sphere>: its text, or the name of its child element (<work/>,
 * <home/>, as RFC 4480 also allows). malloc'd or NULL. */
static char *sphere_value(xmlNodePtr s)
{
	xmlNodePtr c;
	xmlChar *t;
	char *r = NULL;

	for(c = s->children; c; c = c->next)
		if(c->type == XML_ELEMENT_NODE)
			return strdup((const char *)c->name);
	t = xmlNodeGetContent(s);
	if(t) {
		lp_str_t v = {(char *)t, (int)strlen((char *)t)};
		lp_str_trim(&v);
		if(v.len > 0 && (r = malloc(v.len + 1)) != NULL) {
			memcpy(r, v.s, v.len);
			r[v.len] = '\0';
		}
		xmlFree(t);
	}
	return r;
}

char *pres_sphere_of(const lp_str_t *pres_uri)
{
	lp_str_t user, domain, **bodies = NULL, ev = LP_STR("presence");
	const char *why;
	xmlDocPtr doc;
	xmlNodePtr s;
	char *r = NULL;
	int n;

	if(!pres.cfg.enable_sphere_check || pres_split_uri(pres_uri, &user, &domain) < 0)
		return NULL;
	n = pres_pub_bodies(&user, &domain, &ev, &bodies);
	if(n > 0) {
		doc = lp_xml_parse(bodies[n - 1]->s, bodies[n - 1]->len, &why);
		if(doc) {
			s = find_sphere(xmlDocGetRootElement(doc));
			if(s)
				r = sphere_value(s);
			xmlFreeDoc(doc);
		}
	}
	if(n >= 0)
		pres_pub_bodies_free(bodies, n);
	return r;
}
