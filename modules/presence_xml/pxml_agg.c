/* PIDF aggregation (RFC 3863 / RFC 4479): the bodies are walked newest
 * first so the first element seen for a (kind, id) pair is the one kept.
 * Copies are collected into three holder nodes (tuples, notes, the rest)
 * and moved under the new <presence> at the end, which gives the order the
 * PIDF schema asks for whatever order the bodies used. The namespace
 * declarations of each body's root are hoisted to the result's root when
 * their prefix is free there and kept on the copied element otherwise; a
 * final reconciliation drops declarations made redundant by the hoisting. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/tree.h>

#include "pxml_agg.h"
#include "lp_xml.h"

typedef enum { K_TUPLE = 1, K_PERSON, K_DEVICE } agg_kind_t;

static const char *const kind_name[] = {"", "tuple", "person", "device"};

typedef struct agg {
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlNodePtr tuples, notes, rest; /* holders, not in the tree */
	xmlHashTablePtr seen;			/* (id, kind) already taken */
	xmlHashTablePtr used;			/* ids present in the result */
	xmlHashTablePtr note_txt;		/* note texts already taken */
	unsigned int gen;				/* counter for generated ids */
	int bodies;						/* usable bodies so far */
	int err;
} agg_t;

static int agg_init(agg_t *a, const char *entity)
{
	xmlNsPtr ns;

	memset(a, 0, sizeof(*a));
	a->doc = xmlNewDoc(BAD_CAST "1.0");
	if(!a->doc)
		return -1;
	a->root = xmlNewDocNode(a->doc, NULL, BAD_CAST "presence", NULL);
	if(!a->root)
		return -1;
	xmlDocSetRootElement(a->doc, a->root);
	a->tuples = xmlNewDocNode(a->doc, NULL, BAD_CAST "t", NULL);
	a->notes = xmlNewDocNode(a->doc, NULL, BAD_CAST "n", NULL);
	a->rest = xmlNewDocNode(a->doc, NULL, BAD_CAST "r", NULL);
	a->seen = xmlHashCreate(16);
	a->used = xmlHashCreate(16);
	a->note_txt = xmlHashCreate(4);
	if(!a->tuples || !a->notes || !a->rest || !a->seen || !a->used
			|| !a->note_txt)
		return -1;
	ns = xmlNewNs(a->root, BAD_CAST PXML_NS_PIDF, NULL);
	if(!ns || !xmlNewProp(a->root, BAD_CAST "entity", BAD_CAST entity))
		return -1;
	xmlSetNs(a->root, ns);
	return 0;
}

static void agg_free(agg_t *a)
{
	xmlFreeNode(a->tuples);
	xmlFreeNode(a->notes);
	xmlFreeNode(a->rest);
	xmlFreeDoc(a->doc);
	xmlHashFree(a->seen, NULL);
	xmlHashFree(a->used, NULL);
	xmlHashFree(a->note_txt, NULL);
}

/* A unique id for the result: the element's own when free, else
 * "pxml-<n>". Returned string is freed by the caller with xmlFree. */
static xmlChar *unique_id(agg_t *a, const xmlChar *want)
{
	char buf[32];

	if(want && *want && !xmlHashLookup(a->used, want))
		return xmlStrdup(want);
	do {
		snprintf(buf, sizeof(buf), "pxml-%u", ++a->gen);
	} while(xmlHashLookup(a->used, BAD_CAST buf));
	return xmlStrdup(BAD_CAST buf);
}

/* Copy element c (tuple/person/device) unless a newer body already gave
 * one of the same kind and id. */
static void take(agg_t *a, xmlNodePtr c, agg_kind_t kind, xmlNodePtr holder)
{
	xmlChar *id = lp_xml_attr(c, "id"), *fid = NULL;
	const xmlChar *kn = BAD_CAST kind_name[kind];
	xmlNodePtr copy = NULL;

	if(id && *id) {
		if(xmlHashLookup2(a->seen, id, kn))
			goto done; /* older duplicate: the newest wins */
		if(xmlHashAddEntry2(a->seen, id, kn, (void *)1) != 0)
			goto fail;
	}
	fid = unique_id(a, id);
	copy = lp_xml_copy(a->doc, c);
	if(!fid || !copy || xmlHashAddEntry(a->used, fid, (void *)1) != 0)
		goto fail;
	if(!id || !xmlStrEqual(id, fid)) {
		if(!xmlSetProp(copy, BAD_CAST "id", fid))
			goto fail;
	}
	xmlAddChild(holder, copy);
	copy = NULL;
	goto done;
fail:
	a->err = 1;
done:
	xmlFreeNode(copy);
	xmlFree(id);
	xmlFree(fid);
}

static void take_note(agg_t *a, xmlNodePtr c)
{
	xmlChar *txt = xmlNodeGetContent(c);
	xmlNodePtr copy;

	if(!txt)
		txt = xmlStrdup(BAD_CAST "");
	if(!txt) {
		a->err = 1;
		return;
	}
	if(!xmlHashLookup(a->note_txt, txt)) {
		copy = lp_xml_copy(a->doc, c);
		if(!copy || xmlHashAddEntry(a->note_txt, txt, (void *)1) != 0) {
			xmlFreeNode(copy);
			a->err = 1;
		} else
			xmlAddChild(a->notes, copy);
	}
	xmlFree(txt);
}

static void take_ext(agg_t *a, xmlNodePtr c)
{
	xmlNodePtr copy = lp_xml_copy(a->doc, c);

	if(!copy) {
		a->err = 1;
		return;
	}
	xmlAddChild(a->rest, copy);
}

static void agg_body(agg_t *a, const lp_str_t *b)
{
	xmlDocPtr sdoc;
	xmlNodePtr sroot, c;

	if(!b)
		return;
	sdoc = lp_xml_parse(b->s, b->len, NULL);
	if(!sdoc)
		return;
	sroot = xmlDocGetRootElement(sdoc);
	if(!lp_xml_is(sroot, "presence", PXML_NS_PIDF)) {
		xmlFreeDoc(sdoc);
		return;
	}
	if(lp_xml_hoist_ns(a->root, sroot) != 0)
		a->err = 1;
	for(c = lp_xml_child(sroot, NULL, NULL); c && !a->err;
			c = lp_xml_next(c, NULL, NULL)) {
		if(lp_xml_is(c, "tuple", PXML_NS_PIDF))
			take(a, c, K_TUPLE, a->tuples);
		else if(lp_xml_is(c, "person", PXML_NS_DM))
			take(a, c, K_PERSON, a->rest);
		else if(lp_xml_is(c, "device", PXML_NS_DM))
			take(a, c, K_DEVICE, a->rest);
		else if(lp_xml_is(c, "note", PXML_NS_PIDF))
			take_note(a, c);
		else if(a->bodies == 0 && !lp_xml_is(c, NULL, PXML_NS_PIDF))
			take_ext(a, c);
	}
	a->bodies++;
	xmlFreeDoc(sdoc);
}

static void move_children(xmlNodePtr from, xmlNodePtr to)
{
	xmlNodePtr c;

	while((c = from->children) != NULL) {
		xmlUnlinkNode(c);
		xmlAddChild(to, c);
	}
}

int pxml_pidf_aggregate(
		lp_str_t **bodies, int n, const char *entity, lp_str_t *out)
{
	agg_t a;
	int i, rc = -1;

	if(!out)
		return -1;
	out->s = NULL;
	out->len = 0;
	if(!lp_xml_valid_cstr(entity) || n < 0 || (n > 0 && !bodies))
		return -1;
	if(agg_init(&a, entity) != 0)
		goto done;
	for(i = n - 1; i >= 0 && !a.err; i--)
		agg_body(&a, bodies[i]);
	if(a.err)
		goto done;
	if(a.bodies == 0) {
		rc = 1;
		goto done;
	}
	move_children(a.tuples, a.root);
	move_children(a.notes, a.root);
	move_children(a.rest, a.root);
	if(lp_xml_tidy_ns(a.root) != 0)
		goto done;
	rc = lp_xml_dump(a.doc, 1, out);
done:
	agg_free(&a);
	return rc;
}

int pxml_pidf_dummy(const char *entity, lp_str_t *out)
{
	agg_t a;
	xmlNodePtr t, st;
	int rc = -1;

	if(!out)
		return -1;
	out->s = NULL;
	out->len = 0;
	if(!lp_xml_valid_cstr(entity))
		return -1;
	if(agg_init(&a, entity) != 0)
		goto done;
	t = xmlNewChild(a.root, a.root->ns, BAD_CAST "tuple", NULL);
	st = t ? xmlNewChild(t, a.root->ns, BAD_CAST "status", NULL) : NULL;
	if(!st || !xmlNewProp(t, BAD_CAST "id", BAD_CAST "pxml-dummy")
			|| !xmlNewChild(st, a.root->ns, BAD_CAST "basic", BAD_CAST "open"))
		goto done;
	rc = lp_xml_dump(a.doc, 1, out);
done:
	agg_free(&a);
	return rc;
}

/* The tuples of the removed document, each with only <status><basic>closed
 * (its id kept, or a generated one), under a new <presence>. */
static void closed_tuples(agg_t *a, const lp_str_t *body)
{
	xmlDocPtr sdoc = body ? lp_xml_parse(body->s, body->len, NULL) : NULL;
	xmlNodePtr sroot = sdoc ? xmlDocGetRootElement(sdoc) : NULL, c, t, st;
	xmlChar *id, *fid;

	if(!lp_xml_is(sroot, "presence", PXML_NS_PIDF))
		sroot = NULL;
	for(c = sroot ? lp_xml_child(sroot, "tuple", PXML_NS_PIDF) : NULL;
			c && !a->err; c = lp_xml_next(c, "tuple", PXML_NS_PIDF)) {
		id = lp_xml_attr(c, "id");
		fid = unique_id(a, id);
		t = fid ? xmlNewChild(a->root, a->root->ns, BAD_CAST "tuple", NULL)
				: NULL;
		st = t ? xmlNewChild(t, a->root->ns, BAD_CAST "status", NULL) : NULL;
		if(!st || !xmlNewProp(t, BAD_CAST "id", fid)
				|| xmlHashAddEntry(a->used, fid, (void *)1) != 0
				|| !xmlNewChild(st, a->root->ns, BAD_CAST "basic",
						BAD_CAST "closed"))
			a->err = 1;
		xmlFree(id);
		xmlFree(fid);
	}
	xmlFreeDoc(sdoc);
}

int pxml_pidf_closed(const lp_str_t *removed, const char *entity, lp_str_t *out)
{
	agg_t a;
	xmlNodePtr t, st;
	int rc = -1;

	if(!out)
		return -1;
	out->s = NULL;
	out->len = 0;
	if(!lp_xml_valid_cstr(entity))
		return -1;
	if(agg_init(&a, entity) != 0)
		goto done;
	closed_tuples(&a, removed);
	if(a.err)
		goto done;
	if(!a.root->children) { /* nothing usable: one tuple of our own */
		t = xmlNewChild(a.root, a.root->ns, BAD_CAST "tuple", NULL);
		st = t ? xmlNewChild(t, a.root->ns, BAD_CAST "status", NULL) : NULL;
		if(!st || !xmlNewProp(t, BAD_CAST "id", BAD_CAST "pxml-closed")
				|| !xmlNewChild(st, a.root->ns, BAD_CAST "basic",
						BAD_CAST "closed"))
			goto done;
	}
	rc = lp_xml_dump(a.doc, 1, out);
done:
	agg_free(&a);
	return rc;
}
