/* bind_libxml_api: the four libxml2 lookups Kamailio's pua module lends
 * to other modules (rls imports them), binary-compatible with Kamailio
 * 5.6's libxml_api_t. They only walk documents the caller parsed; nothing
 * is fetched and no entity is expanded (content skips entity references).
 * Strings they return are allocated by libxml2: the caller frees them with
 * xmlFree(). */
#ifndef PUA_LIBXML_API_H
#define PUA_LIBXML_API_H

#include <libxml/tree.h>

/* ns (NULL: any) matches a node's namespace prefix or URI; names compare
 * without case. The search is depth-first, the start node first. */
typedef xmlNodePtr (*xmlDocGetNodeByName_t)(
		xmlDocPtr doc, const char *name, const char *ns);
typedef xmlNodePtr (*xmlNodeGetNodeByName_t)(
		xmlNodePtr node, const char *name, const char *ns);
typedef char *(*xmlNodeGetNodeContentByName_t)(
		xmlNodePtr root, const char *name, const char *ns);
typedef char *(*xmlNodeGetAttrContentByName_t)(xmlNodePtr node, const char *name);

typedef struct libxml_api {
	xmlDocGetNodeByName_t xmlDocGetNodeByName;
	xmlNodeGetNodeByName_t xmlNodeGetNodeByName;
	xmlNodeGetNodeContentByName_t xmlNodeGetNodeContentByName;
	xmlNodeGetAttrContentByName_t xmlNodeGetAttrContentByName;
} libxml_api_t;

typedef int (*bind_libxml_t)(libxml_api_t *api);

/* Fill api with pua's implementations; 0, or -1 when api is NULL. */
int pua_libxml_bind(libxml_api_t *api);

#endif
