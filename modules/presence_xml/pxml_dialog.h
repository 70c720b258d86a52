/* dialog;sla (draft-anil-sipping-bla) documents: the dialog-info
 * publications (RFC 4235) of a shared line's devices merged into one
 * document, and the per-watcher rewrite of a document's version attribute.
 * Host-neutral; results are malloc'd and owned by the caller. */
#ifndef PXML_DIALOG_H
#define PXML_DIALOG_H

#include "lp_str.h"

/* Merge bodies[0..n) (oldest first) into one
 * <dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0"
 * state="full" entity="`entity`"> holding every <dialog> of the bodies
 * once: for the same dialog id the newest body wins; a dialog without id
 * gets a generated one ("pxml-<n>"). Dialogs are ordered newest body first.
 * version="0" is a placeholder: set the watcher's version with
 * pxml_dialog_set_version before sending. A body that is NULL, empty,
 * larger than PXML_MAX_BODY, not well-formed, has a DOCTYPE, or whose root
 * is not <dialog-info> in the dialog-info namespace is skipped.
 * Returns 0 with out->s malloc'd and NUL-terminated (caller frees with
 * free()); 1 when no body was usable (out = {NULL,0}); -1 on bad arguments,
 * allocation failure or a result above LP_XML_MAX_DOC (out = {NULL,0}). */
int pxml_dialog_aggregate(lp_str_t **bodies, int n, const char *entity,
		lp_str_t *out);

/* Copy of document `in` with the version attribute (no namespace) of its
 * root element set to `version`. Works for any root that already has a
 * version attribute (dialog-info, reginfo, watcherinfo ...); the rest of the
 * document is kept as it is (reserialised, no reformatting). Returns 0 with
 * out->s malloc'd (caller frees with free()); -1 (out = {NULL,0}) when in
 * is unusable (see lp_xml_parse), its root has no version attribute, or
 * on allocation failure. in is not modified. */
int pxml_dialog_set_version(const lp_str_t *in, unsigned int version,
		lp_str_t *out);

#endif
