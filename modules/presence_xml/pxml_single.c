/* force_presence_single_body (see pxml_single.h): each body's lookup element
 * is read with the hardened parser and ranked by its place in the
 * priority list. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "lp_xml.h"
#include "pxml_agg.h"
#include "pxml_single.h"

static void trim(const char **s, size_t *len)
{
	while(*len > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while(*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

int pxml_single_priority(const char *priorities, const char *value)
{
	const char *p = priorities, *bar, *name, *v = value;
	size_t vlen, nlen;
	int rank;

	if(!priorities || !value)
		return 0;
	vlen = strlen(v);
	trim(&v, &vlen);
	for(rank = 1; p; rank++, p = bar ? bar + 1 : NULL) {
		bar = strchr(p, '|');
		name = p;
		nlen = bar ? (size_t)(bar - p) : strlen(p);
		trim(&name, &nlen);
		if(nlen == vlen && nlen > 0 && strncasecmp(name, v, nlen) == 0)
			return rank;
	}
	return 0;
}

/* Depth-first search for the first element whose local name is `name`. */
static xmlNodePtr find_elem(xmlNodePtr n, const char *name)
{
	xmlNodePtr c, f;

	for(; n; n = n->next) {
		if(n->type != XML_ELEMENT_NODE)
			continue;
		if(xmlStrcasecmp(n->name, BAD_CAST name) == 0)
			return n;
		for(c = n->children; c; c = c->next) {
			f = find_elem(c, name);
			if(f)
				return f;
		}
	}
	return NULL;
}

/* The rank of one body; -1 when it is not a PIDF document. */
static int body_rank(const lp_str_t *b, const char *priorities, const char *element)
{
	xmlDocPtr doc = b ? lp_xml_parse(b->s, b->len, NULL) : NULL;
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL, e;
	xmlChar *txt;
	int rank = -1;

	if(lp_xml_is(root, "presence", PXML_NS_PIDF)) {
		e = find_elem(root, element);
		txt = e ? xmlNodeGetContent(e) : NULL;
		rank = pxml_single_priority(priorities, (const char *)txt);
		xmlFree(txt);
	}
	xmlFreeDoc(doc);
	return rank;
}

int pxml_single_pick(lp_str_t **bodies, int n, const char *priorities,
		const char *element)
{
	int i, r, best = -1, best_rank = -1;

	if(!bodies || n <= 0 || !element || !*element)
		return -1;
	for(i = n - 1; i >= 0; i--) { /* newest first: it wins a tie */
		r = body_rank(bodies[i], priorities, element);
		if(r > best_rank) {
			best_rank = r;
			best = i;
		}
	}
	return best;
}
