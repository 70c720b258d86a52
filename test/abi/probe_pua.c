/* ABI probe of the pua API: prints the size and alignment of every type
 * that bind_pua and bind_libxml_api hand out or receive (and rls/list.h's
 * list_entry_t that get_subs_list returns), the offset and size of every
 * field, the signedness of the integer fields, and every flag's value, one
 * "name value" line each. Built twice by test/abi/Makefile: with
 * -DPROBE_KAMAILIO against Kamailio's own pua and rls headers (the tree's
 * include paths and defines), and without it against ours
 * (modules/pua/pua_api.h, pua_libxml_api.h). The outputs must be equal;
 * test/unit/check_abi_pua.c pins the same numbers for x86_64. */
#include <stddef.h>
#include <stdio.h>

#ifdef PROBE_KAMAILIO
#include "modules/pua/pua_bind.h"
#include "modules/pua/pua.h"
#include "modules/pua/pidf.h"
#include "modules/pua/event_list.h"
#include "modules/pua/pua_callback.h"
#include "modules/rls/list.h"
typedef str probe_str_t;
#else
#include "pua_api.h"
#include "pua_libxml_api.h"
typedef lp_str_t probe_str_t;
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

#define STR_FIELDS(X) X(probe_str_t, s) X(probe_str_t, len)

#define PUBL_FIELDS(X)                                                  \
	X(publ_info_t, id) X(publ_info_t, pres_uri) X(publ_info_t, body)    \
	X(publ_info_t, expires) X(publ_info_t, flag)                        \
	X(publ_info_t, source_flag) X(publ_info_t, event)                   \
	X(publ_info_t, content_type) X(publ_info_t, etag)                   \
	X(publ_info_t, outbound_proxy) X(publ_info_t, extra_headers)        \
	X(publ_info_t, cb_param)

#define SUBS_FIELDS(X)                                                  \
	X(subs_info_t, id) X(subs_info_t, pres_uri)                         \
	X(subs_info_t, watcher_uri) X(subs_info_t, contact)                 \
	X(subs_info_t, remote_target) X(subs_info_t, outbound_proxy)        \
	X(subs_info_t, event) X(subs_info_t, extra_headers)                 \
	X(subs_info_t, expires) X(subs_info_t, source_flag)                 \
	X(subs_info_t, flag) X(subs_info_t, cb_param)                       \
	X(subs_info_t, internal_update_flag)

#define UA_PRES_FIELDS(X)                                               \
	X(ua_pres_t, id) X(ua_pres_t, pres_uri) X(ua_pres_t, event)         \
	X(ua_pres_t, expires) X(ua_pres_t, desired_expires)                 \
	X(ua_pres_t, flag) X(ua_pres_t, db_flag) X(ua_pres_t, cb_param)     \
	X(ua_pres_t, next) X(ua_pres_t, ua_flag)                            \
	X(ua_pres_t, outbound_proxy) X(ua_pres_t, etag)                     \
	X(ua_pres_t, tuple_id) X(ua_pres_t, body)                           \
	X(ua_pres_t, content_type) X(ua_pres_t, watcher_uri)                \
	X(ua_pres_t, call_id) X(ua_pres_t, to_tag) X(ua_pres_t, from_tag)   \
	X(ua_pres_t, cseq) X(ua_pres_t, version)                            \
	X(ua_pres_t, extra_headers) X(ua_pres_t, record_route)              \
	X(ua_pres_t, remote_contact) X(ua_pres_t, contact)

#define API_FIELDS(X)                                                   \
	X(pua_api_t, send_subscribe) X(pua_api_t, send_publish)             \
	X(pua_api_t, register_puacb) X(pua_api_t, is_dialog)                \
	X(pua_api_t, get_record_id) X(pua_api_t, add_event)                 \
	X(pua_api_t, get_subs_list)

#define LIBXML_FIELDS(X)                                                \
	X(libxml_api_t, xmlDocGetNodeByName)                                \
	X(libxml_api_t, xmlNodeGetNodeByName)                               \
	X(libxml_api_t, xmlNodeGetNodeContentByName)                        \
	X(libxml_api_t, xmlNodeGetAttrContentByName)

#define LIST_FIELDS(X) X(list_entry_t, strng) X(list_entry_t, next)

#define INT_FIELDS(X)                                                   \
	X(publ_info_t, expires) X(publ_info_t, flag)                        \
	X(publ_info_t, source_flag) X(publ_info_t, event)                   \
	X(subs_info_t, event) X(subs_info_t, expires)                       \
	X(subs_info_t, source_flag) X(subs_info_t, flag)                    \
	X(subs_info_t, internal_update_flag) X(ua_pres_t, event)            \
	X(ua_pres_t, expires) X(ua_pres_t, desired_expires)                 \
	X(ua_pres_t, flag) X(ua_pres_t, db_flag) X(ua_pres_t, ua_flag)      \
	X(ua_pres_t, cseq) X(ua_pres_t, version) X(probe_str_t, len)

#define CONSTS(X)                                                       \
	X(PRESENCE_EVENT) X(PWINFO_EVENT) X(BLA_EVENT) X(MSGSUM_EVENT)      \
	X(CONFERENCE_EVENT) X(DIALOG_EVENT) X(REGINFO_EVENT)                \
	X(XCAPDIFF_EVENT) X(UL_PUBLISH) X(BLA_PUBLISH) X(BLA_SUBSCRIBE)     \
	X(XMPP_PUBLISH) X(XMPP_SUBSCRIBE) X(XMPP_INITIAL_SUBS)              \
	X(RPC_PUBLISH) X(RPC_ASYN_PUBLISH) X(RPC_SUBSCRIBE)                 \
	X(RLS_SUBSCRIBE) X(DIALOG_PUBLISH) X(PURPLE_PUBLISH)                \
	X(REGINFO_PUBLISH) X(REGINFO_SUBSCRIBE) X(XCAPDIFF_PUBLISH)         \
	X(XCAPDIFF_SUBSCRIBE) X(NO_UPDATEDB_FLAG) X(UPDATEDB_FLAG)          \
	X(INSERTDB_FLAG) X(WTHROUGHDB_FLAG) X(INSERT_TYPE) X(UPDATE_TYPE)   \
	X(REQ_OTHER) X(REQ_ME) X(ERR_PUBLISH_NO_BODY) X(PUACB_MAX)          \
	X(MAX_FORWARD)

int main(void)
{
	SIZE(probe_str_t) ALIGN(probe_str_t)
	SIZE(publ_info_t) ALIGN(publ_info_t)
	SIZE(subs_info_t) ALIGN(subs_info_t)
	SIZE(ua_pres_t) ALIGN(ua_pres_t)
	SIZE(pua_api_t) ALIGN(pua_api_t)
	SIZE(libxml_api_t) ALIGN(libxml_api_t)
	SIZE(list_entry_t) ALIGN(list_entry_t)
	STR_FIELDS(FIELD)
	PUBL_FIELDS(FIELD)
	SUBS_FIELDS(FIELD)
	UA_PRES_FIELDS(FIELD)
	API_FIELDS(FIELD)
	LIBXML_FIELDS(FIELD)
	LIST_FIELDS(FIELD)
	INT_FIELDS(SIGNED)
	CONSTS(CONST)
	return 0;
}
