/* The libxml2 lookups of bind_libxml_api (see pua_libxml_api.h): find an
 * element by name (and namespace prefix or URI) below a node or in a
 * document, its text content, an attribute's value. Read-only walks over
 * a tree the caller owns; text is gathered from text and CDATA nodes only,
 * so an entity reference left in a tree is never expanded here. */
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include "pua_libxml_api.h"

/* A match: element, name without case, ns (when given) equal to the
 * namespace's prefix or its URI. */
static int node_is(const xmlNode *n, const char *name, const char *ns)
{
	if(n->type != XML_ELEMENT_NODE || !n->name
			|| xmlStrcasecmp(n->name, BAD_CAST name) != 0)
		return 0;
	if(!ns)
		return 1;
	if(!n->ns)
		return 0;
	return (n->ns->prefix && xmlStrcmp(n->ns->prefix, BAD_CAST ns) == 0)
		   || (n->ns->href && xmlStrcmp(n->ns->href, BAD_CAST ns) == 0);
}

/* Depth-first, pre-order, without recursion (a deep hostile tree cannot
 * exhaust the stack): the start node, then its descendants. */
static xmlNodePtr find_below(xmlNodePtr start, const char *name, const char *ns)
{
	xmlNodePtr n = start;

	if(!start || !name)
		return NULL;
	while(n) {
		if(node_is(n, name, ns))
			return n;
		if(n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while(n != start && !n->next)
			n = n->parent;
		if(n == start)
			return NULL;
		n = n->next;
	}
	return NULL;
}

static xmlNodePtr doc_get_node(xmlDocPtr doc, const char *name, const char *ns)
{
	return doc ? find_below(xmlDocGetRootElement(doc), name, ns) : NULL;
}

static xmlNodePtr node_get_node(xmlNodePtr node, const char *name, const char *ns)
{
	return find_below(node, name, ns);
}

/* Text of n: its text and CDATA descendants in document order. */
static char *text_of(xmlNodePtr top)
{
	xmlBufferPtr b = xmlBufferCreate();
	xmlNodePtr n = top->children;
	char *r;

	if(!b)
		return NULL;
	while(n) {
		if(n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
			xmlBufferCat(b, n->content ? n->content : BAD_CAST "");
		if(n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while(n != top && !n->next)
			n = n->parent;
		if(n == top)
			break;
		n = n->next;
	}
	r = (char *)xmlStrdup(xmlBufferContent(b));
	xmlBufferFree(b);
	return r;
}

static char *node_content(xmlNodePtr root, const char *name, const char *ns)
{
	xmlNodePtr n = find_below(root, name, ns);

	return n ? text_of(n) : NULL;
}

static char *attr_content(xmlNodePtr node, const char *name)
{
	xmlAttrPtr a;

	if(!node || !name || node->type != XML_ELEMENT_NODE)
		return NULL;
	for(a = node->properties; a; a = a->next)
		if(a->name && xmlStrcasecmp(a->name, BAD_CAST name) == 0)
			return (char *)xmlNodeListGetString(node->doc, a->children, 0);
	return NULL;
}

int pua_libxml_bind(libxml_api_t *api)
{
	if(!api)
		return -1;
	api->xmlDocGetNodeByName = doc_get_node;
	api->xmlNodeGetNodeByName = node_get_node;
	api->xmlNodeGetNodeContentByName = node_content;
	api->xmlNodeGetAttrContentByName = attr_content;
	return 0;
}
