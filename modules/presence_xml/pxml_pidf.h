/* Safe XML checks for presence_xml, host-neutral: parse a document without
 * network access, DTD loading or entity expansion, refusing any DOCTYPE. */
#ifndef PXML_PIDF_H
#define PXML_PIDF_H

#include "lp_xml.h"

/* Largest body accepted (bytes). */
#define PXML_MAX_BODY LP_XML_MAX_BODY

/* 0 when body is a well-formed PIDF document (root <presence> in the
 * urn:ietf:params:xml:ns:pidf namespace); -1 otherwise, with a reason in
 * *why (static string). */
int pxml_pidf_check(const char *body, int len, const char **why);

#endif
