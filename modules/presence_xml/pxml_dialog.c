/* dialog-info aggregation for dialog;sla and the version rewrite. Bodies
 * are walked newest first so the first <dialog> seen for an id is the one
 * kept; namespace declarations of each body's root are hoisted to the
 * result's root when their prefix is free, then redundant declarations on
 * the copies are dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/tree.h>

#include "pxml_dialog.h"
#include "lp_xml.h"

typedef struct dagg {
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlHashTablePtr ids; /* dialog ids in the result */
	unsigned int gen;
	int bodies;
	int err;
} dagg_t;

static int dagg_init(dagg_t *a, const char *entity)
{
	xmlNsPtr ns;

	memset(a, 0, sizeof(*a));
	a->doc = xmlNewDoc(BAD_CAST "1.0");
	if(!a->doc)
		return -1;
	a->root = xmlNewDocNode(a->doc, NULL, BAD_CAST "dialog-info", NULL);
	if(!a->root)
		return -1;
	xmlDocSetRootElement(a->doc, a->root);
	a->ids = xmlHashCreate(16);
	ns = xmlNewNs(a->root, BAD_CAST PXML_NS_DIALOG, NULL);
	if(!a->ids || !ns)
		return -1;
	xmlSetNs(a->root, ns);
	if(!xmlNewProp(a->root, BAD_CAST "version", BAD_CAST "0")
			|| !xmlNewProp(a->root, BAD_CAST "state", BAD_CAST "full")
			|| !xmlNewProp(a->root, BAD_CAST "entity", BAD_CAST entity))
		return -1;
	return 0;
}

static void dagg_free(dagg_t *a)
{
	xmlFreeDoc(a->doc);
	xmlHashFree(a->ids, NULL);
}

/* The id the copy gets: its own unless taken by a newer body (then NULL:
 * skip it), generated when it has none. Freed with xmlFree. */
static xmlChar *dialog_id(dagg_t *a, xmlNodePtr d, int *skip)
{
	xmlChar *id = lp_xml_attr(d, "id");
	char buf[32];

	*skip = 0;
	if(id && *id) {
		*skip = xmlHashLookup(a->ids, id) != NULL;
		return id;
	}
	xmlFree(id);
	do {
		snprintf(buf, sizeof(buf), "pxml-%u", ++a->gen);
	} while(xmlHashLookup(a->ids, BAD_CAST buf));
	return xmlStrdup(BAD_CAST buf);
}

static void take_dialog(dagg_t *a, xmlNodePtr d)
{
	int skip;
	xmlChar *id = dialog_id(a, d, &skip);
	xmlNodePtr copy = NULL;

	if(!id) {
		a->err = 1;
		return;
	}
	if(!skip) {
		copy = lp_xml_copy(a->doc, d);
		if(!copy || xmlHashAddEntry(a->ids, id, (void *)1) != 0
				|| !xmlSetProp(copy, BAD_CAST "id", id))
			a->err = 1;
		else {
			xmlAddChild(a->root, copy);
			copy = NULL;
		}
	}
	xmlFreeNode(copy);
	xmlFree(id);
}

static void dagg_body(dagg_t *a, const lp_str_t *b)
{
	xmlDocPtr sdoc;
	xmlNodePtr sroot, d;

	if(!b)
		return;
	sdoc = lp_xml_parse(b->s, b->len, NULL);
	if(!sdoc)
		return;
	sroot = xmlDocGetRootElement(sdoc);
	if(lp_xml_is(sroot, "dialog-info", PXML_NS_DIALOG)) {
		if(lp_xml_hoist_ns(a->root, sroot) != 0)
			a->err = 1;
		for(d = lp_xml_child(sroot, "dialog", PXML_NS_DIALOG);
				d && !a->err; d = lp_xml_next(d, "dialog", PXML_NS_DIALOG))
			take_dialog(a, d);
		a->bodies++;
	}
	xmlFreeDoc(sdoc);
}

int pxml_dialog_aggregate(
		lp_str_t **bodies, int n, const char *entity, lp_str_t *out)
{
	dagg_t a;
	int i, rc = -1;

	if(!out)
		return -1;
	out->s = NULL;
	out->len = 0;
	if(!lp_xml_valid_cstr(entity) || n < 0 || (n > 0 && !bodies))
		return -1;
	if(dagg_init(&a, entity) != 0)
		goto done;
	for(i = n - 1; i >= 0 && !a.err; i--)
		dagg_body(&a, bodies[i]);
	if(a.err)
		goto done;
	if(a.bodies == 0) {
		rc = 1;
		goto done;
	}
	if(lp_xml_tidy_ns(a.root) != 0)
		goto done;
	rc = lp_xml_dump(a.doc, 1, out);
done:
	dagg_free(&a);
	return rc;
}

int pxml_dialog_set_version(
		const lp_str_t *in, unsigned int version, lp_str_t *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char v[16];
	int rc = -1;

	if(!out)
		return -1;
	out->s = NULL;
	out->len = 0;
	if(!in)
		return -1;
	doc = lp_xml_parse(in->s, in->len, NULL);
	if(!doc)
		return -1;
	root = xmlDocGetRootElement(doc);
	snprintf(v, sizeof(v), "%u", version);
	if(xmlHasNsProp(root, BAD_CAST "version", NULL)
			&& xmlSetProp(root, BAD_CAST "version", BAD_CAST v))
		rc = lp_xml_dump(doc, 0, out);
	xmlFreeDoc(doc);
	return rc;
}
