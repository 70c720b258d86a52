/* ABI probe of the presence API: prints the size of every type that
 * bind_presence hands out or receives, the offset and size of every field,
 * and the constants' values, one "name value" line each. Built twice by
 * test/abi/Makefile: with -DPROBE_KAMAILIO against Kamailio's own presence
 * headers (the tree's include paths and defines), and without it against
 * ours (modules/presence/presence_api.h). The two outputs must be equal. */
#include <stddef.h>
#include <stdio.h>

#ifdef PROBE_KAMAILIO
#include "modules/presence/bind_presence.h"
#include "modules/presence/subscribe.h"
#include "modules/presence/hash.h"
#include "modules/presence/event_list.h"
#else
#include "presence_api.h"
#endif

#define SIZE(T) printf("sizeof(%s) %zu\n", #T, sizeof(T));
#define ALIGN(T) printf("alignof(%s) %zu\n", #T, _Alignof(T));
#define FIELD(T, f)                                                 \
	printf("%s.%s %zu %zu\n", #T, #f, offsetof(T, f),               \
			sizeof(((T *)0)->f));
#define SIGNED(T, f)                                                \
	printf("%s.%s signed %d\n", #T, #f,                             \
			(int)((__typeof__(((T *)0)->f))-1 < 0));
#define CONST(c) printf("%s %ld\n", #c, (long)(c));

#define PRES_EV_FIELDS(X)                                               \
	X(pres_ev_t, name) X(pres_ev_t, evp) X(pres_ev_t, content_type)     \
	X(pres_ev_t, default_expires) X(pres_ev_t, type)                    \
	X(pres_ev_t, etag_not_new) X(pres_ev_t, req_auth)                   \
	X(pres_ev_t, get_rules_doc) X(pres_ev_t, get_pidf_doc)              \
	X(pres_ev_t, apply_auth_nbody) X(pres_ev_t, get_auth_status)        \
	X(pres_ev_t, agg_nbody) X(pres_ev_t, evs_publ_handl)                \
	X(pres_ev_t, evs_subs_handl) X(pres_ev_t, free_body)                \
	X(pres_ev_t, aux_body_processing) X(pres_ev_t, aux_free_body)       \
	X(pres_ev_t, wipeer) X(pres_ev_t, next)

#define SUBS_FIELDS(X)                                                  \
	X(subs_t, pres_uri) X(subs_t, to_user) X(subs_t, to_domain)         \
	X(subs_t, from_user) X(subs_t, from_domain) X(subs_t, watcher_user) \
	X(subs_t, watcher_domain) X(subs_t, event) X(subs_t, event_id)      \
	X(subs_t, to_tag) X(subs_t, from_tag) X(subs_t, callid)             \
	X(subs_t, sockinfo_str) X(subs_t, remote_cseq)                      \
	X(subs_t, local_cseq) X(subs_t, contact) X(subs_t, local_contact)   \
	X(subs_t, record_route) X(subs_t, expires) X(subs_t, status)        \
	X(subs_t, reason) X(subs_t, version) X(subs_t, send_on_cback)       \
	X(subs_t, db_flag) X(subs_t, auth_rules_doc) X(subs_t, recv_event)  \
	X(subs_t, internal_update_flag) X(subs_t, updated)                  \
	X(subs_t, updated_winfo) X(subs_t, flags) X(subs_t, user_agent)     \
	X(subs_t, next)

#define API_FIELDS(X)                                                   \
	X(presence_api_t, add_event) X(presence_api_t, contains_event)      \
	X(presence_api_t, search_event) X(presence_api_t, get_event_list)   \
	X(presence_api_t, update_watchers_status)                           \
	X(presence_api_t, new_shtable) X(presence_api_t, destroy_shtable)   \
	X(presence_api_t, insert_shtable) X(presence_api_t, search_shtable) \
	X(presence_api_t, delete_shtable) X(presence_api_t, update_shtable) \
	X(presence_api_t, mem_copy_subs)                                    \
	X(presence_api_t, update_db_subs_timer)                             \
	X(presence_api_t, extract_sdialog_info)                             \
	X(presence_api_t, get_sphere) X(presence_api_t, get_presentity)     \
	X(presence_api_t, free_presentity)                                  \
	X(presence_api_t, pres_auth_status)                                 \
	X(presence_api_t, handle_publish)                                   \
	X(presence_api_t, handle_subscribe0)                                \
	X(presence_api_t, handle_subscribe)                                 \
	X(presence_api_t, update_presentity)                                \
	X(presence_api_t, pres_refresh_watchers)

int main(void)
{
	SIZE(pres_ev_t) ALIGN(pres_ev_t) PRES_EV_FIELDS(FIELD)
	SIZE(subs_t) ALIGN(subs_t) SUBS_FIELDS(FIELD)
	SIZE(presence_api_t) API_FIELDS(FIELD)
	SIZE(subs_entry_t) ALIGN(subs_entry_t)
	FIELD(subs_entry_t, entries) FIELD(subs_entry_t, lock)
	printf("alignof(subs_entry_t.lock) %zu\n",
			_Alignof(((subs_entry_t *)0)->lock));
	SIZE(shtable_t)
	SIGNED(pres_ev_t, default_expires) SIGNED(pres_ev_t, type)
	SIGNED(subs_t, status) SIGNED(subs_t, flags) SIGNED(subs_t, expires)
	SIGNED(subs_t, db_flag) SIGNED(subs_t, version)
	CONST(WINFO_TYPE) CONST(PUBL_TYPE)
	CONST(ACTIVE_STATUS) CONST(PENDING_STATUS) CONST(TERMINATED_STATUS)
	CONST(WAITING_STATUS) CONST(POLITE_BLOCK_STATUS)
	CONST(PRES_SUBSCRIBE_RECV) CONST(INTERNAL_UPDATE_FALSE)
	CONST(INTERNAL_UPDATE_TRUE)
	CONST(PKG_MEM_TYPE) CONST(SHM_MEM_TYPE)
	CONST(REMOTE_TYPE) CONST(LOCAL_TYPE)
	return 0;
}
