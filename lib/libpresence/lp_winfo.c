/* RFC 3858 watcherinfo documents. Values are validated first (enumerated
 * attributes against the RFC's lists, every string against XML's character
 * rules) so the result always parses again; escaping of &, <, " and the
 * rest is left to libxml2's serialiser. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>

#include "lp_winfo.h"
#include "lp_xml.h"

static const char *const statuses[] = {
		"pending", "active", "waiting", "terminated", NULL};
static const char *const events[] = {"subscribe", "approved", "deactivated",
		"probation", "rejected", "timeout", "giveup", "noresource", NULL};

static int one_of(const lp_str_t *v, const char *const *list)
{
	lp_str_t c;

	for(; *list; list++) {
		c = lp_str_c(*list);
		if(lp_str_eq(v, &c))
			return 1;
	}
	return 0;
}

static int watcher_ok(const lp_watcher_t *w)
{
	return lp_xml_valid_text(&w->uri) && one_of(&w->status, statuses)
		   && one_of(&w->event, events)
		   && (w->id.len == 0 || lp_xml_valid_text(&w->id))
		   && (w->display_name.len == 0
				   || lp_xml_valid_text(&w->display_name));
}

/* FNV-1a of the uri: a stable id for watchers the caller gave none. */
static void derived_id(const lp_str_t *uri, char *buf, size_t size)
{
	uint32_t h = 2166136261u;
	int i;

	for(i = 0; i < uri->len; i++) {
		h ^= (unsigned char)uri->s[i];
		h *= 16777619u;
	}
	snprintf(buf, size, "pw%08x", (unsigned int)h);
}

/* Attribute from a counted string (xmlNewProp wants NUL-terminated). */
static int set_attr(xmlNodePtr n, const char *name, const lp_str_t *v)
{
	xmlChar *s = lp_xml_strdup(v);
	int rc = (s && xmlNewProp(n, BAD_CAST name, s)) ? 0 : -1;

	xmlFree(s);
	return rc;
}

static int add_watcher(xmlNodePtr list, const lp_watcher_t *w)
{
	xmlNodePtr n = xmlNewDocNode(list->doc, list->ns, BAD_CAST "watcher", NULL);
	char buf[24];
	lp_str_t v;

	if(!n)
		return -1;
	xmlAddChild(list, n);
	if(w->id.len > 0)
		v = w->id;
	else {
		derived_id(&w->uri, buf, sizeof(buf));
		v = lp_str_c(buf);
	}
	if(set_attr(n, "id", &v) || set_attr(n, "event", &w->event)
			|| set_attr(n, "status", &w->status))
		return -1;
	if(w->display_name.len > 0 && set_attr(n, "display-name", &w->display_name))
		return -1;
	snprintf(buf, sizeof(buf), "%u", w->duration);
	if(!xmlNewProp(n, BAD_CAST "duration-subscribed", BAD_CAST buf))
		return -1;
	/* a text node is escaped on output, unlike xmlNewChild's content */
	return xmlAddChild(n, xmlNewDocTextLen(n->doc, BAD_CAST w->uri.s,
								  w->uri.len))
				   ? 0
				   : -1;
}

static int args_ok(const char *resource, const char *package,
		const lp_watcher_t *w, int n)
{
	int i;

	if(!resource || !package || n < 0 || (n > 0 && !w))
		return 0;
	if(!lp_xml_valid_cstr(resource) || !lp_xml_valid_cstr(package))
		return 0;
	for(i = 0; i < n; i++) {
		if(!watcher_ok(&w[i]))
			return 0;
	}
	return 1;
}

int lp_winfo_build(const char *resource, const char *package,
		unsigned int version, int full, const lp_watcher_t *w, int n,
		lp_str_t *out)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, list;
	xmlNsPtr ns;
	char v[16];
	int i, rc = -1;

	if(!out)
		return -1;
	out->s = NULL;
	out->len = 0;
	if(!args_ok(resource, package, w, n))
		return -1;
	snprintf(v, sizeof(v), "%u", version);
	doc = xmlNewDoc(BAD_CAST "1.0");
	root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "watcherinfo", NULL) : NULL;
	if(!root)
		goto done;
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST PXML_NS_WINFO, NULL);
	if(!ns)
		goto done;
	xmlSetNs(root, ns);
	list = xmlNewChild(root, ns, BAD_CAST "watcher-list", NULL);
	if(!list || !xmlNewProp(root, BAD_CAST "version", BAD_CAST v)
			|| !xmlNewProp(root, BAD_CAST "state",
					BAD_CAST(full ? "full" : "partial"))
			|| !xmlNewProp(list, BAD_CAST "resource", BAD_CAST resource)
			|| !xmlNewProp(list, BAD_CAST "package", BAD_CAST package))
		goto done;
	for(i = 0; i < n; i++) {
		if(add_watcher(list, &w[i]) != 0)
			goto done;
	}
	rc = lp_xml_dump(doc, 1, out);
done:
	xmlFreeDoc(doc);
	return rc;
}
