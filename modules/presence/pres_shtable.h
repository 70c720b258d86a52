/* presence_api_t's subscription hash-table functions (see pres_shtable.c). */
#ifndef PRES_SHTABLE_H
#define PRES_SHTABLE_H

#include "presence_api.h"

/* update_shtable type bits */
#define PRES_SH_REMOTE (1 << 1) /* copy expires and remote CSeq */
#define PRES_SH_LOCAL (1 << 2)	/* next local CSeq and version, copied back */

shtable_t pres_shtable_new(int hash_size);
void pres_shtable_destroy(shtable_t t, int hash_size);
int pres_shtable_insert(shtable_t t, unsigned int hash_code, subs_t *s);
subs_t *pres_shtable_search(shtable_t t, lp_str_t callid, lp_str_t to_tag,
		lp_str_t from_tag, unsigned int hash_code);
int pres_shtable_delete(shtable_t t, unsigned int hash_code, subs_t *s);
int pres_shtable_update(shtable_t t, unsigned int hash_code, subs_t *s, int type);

#endif
