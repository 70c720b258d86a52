/* Hardened libxml2 parse and small tree helpers shared by the presence_xml
 * document code (PIDF aggregation, pres_check_*, dialog-info, winfo). The
 * parse never touches the network, never loads a DTD and never expands an
 * entity: a DOCTYPE is refused before libxml2 sees the body, and the body is
 * read as UTF-8 whatever it declares, so the refusal cannot be dodged by
 * encoding the DOCTYPE in UTF-16. */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "lp_xml.h"

/* Conservative: any "<!DOCTYPE" (any case) or "<!ENTITY" anywhere, even in
 * a comment or CDATA, refuses the body; presence documents never need one. */
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

/* Depth of libxml2 calls that are not safe on allocation failure; see
 * lp_xml_in_unsafe_libxml(). */
static int unsafe_depth;

int lp_xml_in_unsafe_libxml(void)
{
	return unsafe_depth;
}

/* The parse itself: the generic error handler is silenced for the call and
 * put back, the input read as UTF-8 whatever it declares. */
static xmlDocPtr parse_utf8(const char *buf, int len)
{
	xmlGenericErrorFunc old_fn = xmlGenericError;
	void *old_ctx = xmlGenericErrorContext;
	xmlDocPtr doc;

	xmlSetGenericErrorFunc(NULL, silent);
	unsafe_depth++;
	doc = xmlReadMemory(buf, len, NULL, "UTF-8",
			XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	unsafe_depth--;
	xmlSetGenericErrorFunc(old_ctx, old_fn);
	return doc;
}

int lp_xml_parse_code(
		const char *buf, int len, xmlDocPtr *out, const char **why)
{
	const char *dummy;

	if(!why)
		why = &dummy;
	*why = NULL;
	*out = NULL;
	if(!buf || len <= 0) {
		*why = "empty body";
		return LP_XML_EEMPTY;
	}
	if(len > LP_XML_MAX_BODY) {
		*why = "body too large";
		return LP_XML_ETOOBIG;
	}
	if(has_doctype(buf, len)) {
		*why = "DOCTYPE or ENTITY declarations are not allowed";
		return LP_XML_EDTD;
	}
	*out = parse_utf8(buf, len);
	if(!*out) {
		*why = "not well-formed XML";
		return LP_XML_EXML;
	}
	if((*out)->intSubset || (*out)->extSubset
			|| !xmlDocGetRootElement(*out)) {
		*why = "DTD not allowed";
		xmlFreeDoc(*out);
		*out = NULL;
		return LP_XML_EDTD;
	}
	return LP_XML_OK;
}

xmlDocPtr lp_xml_parse(const char *buf, int len, const char **why)
{
	xmlDocPtr doc;

	lp_xml_parse_code(buf, len, &doc, why);
	return doc;
}

int lp_xml_is(const xmlNode *n, const char *name, const char *ns)
{
	if(!n || n->type != XML_ELEMENT_NODE)
		return 0;
	if(name && !xmlStrEqual(n->name, BAD_CAST name))
		return 0;
	if(!ns)
		return n->ns == NULL || n->ns->href == NULL;
	return n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns);
}

static xmlNodePtr match_from(xmlNodePtr n, const char *name, const char *ns)
{
	for(; n; n = n->next) {
		if(n->type != XML_ELEMENT_NODE)
			continue;
		if(!name || lp_xml_is(n, name, ns))
			return n;
	}
	return NULL;
}

xmlNodePtr lp_xml_child(const xmlNode *parent, const char *name,
		const char *ns)
{
	return parent ? match_from(parent->children, name, ns) : NULL;
}

xmlNodePtr lp_xml_next(const xmlNode *n, const char *name, const char *ns)
{
	return n ? match_from(n->next, name, ns) : NULL;
}

xmlChar *lp_xml_attr(const xmlNode *n, const char *name)
{
	if(!n || n->type != XML_ELEMENT_NODE)
		return NULL;
	return xmlGetNoNsProp(n, BAD_CAST name);
}

int lp_xml_text_eq(const xmlNode *n, const lp_str_t *want, int nocase)
{
	xmlChar *txt = xmlNodeGetContent(n);
	lp_str_t got;
	int eq;

	if(!txt)
		return 0;
	got = lp_str_c((const char *)txt);
	lp_str_trim(&got);
	eq = nocase ? lp_str_caseeq(&got, want) : lp_str_eq(&got, want);
	xmlFree(txt);
	return eq;
}

/* Decodes one UTF-8 sequence at p (at most left bytes); returns its length
 * and the code point in *cp, or 0 when malformed or overlong. */
static int utf8_next(const unsigned char *p, int left, unsigned int *cp)
{
	int n, i;
	unsigned int c = p[0];

	if(c < 0x80) {
		*cp = c;
		return 1;
	}
	if((c & 0xE0) == 0xC0) {
		n = 2;
		c &= 0x1F;
	} else if((c & 0xF0) == 0xE0) {
		n = 3;
		c &= 0x0F;
	} else if((c & 0xF8) == 0xF0) {
		n = 4;
		c &= 0x07;
	} else
		return 0;
	if(left < n)
		return 0;
	for(i = 1; i < n; i++) {
		if((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if((n == 2 && c < 0x80) || (n == 3 && c < 0x800)
			|| (n == 4 && c < 0x10000))
		return 0;
	*cp = c;
	return n;
}

static int xml_char_ok(unsigned int c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
		   || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

int lp_xml_valid_text(const lp_str_t *s)
{
	const unsigned char *p;
	unsigned int cp;
	int i = 0, k;

	if(!s || !s->s || s->len <= 0)
		return 0;
	p = (const unsigned char *)s->s;
	while(i < s->len) {
		k = utf8_next(p + i, s->len - i, &cp);
		if(k == 0 || !xml_char_ok(cp))
			return 0;
		i += k;
	}
	return 1;
}

int lp_xml_valid_cstr(const char *s)
{
	lp_str_t v = lp_str_c(s);

	return s && lp_xml_valid_text(&v);
}

xmlChar *lp_xml_strdup(const lp_str_t *s)
{
	if(!s || !s->s || s->len < 0)
		return NULL;
	return xmlStrndup(BAD_CAST s->s, s->len);
}

int lp_xml_dump(xmlDocPtr doc, int format, lp_str_t *out)
{
	xmlChar *buf = NULL;
	int size = 0;

	out->s = NULL;
	out->len = 0;
	if(!doc)
		return -1;
	xmlDocDumpFormatMemoryEnc(doc, &buf, &size, "UTF-8", format);
	if(!buf || size <= 0 || size > LP_XML_MAX_DOC) {
		xmlFree(buf);
		return -1;
	}
	out->s = malloc(size + 1);
	if(!out->s) {
		xmlFree(buf);
		return -1;
	}
	memcpy(out->s, buf, size);
	out->s[size] = '\0';
	out->len = size;
	xmlFree(buf);
	return 0;
}

/* Prefixed declarations of the source parent the copy lacks are added on
 * the copy (xmlDocCopyNode only declares what element and attribute names
 * use). A prefix already declared on the copy itself is left alone. */
xmlNodePtr lp_xml_copy(xmlDocPtr doc, const xmlNode *src)
{
	xmlNodePtr copy;
	xmlNsPtr d, have;

	unsafe_depth++;
	copy = xmlDocCopyNode((xmlNodePtr)src, doc, 1);
	unsafe_depth--;
	if(!copy || !src->parent || src->parent->type != XML_ELEMENT_NODE)
		return copy;
	for(d = src->parent->nsDef; d; d = d->next) {
		if(!d->prefix || !d->href || xmlStrEqual(d->prefix, BAD_CAST "xml"))
			continue;
		have = xmlSearchNs(doc, copy, d->prefix);
		if(!have || !xmlStrEqual(have->href, d->href))
			xmlNewNs(copy, d->href, d->prefix);
	}
	return copy;
}

int lp_xml_hoist_ns(xmlNodePtr dst, const xmlNode *src)
{
	xmlNsPtr d;

	for(d = src->nsDef; d; d = d->next) {
		if(!d->prefix || !d->href || xmlStrEqual(d->prefix, BAD_CAST "xml"))
			continue;
		if(xmlSearchNs(dst->doc, dst, d->prefix))
			continue;
		if(!xmlNewNs(dst, d->href, d->prefix))
			return -1;
	}
	return 0;
}

/* XML_DOM_RECONNS_REMOVEREDUND: the enum is private to tree.c in libxml2
 * 2.9 (public in later versions); its value has not changed. */
#define PXML_RECONNS_REMOVEREDUND 1

int lp_xml_tidy_ns(xmlNodePtr root)
{
	int rc;

	unsafe_depth++;
	rc = xmlDOMWrapReconcileNamespaces(NULL, root, PXML_RECONNS_REMOVEREDUND);
	unsafe_depth--;
	return rc == 0 ? 0 : -1;
}
