/* Shared libxml2 helpers for presence_xml, host-neutral: the one hardened
 * parse every presence_xml document goes through (no network, no DTD, no
 * entity expansion, DOCTYPE refused, body size capped, UTF-8 forced so the
 * DOCTYPE scan cannot be bypassed with another encoding), lookups by local
 * name + namespace URI, and serialisation into a malloc'd lp_str_t.
 * Nothing here keeps state between calls; every function is safe to call
 * from any Kamailio worker (process-private memory only). */
#ifndef LP_XML_H
#define LP_XML_H

#include <libxml/tree.h>

#include "lp_str.h"

/* Largest document we serialise (aggregates of many bodies may exceed
 * LP_XML_MAX_BODY; this caps what one NOTIFY can carry). */
#define LP_XML_MAX_DOC (1024 * 1024)
/* Largest body or document a parse accepts (bytes). */
#define LP_XML_MAX_BODY (64 * 1024)

#define PXML_NS_PIDF "urn:ietf:params:xml:ns:pidf"
#define PXML_NS_DM "urn:ietf:params:xml:ns:pidf:data-model"
#define PXML_NS_RPID "urn:ietf:params:xml:ns:pidf:rpid"
#define PXML_NS_DIALOG "urn:ietf:params:xml:ns:dialog-info"
#define PXML_NS_WINFO "urn:ietf:params:xml:ns:watcherinfo"

/* Parse buf[0..len) into a document. Refuses (returns NULL, with a static
 * reason in *why when why is not NULL): empty or NULL input, len above
 * LP_XML_MAX_BODY, any <!DOCTYPE or <!ENTITY, not well-formed XML, a document
 * with a DTD. The caller owns the result and frees it with xmlFreeDoc().
 * libxml2's generic error handler is silenced for the call and restored. */
xmlDocPtr lp_xml_parse(const char *buf, int len, const char **why);

/* Why lp_xml_parse_code refused a document. */
enum {
	LP_XML_OK = 0,
	LP_XML_EEMPTY = -1,	 /* NULL or empty input */
	LP_XML_ETOOBIG = -2, /* len above LP_XML_MAX_BODY */
	LP_XML_EDTD = -3,	 /* DOCTYPE, ENTITY or a DTD */
	LP_XML_EXML = -4	 /* not well-formed (UTF-8) XML */
};

/* lp_xml_parse with the reason as a code too: LP_XML_OK and *out set (the
 * caller frees it with xmlFreeDoc), or an LP_XML_E* code with *out NULL.
 * why may be NULL. Same checks, same parse, nothing else. */
int lp_xml_parse_code(
		const char *buf, int len, xmlDocPtr *out, const char **why);

/* 1 when n is an element with local name `name` whose namespace URI is
 * `ns` (ns NULL: the element has no namespace); 0 otherwise. */
int lp_xml_is(const xmlNode *n, const char *name, const char *ns);

/* First element child of parent (lp_xml_child) or first element sibling
 * after n (lp_xml_next) matching name + ns as lp_xml_is says; name NULL
 * matches any element. NULL when none. Returned nodes belong to the doc. */
xmlNodePtr lp_xml_child(const xmlNode *parent, const char *name,
		const char *ns);
xmlNodePtr lp_xml_next(const xmlNode *n, const char *name, const char *ns);

/* Value of the attribute `name` (no namespace) of element n, or NULL. The
 * caller frees it with xmlFree(). */
xmlChar *lp_xml_attr(const xmlNode *n, const char *name);

/* 1 when the text content of n, trimmed of blanks, equals want (length
 * want->len); case-insensitive when nocase. 0 otherwise. */
int lp_xml_text_eq(const xmlNode *n, const lp_str_t *want, int nocase);

/* 1 when s is non-empty, valid UTF-8 and holds only characters XML 1.0
 * allows (so it can be put into a document that will parse again). */
int lp_xml_valid_text(const lp_str_t *s);

/* lp_xml_valid_text for a NUL-terminated string (NULL: 0). */
int lp_xml_valid_cstr(const char *s);

/* A NUL-terminated xmlChar copy of s (freed with xmlFree), or NULL. */
xmlChar *lp_xml_strdup(const lp_str_t *s);

/* Deep copy of element src (from another document) for doc, not linked
 * into any tree: the namespaces its names use are declared on the copy,
 * and so are the prefixed declarations of src's parent that are not in
 * scope on the copy (QNames in content keep their meaning). NULL on
 * allocation failure. The caller links it (xmlAddChild) or frees it
 * (xmlFreeNode). */
xmlNodePtr lp_xml_copy(xmlDocPtr doc, const xmlNode *src);

/* Declare on dst the prefixed namespaces declared on src whose prefix is
 * not in scope on dst yet, so copies of src's children can share them once
 * lp_xml_tidy_ns drops
 * their own duplicates. 0, or -1 on allocation failure. */
int lp_xml_hoist_ns(xmlNodePtr dst, const xmlNode *src);

/* Drop namespace declarations under root that repeat one already in scope
 * (what lp_xml_hoist_ns makes possible) and make sure every element's
 * namespace is declared. 0, or -1 on failure (the tree is then unusable). */
int lp_xml_tidy_ns(xmlNodePtr root);

/* Non-zero while this process is inside a libxml2 call that libxml2 2.9
 * does not survive cleanly when an allocation fails (the parser
 * dereferences NULL, xmlDocCopyNode and xmlDOMWrapReconcileNamespaces leak).
 * Only for the tests' failing allocator, which must not fail those. */
int lp_xml_in_unsafe_libxml(void);

/* Serialise doc as UTF-8 with an XML declaration (indented when format is
 * 1) into out->s, allocated with malloc, NUL-terminated, owned by the
 * caller (free(out->s)). Returns 0, or -1 (out left {NULL,0}) on
 * allocation failure or when the document exceeds LP_XML_MAX_DOC. doc is not
 * changed or freed. */
int lp_xml_dump(xmlDocPtr doc, int format, lp_str_t *out);

#endif
