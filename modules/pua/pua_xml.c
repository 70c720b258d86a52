/* Body rewrites of pua. The version of dialog-info (RFC 4235) and reginfo
 * (RFC 3680) bodies for dlginfo_increase_version /
 * reginfo_increase_version, and the tuple ids of PIDF bodies (RFC 3863
 * requires one; a publication keeps its id across modifications). The
 * body is parsed only through the hardened lp_xml_parse (network off, no
 * entity expanded, any DOCTYPE refused before parsing, UTF-8 forced,
 * LP_XML_MAX_BODY cap, libxml2's error handler restored); the root element
 * must be the one expected; its `version` attribute is set and the document
 * written out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lp_log.h"
#include "lp_mem.h"
#include "lp_xml.h"
#include "pua_logic.h"

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
	const char *why = NULL;
	xmlDocPtr doc = body ? lp_xml_parse(body->s, body->len, &why) : NULL;
	xmlNodePtr r;
	char v[16];
	int rc = -1;

	*out = LP_STR_NULL;
	if(!doc) {
		LP_WARN("%s body not versioned (%s): sent unchanged", root,
				why ? why : "no body");
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

/* ---- tuple ids of PIDF bodies (PRESENCE_EVENT) ---- */

/* An id for a publication's tuples: an XML NCName ("t" and 128 random
 * bits in hex), unguessable and unique across restarts and instances. */
static int new_tuple_id(char *buf, int size)
{
	return pua_new_token(buf, size, "t");
}

static lp_str_t *lp_str_new(const char *s, int len)
{
	lp_str_t *r = lp_malloc(sizeof(*r));

	if(!r)
		return NULL;
	r->s = lp_malloc(len + 1);
	if(!r->s) {
		lp_free(r);
		return NULL;
	}
	memcpy(r->s, s, len);
	r->s[len] = '\0';
	r->len = len;
	return r;
}

/* Give every <tuple> without an id one; returns how many were given. */
static int fill_tuple_ids(xmlNodePtr root, const lp_str_t *id)
{
	xmlNodePtr t;
	char v[192];
	int n = 0;

	for(t = lp_xml_child(root, "tuple", PXML_NS_PIDF); t;
			t = lp_xml_next(t, "tuple", PXML_NS_PIDF)) {
		xmlChar *old = lp_xml_attr(t, "id");
		int has = old && old[0];

		xmlFree(old);
		if(has)
			continue;
		if(n == 0)
			snprintf(v, sizeof(v), "%.*s", LP_STR_FMT(*id));
		else
			snprintf(v, sizeof(v), "%.*s-%d", LP_STR_FMT(*id), n);
		if(!xmlSetProp(t, BAD_CAST "id", BAD_CAST v))
			return -1;
		n++;
	}
	return n;
}

int pua_pidf_process_body(struct publ_info *publ, lp_str_t **final_body,
		int ver, lp_str_t **tuple)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char idbuf[96];
	lp_str_t id, out = LP_STR_NULL;
	int n, made = 0, rc = -1;

	*final_body = NULL;
	doc = lp_xml_parse(publ->body->s, publ->body->len, NULL);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if(!root || !lp_xml_is(root, "presence", PXML_NS_PIDF)) {
		LP_WARN("PUBLISH body of %.*s is not a PIDF document: sent as it is",
				LP_STR_FMT(*publ->pres_uri));
		xmlFreeDoc(doc);
		return 0;
	}
	if(*tuple && (*tuple)->s && (*tuple)->len > 0 && (*tuple)->len < 80) {
		id = **tuple;
	} else {
		id.s = idbuf;
		id.len = new_tuple_id(idbuf, sizeof(idbuf));
		made = 1;
		if(id.len < 0)
			goto done;
	}
	n = fill_tuple_ids(root, &id);
	if(n < 0)
		goto done;
	if(n == 0) {
		rc = 0; /* every tuple has its id: the body goes as it is */
		goto done;
	}
	if(lp_xml_dump(doc, 0, &out) < 0)
		goto done;
	*final_body = lp_str_new(out.s, out.len);
	if(!*final_body)
		goto done;
	if(made && (*tuple = lp_str_new(id.s, id.len)) == NULL) {
		lp_free((*final_body)->s);
		lp_free(*final_body);
		*final_body = NULL;
		goto done;
	}
	rc = 0;
done:
	free(out.s);
	xmlFreeDoc(doc);
	return rc;
}
