/* presence_xml's event callbacks for presence (pres_ev_t): authorization
 * by the presentity's pres-rules (RFC 4745 / RFC 5025) read from the xcap
 * table, the per-watcher filtering of NOTIFY bodies, PIDF and dialog-info
 * aggregation, per-watcher dialog-info versions, and the published state
 * read for pres_check_basic / pres_check_activities. Host-neutral: the
 * results are malloc'd and released with pxml_free_body. */
#ifndef PXML_AUTH_H
#define PXML_AUTH_H

#include "../presence/presence_api.h"
#include "pxml_state.h"

/* XCAP document types (the xcap table's doc_type) */
#define PXML_DOC_PRES_RULES 2
#define PXML_DOC_PIDF_MANIPULATION 16

/* get_rules_doc: the pres-rules document of user@domain into *doc (a
 * malloc'd lp_str_t whose s is malloc'd too; free both with pxml_free_body),
 * or *doc = NULL when there is none. 0, or -1 on DB error. */
int pxml_get_rules_doc(lp_str_t *user, lp_str_t *domain, lp_str_t **doc);

/* get_pidf_doc: the pidf-manipulation document (RFC 4827) of user@domain
 * stored in the xcap table under the document URI file_uri (as Kamailio's
 * xcap_server stores it: doc_type 16, doc_uri), into *doc as for
 * pxml_get_rules_doc; *doc = NULL when there is none. 0, or -1 on DB
 * error. */
int pxml_get_pidf_doc(lp_str_t *user, lp_str_t *domain, lp_str_t *file_uri,
		lp_str_t **doc);

/* get_auth_status: the watcher's subscription state by the rules: allow ->
 * active, confirm -> pending, polite-block -> active (with a polite body),
 * block -> terminated (reason "rejected"); no rule for the watcher ->
 * pending, or terminated with xcapauth_userdel_reason when it was active
 * (the rule was removed). 0, or -1 on error. */
int pxml_get_auth_status(subs_t *s);

/* apply_auth_nbody: the body this watcher may see (*final malloc'd; NULL
 * when the body goes unchanged). 0 or -1. */
int pxml_apply_auth(lp_str_t *body, subs_t *s, lp_str_t **final);

/* agg_nbody of presence and dialog;sla; NULL when there is nothing to send
 * (no usable body, and no dummy document wanted). presence: with
 * force_presence_single_body only the body pxml_single_pick chooses is
 * sent; off_index >= 0 (an un-PUBLISH just removed bodies[off_index]): the
 * result is pxml_pidf_closed of it, after the aggregation of the other
 * bodies when there are any (with force_presence_single_body: the one
 * picked among the others, else the closed document). dialog;sla leaves
 * bodies[off_index] out. */
lp_str_t *pxml_agg_presence(lp_str_t *user, lp_str_t *domain,
		lp_str_t **bodies, int n, int off_index);
lp_str_t *pxml_agg_dialog(lp_str_t *user, lp_str_t *domain,
		lp_str_t **bodies, int n, int off_index);

/* aux_body_processing of dialog;sla: the body with the watcher's version. */
lp_str_t *pxml_aux_dialog(subs_t *s, lp_str_t *body);

/* free_body / aux_free_body: frees what the functions above return (called
 * on the lp_str_t and on its s). */
void pxml_free_body(char *p);

#endif
