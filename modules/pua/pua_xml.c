/* Version rewrite of dialog-info (RFC 4235) and reginfo (RFC 3680)
 * bodies for dlginfo_increase_version / reginfo_increase_version: the
 * body is parsed with libxml2 with the network off, no entity expanded and
 * any DOCTYPE refused before parsing; the root element must be the one
 * expected; its `version` attribute is set and the document written out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lp_log.h"
#include "pua_logic.h"

#define PUA_XML_MAX_BODY (256 * 1024)

/* A DOCTYPE is never needed in these documents and is how entity bombs
 * and external entities get in. */
static int has_doctype(const char *body, int len)
{
	const char *p = body, *end = body + len;

	while((p = memchr(p, '<', end - p)) != NULL) {
		if(end - p >= 9 && strncasecmp(p, "<!DOCTYPE", 9) == 0)
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

static xmlDocPtr parse(const lp_str_t *body)
{
	if(!body || !body->s || body->len <= 0 || body->len > PUA_XML_MAX_BODY
			|| has_doctype(body->s, body->len))
		return NULL;
	xmlSetGenericErrorFunc(NULL, silent);
	return xmlReadMemory(body->s, body->len, NULL, NULL,
			XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int dump(xmlDocPtr doc, lp_str_t *out)
{
	xmlChar *mem = NULL;
	int len = 0;

	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	if(!mem || len <= 0) {
		xmlFree(mem);
		return -1;
	}
	out->s = malloc(len + 1);
	if(!out->s) {
		xmlFree(mem);
		return -1;
	}
	memcpy(out->s, mem, len);
	out->s[len] = '\0';
	out->len = len;
	xmlFree(mem);
	return 0;
}

int pua_xml_set_version(const lp_str_t *body, const char *root, int version,
		lp_str_t *out)
{
	xmlDocPtr doc = parse(body);
	xmlNodePtr r;
	char v[16];
	int rc = -1;

	*out = LP_STR_NULL;
	if(!doc) {
		LP_WARN("body is not a well-formed %s document without DOCTYPE:"
				" sent unchanged", root);
		return -1;
	}
	r = xmlDocGetRootElement(doc);
	if(doc->intSubset || doc->extSubset || !r
			|| xmlStrcmp(r->name, BAD_CAST root) != 0) {
		LP_WARN("body root is not <%s>: sent unchanged", root);
		goto done;
	}
	snprintf(v, sizeof(v), "%d", version < 0 ? 0 : version);
	if(!xmlSetProp(r, BAD_CAST "version", BAD_CAST v))
		goto done;
	rc = dump(doc, out);
done:
	xmlFreeDoc(doc);
	return rc;
}
