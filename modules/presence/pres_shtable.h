/* presence_api_t's subscription hash table (shtable_t): an array of
 * subs_entry_t slots, each a zeroed head record whose `next` chain holds
 * single-block subs_t copies, and the slot's lock in place. Consumers such
 * as rls index the array and take a slot's lock themselves, so the layout is
 * Kamailio's (presence_api.h) and the locking contract is:
 *   insert, delete, update take the slot lock themselves;
 *   search does not (the caller holds it while it uses the result).
 * The caller computes hash_code in [0, hash_size). */
#ifndef PRES_SHTABLE_H
#define PRES_SHTABLE_H

#include "lp_mem.h"
#include "presence_api.h"

/* The ops of the lock in subs_entry_t.lock (size must be at most
 * sizeof(pres_gen_lock_t)); the default is a spin lock on the int, the
 * Kamailio glue installs gen_lock_t's lock_get/lock_release. */
void pres_shtable_set_lock(const lp_lock_ops_t *ops);
void pres_shtable_lock(shtable_t t, unsigned int hash_code);
void pres_shtable_unlock(shtable_t t, unsigned int hash_code);

/* hash_size slots (lp_malloc); NULL when out of memory. */
shtable_t pres_shtable_new(int hash_size);
/* Frees every record, head and the array. */
void pres_shtable_destroy(shtable_t t, int hash_size);
/* Links a single-block lp_malloc copy of s (s is not kept); s->expires is
 * a duration in seconds, stored as now + expires. 0 / -1. */
int pres_shtable_insert(shtable_t t, unsigned int hash_code, subs_t *s);
/* The stored record of the dialog, or NULL; no lock taken. */
subs_t *pres_shtable_search(shtable_t t, lp_str_t callid, lp_str_t to_tag,
		lp_str_t from_tag, unsigned int hash_code);
/* Unlinks and frees the record of s's dialog; 0, or -1 when absent. */
int pres_shtable_delete(shtable_t t, unsigned int hash_code, subs_t *s);
/* REMOTE_TYPE: copies remote_cseq, and expires (a duration, stored as
 * now + expires) into the record; LOCAL_TYPE:
 * advances the record's local_cseq and version and copies them back into
 * s. Both copy status and mark a clean record UPDATEDB_FLAG. 0, -1 absent. */
int pres_shtable_update(shtable_t t, unsigned int hash_code, subs_t *s, int type);
/* update_db_subs_timer's walk (the DB calls are the glue's): for each of
 * the first `size` slots, under the slot lock (unless no_lock) an expired
 * record (expires < now) is unlinked and a private copy is taken of each
 * INSERTDB_FLAG or UPDATEDB_FLAG record, which is marked NO_UPDATEDB_FLAG;
 * then, with no lock held, each expired record is handed to expired (may
 * be NULL), then to remove (when it has a row: not INSERTDB_FLAG) and
 * freed, and each copy to write. A failed write marks the record again; a
 * record removed while its copy was written gets its row removed. */
typedef struct pres_shtable_sync_ops {
	int (*write)(subs_t *s, void *ctx);
	void (*remove)(subs_t *s, void *ctx);
	void *ctx;
} pres_shtable_sync_ops_t;
void pres_shtable_sync(shtable_t t, int size, int no_lock, unsigned int now,
		handle_expired_func_t expired, const pres_shtable_sync_ops_t *ops);

/* Slots in t (what pres_shtable_new was given). */
int pres_shtable_size(shtable_t t);

#endif
