/* The NOTIFY bodies of one fan-out: the presentity's document is built once
 * (aggregated by the event) and every watcher whose filtering outcome is
 * the same gets the same body, shared rather than copied. Host-neutral
 * logic (no Kamailio header). */
#ifndef PRES_BODYCACHE_H
#define PRES_BODYCACHE_H

#include "pres_logic.h"

#define PRES_BC_BUCKETS 64
#define PRES_BC_MAX 4096 /* outcomes kept; beyond, filtered per watcher */

typedef struct pres_bc_entry pres_bc_entry_t;

/* One fan-out's cache: lives on the caller's stack for the fan-out, while
 * the document it was made from does not change (the caller holds the
 * presentity's fan-out lock, pres_notify.c). Not shared between processes
 * or threads. */
typedef struct pres_bodycache
{
	const lp_str_t *doc;				 /* the document (not owned) */
	pres_bc_entry_t *b[PRES_BC_BUCKETS]; /* filtered bodies by outcome */
	int n;								 /* entries */
	int filtered;						 /* filter runs (tests) */
} pres_bodycache_t;

/* Frees what an event callback returned (body and str): the body through
 * the event's free_body fb (may be NULL), the str as Kamailio's contract
 * says (pres.str_free, else free). f may be NULL. */
void pres_cb_str_free(free_body_t *fb, lp_str_t *f);

/* A cache over doc (may be {NULL,0}: nothing published); doc must stay
 * valid and unchanged until pres_bodycache_free. */
void pres_bodycache_init(pres_bodycache_t *bc, const lp_str_t *doc);

/* The body subscription s gets: none unless s is active; the document
 * itself when the event does not filter per watcher; otherwise the
 * document after the event's apply_auth_nbody, built once per watcher
 * identity (the outcome of the authorization rules depends on the
 * presentity and the watcher's URI only) and shared; after
 * aux_body_processing (a per-watcher rewrite, e.g. a version number),
 * always the watcher's own. *out points into the cache (*owned 0: valid
 * until pres_bodycache_free, never freed by the caller) or is the
 * caller's malloc'd copy (*owned 1). 0, or -1 on out of memory (*out
 * {NULL,0}). */
int pres_bodycache_get(
		pres_bodycache_t *bc, subs_t *s, lp_str_t *out, int *owned);

/* Free every cached body (not the document). */
void pres_bodycache_free(pres_bodycache_t *bc);

/* The body of one watcher outside a fan-out: *body (malloc'd, owned by the
 * caller, may be {NULL,0}) is replaced by what s gets -- nothing unless s
 * is active, then filtered by the event's apply_auth_nbody and
 * aux_body_processing. On out of memory *body is {NULL,0}. */
void pres_body_for_watcher(subs_t *s, lp_str_t *body);

#endif
