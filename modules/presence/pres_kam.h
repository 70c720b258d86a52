/* Kamailio adapters of the presence module: SIP request -> plain request
 * structs, pres_reply_t -> SIP reply (stateless or through the
 * transaction), pres_notify_t -> NOTIFY through tm. */
#ifndef PRES_KAM_H
#define PRES_KAM_H

#include "core/dprint.h"
#include "lp_kam.h"
#include "modules/tm/tm_load.h"
#include "modules/tm/t_lookup.h"
#include "modules/sl/sl.h"
#include "pres_logic.h"

extern struct tm_binds pres_tmb;
extern tm_xapi_t pres_xtmb; /* t_check_trans (pres_check_overload) */
extern sl_api_t pres_slb;
extern int pres_local_log_facility; /* local_log_facility, -1: the core's */

/* local_log_level / local_log_facility: the one-line reports of rejected
 * requests and of each NOTIFY go at the level (and facility) the operator
 * chose. PRES_LOCAL_LOG_AS names the function the line is written under
 * (the NOTIFY lines logged after a fan-out, pres_nlog_kam.c). */
#define PRES_LOCAL_LOG_AS(func, fmt, ...)                                     \
	do {                                                                      \
		if(pres_local_log_facility >= 0)                                      \
			LOG_FX(pres_local_log_facility, pres.cfg.local_log_level, NULL,   \
					LOC_INFO, func, fmt, __VA_ARGS__);                        \
		else                                                                  \
			LOG_FX(DEFAULT_FACILITY, pres.cfg.local_log_level, NULL,          \
					LOC_INFO, func, fmt, __VA_ARGS__);                        \
	} while(0)
#define PRES_LOCAL_LOG(fmt, ...) \
	PRES_LOCAL_LOG_AS(_FUNC_NAME_, fmt, __VA_ARGS__)

int pres_kam_publish(struct sip_msg *msg, str *sender);
/* wuser/wdomain: the watcher when not the From URI (both NULL: From) */
int pres_kam_subscribe(struct sip_msg *msg, const str *wuser, const str *wdomain);
int pres_kam_send_notify(const pres_notify_t *n);
/* pres_check_overload(): 1 when msg may go on (not a PUBLISH or SUBSCRIBE
 * that would create state, or the server is not behind:
 * pres_limits_early); -1 after answering it 503 with Retry-After (through
 * the transaction when the script made one, else statelessly: called
 * before t_newtran(), the refusal costs no transaction), remembered so
 * its retransmissions are refused too; for a retransmission of a request
 * tm has a transaction for, what tm's t_check_trans() says (0: tm
 * resent its reply, the script stops). The handlers call it first when
 * the script made no transaction, so every stateless refusal for load is
 * remembered. */
int pres_kam_check_overload(struct sip_msg *msg);
/* overload_queue_percent on: count the SIP messages each process takes in
 * (a pre-script callback), in mod_init. 0, or -1 on error. */
int pres_kam_count_init(void);
/* shm_prefault in a process the module forked itself (no child_init):
 * map the first shm_prefault MB of the shm pool in this process too
 * (presence_mod.c); rank names it in the debug log. */
void pres_kam_prefault(int rank);


int pres_kam_extract_sdialog_info(subs_t *subs, struct sip_msg *msg,
		int max_expire, int *to_tag_gen, lp_str_t scontact,
		lp_str_t watcher_user, lp_str_t watcher_domain);
/* update_db_subs_timer (pres_dbsubs_kam.c): db is a db1_con_t *, dbf a
 * db_func_t * of the consumer's own table. */
void pres_kam_update_db_subs(void *db, void *dbf, shtable_t t, int size,
		int no_lock, handle_expired_func_t expired);
#endif
