/* PIDF aggregation for the presence event (agg_nbody): the publications of
 * one presentity (several devices, each with its own ETag) merged into the
 * one PIDF document (RFC 3863, data model RFC 4479, RPID RFC 4480) that
 * watchers get in NOTIFY, and the dummy document of force_dummy_presence.
 * Host-neutral; results are malloc'd and owned by the caller. */
#ifndef PXML_AGG_H
#define PXML_AGG_H

#include "lp_str.h"

/* Merge bodies[0..n) (oldest first) into one PIDF document for `entity`
 * (the presentity URI, set as the entity attribute of <presence>).
 * Kept, each once: every <tuple> (PIDF ns), <person> and <device> (data
 * model ns) of every body, the newest body winning when the same element
 * kind has the same id in several bodies; presence-level <note>s (identical
 * text kept once); other presence-level extension elements of the newest
 * body only. Elements are ordered newest body first, tuples, then notes,
 * then the rest, as the PIDF schema wants. Ids are unique in the result: an
 * element without an id, or whose id is taken by an element of another
 * kind, gets a generated one. Namespace declarations of each body are kept
 * on its copied elements. A body that is NULL, empty, larger than
 * PXML_MAX_BODY, not well-formed, has a DOCTYPE, or whose root is not a
 * PIDF <presence> is skipped.
 * Returns 0 with out->s a malloc'd NUL-terminated document (caller frees
 * with free()); 1 when no body was usable (out = {NULL,0}: the caller sends
 * no body, or the dummy one); -1 on bad arguments, allocation failure or a
 * result above LP_XML_MAX_DOC (out = {NULL,0}). bodies are not modified. */
int pxml_pidf_aggregate(lp_str_t **bodies, int n, const char *entity,
		lp_str_t *out);

/* Minimal PIDF for `entity`: one tuple (id "pxml-dummy") with basic status
 * open. Returns 0 with out->s malloc'd (caller frees), -1 on bad arguments
 * or allocation failure (out = {NULL,0}). */
int pxml_pidf_dummy(const char *entity, lp_str_t *out);

/* The document watchers get when a presentity's last publication is
 * removed by an un-PUBLISH (agg_nbody's off_index body, as Kamailio's
 * presence_xml sends it): for `entity`, every <tuple> of `removed` with its
 * id (a generated one when it has none or a duplicate) and only
 * <status><basic>closed</basic></status>; notes, persons, devices and
 * extensions of the removed document are not revealed. When `removed` is
 * NULL, not a PIDF document or has no tuple, one tuple "pxml-closed".
 * Returns 0 with out->s malloc'd (caller frees), -1 on bad arguments or
 * allocation failure (out = {NULL,0}). */
int pxml_pidf_closed(const lp_str_t *removed, const char *entity, lp_str_t *out);

#endif
