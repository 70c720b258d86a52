/* PIDF well-formedness check (RFC 3863): the hardened parse of lp_xml.c
 * (lp_xml_parse), then the root element and its namespace. */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pxml_pidf.h"

#define PIDF_NS "urn:ietf:params:xml:ns:pidf"

int pxml_pidf_check(const char *body, int len, const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc = -1;

	doc = lp_xml_parse(body, len, why);
	if(!doc)
		return -1;
	root = xmlDocGetRootElement(doc);
	if(!root || xmlStrcmp(root->name, BAD_CAST "presence") != 0)
		*why = "root element is not <presence>";
	else if(!root->ns || xmlStrcmp(root->ns->href, BAD_CAST PIDF_NS) != 0)
		*why = "root element not in the PIDF namespace";
	else
		rc = 0;
	xmlFreeDoc(doc);
	return rc;
}
