/* What presence_xml's authorization repeats for the watchers of one
 * presentity, kept per process: the parsed pres-rules document (by its
 * text) and the PIDF documents its transformations made (by the published
 * document's text and the permissions, pxml_rules_result_key). A fan-out
 * to a thousand watchers parses the rules once and filters the document
 * once per distinct set of permissions, instead of once per watcher.
 * Both are pure functions of their keys, so an entry never goes stale:
 * changed rules or a changed document are another key. Host-neutral (no
 * Kamailio header); plain malloc, no lock (each process its own). At most
 * PXML_AUTHMEMO_RULESETS documents and PXML_AUTHMEMO_BODIES filtered
 * bodies are kept, none larger than PXML_AUTHMEMO_MAX_DOC. */
#ifndef PXML_AUTHMEMO_H
#define PXML_AUTHMEMO_H

#include "pxml_rules.h"

#define PXML_AUTHMEMO_RULESETS 8
#define PXML_AUTHMEMO_BODIES 32
#define PXML_AUTHMEMO_MAX_DOC 16384 /* bytes of a kept text */

/* pxml_rules_evaluate(), with the document parsed once per text. */
int pxml_authmemo_evaluate(const lp_str_t *rules_doc,
		const lp_str_t *watcher_uri, const char *sphere, time_t now,
		pxml_rules_result_t *out);

/* pxml_rules_filter(), filtering once per (pidf text, permissions of r):
 * 0 and out->s a malloc'd NUL-terminated copy the caller frees, or -1
 * (*out untouched). */
int pxml_authmemo_filter(
		const lp_str_t *pidf, const pxml_rules_result_t *r, lp_str_t *out);

/* Free everything kept (tests; module shutdown need not). */
void pxml_authmemo_flush(void);

/* Parses and filter runs done so far in this process (tests). */
unsigned long pxml_authmemo_parses(void);
unsigned long pxml_authmemo_filters(void);

#endif
