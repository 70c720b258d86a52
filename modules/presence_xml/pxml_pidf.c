/* PIDF well-formedness check (RFC 3863) with a hardened libxml2 parse. */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pxml_pidf.h"

#define PIDF_NS "urn:ietf:params:xml:ns:pidf"

/* A DOCTYPE is never needed in PIDF and is how entity bombs and external
 * entities get in: refuse it before libxml2 sees it. */
static int has_doctype(const char *body, int len)
{
	static const char pat[] = "<!DOCTYPE";
	const char *p = body, *end = body + len;

	while((p = memchr(p, '<', end - p)) != NULL) {
		if(end - p >= (long)sizeof(pat) - 1
				&& strncasecmp(p, pat, sizeof(pat) - 1) == 0)
			return 1;
		if(end - p >= 8 && strncmp(p, "<!ENTITY", 8) == 0)
			return 1;
		p++;
	}
	return 0;
}

static void silent(void *ctx, const char *msg, ...)
{
}

int pxml_pidf_check(const char *body, int len, const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc = -1;

	*why = NULL;
	if(!body || len <= 0) {
		*why = "empty body";
		return -1;
	}
	if(len > PXML_MAX_BODY) {
		*why = "body too large";
		return -1;
	}
	if(has_doctype(body, len)) {
		*why = "DOCTYPE or ENTITY declarations are not allowed";
		return -1;
	}
	xmlSetGenericErrorFunc(NULL, silent);
	doc = xmlReadMemory(body, len, NULL, NULL,
			XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if(!doc) {
		*why = "not well-formed XML";
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if(doc->intSubset || doc->extSubset)
		*why = "DTD not allowed";
	else if(!root || xmlStrcmp(root->name, BAD_CAST "presence") != 0)
		*why = "root element is not <presence>";
	else if(!root->ns || xmlStrcmp(root->ns->href, BAD_CAST PIDF_NS) != 0)
		*why = "root element not in the PIDF namespace";
	else
		rc = 0;
	xmlFreeDoc(doc);
	return rc;
}
